"""CSV export of every list: ``?_export=csv`` with the list's filters and ordering.

The database writes the CSV. Each row is selected as one finished CSV line, built from SQL
string expressions (quoting by doubling ``"``, neutralising a would-be formula by its first
character, choice labels through CASE), and Python only joins chunks of lines and streams
them out. Formatting in Python costs about twice what the database needs for the same rows
(csv.writer alone is slower than ``sqlite3 -csv`` writing the whole file), and Django's ORM
still does the filtering, joins and ordering, so the export is exactly the filtered list.
On PostgreSQL the lines arrive through ``COPY (query) TO STDOUT`` (see ``copied_lines``).

One declarative column list per model (``COLUMNS``) and one mechanism for all of them:
a list view gains the export by inheriting ``CSVExportMixin``.
"""

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_tables2 import RequestConfig

from .models import Concern, Engagement, Enterprise, Measure, Sector, Site

EXPORT_PARAM = "_export"
# Lines fetched from the database per round trip and sent to the client per chunk.
CHUNK_ROWS = 5_000
# First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, the field path (``site__name``) and how to write it.

    kind: ``text`` (quoted, formula-neutralised), ``number`` (as is, never altered), ``date``
    (ISO 8601), ``choice`` (the choice's label; ``choices`` defaults to the model field's)."""

    header: Any
    path: str
    kind: str = "text"
    # A callable is called at export time, so that its labels follow the active language.
    choices: Sequence[tuple[Any, Any]] | Callable[[], Sequence[tuple[Any, Any]]] | None = None


def country_choices() -> list[tuple[str, str]]:
    return list(countries)


COLUMNS: dict[type[models.Model], list[Column]] = {
    Concern: [
        Column(_("ID"), "id", "number"),
        Column(_("Title"), "title"),
        Column(_("Enterprise"), "enterprise__name"),
        Column(_("Site"), "site__name"),
        Column(_("Host country"), "country", "choice", country_choices),
        Column(_("Origin country"), "origin_country", "choice", country_choices),
        Column(_("Category"), "category", "choice"),
        Column(_("Raised on"), "raised_on", "date"),
        Column(_("Likelihood"), "likelihood", "number"),
        Column(_("Impact"), "impact", "number"),
        Column(_("Level"), "level", "choice"),
        Column(_("Status"), "status", "choice"),
        Column(_("Next review"), "next_review", "date"),
    ],
    Site: [
        Column(_("ID"), "id", "number"),
        Column(_("Name"), "name"),
        Column(_("Enterprise"), "enterprise__name"),
        Column(_("Origin country"), "enterprise__origin_country", "choice", country_choices),
        Column(_("Sector"), "enterprise__sector", "choice", Sector.choices),
        Column(_("Kind"), "kind", "choice"),
        Column(_("Region"), "district__region__name"),
        Column(_("District"), "district__name"),
        Column(_("Locality"), "locality"),
        Column(_("Latitude"), "latitude", "number"),
        Column(_("Longitude"), "longitude", "number"),
        Column(_("Location precision"), "precision", "choice"),
        Column(_("Status"), "status", "choice"),
    ],
    Enterprise: [
        Column(_("ID"), "id", "number"),
        Column(_("Name"), "name"),
        Column(_("Origin country"), "origin_country", "choice", country_choices),
        Column(_("Sector"), "sector", "choice"),
        Column(_("Owner or parent"), "parent__name"),
        Column(_("Status"), "status", "choice"),
    ],
    Measure: [
        Column(_("ID"), "id", "number"),
        Column(_("Title"), "title"),
        Column(_("Proposed by"), "proposed_by__name"),
        Column(_("Proposed at"), "proposed_at__title"),
        Column(_("Status"), "status", "choice"),
        Column(_("Due date"), "due", "date"),
    ],
    Engagement: [
        Column(_("ID"), "id", "number"),
        Column(_("Title"), "title"),
        Column(_("Kind"), "kind", "choice"),
        Column(_("Date"), "date", "date"),
        Column(_("Date precision"), "date_precision", "choice"),
        Column(_("Source reference"), "source"),
        Column(_("Source URL"), "source_url"),
    ],
}


# --- SQL building blocks ------------------------------------------------------------------
#
# A line is printf('%s,"%s",…\r\n', cell, …) (format() on PostgreSQL): the database assembles it
# in one pass, and %s writes NULL as nothing on both. Text cells get their quotes from the
# template; choice labels arrive quoted from Python.


class TextOf(Expression):
    """Base for a text expression computed from one value."""

    output_field = models.TextField()

    def __init__(self, value: Expression) -> None:
        super().__init__()
        self.value = value

    def get_source_expressions(self) -> list[Expression]:
        return [self.value]

    def set_source_expressions(self, exprs: list[Expression]) -> None:
        (self.value,) = exprs


class CSVLine(Expression):
    """One CSV line from cell expressions; ``quoted[i]`` puts cell i between double quotes."""

    output_field = models.TextField()

    def __init__(self, cells: Sequence[Expression], quoted: Sequence[bool], end: str = "\r\n") -> None:
        super().__init__()
        self.cells, self.quoted, self.end = list(cells), list(quoted), end

    def get_source_expressions(self) -> list[Expression]:
        return self.cells

    def set_source_expressions(self, exprs: list[Expression]) -> None:
        self.cells = list(exprs)

    def as_sql(self, compiler, connection) -> tuple[str, list[Any]]:
        template = ",".join('"%s"' if quoted else "%s" for quoted in self.quoted) + self.end
        sqls, params = [], [template]
        for cell_ in self.cells:
            sql, cell_params = compiler.compile(cell_)
            sqls.append(sql)
            params.extend(cell_params)
        function = "FORMAT" if connection.vendor == "postgresql" else "PRINTF"
        return f"{function}(%s, {', '.join(sqls)})", params


class EscapedText(TextOf):
    """A text value ready to sit between double quotes: ``"`` doubled, and a leading formula
    character prefixed with ``'`` so that spreadsheets show the cell as text. NULL stays NULL."""

    def as_sql(self, compiler, connection) -> tuple[str, list[Any]]:
        value, params = compiler.compile(self.value)
        marks = ", ".join(["%s"] * len(FORMULA_STARTS))
        # Every formula character sorts before "A", so most cells skip the SUBSTR test.
        first = f'{value} COLLATE "C"' if connection.vendor == "postgresql" else value
        sql = (
            f"REPLACE(CASE WHEN {first} < 'A' AND SUBSTR({value}, 1, 1) IN ({marks}) "
            f"""THEN '''' || {value} ELSE {value} END, '"', '""')"""
        )
        return sql, [*params, *params, *FORMULA_STARTS, *params, *params]


