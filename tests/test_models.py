import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from riskreg.models import Concern, District, Engagement, Enterprise, Level, Region, Site


@pytest.fixture
def district(db) -> District:
    region = Region.objects.create(country="KG", name="Osh Region")
    return District.objects.create(region=region, name="Kara-Suu District")


@pytest.fixture
def enterprise(db) -> Enterprise:
    return Enterprise.objects.create(name="Acme Copper", origin_country="CN", sector="mining")


def make_site(enterprise, district, **kw) -> Site:
    fields = {"enterprise": enterprise, "name": "Pit 1", "kind": "mine", "district": district} | kw
    return Site(**fields)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (Decimal("90.5"), Decimal(10)),
        (Decimal("-91"), Decimal(10)),
        (Decimal(40), Decimal("180.1")),
        (Decimal(40), Decimal("-200")),
    ],
)
def test_out_of_range_coordinates_rejected_by_validation_and_database(enterprise, district, lat, lon):
    site = make_site(enterprise, district, latitude=lat, longitude=lon)
    with pytest.raises(ValidationError):
        site.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        site.save()


def test_half_a_coordinate_pair_is_rejected(enterprise, district):
    site = make_site(enterprise, district, latitude=Decimal(41))
    with pytest.raises(ValidationError, match="both latitude and longitude"):
        site.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        site.save()


def test_valid_site_knows_its_region_and_precision(enterprise, district):
    site = make_site(enterprise, district, latitude=Decimal("40.5"), longitude=Decimal("72.8"), precision="district")
    site.full_clean()
    site.save()
    assert site.region.name == "Osh Region"
    assert site.is_approximate


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [
        (1, 1, Level.LOW),
        (2, 2, Level.LOW),
        (1, 5, Level.MEDIUM),
        (3, 3, Level.MEDIUM),
        (2, 5, Level.HIGH),
        (4, 4, Level.HIGH),
        (4, 5, Level.CRITICAL),
        (5, 5, Level.CRITICAL),
    ],
)
def test_level_follows_the_matrix(enterprise, likelihood, impact, level):
    concern = Concern(
        title="x",
        enterprise=enterprise,
        category="property",
        raised_on=datetime.date(2020, 10, 1),
        likelihood=likelihood,
        impact=impact,
        country="KG",
    )
    concern.full_clean()
    concern.save()
    assert concern.level == level
    assert concern.origin_country == "CN"


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_likelihood_and_impact_outside_1_to_5_rejected(enterprise, likelihood, impact):
    concern = Concern(
        title="x",
        enterprise=enterprise,
        category="property",
        raised_on=datetime.date(2020, 1, 1),
        likelihood=likelihood,
        impact=impact,
        country="KG",
    )
    with pytest.raises(ValidationError):
        concern.full_clean()
    saved = Concern.objects.create(
        title="y",
        enterprise=enterprise,
        category="property",
        country="KG",
        raised_on=datetime.date(2020, 1, 1),
        likelihood=2,
        impact=3,
    )
    # A queryset update bypasses validation: the database must still refuse the value.
    with pytest.raises(IntegrityError), transaction.atomic():
        Concern.objects.filter(pk=saved.pk).update(likelihood=6, impact=1, level=Level.MEDIUM)


