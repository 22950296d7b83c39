"""Tables of the register's lists (django-tables2): which columns, how they link and sort.

Sortable columns sort by indexed columns with the primary key as a tiebreak, so that a
page is stable and cheap at a million rows; columns whose sort would need a join or a
subquery over the whole table are not sortable.
"""

from typing import Any

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import QuerySet, Subquery
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Concern, Engagement, Enterprise, Level, Measure, Site

PER_PAGE_CHOICES = (25, 50, 100, 250)
# ISO dates: unambiguous for every reader, and they match the date filters' inputs.
DATE_FORMAT = "Y-m-d"


def level_badge(value: int | None) -> str:
    """A level as a coloured badge; the colours match the risk matrix on the dashboard."""
    if not value:
        return "—"
    return format_html('<span class="badge level-badge level-{}">{}</span>', int(value), Level(value).label)


class LevelColumn(tables.Column):
    """A level (a choice field or an annotation) as a coloured badge."""

    def render(self, record: Any, bound_column: Any) -> str:
        # ``value`` would be the choice's label for a model field; the badge needs the number.
        return level_badge(bound_column.accessor.resolve(record))

    def value(self, record: Any, bound_column: Any) -> str:
        level = bound_column.accessor.resolve(record)
        return str(Level(level).label) if level else ""


def ids_first(page: Any) -> Any:
    """A deep page's rows chosen by primary key first: OFFSET then walks only the ordering's index,
    not every skipped row with its joins (page 20,000 of a million concerns: seconds → tens of ms)."""
    if not isinstance(page, QuerySet) or not page.query.low_mark:
        return page
    low, high = page.query.low_mark, page.query.high_mark
    whole = page._chain()
    whole.query.clear_limits()
    return whole.filter(pk__in=Subquery(whole.values("pk")[low:high]))


class RegisterTable(tables.Table):
    """Shared behaviour: a page size limited to ``PER_PAGE_CHOICES``."""

    def paginate(
        self, paginator_class: type[Paginator] = Paginator, per_page: int | None = None, page: int = 1, *args, **kwargs
    ) -> "RegisterTable":
        # ?per_page= reaches here straight from the query string; an arbitrary size would
        # let one request render the whole register.
        if per_page not in PER_PAGE_CHOICES:
            per_page = PER_PAGE_CHOICES[0]
        super().paginate(paginator_class, per_page, page, *args, **kwargs)
        self.page.object_list.data = ids_first(self.page.object_list.data)
        return self

    class Meta:
        per_page = PER_PAGE_CHOICES[0]
        empty_text = _("Nothing matches these filters.")


class EnterpriseTable(RegisterTable):
    name = tables.Column(linkify=True, order_by=("name",))
    origin_country = tables.Column(order_by=("origin_country", "name"))
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
    raised_on = tables.DateColumn(format=DATE_FORMAT, order_by=("raised_on", "id"))
    next_review = tables.DateColumn(format=DATE_FORMAT, order_by=("next_review", "id"))

    class Meta(RegisterTable.Meta):
        model = Concern
        fields = ("title", "enterprise", "site", "category", "level", "status", "raised_on", "next_review")
        row_attrs = {"class": lambda record: "table-overdue" if record.is_overdue else ""}


class MeasureTable(RegisterTable):
    title = tables.Column(linkify=True, order_by=("title", "id"))
    status = tables.Column(order_by=("status", "id"))
    due = tables.DateColumn(format=DATE_FORMAT, order_by=("due", "id"))
    proposed_by = tables.Column(orderable=False)
    responsible = tables.ManyToManyColumn(verbose_name=_("Responsible"), orderable=False)

    class Meta(RegisterTable.Meta):
        model = Measure
        fields = ("title", "status", "due", "proposed_by", "responsible")


class EngagementTable(RegisterTable):
    title = tables.Column(linkify=True, order_by=("title", "id"))
    kind = tables.Column(order_by=("kind", "id"))
    date = tables.Column(order_by=("date", "id"))
    organisations = tables.ManyToManyColumn(orderable=False)

    class Meta(RegisterTable.Meta):
        model = Engagement
        fields = ("title", "kind", "date", "organisations")

    def render_date(self, record: Engagement) -> str:
        # Shows only as much of the date as the source gives (a year, a month or a day).
        return record.date_display

    def value_date(self, record: Engagement) -> Any:
        return record.date_display
