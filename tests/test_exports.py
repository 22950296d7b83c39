"""?_export=csv on every list: the filtered rows in the list's order, as a spreadsheet should read them."""

import csv
import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from riskreg import exports
from riskreg.models import Concern, District, Engagement, Enterprise, Measure, Organisation, Region, Site

from .register_data import build_register, concern, user_with
from .test_filters import CONCERN_CASES

CONCERN_HEADER = [
    "ID",
    "Title",
    "Enterprise",
    "Site",
    "Host country",
    "Origin country",
    "Category",
    "Raised on",
    "Likelihood",
    "Impact",
    "Level",
    "Status",
    "Next review",
]
LISTS = {
    "/concerns/": Concern,
    "/sites/": Site,
    "/enterprises/": Enterprise,
    "/measures/": Measure,
    "/engagements/": Engagement,
}


@pytest.fixture
def reg(db):
    return build_register()


def download(client, path: str = "/concerns/", **params) -> tuple[str, object]:
    response = client.get(path, {"_export": "csv", **params})
    assert response.status_code == 200, response
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8"), response


def rows(client, path: str = "/concerns/", **params) -> list[list[str]]:
    text, _ = download(client, path, **params)
    return list(csv.reader(io.StringIO(text.removeprefix(exports.BOM), newline="")))


def by_title(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[1]: row for row in table[1:]}


# --- The rows: exactly the filtered set, in the list's order ------------------------------------


def test_export_holds_exactly_the_filtered_concerns(reg, admin_client):
    # One register for all the filter cases: building it dominates the cost of each case.
    for params, expected in CONCERN_CASES:
        titles = [row[1] for row in rows(admin_client, **params)[1:]]
        assert len(titles) == len(expected), params
        assert set(titles) == expected, params


def test_export_is_every_row_not_one_page(reg, admin_client):
    Concern.objects.bulk_create(
        Concern(
            title=f"Bulk concern {i}",
            country="KG",
            origin_country="CN",
            category="other",
            raised_on=datetime.date(2021, 1, 1),
            likelihood=1,
            impact=1,
            level=1,
            next_review=datetime.date(2030, 1, 1),
        )
        for i in range(60)
    )
    assert len(rows(admin_client, per_page="25", page="2")) == 1 + 65


def test_export_follows_the_lists_sort_order(reg, admin_client):
    for sort in ["title", "-title", "raised_on", "-raised_on", "level", "-status", "-next_review", ""]:
        params = {"sort": sort} if sort else {}
        page = admin_client.get("/concerns/", {"per_page": "250", **params})
        on_screen = [str(c.pk) for c in page.context["table"].page.object_list.data]
        assert [row[0] for row in rows(admin_client, **params)[1:]] == on_screen, sort


def test_concern_row_content(reg, admin_client):
    theft = by_title(rows(admin_client))["Theft of ore"]
    assert theft == [
        str(reg.theft.pk),
        "Theft of ore",
        "Golden Ridge",
        "Ridge mine",
        "Kyrgyzstan",
        "China",
        "Security of property",
        "2024-03-05",
        "4",
        "4",
        "High",
        "Open",
        reg.theft.next_review.isoformat(),
    ]
    permit = by_title(rows(admin_client))["Permit withdrawn"]
    # No site: an empty cell; choice fields by their labels.
    assert permit[2:8] == ["Steppe Power", "", "Kyrgyzstan", "Russia", "Regulatory or legal", "2023-06-01"]
    assert permit[10:12] == ["Critical", "Mitigating"]


def test_every_list_exports_all_its_rows_with_a_header(reg, admin_client):
    today = timezone.localdate().isoformat()
    for path, model in LISTS.items():
        text, response = download(admin_client, path)
        table = list(csv.reader(io.StringIO(text.removeprefix(exports.BOM))))
        assert table[0] == [str(column.header) for column in exports.COLUMNS[model]], path
        assert sorted(int(row[0]) for row in table[1:]) == sorted(model.objects.values_list("pk", flat=True)), path
        name = str(model._meta.verbose_name_plural)
        assert response["Content-Disposition"] == f'attachment; filename="{name}-{today}.csv"'
        assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_site_export_filters_and_writes_coordinates_as_numbers(reg, admin_client):
    table = rows(admin_client, "/sites/", origin_country="CN")
    assert {row[1] for row in table[1:]} == {"Ridge mine", "Ore mill"}
    mill = next(row for row in table if row[1] == "Ore mill")
    assert mill[2:9] == [
        "Golden Ridge",
        "China",
        "Mining",
        "Plant or factory",
        "Chui Region",
        "Panfilov District",
        "Kaindy",
    ]
    assert (float(mill[9]), float(mill[10])) == (42.8, 73.7)
    assert mill[11:] == ["Exact", "Operating"]
    mine = next(row for row in table if row[1] == "Ridge mine")
    assert mine[9:11] == ["", ""]  # no coordinates: empty cells