def test_database_refuses_a_level_that_contradicts_the_matrix(enterprise):
    concern = Concern.objects.create(
        title="x",
        enterprise=enterprise,
        category="property",
        country="KG",
        raised_on=datetime.date(2020, 1, 1),
        likelihood=1,
        impact=1,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Concern.objects.filter(pk=concern.pk).update(level=Level.CRITICAL)


@pytest.mark.parametrize(("likelihood", "impact", "days"), [(5, 5, 90), (4, 3, 90), (3, 3, 180), (1, 2, 360)])
def test_next_review_defaults_from_level(enterprise, likelihood, impact, days):
    concern = Concern(enterprise=enterprise, likelihood=likelihood, impact=impact)
    concern.derive()
    today = datetime.date(2026, 1, 1)
    assert concern.default_next_review(today) == today + datetime.timedelta(days=days)


def test_saved_concern_gets_next_review_and_keeps_a_given_one(enterprise):
    made = {"enterprise": enterprise, "category": "property", "country": "KG", "raised_on": datetime.date(2020, 1, 1)}
    defaulted = Concern.objects.create(title="a", likelihood=5, impact=5, **made)
    assert defaulted.next_review == defaulted.default_next_review()
    given = Concern.objects.create(title="b", likelihood=5, impact=5, next_review=datetime.date(2030, 1, 1), **made)
    assert given.next_review == datetime.date(2030, 1, 1)


def test_site_of_another_enterprise_is_rejected(enterprise, district):
    other = Enterprise.objects.create(name="Other", origin_country="TR", sector="trade")
    site = make_site(other, district)
    site.save()
    concern = Concern(
        title="x",
        enterprise=enterprise,
        site=site,
        category="property",
        raised_on=datetime.date(2020, 1, 1),
        likelihood=2,
        impact=2,
    )
    with pytest.raises(ValidationError) as err:
        concern.full_clean()
    assert "site" in err.value.message_dict


def test_site_fills_enterprise_and_countries(enterprise, district):
    site = make_site(enterprise, district)
    site.save()
    concern = Concern(
        title="x", site=site, category="property", raised_on=datetime.date(2020, 1, 1), likelihood=2, impact=2
    )
    concern.full_clean()
    assert (concern.enterprise, concern.country, concern.origin_country) == (enterprise, "KG", "CN")


def test_country_wide_concern_needs_its_countries(db):
    concern = Concern(title="x", category="personnel", raised_on=datetime.date(2020, 1, 1), likelihood=2, impact=2)
    with pytest.raises(ValidationError) as err:
        concern.full_clean()
    assert {"country", "origin_country"} <= set(err.value.message_dict)


def test_closing_needs_a_reason(enterprise):
    concern = Concern(
        title="x",
        enterprise=enterprise,
        category="property",
        country="KG",
        status="closed",
        raised_on=datetime.date(2020, 1, 1),
        likelihood=2,
        impact=2,
    )
    with pytest.raises(ValidationError) as err:
        concern.full_clean()
    assert "closure_reason" in err.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        concern.save()


def test_open_and_overdue_querysets(enterprise):
    made = {
        "enterprise": enterprise,
        "category": "property",
        "country": "KG",
        "raised_on": datetime.date(2020, 1, 1),
        "likelihood": 2,
        "impact": 2,
    }
    late = Concern.objects.create(title="late", next_review=datetime.date(2021, 1, 1), **made)
    Concern.objects.create(title="fine", next_review=datetime.date(2099, 1, 1), **made)
    Concern.objects.create(
        title="closed", status="closed", closure_reason="resolved", next_review=datetime.date(2021, 1, 1), **made
    )
    assert list(Concern.objects.overdue()) == [late]
    assert Concern.objects.open().count() == 2
    assert late.is_overdue


@pytest.mark.parametrize(
    ("date", "precision", "ok", "shown"),
    [
        (datetime.date(2020, 1, 1), "year", True, "2020"),
        (datetime.date(2020, 3, 5), "year", False, ""),
        (datetime.date(2020, 10, 1), "month", True, "2020-10"),
        (datetime.date(2020, 10, 2), "month", False, ""),
        (datetime.date(2020, 10, 2), "day", True, "2020-10-02"),
    ],
)
def test_engagement_date_precision(db, date, precision, ok, shown):
    engagement = Engagement(title="Talks", kind="meeting", date=date, date_precision=precision)
    if ok:
        engagement.full_clean()
        assert engagement.date_display == shown
    else:
        with pytest.raises(ValidationError):
            engagement.full_clean()
