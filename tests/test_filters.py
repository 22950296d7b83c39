"""Each filter narrows the list to exactly the rows it should, through the list pages' query strings."""

import pytest
from django.http import QueryDict

from riskreg import filters

from .register_data import build_register


@pytest.fixture
def reg(db):
    return build_register()


def names(filterset_class, params: dict) -> set[str]:
    # A QueryDict, as a request gives: a single ?level=3 must work where a list is possible.
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [str(value)])
    filterset = filterset_class(query)
    assert filterset.is_valid(), filterset.errors
    return {str(obj) for obj in filterset.qs}


CONCERN_CASES = [
    (
        {},
        {"Theft of ore", "Strike at the mill", "Permit withdrawn", "Protests near the store", "Fire risk at the plant"},
    ),
    ({"q": "ore"}, {"Theft of ore", "Strike at the mill", "Protests near the store"}),  # title, site "Ore mill"
    ({"q": "central"}, {"Protests near the store"}),  # site name only
    ({"q": "golden theft"}, {"Theft of ore"}),  # every word must match somewhere
    ({"q": "steppe"}, {"Permit withdrawn", "Fire risk at the plant"}),  # enterprise name
    ({"origin_country": "CN"}, {"Theft of ore", "Strike at the mill"}),
    ({"country": "KG", "origin_country": "TR"}, {"Protests near the store"}),
    ({"category": "regulatory"}, {"Permit withdrawn"}),
    ({"level": "3"}, {"Theft of ore", "Protests near the store"}),
    ({"level": ["1", "4"]}, {"Strike at the mill", "Permit withdrawn", "Fire risk at the plant"}),
    ({"status": "closed"}, {"Protests near the store"}),
    (
        {"status": ["open", "monitoring", "mitigating"]},
        {"Theft of ore", "Strike at the mill", "Permit withdrawn", "Fire risk at the plant"},
    ),
    ({"overdue": "true"}, {"Theft of ore"}),
    (
        {"overdue": "false"},
        {"Strike at the mill", "Permit withdrawn", "Protests near the store", "Fire risk at the plant"},
    ),
    ({"raised_after": "2024-01-01"}, {"Theft of ore", "Fire risk at the plant"}),
    ({"raised_before": "2023-02-01"}, {"Strike at the mill", "Protests near the store"}),
    ({"raised_after": "2023-01-01", "raised_before": "2023-12-31"}, {"Strike at the mill", "Permit withdrawn"}),
    ({"likelihood": "4", "impact": "4"}, {"Theft of ore"}),
    ({"impact": "4"}, {"Theft of ore", "Protests near the store"}),
]


@pytest.mark.parametrize(("params", "expected"), CONCERN_CASES, ids=[str(p) for p, _ in CONCERN_CASES])
def test_concern_filters(reg, params, expected):
    assert names(filters.ConcernFilterSet, params) == expected


def test_concern_filters_by_related_rows(reg):
    assert names(filters.ConcernFilterSet, {"enterprise": reg.gold.pk}) == {"Theft of ore", "Strike at the mill"}
    assert names(filters.ConcernFilterSet, {"site": reg.mill.pk}) == {"Strike at the mill"}
    assert names(filters.ConcernFilterSet, {"region": reg.osh.pk}) == {"Theft of ore"}
    assert names(filters.ConcernFilterSet, {"district": reg.panfilov.pk}) == {
        "Strike at the mill",
        "Protests near the store",
    }
    assert names(filters.ConcernFilterSet, {"owner": reg.owner.pk}) == {"Theft of ore"}


def test_site_filters(reg):
    every = {"Ridge mine", "Ore mill", "Thermal plant", "Central store"}
    assert names(filters.SiteFilterSet, {}) == every
    assert names(filters.SiteFilterSet, {"q": "kaindy"}) == {"Ore mill"}  # locality
    assert names(filters.SiteFilterSet, {"q": "golden"}) == {"Ridge mine", "Ore mill"}  # enterprise name
    assert names(filters.SiteFilterSet, {"enterprise": reg.gold.pk}) == {"Ridge mine", "Ore mill"}
    assert names(filters.SiteFilterSet, {"origin_country": "RU"}) == {"Thermal plant"}
    assert names(filters.SiteFilterSet, {"sector": "trade"}) == {"Central store"}
    assert names(filters.SiteFilterSet, {"region": reg.chui.pk}) == {"Ore mill", "Thermal plant", "Central store"}
    assert names(filters.SiteFilterSet, {"district": reg.kara_suu.pk}) == {"Ridge mine"}
    assert names(filters.SiteFilterSet, {"kind": "plant"}) == {"Ore mill", "Thermal plant"}
    assert names(filters.SiteFilterSet, {"status": "suspended"}) == {"Thermal plant"}
    assert names(filters.SiteFilterSet, {"precision": "exact"}) == {"Ore mill"}


