"""The register's pages as a reader sees them: access, sorting, pagination, relations, dashboard, escaping."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from riskreg.models import Concern, Enterprise, Measure, Site

from .adminforms import admin_change_url, change_form_data
from .register_data import build_register, user_with

LISTS = {
    "enterprise_list": "view_enterprise",
    "site_list": "view_site",
    "concern_list": "view_concern",
    "measure_list": "view_measure",
    "engagement_list": "view_engagement",
}


@pytest.fixture
def reg(db):
    return build_register()


def detail_urls(reg) -> dict[str, tuple[str, str]]:
    return {
        "enterprise_detail": (reverse("enterprise_detail", args=[reg.gold.pk]), "view_enterprise"),
        "site_detail": (reverse("site_detail", args=[reg.mine.pk]), "view_site"),
        "concern_detail": (reverse("concern_detail", args=[reg.theft.pk]), "view_concern"),
        "measure_detail": (reverse("measure_detail", args=[reg.patrol.pk]), "view_measure"),
        "engagement_detail": (reverse("engagement_detail", args=[reg.meeting.pk]), "view_engagement"),
    }


def all_pages(reg) -> list[tuple[str, str]]:
    pages = [(reverse(name), perm) for name, perm in LISTS.items()]
    pages += list(detail_urls(reg).values())
    pages.append((reverse("dashboard"), "view_concern"))
    return pages


# --- Access -----------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(reg, client):
    for url, _perm in all_pages(reg):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_users_without_the_view_permission_get_403(reg, client):
    # Every permission of the app except the one each page needs.
    for url, perm in all_pages(reg):
        from django.contrib.auth.models import Permission

        others = Permission.objects.filter(content_type__app_label="riskreg").exclude(codename=perm)
        user = user_with(*others.values_list("codename", flat=True), username=f"no-{perm}-{abs(hash(url))}")
        client.force_login(user)
        assert client.get(url).status_code == 403, url


def test_the_view_permission_is_enough_to_read(reg, client):
    for url, perm in all_pages(reg):
        client.force_login(user_with(perm, username=f"only-{perm}-{abs(hash(url))}"))
        assert client.get(url).status_code == 200, url


def test_edit_link_only_for_users_who_may_change(reg, client):
    url = reverse("concern_detail", args=[reg.theft.pk])
    admin_link = reverse("admin:riskreg_concern_change", args=[reg.theft.pk])
    client.force_login(user_with("view_concern", username="reader"))
    assert admin_link not in client.get(url).content.decode()
    client.force_login(user_with("view_concern", "change_concern", username="editor"))
    assert admin_link in client.get(url).content.decode()


# --- Sorting and pagination ----------------------------------------------------------


def add_low_concerns(site: Site, count: int, title, raised_on) -> None:
    """Add ``count`` low concerns at ``site``; ``title`` and ``raised_on`` take the running number."""
    for n in range(count):
        Concern.objects.create(
            title=title(n), site=site, category="other", likelihood=1, impact=1, raised_on=raised_on(n)
        )


def titles(response) -> list[str]:
    return [str(row.record) for row in response.context["table"].page.object_list]


def test_concerns_are_newest_first_by_default(reg, admin_client):
    assert titles(admin_client.get("/concerns/")) == [
        "Fire risk at the plant",
        "Theft of ore",
        "Permit withdrawn",
        "Strike at the mill",
        "Protests near the store",
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Fire risk", "Permit", "Protests", "Strike", "Theft"]),
        ("-title", ["Theft", "Strike", "Protests", "Permit", "Fire risk"]),
        # Level, then newest first within a level.
        ("level", ["Fire risk", "Strike", "Theft", "Protests", "Permit"]),
        ("-level", ["Permit", "Protests", "Theft", "Strike", "Fire risk"]),
        ("raised_on", ["Protests", "Strike", "Permit", "Theft", "Fire risk"]),
    ],
)
def test_concerns_sort_by_column(reg, admin_client, sort, expected):
    got = titles(admin_client.get("/concerns/", {"sort": sort}))
    assert [next(t for t in got if t.startswith(prefix)) for prefix in expected] == got


def test_sort_link_in_the_header_keeps_the_filters(reg, admin_client):
    page = admin_client.get("/concerns/", {"origin_country": "CN"}).content.decode()
    links = re.findall(r'href="([^"]*sort=title[^"]*)"', page)
    assert links and all("origin_country=CN" in link for link in links)


def test_pagination_and_page_size(reg, admin_client):
    add_low_concerns(reg.mine, 60, lambda n: f"Extra concern {n:02d}", lambda n: "2021-01-01")
    first = admin_client.get("/concerns/")
    assert len(titles(first)) == 25
    assert "65 matches" in first.content.decode()
    third = admin_client.get("/concerns/", {"page": 3})
    assert len(titles(third)) == 15
    assert set(titles(first)).isdisjoint(titles(third))
    assert len(titles(admin_client.get("/concerns/", {"per_page": 50}))) == 50
    assert len(titles(admin_client.get("/concerns/", {"per_page": 100}))) == 65
    # Sizes outside the offered choices fall back to the default instead of rendering everything.
    assert len(titles(admin_client.get("/concerns/", {"per_page": 100000}))) == 25
    assert len(titles(admin_client.get("/concerns/", {"per_page": "abc"}))) == 25
    # The page-size choice is part of the filter form, so it survives applying filters.
    assert re.search(r'<option value="50" selected>', admin_client.get("/concerns/?per_page=50").content.decode())


@pytest.mark.parametrize("name", LISTS)
def test_every_list_sorts_by_each_sortable_column(reg, admin_client, name):
    response = admin_client.get(reverse(name))
    for column in response.context["table"].columns:
        if column.orderable:
            for sort in (column.name, f"-{column.name}"):
                assert admin_client.get(reverse(name), {"sort": sort}).status_code == 200, sort


# --- Detail pages -----------------------------------------------------------------------


def test_full_gold_minings_concern_shows_its_source_participants_and_measures(seeded, admin_client):
    concern = Concern.objects.get(site__enterprise__name="Full Gold Mining")
    page = admin_client.get(concern.get_absolute_url()).content.decode()
    assert "Foreign Minister Kazakbaev receives Chinese Ambassador Du Dewen" in page
    assert "Ruslan Kazakbaev" in page
    assert "Du Dewen" in page
    assert "Government measures to protect foreign companies and citizens" in page
    assert "Round table with Chinese enterprises, ministries and private sector" in page
    for measure in Measure.objects.all():
        assert measure.get_absolute_url() in page


def test_enterprise_page_lists_its_sites_and_concerns(reg, admin_client):
    page = admin_client.get(reg.gold.get_absolute_url()).content.decode()
    for text in ("Ridge mine", "Ore mill", "Theft of ore", "Strike at the mill"):
        assert text in page
    assert "Permit withdrawn" not in page  # another enterprise's concern
    assert f"/concerns/?enterprise={reg.gold.pk}" not in page  # everything fits: no "show all" link


def test_detail_pages_link_to_the_full_list_when_there_are_more(reg, admin_client):
    add_low_concerns(reg.mine, 30, lambda n: f"More {n}", lambda n: "2020-01-01")
    page = admin_client.get(reg.gold.get_absolute_url()).content.decode()
    assert f"/concerns/?enterprise={reg.gold.pk}" in page
    assert "Show all 32 in the list" in page
    page = admin_client.get(reg.mine.get_absolute_url()).content.decode()
    assert f"/concerns/?site={reg.mine.pk}" in page


def test_site_page_lists_its_concerns_and_level(reg, admin_client):
    page = admin_client.get(reg.mine.get_absolute_url()).content.decode()
    assert "Theft of ore" in page
    assert "Golden Ridge" in page
    assert 'class="badge level-badge level-3"' in page
    assert "Strike at the mill" not in page


def test_measure_page_lists_concerns_and_responsible_organisations(reg, admin_client):
    page = admin_client.get(reg.round_table.get_absolute_url()).content.decode()
    for text in ("Theft of ore", "Permit withdrawn", "Embassy of Turkey", "Ministry of Economy"):
        assert text in page


def test_engagement_page_lists_participants_organisations_concerns_and_measures(reg, admin_client):
    page = admin_client.get(reg.meeting.get_absolute_url()).content.decode()
    for text in ("Aigul Sadykova", "Deputy minister", "Embassy of Turkey", "Theft of ore", "Police patrols"):
        assert text in page
    assert "Permit withdrawn" not in page  # raised in the letter


def test_concern_history_says_who_changed_which_field_from_what_to_what(reg, client, django_user_model):
    editor = django_user_model.objects.create_superuser("editor-bek", password="pw-bek-123")
    client.force_login(editor)
    concern = reg.strike
    concern.status = "mitigating"
    concern.owner = reg.owner
    concern._history_user = editor
    concern.save()
    page = client.get(concern.get_absolute_url()).content.decode()
    history = page[page.index("Change history") :]
    assert "editor-bek" in history
    assert re.search(r"Status</span>: Monitoring → Mitigating", history)
    assert re.search(r"Owner</span>: — → owner-anna", history)
    assert "Created" in history
    assert "Updated" not in history  # bookkeeping fields are not listed as changes


# --- Dashboard ----------------------------------------------------------------------------


def test_dashboard_counts_open_concerns_by_level_and_status(reg, admin_client):
    context = admin_client.get("/").context
    by_level = {row["level"].value: row["count"] for row in context["levels"]}
    # The closed high concern (protests) does not count.
    assert by_level == {4: 1, 3: 1, 2: 0, 1: 2}
    by_status = {row["status"].value: row["count"] for row in context["statuses"]}
    assert by_status == {"open": 2, "monitoring": 1, "mitigating": 1, "closed": 1}
    assert [c.title for c in context["overdue"]] == ["Theft of ore"]


def test_heatmap_cell_links_to_its_open_concerns(reg, admin_client):
    Concern.objects.create(
        title="Second theft", site=reg.mill, category="property", likelihood=4, impact=4, raised_on="2024-02-02"
    )
    Concern.objects.create(
        title="Old theft",
        site=reg.mill,
        category="property",
        likelihood=4,
        impact=4,
        raised_on="2019-02-02",
        status="closed",
        closure_reason="Caught.",
    )
    dashboard = admin_client.get("/")
    cell = next(
        cell
        for row in dashboard.context["heatmap"]
        if row["likelihood"] == 4
        for cell in row["cells"]
        if cell["impact"] == 4
    )
    assert cell["count"] == 2
    assert cell["level"] == 3
    html = dashboard.content.decode()
    href = cell["url"].replace("&", "&amp;")
    assert f'<a href="{href}"' in html
    listed = admin_client.get(cell["url"])
    assert sorted(titles(listed)) == ["Second theft", "Theft of ore"]


def test_dashboard_level_cards_and_status_links_lead_to_matching_lists(reg, admin_client):
    context = admin_client.get("/").context
    critical = next(row for row in context["levels"] if row["level"] == 4)
    assert titles(admin_client.get(critical["url"])) == ["Permit withdrawn"]
    closed = next(row for row in context["statuses"] if row["status"] == "closed")
    assert titles(admin_client.get(closed["url"])) == ["Protests near the store"]
    assert titles(admin_client.get(context["overdue_url"])) == ["Theft of ore"]


def dashboard_counts(client) -> tuple[dict, dict, int]:
    context = client.get("/").context
    by_level = {row["level"].value: row["count"] for row in context["levels"]}
    by_status = {row["status"].value: row["count"] for row in context["statuses"]}
    return by_level, by_status, context["overdue_count"]


def test_dashboard_shows_an_edit_or_a_deletion_at_once(reg, admin_client):
    statuses = {"open": 2, "monitoring": 1, "mitigating": 1, "closed": 1}
    assert dashboard_counts(admin_client) == ({4: 1, 3: 1, 2: 0, 1: 2}, statuses, 1)
    # The counts are kept between views (dashboard.py) ...
    reg.strike.likelihood, reg.strike.impact = 5, 4  # monitoring: open, now critical
    reg.strike.save()
    # ... yet the edit shows on the very next one.
    assert dashboard_counts(admin_client)[0] == {4: 2, 3: 1, 2: 0, 1: 1}
    # The theft closes: one open high concern fewer, nothing overdue any more.
    response = admin_client.post(
        admin_change_url(reg.theft),
        {**change_form_data(admin_client, reg.theft), "status": "closed", "closure_reason": "Guards hired."},
    )
    assert response.status_code == 302
    by_level, by_status, overdue = dashboard_counts(admin_client)
    assert (by_level[3], by_status["closed"], overdue) == (0, 2, 0)
    reg.permit.delete()
    assert dashboard_counts(admin_client)[0] == {4: 1, 3: 0, 2: 0, 1: 1}


def test_dashboard_counts_are_kept_between_views(reg, admin_client):
    admin_client.get("/")
    with CaptureQueriesContext(connection) as queries:
        admin_client.get("/")
    counted = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "riskreg_concern" in q["sql"]]
    assert counted == []


def test_dashboard_lists_recently_changed_concerns(reg, admin_client):
    reg.strike.description = "Now with details."
    reg.strike.save()
    assert admin_client.get("/").context["recent"][0] == reg.strike


# --- Escaping ----------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_are_escaped_everywhere(reg, admin_client, hostile):
    reg.gold.name = f"Gold {hostile}"
    reg.gold.save()
    reg.mine.name = f"Mine {hostile}"
    reg.mine.locality = hostile
    reg.mine.save()
    reg.theft.title = f"Theft {hostile}"
    reg.theft.description = hostile
    reg.theft.save()
    reg.ministry.name = f"Ministry {hostile}"
    reg.ministry.save()
    reg.meeting.title = f"Meeting {hostile}"
    reg.meeting.save()
    reg.patrol.title = f"Patrol {hostile}"
    reg.patrol.save()
    urls = [reverse(name) for name in LISTS] + [url for url, _perm in detail_urls(reg).values()] + ["/"]
    urls.append(f"/concerns/?q={hostile}&enterprise={reg.gold.pk}")
    for url in urls:
        page = admin_client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "onerror=alert(1)>" not in page.replace("&gt;", ""), url
    assert f"Theft {escape(hostile)}" in admin_client.get(reg.theft.get_absolute_url()).content.decode()


def test_no_inline_scripts_or_styles(reg, admin_client):
    urls = [reverse(name) for name in LISTS] + [url for url, _perm in detail_urls(reg).values()] + ["/"]
    for url in urls:
        page = admin_client.get(url).content.decode()
        assert "<script" not in page, url
        assert " style=" not in page, url


def test_pinned_enterprise_filter_is_shown_with_a_way_to_remove_it(reg, admin_client):
    page = admin_client.get("/sites/", {"enterprise": reg.gold.pk, "kind": "mine"}).content.decode()
    assert "Enterprise: Golden Ridge" in page
    assert 'href="?kind=mine"' in page
    assert f'type="hidden" name="enterprise" value="{reg.gold.pk}"' in page


def test_site_list_shows_the_level_badge(reg, admin_client):
    response = admin_client.get("/sites/", {"enterprise": reg.gold.pk})
    levels = {row.record.name: row.record.highest_open_level for row in response.context["table"].page.object_list}
    assert levels == {"Ridge mine": 3, "Ore mill": 1}
    assert Site.objects.count() == 4 and Enterprise.objects.count() == 3


def test_each_page_holds_the_right_rows_in_order(reg, admin_client):
    # Pages are read keys first; the rows must still come in the table's order, with nothing lost.
    add_low_concerns(reg.mine, 60, lambda n: f"Item {(n * 37) % 60:02d}", lambda n: f"2021-01-{1 + n % 28:02d}")
    expected = sorted(Concern.objects.values_list("title", flat=True))
    pages = [titles(admin_client.get("/concerns/", {"sort": "title", "page": page})) for page in (1, 2, 3)]
    assert pages[0] + pages[1] + pages[2] == expected
    newest = list(Concern.objects.order_by("-raised_on", "-id").values_list("title", flat=True))
    assert titles(admin_client.get("/concerns/", {"page": 2})) == newest[25:50]
