"""Tables of the register's lists (django-tables2): which columns, how they link and sort.

Sortable columns sort by indexed columns with the primary key as a tiebreak, so that a
page is stable and cheap at a million rows; columns whose sort would need a join or a
subquery over the whole table are not sortable.
"""

from typing import Any

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData

from .models import Concern, Engagement, Enterprise, Level, Measure, Site

PER_PAGE_CHOICES = (25, 50, 100, 250)
NOWRAP = {"td": {"class": "text-nowrap"}}


def level_badge(value: int | None) -> str:
    """A level as a coloured badge; the colours match the risk matrix on the dashboard."""
    if not value:
        return "—"
    return format_html('<span class="badge level-badge level-{}">{}</span>', int(value), Level(value).label)


class DateColumn(tables.Column):
    """An ISO date (unambiguous for every reader, and the format of the date filters).

    Formatted in Python: django-tables2's DateColumn renders a template per cell, which
    cost a quarter of a list page's time."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("attrs", NOWRAP)
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return value.isoformat()

    def value(self, value: Any) -> str:
        return value.isoformat() if value else ""


class LevelColumn(tables.Column):
    """A level (a choice field or an annotation) as a coloured badge."""

    def render(self, record: Any, bound_column: Any) -> str:
        # ``value`` would be the choice's label for a model field; the badge needs the number.
        return level_badge(bound_column.accessor.resolve(record))

    def value(self, record: Any, bound_column: Any) -> str:
        level = bound_column.accessor.resolve(record)
        return str(Level(level).label) if level else ""


class KeysFirstQuerysetData(TableQuerysetData):
    """Reads a page in two steps: the page's primary keys, then the rows with their relations.

    The first step is answered by the ordering's index alone, so a deep page (a large OFFSET)
    skips index entries instead of joined rows. The second fetches only the page's rows, by key,
    from ``rows`` (the list's queryset before filtering) when given: repeating the filters there
    would run a search or a subquery filter a second time for 25 known keys."""

    rows: QuerySet | None = None

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, slice):
            return super().__getitem__(key)
        keys = list(self.data.values_list("pk", flat=True)[key])
        rows = (self.rows if self.rows is not None else self.data).order_by().in_bulk(keys)
        return [rows[k] for k in keys]


class RegisterTable(tables.Table):
    """Shared behaviour: a page size limited to ``PER_PAGE_CHOICES``, pages read keys first.

    ``rows`` is the list's unfiltered queryset, from which a page's rows are read by key."""

    def __init__(self, *args, rows: QuerySet | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if type(self.data) is TableQuerysetData:
            # django-tables2 picks its data class itself; this one only adds how a page is read.
            self.data.__class__ = KeysFirstQuerysetData
            self.data.rows = rows

    def paginate(
        self, paginator_class: type[Paginator] = Paginator, per_page: int | None = None, page: int = 1, *args, **kwargs
    ) -> "RegisterTable":
        # ?per_page= reaches here straight from the query string; an arbitrary size would
        # let one request render the whole register.
        if per_page not in PER_PAGE_CHOICES:
            per_page = PER_PAGE_CHOICES[0]
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    class Meta:
        per_page = PER_PAGE_CHOICES[0]
        empty_text = _("Nothing matches these filters.")


class EnterpriseTable(RegisterTable):
    name = tables.Column(linkify=True, order_by=("name",))
    # Read the country's name directly: for a choice field django-tables2 calls get_FOO_display(),
    # which rebuilds the list of all countries for every cell.
    origin_country = tables.Column(
        accessor="origin_country__name", verbose_name=_("origin country"), order_by=("origin_country", "name")
    )
    sector = tables.Column(order_by=("sector", "name"))
    status = tables.Column(order_by=("status", "name"))
    parent = tables.Column(orderable=False)

    class Meta(RegisterTable.Meta):
        model = Enterprise
        fields = ("name", "origin_country", "sector", "status", "parent")


class SiteTable(RegisterTable):
    name = tables.Column(linkify=True, order_by=("name", "id"))
    enterprise = tables.Column(linkify=True, order_by=("enterprise__name", "name"))
    kind = tables.Column(order_by=("kind", "id"))
    district = tables.Column(orderable=False)
    locality = tables.Column(order_by=("locality", "id"))
    precision = tables.Column(order_by=("precision", "id"))
    status = tables.Column(order_by=("status", "id"))
    # A per-site subquery: filterable, but sorting by it would evaluate it for every site.
    highest_open_level = LevelColumn(verbose_name=_("Highest open level"), orderable=False)

    class Meta(RegisterTable.Meta):
        model = Site
        fields = ("name", "enterprise", "kind", "district", "locality", "precision", "status", "highest_open_level")


class ConcernTable(RegisterTable):
    title = tables.Column(linkify=True, order_by=("title", "id"))
    enterprise = tables.Column(linkify=True, orderable=False)
    site = tables.Column(linkify=True, orderable=False)
    category = tables.Column(orderable=False)
    # Each sort matches one of Concern's indexes, read forwards or backwards.
    level = LevelColumn(order_by=("level", "-raised_on", "-id"))
    status = tables.Column(order_by=("status", "-raised_on", "-id"))
    raised_on = DateColumn(order_by=("raised_on", "id"))
    next_review = DateColumn(order_by=("next_review", "id"))

    class Meta(RegisterTable.Meta):
        model = Concern
        fields = ("title", "enterprise", "site", "category", "level", "status", "raised_on", "next_review")
        row_attrs = {"class": lambda record: "table-overdue" if record.is_overdue else ""}


class MeasureTable(RegisterTable):
    title = tables.Column(linkify=True, order_by=("title", "id"))
    status = tables.Column(order_by=("status", "id"))
    due = DateColumn(order_by=("due", "id"))
    proposed_by = tables.Column(orderable=False)
    responsible = tables.ManyToManyColumn(verbose_name=_("Responsible"), orderable=False)

    class Meta(RegisterTable.Meta):
        model = Measure
        fields = ("title", "status", "due", "proposed_by", "responsible")


class EngagementTable(RegisterTable):
    title = tables.Column(linkify=True, order_by=("title", "id"))
    kind = tables.Column(order_by=("kind", "id"))
    date = tables.Column(attrs=NOWRAP, order_by=("date", "id"))
    organisations = tables.ManyToManyColumn(orderable=False)

    class Meta(RegisterTable.Meta):
        model = Engagement
        fields = ("title", "kind", "date", "organisations")

    def render_date(self, record: Engagement) -> str:
        # Shows only as much of the date as the source gives (a year, a month or a day).
        return record.date_display

    def value_date(self, record: Engagement) -> Any:
        return record.date_display
