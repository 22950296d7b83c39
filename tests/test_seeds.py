from decimal import Decimal

from django.apps import apps

from riskreg.models import Concern, Engagement, Enterprise, Measure, Site
from riskreg.seeds import load_seeds


def register_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in apps.get_app_config("riskreg").get_models()}


def test_seeds_load_the_article_completely(seeded):
    mine = Site.objects.select_related("district__region", "enterprise").get(enterprise__name="Full Gold Mining")
    assert (mine.district.name, mine.district.region.name, mine.district.region.country.code) == (
        "Ala-Buka District",
        "Jalal-Abad Region",
        "KG",
    )
    assert mine.kind == "mine" and mine.precision == "district"
    plant = Site.objects.select_related("district__region").get(locality="Kaindy")
    assert (plant.district.name, plant.district.region.name) == ("Panfilov District", "Chui Region")
    assert plant.precision == "locality"
    # Kaindy lies in the Chui valley, east of Bishkek; Ala-Buka in the west of Jalal-Abad region.
    assert Decimal(42) < plant.latitude < Decimal(43) and Decimal(73) < plant.longitude < Decimal(74)
    assert Decimal(41) < mine.latitude < Decimal(42) and Decimal(71) < mine.longitude < Decimal(72)
    assert {e.origin_country.code for e in Enterprise.objects.all()} == {"CN"}

    meeting = Engagement.objects.get()
    assert meeting.date_display == "2020"
    assert {p.name for p in meeting.participants.all()} == {"Ruslan Kazakbaev", "Du Dewen"}

    assert Concern.objects.count() == 3
    for site in (mine, plant):
        concern = Concern.objects.get(site=site)
        assert concern.raised_at == meeting
        assert concern.raised_by.country.code == "CN"
    general = Concern.objects.get(enterprise__isnull=True)
    assert (general.country.code, general.origin_country.code) == ("KG", "CN")

    round_table = Measure.objects.get(title__icontains="round table")
    assert round_table.status == "proposed"
    assert set(round_table.concerns.all()) == set(Concern.objects.all())
    assert Measure.objects.filter(status="agreed").count() == 1


def test_loading_twice_changes_nothing(seeded):
    before = register_counts()
    history_before = Concern.history.count() + Site.history.count() + Measure.history.count()
    assert sum(load_seeds().values()) == 0
    assert register_counts() == before
    assert Concern.history.count() + Site.history.count() + Measure.history.count() == history_before


def test_reload_restores_an_edited_seed_value(seeded):
    Site.objects.filter(locality="Kaindy").update(kind="office")
    assert sum(load_seeds().values()) == 1
    assert Site.objects.get(locality="Kaindy").kind == "plant"