def quote_cell(text: str) -> str:
    """The Python twin of EscapedText plus quotes, for values known before the query (choice labels)."""
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


class Compare(Expression):
    """``field <op> %s`` on the field's text, byte-wise (collation "C" on PostgreSQL), so that a
    tree's pivots split values the way Python sorted them and integer choices compare too."""

    output_field = models.BooleanField()

    def __init__(self, field: Expression, op: str, value: str) -> None:
        super().__init__()
        self.lhs, self.op, self.value = field, op, value

    def get_source_expressions(self) -> list[Expression]:
        return [self.lhs]

    def set_source_expressions(self, exprs: list[Expression]) -> None:
        (self.lhs,) = exprs

    def as_sql(self, compiler, connection) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.lhs)
        if connection.vendor == "postgresql":
            sql = f'CAST({sql} AS TEXT) COLLATE "C"'
        return f"{sql} {self.op} %s", [*params, self.value]


class ISODate(TextOf):
    """A date as YYYY-MM-DD: SQLite stores it so; PostgreSQL's own text form depends on DateStyle."""

    def as_sql(self, compiler, connection) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.value)
        if connection.vendor == "postgresql":
            return f"TO_CHAR({sql}, 'YYYY-MM-DD')", params
        return sql, params


def choice_cell(path: str, choices: Sequence[tuple[Any, Any]]) -> Expression:
    """A choice's quoted label via CASE. Long lists (countries) become a balanced tree of range
    tests, so a row costs about log2(n) comparisons instead of n. A value that is not a known
    choice is written as it is (escaped); NULL and blank give an empty cell."""
    field = F(path)
    items = sorted((str(value), quote_cell(str(label))) for value, label in choices if value not in ("", None))
    text = models.TextField()
    unknown = Concat(Value('"'), EscapedText(Cast(field, text)), Value('"'), output_field=text)

    def build(part: list[tuple[str, str]]) -> Expression:
        if len(part) <= 8:
            whens = [When(Compare(field, "=", value), then=Value(label)) for value, label in part]
            return Case(*whens, default=unknown, output_field=models.TextField())
        middle = len(part) // 2
        return Case(
            When(Compare(field, "<", part[middle][0]), then=build(part[:middle])),
            default=build(part[middle:]),
            output_field=models.TextField(),
        )

    return Case(
        When(**{f"{path}__isnull": True}, then=Value("")),
        When(Compare(field, "=", ""), then=Value("")),
        default=build(items),
        output_field=models.TextField(),
    )


