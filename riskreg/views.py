"""The register's pages: lists with filters, detail pages, and the dashboard.

Every page needs login and the view permission of its model. Each list and detail page
issues a fixed number of queries, whatever the size of the register: querysets fetch
their relations up front, and detail pages show a bounded number of related rows with a
link to the full filtered list.
"""

import contextlib
import gzip
import hashlib
import json
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from . import filters, tables
from .dashboard import concern_counts
from .exports import CSVExportMixin
from .history import history_changes
from .maps import outline_urls, site_map_data, site_map_parts
from .models import Concern, Engagement, Enterprise, Level, Measure, Site
from .tables import PER_PAGE_CHOICES

# How many related rows a detail page shows before linking to the filtered list.
RELATED_LIMIT = 25
# How many entries of a concern's change history its page shows.
HISTORY_LIMIT = 50


def model_permission(model: type[Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def query_without(query: QueryDict, *names: str) -> str:
    """The query string minus some parameters (and the page number, which no longer applies)."""
    query = query.copy()
    for name in (*names, "page"):
        query.pop(name, None)
    return f"?{query.urlencode()}" if query else "?"


class ModelPermissionMixin(PermissionRequiredMixin):
    """Requires the model's permission: anonymous users go to login, others without it get 403."""

    permission_action = "view"

    def get_permission_required(self) -> tuple[str, ...]:
        return (model_permission(self.model, self.permission_action),)


class RegisterListView(ModelPermissionMixin, CSVExportMixin, SingleTableMixin, FilterView):
    """One list page: a filterset from the query string, a sortable, paginated table.

    Subclasses declare ``model``, ``queryset`` (with the relations its table shows),
    ``filterset_class`` and ``table_class``. The filtered rows are ``self.filterset.qs``.
    ``?_export=csv`` streams every filtered row as CSV (exports.py).
    """

    # An invalid filter (say, an unknown region) shows no rows, not every row.
    strict = True

    def get_template_names(self) -> list[str]:
        return [f"riskreg/{self.model._meta.model_name}_list.html"]

    def get_table_kwargs(self) -> dict[str, Any]:
        # A page's rows are read by key from the unfiltered queryset (tables.KeysFirstQuerysetData).
        return {**super().get_table_kwargs(), "rows": self.get_queryset()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        table = context["table"]
        form = self.filterset.form
        context.update(
            per_page_choices=PER_PAGE_CHOICES,
            per_page=table.paginator.per_page if hasattr(table, "paginator") else PER_PAGE_CHOICES[0],
            sort=self.request.GET.get("sort", ""),
            # Filters by a single enterprise or site are hidden inputs; show them with a way out.
            pinned_filters=[
                {
                    "label": field.label,
                    "value": form.cleaned_data[field.name],
                    "remove": query_without(self.request.GET, field.name),
                }
                for field in form.hidden_fields()
                if form.is_valid() and form.cleaned_data.get(field.name)
            ],
            verbose_name_plural=self.model._meta.verbose_name_plural,
        )
        return context


class EnterpriseListView(RegisterListView):
    model = Enterprise
    queryset = Enterprise.objects.select_related("parent")
    filterset_class = filters.EnterpriseFilterSet
    table_class = tables.EnterpriseTable


class SiteListView(RegisterListView):
    model = Site
    queryset = Site.objects.select_related("enterprise", "district__region").with_highest_open_level()
    filterset_class = filters.SiteFilterSet
    table_class = tables.SiteTable


class ConcernListView(RegisterListView):
    model = Concern
    queryset = Concern.objects.select_related("enterprise", "site")
    filterset_class = filters.ConcernFilterSet
    table_class = tables.ConcernTable


class MeasureListView(RegisterListView):
    model = Measure
    queryset = Measure.objects.select_related("proposed_by").prefetch_related("responsible")
    filterset_class = filters.MeasureFilterSet
    table_class = tables.MeasureTable


class EngagementListView(RegisterListView):
    model = Engagement
    queryset = Engagement.objects.prefetch_related("organisations")
    filterset_class = filters.EngagementFilterSet
    table_class = tables.EngagementTable


# --- Detail pages ----------------------------------------------------------------


class RegisterDetailView(ModelPermissionMixin, DetailView):
    """One object's page, with a link into admin for users who may change it."""

    def get_template_names(self) -> list[str]:
        return [f"riskreg/{self.model._meta.model_name}_detail.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        opts = self.model._meta
        if self.request.user.has_perm(model_permission(self.model, "change")):
            context["admin_url"] = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.object.pk])
        context["verbose_name"] = opts.verbose_name
        return context


def limited(queryset: QuerySet) -> list[Model]:
    return list(queryset[:RELATED_LIMIT])


def list_url(name: str, **params: Any) -> str:
    """A list page filtered by ``params``: where a detail page sends the reader for all related rows."""
    query = QueryDict(mutable=True)
    query.update(params)
    return f"{reverse(name)}?{query.urlencode()}"


class EnterpriseDetailView(RegisterDetailView):
    model = Enterprise
    queryset = Enterprise.objects.select_related("parent")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sites = self.object.sites.select_related("district__region").with_highest_open_level()
        concerns = self.object.concerns.select_related("site")
        context.update(
            sites=limited(sites),
            site_count=sites.count(),
            sites_url=list_url("site_list", enterprise=self.object.pk),
            concerns=limited(concerns),
            concern_count=concerns.count(),
            concerns_url=list_url("concern_list", enterprise=self.object.pk),
        )
        return context


class SiteDetailView(RegisterDetailView):
    model = Site
    queryset = Site.objects.select_related("enterprise", "district__region").with_highest_open_level()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        concerns = self.object.concerns.all()
        context.update(
            concerns=limited(concerns),
            concern_count=concerns.count(),
            concerns_url=list_url("concern_list", site=self.object.pk),
        )
        # The map lives in another part of the project; link to it when it is installed.
        with contextlib.suppress(NoReverseMatch):
            context["map_url"] = list_url("site_map", enterprise=self.object.enterprise_id)
        return context


class ConcernDetailView(RegisterDetailView):
    model = Concern
    queryset = Concern.objects.select_related("enterprise", "site__district__region", "raised_by", "raised_at", "owner")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        concern = self.object
        if concern.raised_at_id:
            context["participants"] = list(concern.raised_at.participants.select_related("organisation"))
        context["measures"] = list(concern.measures.select_related("proposed_by").prefetch_related("responsible"))
        # One record more than shown, so that the oldest shown entry can be compared with its predecessor.
        records = list(
            concern.history.select_related("history_user").order_by("-history_date", "-history_id")[: HISTORY_LIMIT + 1]
        )
        context["changes"] = history_changes(records)[:HISTORY_LIMIT]
        return context


class MeasureDetailView(RegisterDetailView):
    model = Measure
    queryset = Measure.objects.select_related("proposed_by", "proposed_at")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        concerns = self.object.concerns.select_related("enterprise", "site")
        context.update(
            concerns=limited(concerns),
            concern_count=concerns.count(),
            responsible=list(self.object.responsible.all()),
        )
        return context


class EngagementDetailView(RegisterDetailView):
    model = Engagement

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        engagement = self.object
        concerns = engagement.concerns.select_related("enterprise", "site")
        measures = engagement.measures.prefetch_related("responsible")
        context.update(
            participants=list(engagement.participants.select_related("organisation")),
            organisations=list(engagement.organisations.all()),
            concerns=limited(concerns),
            concern_count=concerns.count(),
            measures=limited(measures),
            measure_count=measures.count(),
        )
        return context


# --- Dashboard ---------------------------------------------------------------------


class DashboardView(ModelPermissionMixin, TemplateView):
    """Where the register stands: open concerns by level, status and matrix cell; what is overdue."""

    model = Concern
    template_name = "riskreg/dashboard.html"
    overdue_limit = 10
    recent_limit = 10

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        open_query = "&".join(f"status={s}" for s in Concern.objects.open_statuses())
        concern_list = reverse("concern_list")
        # Counted once for all workers and kept until a concern changes (dashboard.py).
        counts = concern_counts()
        by_level, by_status, by_cell = counts.by_level, counts.by_status, counts.by_cell

        context.update(
            levels=[
                {
                    "level": level,
                    "count": by_level.get(level.value, 0),
                    "url": f"{concern_list}?level={level.value}&{open_query}",
                }
                for level in reversed(Level)
            ],
            statuses=[
                {"status": status, "count": by_status.get(status.value, 0), "url": f"{concern_list}?status={status}"}
                for status in Concern.Status
            ],
            open_count=sum(by_level.values()),
            # Rows from likelihood 5 down to 1, so that the worst cell is top right as on paper.
            heatmap=[
                {
                    "likelihood": likelihood,
                    "cells": [
                        {
                            "impact": impact,
                            "level": Level.from_score(likelihood, impact),
                            "count": by_cell.get((likelihood, impact), 0),
                            "url": f"{concern_list}?likelihood={likelihood}&impact={impact}&{open_query}",
                        }
                        for impact in range(1, 6)
                    ],
                }
                for likelihood in range(5, 0, -1)
            ],
            impacts=range(1, 6),
            overdue=list(
                Concern.objects.overdue()
                .select_related("enterprise")
                .order_by("next_review", "id")[: self.overdue_limit]
            ),
            overdue_count=counts.overdue,
            overdue_url=f"{concern_list}?overdue=true&sort=next_review",
            recent=list(Concern.objects.select_related("enterprise").order_by("-updated", "-id")[: self.recent_limit]),
        )
        return context


# --- Site map ----------------------------------------------------------------------

ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _with_query(url: str, request: HttpRequest, **extra: str) -> str:
    query = request.GET.copy()
    query.update(extra)
    return f"{url}?{query.urlencode()}" if query else url


class SiteMapView(ModelPermissionMixin, FilterView):
    """The map page: the filter form, the legend and folium's map, inside the site layout.

    The page holds no site data and no inline script: the browser fetches folium's script
    (``site_map_script``), then ``site-map.js`` fetches the sites for the same query string."""

    model = Site
    filterset_class = filters.SiteFilterSet
    template_name = "riskreg/site_map.html"
    strict = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        parts = site_map_parts()
        outlines = outline_urls()
        version = hashlib.sha256(parts.script.encode()).hexdigest()[:12]
        context.update(
            map_parts=parts,
            map_script_url=f"{reverse('site_map_script')}?v={version}",
            map_points_url=_with_query(reverse("site_map_data"), self.request, part="points"),
            map_details_url=_with_query(reverse("site_map_data"), self.request, part="details"),
            site_list_url=_with_query(reverse("site_list"), self.request),
            site_url_pattern=reverse("site_detail", args=[0]),
            map_tiles=bool(settings.RISKREG_TILE_URL),
            outlines_url=outlines[0] if outlines else "",
            topojson_url=outlines[1] if outlines else "",
            levels=[(0, _("No open concern")), *Level.choices],
            map_text={
                "shown_one": _("Sites shown: %(count)s."),
                "shown_many": _("Sites shown: %(count)s."),
                "unplaced": _("Matching sites without coordinates, not on the map: %(count)s."),
                "failed": _("The sites could not be loaded. Reload the page to try again."),
                "open_concerns": _("Open concerns"),
                "no_open_concerns": _("No open concerns"),
                "open_site": _("Open the site's page"),
                "approximate": {
                    Site.Precision.DISTRICT: _("Approximate location: the point stands for the district."),
                    Site.Precision.REGION: _("Approximate location: the point stands for the region."),
                },
                "kinds": dict(Site.Kind.choices),
                "levels": dict(Level.choices),
            },
        )
        return context


class SiteMapDataView(ModelPermissionMixin, View):
    """The sites matching the map's filters, as compact column arrays (see maps.site_map_data)."""

    model = Site

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = filters.SiteFilterSet(request.GET, queryset=Site.objects.all(), request=request)
        # Like the list: an invalid filter shows no sites rather than every site.
        sites = filterset.qs if filterset.is_valid() else Site.objects.none()
        # Compact separators: at 50k sites the default ", " alone adds half a megabyte.
        data = site_map_data(sites, request.GET.get("part"))
        body = json.dumps(data, separators=(",", ":"), cls=DjangoJSONEncoder).encode()
        response = HttpResponse(body, content_type="application/json")
        patch_vary_headers(response, ["Accept-Encoding"])
        if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
            # Level 1: at 50k sites six times faster than gzip's default for 12 % more bytes.
            response.content = gzip.compress(body, compresslevel=1, mtime=0)
            response["Content-Encoding"] = "gzip"
        return response


class SiteMapScriptView(ModelPermissionMixin, View):
    """folium's script part of the map, served as a file so that no inline script is needed."""

    model = Site

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(site_map_parts().script, content_type="text/javascript; charset=utf-8")
        # The page asks for it with a version of its content in the query string.
        response["Cache-Control"] = "private, max-age=86400"
        return response