def test_measure_and_engagement_exports_filter_too(reg, admin_client):
    assert [row[1] for row in rows(admin_client, "/measures/", status="done")[1:]] == ["Round table"]
    patrol = by_title(rows(admin_client, "/measures/"))["Police patrols"]
    assert patrol[2:] == ["Ministry of Economy", "Meeting with the Turkish embassy", "Agreed", patrol[5]]
    assert patrol[5] == reg.patrol.due.isoformat()
    letters = rows(admin_client, "/engagements/", kind="correspondence")
    assert [row[1:5] for row in letters[1:]] == [["Letter on permits", "Letter or note verbale", "2023-06-01", "Day"]]


def test_invalid_filter_exports_the_header_only(reg, admin_client):
    assert rows(admin_client, region="999999") == [CONCERN_HEADER]


# --- Encoding ------------------------------------------------------------------------------------


def test_header_and_bom_by_default(reg, admin_client):
    text, _ = download(admin_client)
    assert text.startswith("\ufeffID,Title,")
    assert rows(admin_client)[0] == CONCERN_HEADER
    # CRLF line ends, as RFC 4180 and Excel expect.
    assert text.count("\r\n") == 1 + Concern.objects.count()


@pytest.mark.parametrize("value", ["0", "false", "no"])
def test_bom_can_be_omitted(reg, admin_client, value):
    text, _ = download(admin_client, bom=value)
    assert text.startswith("ID,Title,")


@pytest.mark.parametrize(
    ("title", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Safe = fine", "Safe = fine"),
        ("'quoted already", "'quoted already"),
    ],
)
def test_formula_cells_are_neutralised(reg, admin_client, title, cell):
    concern(title, site=reg.mine, likelihood=1, impact=1)
    table = rows(admin_client, q=title.strip("\t\r=+-@").split()[0] if title.strip("\t\r=+-@") else title)
    assert cell in [row[1] for row in table[1:]]


def test_enterprise_and_site_names_are_neutralised_too(reg, admin_client):
    hostile = Enterprise.objects.create(name="=cmd()", origin_country="CN", sector="mining")
    site = Site.objects.create(enterprise=hostile, name="@evil", kind="mine", district=reg.panfilov)
    concern("Innocent title", site=site, likelihood=1, impact=1)
    row = by_title(rows(admin_client))["Innocent title"]
    assert row[2:4] == ["'=cmd()", "'@evil"]
    assert [r[1] for r in rows(admin_client, "/enterprises/", q="cmd")[1:]] == ["'=cmd()"]


def test_negative_numbers_stay_numbers(reg, admin_client):
    Site.objects.create(
        enterprise=reg.gold,
        name="Southern depot",
        kind="warehouse",
        district=reg.panfilov,
        latitude=Decimal("-12.500000"),
        longitude=Decimal("-45.250000"),
    )
    text, _ = download(admin_client, "/sites/", q="Southern")
    line = text.splitlines()[1]
    assert ",-12.5" in line
    assert ",-45.25" in line
    assert "'-" not in line
    row = rows(admin_client, "/sites/", q="Southern")[1]
    assert (float(row[9]), float(row[10])) == (-12.5, -45.25)


