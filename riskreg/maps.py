"""The site map: a folium map whose markers the browser draws from a compact JSON payload.

Why not the usual folium recipe (one ``folium.Marker`` per site, ``m._repr_html_()``):
- it links a dozen files from CDNs, so the map is blank on an intranet without internet;
- it writes one JavaScript statement per marker, with popup text inside JavaScript
  template strings, where a name containing a backtick or ``${`` breaks out even after
  HTML-escaping; at 50k sites it is 38 MB of HTML and takes seconds to show;
- the iframe ``srcdoc`` it produces is full of inline scripts that a Content-Security-Policy
  of ``script-src 'self'`` blocks.

So folium builds only the map itself (the Leaflet map, the tile layer, an empty marker
cluster). Its HTML part is rendered into our page, its script part is served from a URL
(``site_map_script``), and its stylesheets and scripts are our own static files. The
sites travel as column arrays from ``site_map_data``; ``static/riskreg/site-map.js`` turns
them into clustered markers and builds popups with DOM text nodes, so names are text.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import folium
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Count, ExpressionWrapper, Field, FloatField, QuerySet
from django.db.models.functions import Cast
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from folium.plugins import MarkerCluster

from .models import Concern, District, Enterprise, Level, Site

# Stable element names, so the HTML part (rendered into the page) and the script part
# (served from another URL) refer to the same JavaScript variables.
ELEMENT_ID = "riskreg"

# Where the map opens before it fits the sites: Kyrgyzstan, the register's host country.
DEFAULT_CENTRE = (41.5, 74.5)
DEFAULT_ZOOM = 6
# Marker clustering needs a maximum zoom even when there is no tile layer to give one.
MAX_ZOOM = 18
# Leaflet.markercluster indexes every marker at every zoom level between the map's minimum
# zoom and the zoom where clustering stops, and the high levels cost most (few markers merge
# there): at 50k sites, stopping at zoom 11 (a district, some 40 km across) instead of
# 13 makes loading three times faster. Below zoom 3 (continents) clusters tell nothing.
MIN_ZOOM = 3
UNCLUSTERED_ZOOM = 11

# Country outlines from the world-atlas npm package (installed by `make install`); optional.
OUTLINES_STATIC = "vendor/world-atlas/countries-50m.json"
TOPOJSON_STATIC = "vendor/topojson-client/topojson-client.min.js"

LEVEL_COUNT = len(Level.values)


@dataclass(frozen=True)
class MapParts:
    """A folium map cut into what the page needs: markup, script and asset URLs."""

    html: SafeString
    script: str
    js: tuple[str, ...]
    css: tuple[str, ...]
    map_name: str
    cluster_name: str


def _local_assets(element: folium.Element, js: dict[str, str], css: dict[str, str]) -> None:
    """Point the element INSTANCE at our static files. folium's ``default_js``/``default_css``
    are class attributes shared by every map; assigning on the instance leaves them alone."""
    element.default_js = list(js.items())
    element.default_css = list(css.items())


def build_site_map() -> tuple[folium.Map, MarkerCluster]:
    """The folium map with the configured tile layer (if any) and an empty marker cluster."""
    site_map = folium.Map(
        location=DEFAULT_CENTRE,
        zoom_start=DEFAULT_ZOOM,
        tiles=None,
        max_zoom=MAX_ZOOM,
        # Thousands of circle markers draw much faster on one canvas than as SVG nodes.
        prefer_canvas=True,
    )
    site_map._id = ELEMENT_ID
    # folium passes max_zoom to its default tile layer only; clustering needs it on the map.
    site_map.options["maxZoom"] = MAX_ZOOM
    site_map.options["minZoom"] = MIN_ZOOM
    # Leaflet only: jQuery, Bootstrap and the awesome-markers files that folium lists
    # serve folium's own popups and icons, which this map does not use.
    _local_assets(
        site_map,
        {"leaflet": static("vendor/leaflet/leaflet.js")},
        {"leaflet_css": static("vendor/leaflet/leaflet.css")},
    )
    if settings.RISKREG_TILE_URL:
        tiles = folium.TileLayer(
            tiles=settings.RISKREG_TILE_URL,
            attr=settings.RISKREG_TILE_ATTRIBUTION,
            max_zoom=MAX_ZOOM,
        )
        # A stable name keeps the script identical across worker processes (and cacheable).
        tiles._id = ELEMENT_ID
        tiles.add_to(site_map)
    cluster = MarkerCluster(
        options={
            # Add thousands of markers in slices, so the page stays responsive meanwhile,
            # with short pauses between slices (the default 50 ms pause adds up at 50k sites).
            "chunkedLoading": True,
            "chunkInterval": 250,
            "chunkDelay": 5,
            "showCoverageOnHover": False,
            "disableClusteringAtZoom": UNCLUSTERED_ZOOM,
        }
    )
    cluster._id = ELEMENT_ID
    _local_assets(
        cluster,
        {"markerclusterjs": static("vendor/leaflet-markercluster/leaflet.markercluster.js")},
        {
            "markerclustercss": static("vendor/leaflet-markercluster/MarkerCluster.css"),
            "markerclusterdefaultcss": static("vendor/leaflet-markercluster/MarkerCluster.Default.css"),
        },
    )
    cluster.add_to(site_map)
    return site_map, cluster


def _assets(element: folium.Element, attribute: str) -> list[str]:
    """The asset URLs an element tree declares, parents first, without repeats."""
    urls = [url for _name, url in getattr(element, attribute, [])]
    for child in element._children.values():
        urls += [url for url in _assets(child, attribute) if url not in urls]
    return urls


def site_map_parts() -> MapParts:
    """Render the map once per tile setting and static URL (it depends on nothing else)."""
    return _site_map_parts(settings.RISKREG_TILE_URL, settings.RISKREG_TILE_ATTRIBUTION, settings.STATIC_URL)


@cache
def _site_map_parts(tile_url: str, attribution: str, static_prefix: str) -> MapParts:
    site_map, cluster = build_site_map()
    figure = site_map.get_root()
    figure.render()
    # figure.header is skipped on purpose: besides the asset links (taken from the element
    # tree below) it holds inline scripts and styles that reset the host page's html and body.
    return MapParts(
        html=mark_safe(figure.html.render()),  # noqa: S308 - folium's markup for the map div, no user data
        script=figure.script.render(),
        js=tuple(_assets(site_map, "default_js")),
        css=tuple(_assets(site_map, "default_css")),
        map_name=site_map.get_name(),
        cluster_name=cluster.get_name(),
    )


@cache
def outline_urls() -> tuple[str, str] | None:
    """Static URLs of the country outlines and their decoder, when the npm packages are installed."""
    if finders.find(OUTLINES_STATIC) and finders.find(TOPOJSON_STATIC):
        return static(OUTLINES_STATIC), static(TOPOJSON_STATIC)
    return None


def _indexed(values: Iterable[Hashable]) -> tuple[list[int], list[Hashable]]:
    """Each value replaced by its position in a table of the distinct values (in order of appearance)."""
    values = list(values)
    table = {value: i for i, value in enumerate(dict.fromkeys(values))}
    return [table[value] for value in values], list(table)


def _float(field: str) -> ExpressionWrapper:
    """A decimal column read as a float by the database. The wrapper's plain ``Field`` output
    skips Django's per-row Python converters, which at 50k sites cost more than the query."""
    return ExpressionWrapper(Cast(field, FloatField()), output_field=Field())


