import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riskreg.models import Concern, District, Enterprise, Site

pytestmark = pytest.mark.django_db

PAGES = ["site_map", "site_map_data", "site_map_script"]
HOSTILE = "<img src=x onerror=alert(1)></script>`${alert(2)}`\u2028\\"


@pytest.fixture
def viewer(client, django_user_model):
    """A logged-in user with only the permission to view sites."""
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-123")
    user.user_permissions.add(Permission.objects.get(codename="view_site"))
    client.force_login(user)
    return client


def map_data(client, query: str = "") -> dict:
    response = client.get(reverse("site_map_data") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def sites_by_name(data: dict) -> dict[str, dict]:
    """The column arrays turned back into one record per site, keyed by name."""
    sites = data["sites"]
    concerns = {row[0]: row[1:] for row in data["concerns"]}
    records = {}
    for i, name in enumerate(sites["name"]):
        district, region = data["places"][sites["place"][i]]
        records[name] = {
            "id": sites["id"][i],
            "lat": sites["lat"][i],
            "lng": sites["lng"][i],
            "enterprise": data["enterprises"][sites["enterprise"][i]],
            "kind": data["kinds"][sites["kind"][i]],
            "precision": data["precisions"][sites["precision"][i]],
            "locality": sites["locality"][i],
            "district": district,
            "region": region,
            "level": sites["level"][i],
            "open_by_level": concerns.get(i, [0, 0, 0, 0]),
        }
    return records


def add_sites(count: int, *, prefix: str = "Extra", lat: str = "42.0", lng: str = "74.0", **fields) -> list[Site]:
    district = District.objects.get(name="Ala-Buka District")
    enterprise, _ = Enterprise.objects.get_or_create(
        name=f"{prefix} enterprise", defaults={"origin_country": "CN", "sector": "mining"}
    )
    fields = {"kind": "office", "precision": "exact", **fields}
    return [
        Site.objects.create(
            enterprise=enterprise,
            name=f"{prefix} site {n}",
            district=district,
            latitude=Decimal(lat),
            longitude=Decimal(lng),
            **fields,
        )
        for n in range(count)
    ]


def add_concern(site: Site, likelihood: int, impact: int, status: str = "open") -> Concern:
    return Concern.objects.create(
        title=f"Concern at {site.name}",
        site=site,
        category="property",
        raised_on="2020-01-01",
        likelihood=likelihood,
        impact=impact,
        status=status,
        closure_reason="Resolved" if status == "closed" else "",
    )


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_users_without_the_site_permission_are_refused(client, django_user_model, name):
    client.force_login(django_user_model.objects.create_user("nobody", password="pw-nobody-123"))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_users_with_the_site_permission_see_the_map(viewer, name):
    assert viewer.get(reverse(name)).status_code == 200


def test_data_describes_the_seeded_sites(seeded, viewer):
    sites = sites_by_name(map_data(viewer))
    assert set(sites) == {"Full Gold Mining gold mine", "Plastics and cable plant, Kaindy"}
    mine = sites["Full Gold Mining gold mine"]
    assert mine["id"] == Site.objects.get(name="Full Gold Mining gold mine").pk
    assert (mine["lat"], mine["lng"]) == (41.4, 71.42)
    assert mine["enterprise"] == "Full Gold Mining"
    assert (mine["kind"], mine["precision"]) == ("mine", "district")
    assert (mine["district"], mine["region"]) == ("Ala-Buka District", "Jalal-Abad Region")
    # One open concern of likelihood 3 × impact 4 = 12: high.
    assert mine["level"] == 3
    assert mine["open_by_level"] == [0, 0, 1, 0]
    plant = sites["Plastics and cable plant, Kaindy"]
    assert (plant["locality"], plant["precision"], plant["district"]) == ("Kaindy", "locality", "Panfilov District")


def test_level_is_the_highest_among_open_concerns_only(seeded, viewer):
    [site] = add_sites(1)
    add_concern(site, 1, 2)  # low
    add_concern(site, 2, 3)  # medium
    add_concern(site, 5, 5, status="closed")  # critical, but closed
    record = sites_by_name(map_data(viewer))["Extra site 0"]
    assert record["level"] == 2
    assert record["open_by_level"] == [1, 1, 0, 0]
    add_sites(1, prefix="Quiet")
    assert sites_by_name(map_data(viewer))["Quiet site 0"]["level"] == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?kind=mine", {"Full Gold Mining gold mine"}),
        ("?q=kaindy", {"Plastics and cable plant, Kaindy"}),
        ("?precision=district", {"Full Gold Mining gold mine"}),
        ("?sector=manufacturing", {"Plastics and cable plant, Kaindy"}),
        ("?level=3", {"Full Gold Mining gold mine", "Plastics and cable plant, Kaindy"}),
        ("?level=4", set()),
        ("?origin_country=CN&kind=plant", {"Plastics and cable plant, Kaindy"}),
        # An invalid filter shows nothing rather than everything, as on the list.
        ("?region=999999", set()),
    ],
)
def test_data_takes_the_site_list_filters(seeded, viewer, query, expected):
    assert set(sites_by_name(map_data(viewer, query))) == expected