def test_unicode_quotes_commas_and_newlines_round_trip(reg, admin_client):
    name = 'ООО "Алтын-Таш", 金山矿业 😀\nsecond line'
    enterprise = Enterprise.objects.create(name=name, origin_country="CN", sector="mining")
    site = Site.objects.create(
        enterprise=enterprise, name="Шахта №1, «Кара-Суу»\r\nучасток", kind="mine", district=reg.panfilov
    )
    title = 'Угроза персоналу: "срочно", 紧急'
    concern(title, site=site, likelihood=2, impact=3)
    text, _ = download(admin_client)
    row = by_title(list(csv.reader(io.StringIO(text.removeprefix(exports.BOM), newline=""))))[title]
    assert row[2] == name
    assert row[3] == "Шахта №1, «Кара-Суу»\r\nучасток"
    # Excel reads UTF-8 only with the BOM; the bytes are UTF-8 throughout.
    raw = b"".join(admin_client.get("/concerns/", {"_export": "csv"}).streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "金山矿业 😀".encode() in raw


def test_hostile_html_comes_out_as_plain_text(reg, admin_client):
    script = "<script>alert('x')</script> & <b>bold</b>"
    concern(script, site=reg.mine, likelihood=1, impact=1)
    text, response = download(admin_client)
    assert script in text  # as typed: a CSV is not HTML, so no entities
    assert "&lt;" not in text
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


# --- Access and cost ------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(LISTS))
def test_anonymous_users_are_sent_to_login(reg, client, path):
    response = client.get(path, {"_export": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("path", "model"), list(LISTS.items()))
def test_export_needs_the_lists_view_permission(reg, client, path, model):
    client.force_login(user_with("view_organisation"))
    assert client.get(path, {"_export": "csv"}).status_code == 403
    client.force_login(user_with(f"view_{model._meta.model_name}", username="reader"))
    assert client.get(path, {"_export": "csv"}).status_code == 200


def test_the_list_page_links_to_the_export_with_its_filters(reg, admin_client):
    page = admin_client.get("/concerns/", {"origin_country": "CN", "sort": "title", "page": "1"}).content.decode()
    assert 'href="?origin_country=CN&amp;sort=title&amp;_export=csv"' in page


def export_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            path, {"_export": "csv", "status": "open"} if path == "/concerns/" else {"_export": "csv"}
        )
        body = b"".join(response.streaming_content)
    assert body.count(b"\r\n") > 1
    # Savepoints come from the test's own transaction (the export makes one inside it on PostgreSQL).
    return len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


@pytest.mark.parametrize("path", list(LISTS))
def test_queries_per_export_do_not_grow_with_the_rows(db, admin_client, monkeypatch, path):
    # Small chunks, so that the larger register spans many of them.
    monkeypatch.setattr(exports, "CHUNK_ROWS", 7)
    args = ["--enterprises", "5", "--sites", "10", "--engagements", "5", "--seed", "3"]
    call_command("generate_demo_data", *args, "--concerns", "20", "--measures", "5", verbosity=0)
    small = export_queries(admin_client, path)
    call_command("generate_demo_data", *args, "--concerns", "400", "--measures", "60", verbosity=0)
    assert export_queries(admin_client, path) == small
    # Session, user, at most one filter lookup, the export itself (on PostgreSQL: SET LOCAL jit, COPY).
    assert small <= (5 if connection.vendor == "postgresql" else 4)


def test_demo_register_exports_exactly_what_the_models_say(db, admin_client):
    """Every column of every row against the ORM, on generated data with all the choices and countries."""
    call_command("generate_demo_data", "--enterprises", "20", "--sites", "40", "--concerns", "300", verbosity=0)
    table = rows(admin_client, sort="title")
    assert len(table) == 301
    concerns = {c.pk: c for c in Concern.objects.select_related("enterprise", "site")}
    for row in table[1:]:
        c = concerns[int(row[0])]
        assert row[1:] == [
            c.title,
            c.enterprise.name if c.enterprise else "",
            c.site.name if c.site else "",
            c.country.name,
            c.origin_country.name,
            c.get_category_display(),
            c.raised_on.isoformat(),
            str(c.likelihood),
            str(c.impact),
            c.get_level_display(),
            c.get_status_display(),
            c.next_review.isoformat(),
        ]
    sites = {s.pk: s for s in Site.objects.select_related("enterprise", "district__region")}
    for row in rows(admin_client, "/sites/")[1:]:
        s = sites[int(row[0])]
        assert row[3:6] == [s.enterprise.origin_country.name, s.enterprise.get_sector_display(), s.get_kind_display()]
        assert row[9] == "" if s.latitude is None else Decimal(row[9]) == s.latitude


def test_labels_follow_the_readers_language(reg, admin_client):
    response = admin_client.get("/concerns/", {"_export": "csv"}, HTTP_ACCEPT_LANGUAGE="ru")
    text = b"".join(response.streaming_content).decode()
    assert "Китай" in text  # China, from django-countries' Russian catalogue


# --- Hostile text through every list's columns, and PostgreSQL's COPY ---------------------------

# Cells that CSV must quote or that COPY's text format escapes (backslash, CR, LF, tab, \b \f \v),
# formula starts, scripts beyond Latin, and an empty string.
TRICKY = [
    'He said "no", then left',
    "two\r\nlines\nand\rthree",
    "tab\tvertical\vform\ffeed back\bspace",
    "C:\\temp\\",
    "literally \\n, not a line break \\\\n \\",
    "=SUM(A1)",
    "+1",
    "-1",
    "@here",
    "\tformula",
    "\rformula",
    "Шахта «Кара-Суу», 金山矿业 😀",
    "",
]


@pytest.fixture
def tricky(db) -> None:
    """One row per TRICKY text in every list, the text in each text column; every third relation NULL."""
    for i, text in enumerate(TRICKY):
        region = Region.objects.create(country="KG", name=text)
        district = District.objects.create(region=region, name=text)
        organisation = Organisation.objects.create(name=text, kind="ministry", country="KG")
        enterprise = Enterprise.objects.create(
            name=text, origin_country="CN", sector="mining", parent=organisation if i % 3 else None
        )
        # A kind that is no choice is written as it is: the CASE tree's escaped fallback.
        site = Site.objects.create(
            enterprise=enterprise, name=text, kind="mine" if i % 2 else text[:20], district=district, locality=text
        )
        engagement = Engagement.objects.create(
            title=text, kind="meeting", date=datetime.date(2024, 1, 1 + i), source=text, source_url=text
        )
        relations = [{}, {"enterprise": enterprise}, {"site": site}][i % 3]
        concern(text, country="KG", origin_country="CN", likelihood=1 + i % 5, impact=2, **relations)
        proposed = {"proposed_by": organisation, "proposed_at": engagement} if i % 3 else {}
        Measure.objects.create(title=text, **proposed)


@pytest.mark.parametrize("model", list(exports.COLUMNS))
def test_tricky_text_comes_out_exactly_from_every_list(tricky, monkeypatch, model):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 4)  # chunk boundaries fall among the tricky rows
    queryset, columns = model.objects.order_by("pk"), exports.COLUMNS[model]
    chunks = list(exports.csv_chunks(queryset, columns, bom=False))
    assert len(chunks) == 1 + 4  # the header, then 13 rows in chunks of 4
    body = b"".join(chunks)
    table = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert [row[1] for row in table[1:]] == ["'" * t.startswith(exports.FORMULA_STARTS) + t for t in TRICKY]
    if connection.vendor == "postgresql":
        # COPY and the ORM's cursor run the same query: every column, byte for byte.
        fetched = b"".join(exports.fetched_lines(queryset, columns))
        assert body == exports.header_line(columns).encode() + fetched