def cell(model: type[models.Model], column: Column) -> tuple[Expression, bool]:
    """The cell's SQL expression and whether the line template quotes it."""
    field = F(column.path)
    if column.kind == "text":
        return EscapedText(field), True
    if column.kind == "number":
        # Numbers are written bare, whatever their sign: they are data, not formulas.
        return field, False
    if column.kind == "date":
        return ISODate(field), False
    if column.kind == "choice":
        choices = column.choices if column.choices is not None else _model_field(model, column.path).choices
        if callable(choices):
            choices = choices()
        return choice_cell(column.path, choices), False
    raise ValueError(f"unknown column kind {column.kind!r}")


def _model_field(model: type[models.Model], path: str) -> models.Field:
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def line_expression(model: type[models.Model], columns: Sequence[Column], end: str = "\r\n") -> Expression:
    """One CSV line per row, ending in CRLF as RFC 4180 and Excel expect (``end`` for COPY)."""
    cells, quoted = zip(*(cell(model, column) for column in columns), strict=True)
    return CSVLine(cells, quoted, end)


# --- Streaming -------------------------------------------------------------------------------


def header_line(columns: Sequence[Column]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([str(column.header) for column in columns])
    return buffer.getvalue()


def csv_chunks(queryset: models.QuerySet, columns: Sequence[Column], bom: bool = True) -> Iterator[bytes]:
    """The export as UTF-8 byte chunks of CHUNK_ROWS lines each; memory stays flat whatever the count."""
    yield ((BOM if bom else "") + header_line(columns)).encode()
    postgresql = connections[queryset.db].vendor == "postgresql"
    yield from (copied_lines if postgresql else fetched_lines)(queryset, columns)


def fetched_lines(queryset: models.QuerySet, columns: Sequence[Column]) -> Iterator[bytes]:
    """The CSV lines through the ORM's iterator, CHUNK_ROWS to a chunk (SQLite; any database)."""
    lines = queryset.values_list(line_expression(queryset.model, columns), flat=True)
    batch: list[str] = []
    for line in lines.iterator(chunk_size=CHUNK_ROWS):
        batch.append(line)
        if len(batch) >= CHUNK_ROWS:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


# COPY's text format writes a backslash and a letter for these characters, and "\n" after each row.
COPY_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
COPY_UNESCAPED = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def copy_text_to_csv(rows: bytes) -> bytes:
    """Whole rows of a one-column COPY in text format back to the CSV lines they hold, CRLF-ended."""
    # Newlines inside a cell arrive escaped, so every bare "\n" ends a row; unescaping comes after.
    rows = rows.replace(b"\n", b"\r\n")
    if b"\\" in rows:  # rare: most exports hold no backslash, tab or line break in a cell
        rows = COPY_ESCAPE.sub(lambda match: COPY_UNESCAPED[match[1]], rows)
    return rows


def copied_lines(queryset: models.QuerySet, columns: Sequence[Column]) -> Iterator[bytes]:
    """The same bytes as fetched_lines, faster on PostgreSQL: through ``COPY (query) TO STDOUT``.

    A cursor is slower here: outside a transaction Django declares it WITH HOLD, so PostgreSQL
    computes every row before the first FETCH, and inside one each FETCH waits for the server.
    COPY streams the rows while Python passes them on, as bytes ready to send."""
    db = queryset.db
    connection = connections[db]
    lines = queryset.values_list(line_expression(queryset.model, columns, end=""), flat=True)
    try:
        sql, params = lines.query.get_compiler(db).as_sql()
    except EmptyResultSet:  # a queryset.none(): no rows, no query
        return
    statement = f"COPY ({connection.ops.compose_sql(sql, params)}) TO STDOUT"
    # The transaction only scopes SET LOCAL (a savepoint when the caller is in one). If the client
    # hangs up, closing this generator exits psycopg's Copy, which cancels the query and reads to
    # its end, and the rollback leaves the connection idle and usable for the next request.
    with connection.wrap_database_errors, transaction.atomic(using=db), connection.cursor() as cursor:
        # JIT would spend seconds compiling the CASE trees (7 of 11 s at a million rows).
        cursor.execute("SET LOCAL jit = off")
        with cursor.copy(statement) as copy:
            batch = []
            for row in copy:  # one row per read; joining whole rows keeps escapes unsplit
                batch.append(row)
                if len(batch) >= CHUNK_ROWS:
                    yield copy_text_to_csv(b"".join(batch))
                    batch = []
            if batch:
                yield copy_text_to_csv(b"".join(batch))


def export_filename(model: type[models.Model], today: datetime.date | None = None) -> str:
    with translation.override(None):
        name = slugify(str(model._meta.verbose_name_plural))
    return f"{name}-{(today or timezone.localdate()).isoformat()}.csv"


def csv_response(
    queryset: models.QuerySet, columns: Sequence[Column] | None = None, bom: bool = True
) -> StreamingHttpResponse:
    model = queryset.model
    columns = columns if columns is not None else COLUMNS[model]
    # A stable order: the list's ordering, then the primary key to break ties.
    ordering = list(queryset.query.order_by or model._meta.ordering or [])
    if not any(o.lstrip("-") in ("pk", "id") for o in map(str, ordering)):
        queryset = queryset.order_by(*ordering, "pk")
    response = StreamingHttpResponse(csv_chunks(queryset, columns, bom=bom), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(model)}"'
    # Proxies must not buffer a response that may run to hundreds of megabytes.
    response["X-Accel-Buffering"] = "no"
    return response


def wants_bom(request: HttpRequest) -> bool:
    return request.GET.get("bom", "1").lower() not in ("0", "false", "no", "off")


class CSVExportMixin:
    """Adds ``?_export=csv`` to a SingleTableMixin + FilterView list: every row that the list's
    filters match (not one page), in the table's current sort order.

    Permission checks run in dispatch() before get(), so an export needs exactly what the
    list needs. Columns come from ``COLUMNS`` unless the view sets ``export_columns``."""

    export_columns: Iterable[Column] | None = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.GET.get(EXPORT_PARAM) != "csv":
            return super().get(request, *args, **kwargs)
        return csv_response(self.get_export_queryset(), self.get_export_columns(), bom=wants_bom(request))

    def get_export_columns(self) -> list[Column]:
        if self.export_columns is not None:
            return list(self.export_columns)
        return COLUMNS[self.get_queryset().model]

    def get_export_queryset(self) -> models.QuerySet:
        # The same rules as FilterView.get(): an invalid filter in strict mode matches nothing.
        filterset = self.get_filterset(self.get_filterset_class())
        if not filterset.is_bound or filterset.is_valid() or not self.get_strict():
            queryset = filterset.qs
        else:
            queryset = filterset.queryset.none()
        self.object_list = queryset
        # The table applies the list's ?sort= exactly as on screen; no pagination, no count query.
        table = self.get_table_class()(queryset, **self.get_table_kwargs())
        RequestConfig(request=self.request, paginate=False).configure(table)
        return table.data.data

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["export_url"] = export_url(self.request)
        return context


def export_url(request: HttpRequest) -> str:
    """The current list's query string as an export link: same filters and sort, no page."""
    query = request.GET.copy()
    for name in ("page", "per_page", EXPORT_PARAM):
        query.pop(name, None)
    query[EXPORT_PARAM] = "csv"
    return f"?{query.urlencode()}"
