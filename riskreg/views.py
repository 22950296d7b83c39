"""The register's pages."""

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.gzip import gzip_page
from django_filters.views import FilterView

from .filters import SiteFilterSet
from .maps import outline_urls, site_map_data, site_map_parts
from .models import Level, Site

# --- Site map ----------------------------------------------------------------------


def _reverse_or_none(name: str, *args: Any) -> str | None:
    # The list and detail pages are another module's; the map degrades to no links without them.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _with_query(url: str, request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return f"{url}?{query}" if query else url


class SiteMapPermissionMixin(PermissionRequiredMixin):
    """Anonymous users go to the login page; logged-in users without the permission get 403."""

    permission_required = "riskreg.view_site"


class SiteMapView(SiteMapPermissionMixin, FilterView):
    """The map page: the filter form, the legend and folium's map, inside the site layout.

    The page holds no site data and no inline script: the browser fetches folium's script
    (``site_map_script``), then ``site-map.js`` fetches the sites for the same query string."""

    model = Site
    filterset_class = SiteFilterSet
    template_name = "riskreg/site_map.html"
    strict = True

    def get_filterset(self, filterset_class: type[SiteFilterSet]) -> SiteFilterSet:
        filterset = super().get_filterset(filterset_class)
        for field in filterset.form.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not field.widget.is_hidden:
                field.widget.attrs.setdefault("class", "form-control form-control-sm")
        return filterset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        parts = site_map_parts()
        outlines = outline_urls()
        site_list = _reverse_or_none("site_list")
        version = hashlib.sha256(parts.script.encode()).hexdigest()[:12]
        context.update(
            map_parts=parts,
            map_script_url=f"{reverse('site_map_script')}?v={version}",
            map_data_url=_with_query(reverse("site_map_data"), self.request),
            site_list_url=_with_query(site_list, self.request) if site_list else None,
            site_url_pattern=_reverse_or_none("site_detail", 0) or "",
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


@method_decorator(gzip_page, name="dispatch")
class SiteMapDataView(SiteMapPermissionMixin, View):
    """The sites matching the map's filters, as compact column arrays (see maps.site_map_data)."""

    def get(self, request: HttpRequest) -> JsonResponse:
        filterset = SiteFilterSet(request.GET, queryset=Site.objects.all(), request=request)
        # Like the list: an invalid filter shows no sites rather than every site.
        sites = filterset.qs if filterset.is_valid() else Site.objects.none()
        return JsonResponse(site_map_data(sites))


class SiteMapScriptView(SiteMapPermissionMixin, View):
    """folium's script part of the map, served as a file so that no inline script is needed."""

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(site_map_parts().script, content_type="text/javascript; charset=utf-8")
        # The page asks for it with a version of its content in the query string.
        response["Cache-Control"] = "private, max-age=86400"
        return response