def running_exports() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'COPY%%'"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize(
    "in_transaction",
    [
        pytest.param(False, marks=pytest.mark.django_db(transaction=True), id="autocommit"),
        pytest.param(True, marks=pytest.mark.django_db, id="in-transaction"),
    ],
)
def test_a_dropped_export_stops_its_query_and_leaves_the_connection_usable(in_transaction, monkeypatch):
    args = ["--enterprises", "5", "--sites", "10", "--engagements", "5", "--measures", "5", "--seed", "3"]
    call_command("generate_demo_data", *args, "--concerns", "1000", verbosity=0)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 10)
    # A column costing 5 ms a row (volatile, so computed as the rows go out): 5 s for the whole export.
    slow = Concern.objects.annotate(slow=RawSQL("length(pg_sleep(0.005)::text)", [], output_field=IntegerField()))
    columns = [*exports.COLUMNS[Concern], exports.Column("Slow", "slow", "number")]
    started = time.monotonic()
    chunks = exports.csv_chunks(slow, columns)
    assert next(chunks).startswith(exports.BOM.encode() + b"ID,Title,")
    assert next(chunks).count(b"\r\n") == 10
    chunks.close()  # what closing the response does when the client has gone
    assert time.monotonic() - started < 2.5, "the query ran on instead of being cancelled"
    status = connection.connection.info.transaction_status
    assert status == (status.INTRANS if in_transaction else status.IDLE)
    assert connection.in_atomic_block == in_transaction
    if not in_transaction:
        close_old_connections()  # the end of the request, which drops a connection found broken
        assert connection.connection is not None
    assert Concern.objects.count() == 1000  # the same connection answers (and the transaction is not aborted)
    assert running_exports() == 0
