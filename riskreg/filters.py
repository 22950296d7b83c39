"""Filtersets for the register's lists (and the site map, which takes the same query string as /sites/).

Parameter names are shared with the map and the CSV export; change them only together.
The rules behind a filter (what "open", "overdue" or a site's level mean) live on the model
querysets; these classes only map query parameters onto them.

Relations that can have thousands of rows (enterprise, site) are filtered by primary key
through a hidden input rather than a select listing every row: a list page must not grow
with the size of the register. Detail pages link to such filtered lists.
"""

import functools
from typing import Any

import django_filters as filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import (
    Concern,
    District,
    Engagement,
    Enterprise,
    Level,
    Measure,
    Organisation,
    Region,
    Sector,
    Site,
)

ANY = _("Any")
SCALE_CHOICES = [(n, str(n)) for n in range(1, 6)]


def country_choices() -> list[tuple[str, str]]:
    # A callable, so that the names follow the active language; sorted once per language.
    return _country_choices(get_language())


@functools.cache
def _country_choices(language: str | None) -> list[tuple[str, str]]:
    # Names translated once per language here, not once per option on every list page.
    return [(code, str(name)) for code, name in countries]


class QuickSelect(forms.Select):
    """A select whose options are built in Python rather than one template include each.

    Django's per-option template costs about 0.15 ms; the country lists alone have some 250
    options each, which made the filter form half of a list page's time."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        selected = {str(v) for v in self.format_value(value)}
        # Plain escaping and joining: format_html per option still cost a fifth of a list page.
        options = "".join(
            f'<option value="{escape(choice)}"{" selected" if str(choice) in selected else ""}>{escape(label)}</option>'
            for choice, label in self.choices
        )
        options = mark_safe(options)  # noqa: S308 -- every value and label escaped just above
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


class BoundedSelect(QuickSelect):
    """A select over a model's rows while they are few; past ``limit`` rows, a number input for the
    primary key instead, as the enterprise and site filters (a list page must not grow with a table:
    a register with thousands of organisations or users would otherwise list them all on every page).

    Reads at most ``limit`` + 1 rows."""

    limit = 300

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        field = getattr(self.choices, "field", None)
        if field is None:
            return super().render(name, value, attrs, renderer)
        rows = list(field.queryset[: self.limit + 1])
        if len(rows) > self.limit:
            number = forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 1})
            return number.render(name, value, attrs={**(attrs or {}), "placeholder": _("Number")})
        self.choices = [("", field.empty_label or ""), *((row.pk, field.label_from_instance(row)) for row in rows)]
        return super().render(name, value, attrs, renderer)


class YesNoWidget(filters.widgets.BooleanWidget):
    """true/false in the query string, shown as "Any / Yes / No"."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("", ANY), ("true", _("Yes")), ("false", _("No"))]


def hidden_choice(model_queryset: QuerySet, label: str) -> filters.ModelChoiceFilter:
    """A filter by primary key that renders as a hidden input (see the module docstring)."""
    return filters.ModelChoiceFilter(queryset=model_queryset, label=label, widget=forms.HiddenInput)


# Short lists (a country's regions and districts, the organisations) are offered as selects.
REGIONS = Region.objects.all()
# District.__str__ names its region: fetch it in the same query.
DISTRICTS = District.objects.select_related("region")
ORGANISATIONS = Organisation.objects.all()


# Bootstrap's classes per widget, so that the filter forms render without per-field markup.
WIDGET_CLASSES = {
    forms.CheckboxSelectMultiple: "form-check-input",
    forms.Select: "form-select form-select-sm",
    forms.widgets.Input: "form-control form-control-sm",
}