def site_map_data(sites: QuerySet[Site]) -> dict[str, Any]:
    """The filtered sites as column arrays, in four queries whatever their number.

    Repeated values (enterprise, district and region, kind, precision) are sent once in
    lookup tables and referred to by index; open concerns per level are sent only for
    sites that have any (as ``[site position, low, medium, high, critical]``).
    Built column by column with comprehensions, and names looked up by id rather than
    joined into every row: at 50k sites per-row work in Python costs more than the database.
    """
    sites = sites.order_by()
    open_counts = (
        Concern.objects.open()
        .filter(site__in=sites.values("pk"))
        .order_by()
        .values_list("site_id", "level")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, list[int]] = {}
    for site_id, level, n in open_counts:
        counts.setdefault(site_id, [0] * LEVEL_COUNT)[level - 1] = n
    enterprise_names = dict(
        Enterprise.objects.filter(pk__in=sites.values("enterprise_id")).order_by().values_list("pk", "name")
    )
    places = {
        pk: [district, region]
        for pk, district, region in District.objects.filter(pk__in=sites.values("district_id"))
        .order_by()
        .values_list("pk", "name", "region__name")
    }
    rows = list(
        sites.values_list(
            "pk",
            _float("latitude"),
            _float("longitude"),
            "name",
            "enterprise_id",
            "kind",
            "precision",
            "locality",
            "district_id",
        )
    )
    placed = [row for row in rows if row[1] is not None]
    ids, lats, lngs, names, enterprise_ids, kinds, precisions, localities, district_ids = (
        zip(*placed, strict=True) if placed else [()] * 9
    )
    enterprise_column, enterprise_table = _indexed(enterprise_ids)
    kind_column, kind_table = _indexed(kinds)
    precision_column, precision_table = _indexed(precisions)
    place_column, place_table = _indexed(district_ids)
    position = {pk: i for i, pk in enumerate(ids) if pk in counts}
    return {
        "sites": {
            "id": ids,
            "lat": lats,
            "lng": lngs,
            "name": names,
            "enterprise": enterprise_column,
            "kind": kind_column,
            "precision": precision_column,
            "locality": localities,
            "place": place_column,
            # The highest level among open concerns: the last level with a count; 0 for none.
            "level": [
                max((i + 1 for i, n in enumerate(counts[pk]) if n), default=0) if pk in counts else 0 for pk in ids
            ],
        },
        "concerns": [[position[pk], *counts[pk]] for pk in position],
        "enterprises": [enterprise_names[pk] for pk in enterprise_table],
        "places": [places[pk] for pk in place_table],
        "kinds": kind_table,
        "precisions": precision_table,
        "unplaced": len(rows) - len(placed),
    }