def test_region_and_district_filters(seeded, viewer):
    district = District.objects.get(name="Panfilov District")
    by_district = sites_by_name(map_data(viewer, f"?district={district.pk}"))
    by_region = sites_by_name(map_data(viewer, f"?region={district.region_id}"))
    assert set(by_district) == set(by_region) == {"Plastics and cable plant, Kaindy"}


def test_sites_without_coordinates_are_counted_not_drawn(seeded, viewer):
    add_sites(2, prefix="Unplaced", lat="0", lng="0")
    Site.objects.filter(name__startswith="Unplaced").update(latitude=None, longitude=None)
    data = map_data(viewer)
    assert data["unplaced"] == 2
    assert len(data["sites"]["id"]) == 2


def test_names_travel_as_json_text(seeded, viewer):
    add_sites(1, prefix=HOSTILE)
    response = viewer.get(reverse("site_map_data"))
    assert json.loads(response.content)["enterprises"][-1] == f"{HOSTILE} enterprise"
    # No raw markup in the payload either (Django's JSON encoder leaves < alone, which is
    # fine for a JSON response; this guards against anyone switching it to text/html).
    assert response["Content-Type"] == "application/json"


def test_data_is_compressed_when_the_browser_accepts_it(seeded, viewer):
    add_sites(300)
    response = viewer.get(reverse("site_map_data"), headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("extra", [5, 60])
def test_data_takes_a_fixed_number_of_queries(seeded, admin_client, django_assert_num_queries, extra):
    for site in add_sites(extra):
        add_concern(site, 3, 3)
    # Session, user; open concerns per site and level, enterprise names, districts, the sites.
    with django_assert_num_queries(6):
        data = map_data(admin_client, "?kind=office&level=2")
    assert len(data["sites"]["id"]) == extra


def test_page_query_count_does_not_grow(seeded, admin_client):
    add_sites(3)
    with CaptureQueriesContext(connection) as small:
        admin_client.get(reverse("site_map"))
    add_sites(50, prefix="More")
    with CaptureQueriesContext(connection) as large:
        admin_client.get(reverse("site_map"))
    assert len(large) == len(small)


def page_and_script(client) -> tuple[str, str]:
    page = client.get(reverse("site_map")).content.decode()
    script_url = re.search(r'<script src="([^"]*map\.js[^"]*)"', page).group(1)
    return page, client.get(script_url).content.decode()


def test_page_links_only_local_assets_and_the_tile_server(seeded, admin_client, settings):
    settings.RISKREG_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    page, script = page_and_script(admin_client)
    external = set(re.findall(r"https?://[^\s\"'<>)]+", page + script))
    assert external == {settings.RISKREG_TILE_URL}
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith("/"), url
    assert 'src="/static/vendor/leaflet/leaflet.js"' in page
    assert 'href="/static/vendor/leaflet-markercluster/MarkerCluster.css"' in page
    assert "L.tileLayer" in script


def test_without_a_tile_url_there_is_no_tile_layer(seeded, admin_client, settings):
    settings.RISKREG_TILE_URL = ""
    page, script = page_and_script(admin_client)
    assert "L.tileLayer" not in script
    assert "L.markerClusterGroup" in script
    assert not re.search(r"https?://", page + script)


def test_page_has_no_inline_script_or_style_and_keeps_the_layout(seeded, admin_client):
    page, _script = page_and_script(admin_client)
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "<style" not in page
    assert not re.search(r"\son[a-z]+=", page)
    # folium's header (a CSS reset of html and body, inline scripts) is not copied into the page.
    assert "html, body" not in page
    assert "L_NO_TOUCH" not in page
    # Inside the site layout, with the folium map's element.
    assert 'class="navbar' in page
    assert 'class="folium-map" id="map_riskreg"' in page


def test_page_carries_the_query_to_the_data_and_keeps_the_filters(seeded, admin_client):
    page = admin_client.get(reverse("site_map") + "?kind=mine&q=gold").content.decode()
    assert 'data-data-url="/map/data.json?kind=mine&amp;q=gold"' in page
    assert re.search(r'<option value="mine" selected>', page)
    assert 'value="gold"' in page


def test_map_link_in_the_navigation(seeded, admin_client):
    page = admin_client.get(reverse("site_map")).content.decode()
    assert f'href="{reverse("site_map")}"' in page


def test_site_list_and_map_link_to_each_other_with_the_same_query(seeded, admin_client):
    query = "kind=mine&q=gold"
    listing = admin_client.get(reverse("site_list") + "?" + query).content.decode()
    assert f'href="{reverse("site_map")}?kind=mine&amp;q=gold"' in listing
    page = admin_client.get(reverse("site_map") + "?" + query).content.decode()
    assert f'href="{reverse("site_list")}?kind=mine&amp;q=gold"' in page
