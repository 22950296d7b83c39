"""The concerns' quick search (ConcernQuerySet.search) goes through a text index and finds
exactly what a plain case-insensitive substring match finds."""

import datetime
from functools import reduce
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from riskreg.models import Concern, District, Enterprise, Region, Site

TITLES = [
    "Theft of ore at the gate",
    "ORE trucks stopped",
    'Director said "stop the works"',
    "Prices up 100% since spring",
    "Fuel at 10 % of stock",
    "Code name under_score leaked",
    "Code name underXscore leaked",
    "Угроза захвата склада",
    "Захват техники местными жителями",
    "矿山附近的抗议",
    "AND NOT NEAR(title) * OR",
]
QUERIES = [
    "ore",
    "ORE",
    "Ore",
    "theft gate",
    "theft golden",
    '"stop',
    'said "stop',
    '"',
    "100%",
    "0 %",
    "%",
    "under_score",
    "r_s",
    "_",
    "захват",
    "Угроза",
    "склада",
    "抗议",
    "矿山",
    "AND",
    "NEAR(title)",
    "*",
    "title:ore",
    "ridge",
    "pit",
    "central",
    "or",
    "x",
    "no-such-words",
]


@pytest.fixture
def concerns(db) -> None:
    golden = Enterprise.objects.create(name="Golden Ridge", origin_country="CN", sector="mining")
    trading = Enterprise.objects.create(name="Bazaar Trading", origin_country="TR", sector="trade")
    district = District.objects.create(region=Region.objects.create(country="KG", name="Chui Region"), name="Kant")
    pit = Site.objects.create(enterprise=golden, name="North pit", kind="mine", district=district)
    store = Site.objects.create(enterprise=trading, name="Central store", kind="office", district=district)
    places = [{}, {"enterprise": golden}, {"enterprise": golden, "site": pit}, {"enterprise": trading, "site": store}]
    for n, title in enumerate(TITLES):
        Concern.objects.create(
            title=title,
            category="other",
            country="KG",
            origin_country="CN",
            raised_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=n),
            likelihood=2,
            impact=2,
            **places[n % len(places)],
        )


def plain_match(text: str) -> set[int]:
    """The search as it was before the index: every word in the title or the enterprise or site name."""
    conditions = [
        Q(title__icontains=word) | Q(enterprise__name__icontains=word) | Q(site__name__icontains=word)
        for word in text.split()
    ]
    return set(Concern.objects.filter(reduce(lambda a, b: a & b, conditions, Q())).values_list("pk", flat=True))


def searched(text: str) -> set[int]:
    return set(Concern.objects.search(text).values_list("pk", flat=True))


def python_match(text: str) -> set[int]:
    """The rule itself, in Python: every word, ignoring case, in one of the three names."""
    found = set()
    for concern in Concern.objects.select_related("enterprise", "site"):
        names = [concern.title, getattr(concern.enterprise, "name", ""), getattr(concern.site, "name", "")]
        if all(any(word.lower() in name.lower() for name in names) for word in text.split()):
            found.add(concern.pk)
    return found


@pytest.mark.parametrize("text", QUERIES)
def test_search_finds_what_a_plain_substring_match_finds(concerns, text):
    assert searched(text) == python_match(text)
    # SQLite's LIKE folds the case of ASCII letters only, so there "захват" used to miss
    # "Захват ..."; the index folds every alphabet, as PostgreSQL's UPPER does.
    if connection.vendor != "sqlite" or text.isascii():
        assert searched(text) == plain_match(text)


def test_the_comparison_is_not_vacuous(concerns):
    # Most queries match something, and some match nothing: the equality above means something.
    found = {text: searched(text) for text in QUERIES}
    titles = dict(Concern.objects.values_list("pk", "title"))
    assert {titles[pk] for pk in found["100%"]} == {"Prices up 100% since spring"}
    assert {titles[pk] for pk in found["r_s"]} == {"Code name under_score leaked"}
    assert {titles[pk] for pk in found['said "stop']} == {'Director said "stop the works"'}
    assert {titles[pk] for pk in found["抗议"]} == {"矿山附近的抗议"}
    assert len(found["ridge"]) == 6  # the concerns of Golden Ridge, through the enterprise's name
    assert found["no-such-words"] == set()


def test_search_ignores_the_case_of_cyrillic_letters(concerns):
    # Better than SQLite's LIKE, which folds only ASCII letters: the index folds every alphabet.
    titles = {c.title for c in Concern.objects.search("ЗАХВАТ")}
    assert titles == {"Угроза захвата склада", "Захват техники местными жителями"}


def test_the_index_follows_new_edited_and_deleted_concerns(concerns):
    concern = Concern.objects.get(title="Theft of ore at the gate")
    concern.title = "Sabotage of the conveyor"
    concern.save()
    assert set(Concern.objects.search("conveyor")) == {concern}
    assert concern not in Concern.objects.search("theft")
    concern.delete()
    assert not Concern.objects.search("conveyor").exists()
    Concern.objects.filter(title="ORE trucks stopped").update(title="Trucks turned back")
    assert [c.title for c in Concern.objects.search("turned")] == ["Trucks turned back"]


def test_the_concern_list_searches_through_the_index(concerns, admin_client):
    response = admin_client.get(reverse("concern_list"), {"q": 'said "STOP'})
    assert response.status_code == 200
    assert "Director said &quot;stop the works&quot;" in response.text
    assert "Theft of ore" not in response.text


def plan(queryset) -> str:
    if connection.vendor == "postgresql":
        # A handful of rows: the planner would rightly read the table, or walk a whole b-tree.
        # Forbid both, so the plan shows whether the trigram index can serve the condition at
        # all (at a million rows the planner picks it on its own; see README, Performance).
        with connection.cursor() as cursor:
            for method in ("seqscan", "indexscan", "indexonlyscan"):
                cursor.execute(f"SET LOCAL enable_{method} = off")
    return queryset.explain()


@pytest.mark.django_db(transaction=False)
def test_the_title_is_looked_up_in_the_text_index(concerns):
    text = plan(Concern.objects.search("gate"))
    if connection.vendor == "sqlite":
        assert "riskreg_concern_search VIRTUAL TABLE" in text
    else:
        assert "concern_title_trigram" in text


def test_short_words_read_the_titles(concerns):
    # The trigram index cannot look up fewer than three characters; such words still match.
    assert searched("or") == plain_match("or") != set()
    if connection.vendor == "sqlite":
        assert "riskreg_concern_search" not in plan(Concern.objects.search("or"))


def test_demo_data_is_searchable_and_later_concerns_too(db):
    # generate_demo_data indexes its bulk load in one go on SQLite, then puts the trigger back.
    call_command("generate_demo_data", "--concerns", "300", "--enterprises", "10", "--sites", "20", stdout=StringIO())
    assert searched("blockade") == plain_match("blockade") != set()
    new = Concern.objects.create(
        title="Blockade of the bridge",
        category="unrest",
        country="KG",
        origin_country="CN",
        raised_on=datetime.date(2024, 1, 1),
        likelihood=2,
        impact=2,
    )
    assert new.pk in searched("bridge")