class RegisterFilterSet(filters.FilterSet):
    """Shared behaviour: a free-text ``q`` on every list, and Bootstrap-styled widgets."""

    q = filters.CharFilter(label=_("Search"), method="filter_q", widget=forms.TextInput(attrs={"type": "search"}))
    search_fields: tuple[str, ...] = ()

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                # Model choices are listed when rendered, so their empty label can still change here.
                if getattr(field, "empty_label", None) is not None:
                    field.empty_label = ANY
                widget = field.widget
                css = next((css for kind, css in WIDGET_CLASSES.items() if isinstance(widget, kind)), "")
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
        return self._form

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Every word of the search must appear in one of ``search_fields``."""
        for word in value.split():
            condition = Q()
            for field in self.search_fields:
                condition |= self.word_in(queryset.model, field, word)
            queryset = queryset.filter(condition)
        return queryset

    @staticmethod
    def word_in(model: type, field: str, word: str) -> Q:
        """``field`` contains ``word``. A related field is matched in its own (small) table and
        joined back by key: at a million concerns, OR-ing over LEFT JOINs scanned the joined
        table for every search (seconds); the subquery keeps the scan to one narrow table."""
        relation, _, attribute = field.partition("__")
        if not attribute:
            return Q(**{f"{field}__icontains": word})
        related = model._meta.get_field(relation)
        if related.many_to_many or related.one_to_many:
            return Q(**{f"{field}__icontains": word})
        matches = related.related_model._default_manager.filter(**{f"{attribute}__icontains": word})
        return Q(**{f"{relation}__in": matches.values("pk")})


class EnterpriseFilterSet(RegisterFilterSet):
    search_fields = ("name", "notes", "parent__name")

    origin_country = filters.ChoiceFilter(
        widget=QuickSelect, empty_label=ANY, label=_("Origin country"), choices=country_choices
    )
    sector = filters.ChoiceFilter(empty_label=ANY, widget=QuickSelect, label=_("Sector"), choices=Sector.choices)
    status = filters.ChoiceFilter(
        empty_label=ANY, widget=QuickSelect, label=_("Status"), choices=Enterprise.Status.choices
    )
    region = filters.ModelChoiceFilter(
        widget=QuickSelect, label=_("Has a site in region"), queryset=REGIONS, method="filter_region"
    )

    class Meta:
        model = Enterprise
        fields = ["q", "origin_country", "sector", "status", "region"]

    def filter_region(self, queryset: QuerySet, name: str, value: Region) -> QuerySet:
        # EXISTS rather than a join, so an enterprise with several sites in the region is listed once.
        return queryset.filter(Exists(Site.objects.filter(enterprise=OuterRef("pk"), district__region=value)))


class SiteFilterSet(RegisterFilterSet):
    search_fields = ("name", "locality", "enterprise__name")

    enterprise = hidden_choice(Enterprise.objects.all(), _("Enterprise"))
    origin_country = filters.ChoiceFilter(
        empty_label=ANY,
        label=_("Origin country"),
        choices=country_choices,
        field_name="enterprise__origin_country",
        widget=QuickSelect,
    )
    sector = filters.ChoiceFilter(
        widget=QuickSelect, empty_label=ANY, label=_("Sector"), choices=Sector.choices, field_name="enterprise__sector"
    )
    region = filters.ModelChoiceFilter(
        widget=QuickSelect, label=_("Region"), queryset=REGIONS, field_name="district__region"
    )
    district = filters.ModelChoiceFilter(widget=QuickSelect, label=_("District"), queryset=DISTRICTS)
    kind = filters.ChoiceFilter(empty_label=ANY, widget=QuickSelect, label=_("Kind"), choices=Site.Kind.choices)
    status = filters.ChoiceFilter(empty_label=ANY, widget=QuickSelect, label=_("Status"), choices=Site.Status.choices)
    precision = filters.ChoiceFilter(
        empty_label=ANY, widget=QuickSelect, label=_("Location precision"), choices=Site.Precision.choices
    )
    level = filters.ChoiceFilter(
        widget=QuickSelect, empty_label=ANY, label=_("Highest open level"), choices=Level.choices, method="filter_level"
    )

    class Meta:
        model = Site
        fields = [
            "q",
            "enterprise",
            "origin_country",
            "sector",
            "region",
            "district",
            "kind",
            "status",
            "precision",
            "level",
        ]

    def filter_level(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.highest_open_level_is(int(value))


class ConcernFilterSet(RegisterFilterSet):
    # Title, enterprise and site name: the rule and its index live in ConcernQuerySet.search.
    search_fields = ("title", "enterprise__name", "site__name")

    enterprise = hidden_choice(Enterprise.objects.all(), _("Enterprise"))
    site = hidden_choice(Site.objects.all(), _("Site"))
    origin_country = filters.ChoiceFilter(
        widget=QuickSelect, empty_label=ANY, label=_("Origin country"), choices=country_choices
    )
    country = filters.ChoiceFilter(
        widget=QuickSelect, empty_label=ANY, label=_("Host country"), choices=country_choices
    )
    region = filters.ModelChoiceFilter(
        widget=QuickSelect, label=_("Region"), queryset=REGIONS, field_name="site__district__region"
    )
    district = filters.ModelChoiceFilter(
        widget=QuickSelect, label=_("District"), queryset=DISTRICTS, field_name="site__district"
    )
    category = filters.ChoiceFilter(
        empty_label=ANY, widget=QuickSelect, label=_("Category"), choices=Concern.Category.choices
    )
    level = filters.MultipleChoiceFilter(
        label=_("Level"), choices=Level.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    # Several statuses at once: "open" on the dashboard means every status but closed.
    status = filters.MultipleChoiceFilter(
        label=_("Status"), choices=Concern.Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    owner = filters.ModelChoiceFilter(
        widget=BoundedSelect, label=_("Owner"), queryset=lambda request: get_user_model().objects.filter(is_active=True)
    )
    overdue = filters.BooleanFilter(label=_("Review overdue"), method="filter_overdue", widget=YesNoWidget)
    raised_after = filters.DateFilter(
        label=_("Raised on or after"),
        field_name="raised_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    raised_before = filters.DateFilter(
        label=_("Raised on or before"),
        field_name="raised_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    likelihood = filters.ChoiceFilter(empty_label=ANY, widget=QuickSelect, label=_("Likelihood"), choices=SCALE_CHOICES)
    impact = filters.ChoiceFilter(empty_label=ANY, widget=QuickSelect, label=_("Impact"), choices=SCALE_CHOICES)

    class Meta:
        model = Concern
        fields = [
            "q",
            "enterprise",
            "site",
            "origin_country",
            "country",
            "region",
            "district",
            "category",
            "level",
            "status",
            "owner",
            "overdue",
            "raised_after",
            "raised_before",
            "likelihood",
            "impact",
        ]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.overdue() if value else queryset.not_overdue()

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)


class MeasureFilterSet(RegisterFilterSet):
    search_fields = ("title", "description")

    status = filters.MultipleChoiceFilter(
        label=_("Status"), choices=Measure.Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    responsible = filters.ModelChoiceFilter(
        widget=BoundedSelect, label=_("Responsible organisation"), queryset=ORGANISATIONS
    )
    proposed_by = filters.ModelChoiceFilter(widget=BoundedSelect, label=_("Proposed by"), queryset=ORGANISATIONS)
    due_after = filters.DateFilter(
        label=_("Due on or after"), field_name="due", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    due_before = filters.DateFilter(
        label=_("Due on or before"), field_name="due", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = filters.BooleanFilter(label=_("Overdue"), method="filter_overdue", widget=YesNoWidget)

    class Meta:
        model = Measure
        fields = ["q", "status", "responsible", "proposed_by", "due_after", "due_before", "overdue"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.overdue() if value else queryset.not_overdue()


class EngagementFilterSet(RegisterFilterSet):
    search_fields = ("title", "summary", "source")

    kind = filters.ChoiceFilter(empty_label=ANY, widget=QuickSelect, label=_("Kind"), choices=Engagement.Kind.choices)
    organisation = filters.ModelChoiceFilter(
        widget=BoundedSelect, label=_("Organisation"), queryset=ORGANISATIONS, field_name="organisations"
    )
    date_after = filters.DateFilter(
        label=_("On or after"), field_name="date", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_before = filters.DateFilter(
        label=_("On or before"), field_name="date", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Engagement
        fields = ["q", "kind", "organisation", "date_after", "date_before"]
