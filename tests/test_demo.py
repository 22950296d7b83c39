"""generate_demo_data: counts, determinism, and data that the model's own rules accept."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from riskreg.models import (
    Concern,
    Engagement,
    Enterprise,
    Level,
    Measure,
    Organisation,
    Participant,
    Site,
)

TODAY = datetime.date(2026, 6, 1)
SMALL = ["--enterprises", "15", "--sites", "40", "--concerns", "300", "--measures", "25", "--engagements", "12"]
# Rough bounding boxes: a generated point must at least lie in its country's box.
BOXES = {"KG": (39.1, 43.3, 69.2, 80.3), "KZ": (40.5, 55.5, 46.4, 87.4), "UZ": (37.1, 45.6, 55.9, 73.2)}


def generate(seed: int = 7) -> None:
    call_command("generate_demo_data", *SMALL, "--seed", str(seed), "--today", TODAY.isoformat(), verbosity=0)


def snapshot() -> dict[str, list[tuple]]:
    """The generated content with foreign keys by name, so that ids and timestamps do not matter."""
    return {
        "enterprises": list(
            Enterprise.objects.order_by("name").values_list("name", "origin_country", "sector", "parent__name")
        ),
        "sites": list(
            Site.objects.order_by("enterprise__name", "name").values_list(
                "enterprise__name", "name", "kind", "district__name", "latitude", "longitude", "precision", "status"
            )
        ),
        "concerns": list(
            Concern.objects.order_by("id").values_list(
                "title",
                "enterprise__name",
                "site__name",
                "country",
                "origin_country",
                "category",
                "raised_by__name",
                "raised_at__title",
                "raised_on",
                "likelihood",
                "impact",
                "level",
                "status",
                "owner__username",
                "next_review",
            )
        ),
        "measures": list(Measure.objects.order_by("id").values_list("title", "status", "due", "proposed_by__name")),
        "measure_links": sorted(Measure.concerns.through.objects.values_list("measure__title", "concern__title")),
    }


def wipe() -> None:
    Measure.objects.all().delete()
    Concern.objects.all().delete()
    Site.objects.all().delete()
    Enterprise.objects.all().delete()
    Participant.objects.all().delete()
    Engagement.objects.all().delete()
    Organisation.objects.all().delete()


@pytest.mark.django_db
def test_counts_are_those_asked_for():
    generate()
    assert Enterprise.objects.count() == 15
    assert Site.objects.count() == 40
    assert Concern.objects.count() == 300
    assert Measure.objects.count() == 25
    assert Engagement.objects.count() == 12
    # Every enterprise has at least one site, and every measure addresses a concern.
    assert not Enterprise.objects.filter(sites__isnull=True).exists()
    assert not Measure.objects.filter(concerns__isnull=True).exists()


@pytest.mark.django_db
def test_same_seed_same_data_other_seed_other_data():
    generate(seed=7)
    first = snapshot()
    wipe()
    generate(seed=7)
    assert snapshot() == first
    wipe()
    generate(seed=8)
    assert snapshot()["concerns"] != first["concerns"]


@pytest.mark.django_db
def test_data_passes_model_validation_and_derivations():
    generate()
    for model in (Enterprise, Site, Engagement, Concern, Measure):
        for obj in model.objects.all()[:60]:
            obj.full_clean()
    for concern in Concern.objects.select_related("site__district__region", "enterprise"):
        assert concern.level == Level.from_score(concern.likelihood, concern.impact)
        if concern.site:
            assert concern.site.enterprise_id == concern.enterprise_id
            assert concern.country == concern.site.district.region.country
        if concern.enterprise:
            assert concern.origin_country == concern.enterprise.origin_country
        if concern.raised_at_id:
            assert concern.raised_on == concern.raised_at.date
        assert concern.raised_on <= TODAY
        assert concern.next_review > concern.raised_on - datetime.timedelta(days=60)
    # A realistic mix, not one value everywhere.
    assert Concern.objects.values("level").distinct().count() == 4
    assert Concern.objects.values("status").distinct().count() == 4
    assert Concern.objects.overdue(TODAY).exists()
    assert Concern.objects.filter(site__isnull=True, enterprise__isnull=True).exists()
    assert Site.objects.values("precision").distinct().count() >= 3
    assert Enterprise.objects.values("origin_country").distinct().count() >= 3


@pytest.mark.django_db
def test_site_coordinates_lie_in_their_country():
    generate()
    for site in Site.objects.select_related("district__region").exclude(latitude=None):
        south, north, west, east = BOXES[site.district.region.country.code]
        assert Decimal(south) < site.latitude < Decimal(north), site
        assert Decimal(west) < site.longitude < Decimal(east), site


@pytest.mark.django_db
def test_demo_data_writes_no_history_and_reuses_seeded_geography(seeded):
    history_before = Concern.history.count()
    generate()
    assert Concern.history.count() == history_before
    # The seeds' Ala-Buka District is reused, not duplicated.
    assert Site.objects.filter(district__name="Ala-Buka District").values("district").distinct().count() <= 1


def test_the_concern_indexes_are_all_there_after_a_load(db):
    """The loader drops the concern table's indexes for the bulk insert and builds them again."""
    from riskreg.demo import secondary_indexes

    before = secondary_indexes(Concern)
    assert len(before) >= 15  # the model's indexes and the foreign keys' own
    generate()
    assert secondary_indexes(Concern) == before


def test_a_failed_load_leaves_the_indexes_in_place(db, monkeypatch):
    from riskreg import demo

    before = demo.secondary_indexes(Concern)

    def broken_rows(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "insert_rows", broken_rows)
    with pytest.raises(RuntimeError):
        generate()
    assert demo.secondary_indexes(Concern) == before
    assert not Concern.objects.exists()
