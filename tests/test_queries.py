"""Each page issues the same number of queries whatever the number of rows behind it."""

import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riskreg.models import Concern, Engagement, Enterprise, Measure, Organisation, Participant, Site

from .register_data import build_register

LISTS = ["enterprise_list", "site_list", "concern_list", "measure_list", "engagement_list", "dashboard"]
# Generous ceilings, so that a page that stays flat but starts costing far more still fails.
# The dashboard's first view after a change also stores its counts in the cache table (dashboard.py):
# five statements inside the test's transaction, hence 14 rather than 12.
MAX_LIST_QUERIES = 14
MAX_DETAIL_QUERIES = 16


@pytest.fixture
def reg(db):
    return build_register()


def grow(reg, n: int) -> None:
    """Add n of everything, each row related to several others, so any N+1 would show."""
    start = Enterprise.objects.count()
    for i in range(start, start + n):
        org = Organisation.objects.create(name=f"Agency {i}", kind="ministry", country="KG")
        enterprise = Enterprise.objects.create(name=f"Company {i}", origin_country="CN", sector="mining", parent=org)
        site = Site.objects.create(enterprise=enterprise, name=f"Site {i}", kind="mine", district=reg.panfilov)
        reg.gold.sites.create(name=f"Gold site {i}", kind="mine", district=reg.kara_suu)
        engagement = Engagement.objects.create(title=f"Meeting {i}", kind="meeting", date=datetime.date(2024, 1, 1))
        engagement.organisations.set([org, reg.ministry])
        reg.meeting.organisations.add(org)
        Participant.objects.create(engagement=engagement, name=f"Person {i}", organisation=org)
        Participant.objects.create(engagement=reg.meeting, name=f"Guest {i}", organisation=org)
        concern = Concern.objects.create(
            title=f"Concern {i}",
            site=site,
            category="other",
            likelihood=1 + i % 5,
            impact=1 + (i * 3) % 5,
            raised_on=datetime.date(2024, 1, 1),
            raised_at=reg.meeting,
            owner=reg.owner,
            next_review=datetime.date(2020, 1, 1),
        )
        gold_concern = Concern.objects.create(
            title=f"Gold concern {i}",
            site=reg.mine,
            category="other",
            likelihood=2,
            impact=2,
            raised_on=datetime.date(2024, 1, 1),
        )
        measure = Measure.objects.create(title=f"Measure {i}", proposed_by=org, proposed_at=reg.meeting)
        measure.responsible.set([org, reg.ministry])
        measure.concerns.set([concern, reg.theft])
        reg.patrol.concerns.add(gold_concern)
        reg.patrol.responsible.add(org)
        # History grows too: every save is a record on the concern's page.
        reg.theft.impact = 1 + i % 5
        reg.theft.save()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def assert_flat(reg, client, urls: list[str], ceiling: int) -> None:
    grow(reg, 3)
    small = {url: queries_for(client, url) for url in urls}
    grow(reg, 12)
    large = {url: queries_for(client, url) for url in urls}
    assert large == small
    assert max(small.values()) <= ceiling, small


def test_list_pages_cost_a_fixed_number_of_queries(reg, admin_client):
    urls = [reverse(name) for name in LISTS]
    # Filtered, sorted and larger pages too.
    urls += [
        "/concerns/?status=open&status=monitoring&overdue=true&sort=-level&per_page=100",
        f"/sites/?region={reg.chui.pk}&level=1&per_page=50",
        f"/concerns/?enterprise={reg.gold.pk}&q=concern",
        f"/measures/?responsible={reg.ministry.pk}",
    ]
    assert_flat(reg, admin_client, urls, MAX_LIST_QUERIES)


def test_detail_pages_cost_a_fixed_number_of_queries(reg, admin_client):
    urls = [
        reg.gold.get_absolute_url(),
        reg.mine.get_absolute_url(),
        reg.theft.get_absolute_url(),
        reg.patrol.get_absolute_url(),
        reg.meeting.get_absolute_url(),
    ]
    assert_flat(reg, admin_client, urls, MAX_DETAIL_QUERIES)


def test_a_non_superuser_costs_the_same_queries_whatever_the_rows(reg, client):
    from .register_data import user_with

    client.force_login(user_with("view_concern", "view_site"))
    assert_flat(reg, client, ["/concerns/", "/sites/", "/"], MAX_LIST_QUERIES)


@pytest.mark.parametrize(
    "query",
    ["q=concern", "overdue=true&status=open", "level=4&status=open"],
)
def test_a_page_reads_its_rows_by_key_without_running_the_filters_again(reg, admin_client, query):
    """The filters run twice per page (count, then the page's keys); the rows themselves are read
    by key, so a costly filter (a search, a subquery) is not evaluated a third time."""
    grow(reg, 3)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(f"/concerns/?{query}")
    assert response.status_code == 200
    shown = {row.record.pk for row in response.context["table"].page.object_list}
    concern_reads = [q["sql"] for q in captured if 'FROM "riskreg_concern"' in q["sql"]]
    rows_query = next(sql for sql in concern_reads if 'SELECT "riskreg_concern"."id", "riskreg_concern"."title"' in sql)
    # Only the keys of the page in the WHERE clause, whatever the filters were.
    where = rows_query.split(" WHERE ", 1)[1]
    assert where.startswith('"riskreg_concern"."id" IN ('), where
    assert "next_review" not in where and "level" not in where and "LIKE" not in where.upper()
    assert shown  # the filters match rows in the register built above


def test_pages_list_the_filtered_rows_in_order(reg, admin_client):
    """Reading rows by key keeps the list's order and its filter."""
    grow(reg, 5)
    response = admin_client.get("/concerns/?sort=title&q=gold")
    titles = [row.record.title for row in response.context["table"].page.object_list]
    expected = list(Concern.objects.search("gold").order_by("title", "id").values_list("title", flat=True)[:25])
    assert titles == expected and titles


def test_sqlite_memory_map_is_a_setting(tmp_path):
    """RISKREG_SQLITE_MMAP_SIZE reaches every SQLite connection; without it, SQLite's default (none)."""
    code = "from django.db import connection; print(connection.cursor().execute('PRAGMA mmap_size').fetchone()[0])"

    def mmap_size(setting: str | None) -> int:
        environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'register.sqlite3'}"}
        environment.pop("RISKREG_SQLITE_MMAP_SIZE", None)
        if setting is not None:
            environment["RISKREG_SQLITE_MMAP_SIZE"] = setting
        result = subprocess.run(  # noqa: S603 -- this project's manage.py
            [sys.executable, "manage.py", "shell", "-v0", "-c", code],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return int(result.stdout.split()[-1])

    assert mmap_size(str(2**24)) == 2**24
    assert mmap_size(None) == 0