def test_site_level_is_the_highest_among_open_concerns(reg):
    # The store's only concern (high) is closed, so the store has no level at all.
    assert names(filters.SiteFilterSet, {"level": "3"}) == {"Ridge mine"}
    assert names(filters.SiteFilterSet, {"level": "1"}) == {"Ore mill", "Thermal plant"}
    assert names(filters.SiteFilterSet, {"level": "4"}) == set()
    levels = {s.name: s.highest_open_level for s in reg.mine.__class__.objects.with_highest_open_level()}
    assert levels == {"Ridge mine": 3, "Ore mill": 1, "Thermal plant": 1, "Central store": None}


def test_enterprise_filters(reg):
    assert names(filters.EnterpriseFilterSet, {"q": "ridge"}) == {"Golden Ridge"}
    assert names(filters.EnterpriseFilterSet, {"origin_country": "TR"}) == {"Bazaar Trading"}
    assert names(filters.EnterpriseFilterSet, {"sector": "energy"}) == {"Steppe Power"}
    assert names(filters.EnterpriseFilterSet, {"status": "suspended"}) == {"Steppe Power"}
    # Golden Ridge has a site in each region, and is listed once.
    chui = filters.EnterpriseFilterSet({"region": reg.chui.pk}).qs
    assert sorted(str(e) for e in chui) == ["Bazaar Trading", "Golden Ridge", "Steppe Power"]
    assert names(filters.EnterpriseFilterSet, {"region": reg.osh.pk}) == {"Golden Ridge"}


def test_measure_filters(reg):
    assert names(filters.MeasureFilterSet, {"q": "patrol"}) == {"Police patrols"}
    assert names(filters.MeasureFilterSet, {"status": ["done", "cancelled"]}) == {"Round table"}
    assert names(filters.MeasureFilterSet, {"responsible": reg.embassy.pk}) == {"Round table"}
    assert names(filters.MeasureFilterSet, {"responsible": reg.ministry.pk}) == {"Police patrols", "Round table"}
    assert names(filters.MeasureFilterSet, {"proposed_by": reg.ministry.pk}) == {"Police patrols"}
    assert names(filters.MeasureFilterSet, {"due_before": "2023-06-01"}) == {"Round table"}
    assert names(filters.MeasureFilterSet, {"due_after": "2024-01-01"}) == {"Police patrols"}
    # The round table's date has passed too, but it is done: not overdue.
    assert names(filters.MeasureFilterSet, {"overdue": "true"}) == {"Police patrols"}
    assert names(filters.MeasureFilterSet, {"overdue": "false"}) == {"Round table"}


def test_engagement_filters(reg):
    assert names(filters.EngagementFilterSet, {"q": "turkish"}) == {str(reg.meeting)}
    assert names(filters.EngagementFilterSet, {"kind": "correspondence"}) == {str(reg.letter)}
    assert names(filters.EngagementFilterSet, {"organisation": reg.embassy.pk}) == {str(reg.meeting)}
    assert names(filters.EngagementFilterSet, {"organisation": reg.ministry.pk}) == {str(reg.meeting), str(reg.letter)}
    assert names(filters.EngagementFilterSet, {"date_after": "2024-01-01"}) == {str(reg.meeting)}
    assert names(filters.EngagementFilterSet, {"date_before": "2023-12-31"}) == {str(reg.letter)}


def test_the_list_page_applies_the_query_string(reg, admin_client):
    page = admin_client.get("/concerns/", {"origin_country": "CN", "status": "monitoring"}).content.decode()
    assert "Strike at the mill" in page
    assert "Theft of ore" not in page
    assert "1 match" in page


def test_an_invalid_filter_shows_nothing_and_says_why(reg, admin_client):
    response = admin_client.get("/concerns/", {"region": "999999"})
    assert response.status_code == 200
    assert list(response.context["table"].page.object_list) == []
    assert "Select a valid choice" in response.content.decode()


def test_a_long_list_of_organisations_or_owners_becomes_a_number_input(reg, admin_client, monkeypatch):
    """Past BoundedSelect.limit rows, a filter by organisation or owner takes the number instead of
    listing every row on every page; filtering by it works as before."""
    page = admin_client.get("/measures/").content.decode()
    assert f'<option value="{reg.ministry.pk}">{reg.ministry}</option>' in page
    monkeypatch.setattr(filters.BoundedSelect, "limit", 1)
    response = admin_client.get(f"/measures/?responsible={reg.embassy.pk}")
    page = response.content.decode()
    assert str(reg.ministry) not in page.split('name="responsible"')[1].split(">")[0]
    assert f'type="number" name="responsible" value="{reg.embassy.pk}"' in page
    assert '<select name="proposed_by"' not in page
    assert [m.title for m in response.context["table"].data] == ["Round table"]
    page = admin_client.get(f"/concerns/?owner={reg.owner.pk}").content.decode()
    assert "Theft of ore" in page
