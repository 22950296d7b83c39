"""The site map in Chromium, with every request outside the test server blocked."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from riskreg.maps import outline_urls
from riskreg.models import District, Enterprise, Site

pytestmark = pytest.mark.browser

MINE = "Full Gold Mining gold mine"
PLANT = "Plastics and cable plant, Kaindy"
HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>`${alert(3)}`\u2028\\' \" &amp;"
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'"


@pytest.fixture
def offline_tiles(settings):
    # No tile layer: the intranet case. (Tiles that cannot be reached are tested separately.)
    settings.RISKREG_TILE_URL = ""


def open_map(page, query: str = "", count: int = 2) -> None:
    page.goto(f"/map/{query}")
    expect(page.locator("#site-map-status")).to_have_text(f"Sites shown: {count}.")


def screen_point(page, lat: float, lng: float) -> tuple[float, float]:
    """Where a coordinate is on the screen, asked of the Leaflet map itself."""
    return page.evaluate(
        """([lat, lng]) => {
            const map = window[document.getElementById("site-map").dataset.mapName];
            const point = map.latLngToContainerPoint([lat, lng]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + point.x, box.top + point.y];
        }""",
        [lat, lng],
    )


def click_site(page, site: Site):
    page.mouse.click(*screen_point(page, float(site.latitude), float(site.longitude)))
    # A popup opened before fades out: wait until this one is the only one.
    expect(page.locator(".leaflet-popup")).to_have_count(1)
    popup = page.locator(".leaflet-popup-content .site-popup")
    expect(popup).to_be_visible()
    return popup


def test_map_shows_the_seeded_sites_with_popups(seeded, offline_tiles, page, login):
    login()
    open_map(page)
    mine = Site.objects.get(name=MINE)
    popup = click_site(page, mine)
    expect(popup.locator(".site-popup-name")).to_have_text(MINE)
    expect(popup.locator(".site-popup-enterprise")).to_have_text("Full Gold Mining")
    expect(popup.locator(".site-popup-kind")).to_have_text("Mine")
    expect(popup.locator(".site-popup-place")).to_have_text("Ala-Buka District, Jalal-Abad Region")
    expect(popup.locator(".site-popup-approximate")).to_have_text(
        "Approximate location: the point stands for the district."
    )
    expect(popup.locator(".site-popup-level")).to_have_text(["High: 1"])

    plant = Site.objects.get(name=PLANT)
    popup = click_site(page, plant)
    expect(popup.locator(".site-popup-name")).to_have_text(PLANT)
    expect(popup.locator(".site-popup-place")).to_have_text("Kaindy, Panfilov District, Chui Region")
    expect(popup.locator(".site-popup-approximate")).to_have_count(0)

    popup.locator("a.site-popup-link").click()
    page.wait_for_url(f"**{plant.get_absolute_url()}")
    expect(page.locator("h1")).to_contain_text(PLANT)
    assert page.console_errors == []
    assert page.blocked_requests == []


def test_a_filter_changes_the_markers(seeded, offline_tiles, page, login):
    login()
    open_map(page)
    page.select_option("select[name=kind]", "mine")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/map/?*kind=mine*")
    expect(page.locator("#site-map-status")).to_have_text("Sites shown: 1.")
    # The plant is gone: clicking where it was opens nothing; the mine still has its popup.
    plant = Site.objects.get(name=PLANT)
    page.mouse.click(*screen_point(page, float(plant.latitude), float(plant.longitude)))
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    popup = click_site(page, Site.objects.get(name=MINE))
    expect(popup.locator(".site-popup-name")).to_have_text(MINE)
    # And back to the list with the same filters.
    page.locator("a.site-map-list-link").click()
    page.wait_for_url("**/sites/?*kind=mine*")
    expect(page.locator("table")).to_contain_text(MINE)
    expect(page.locator("table")).not_to_contain_text(PLANT)
    page.locator("a.site-list-map-link").click()
    expect(page.locator("#site-map-status")).to_have_text("Sites shown: 1.")
    assert page.console_errors == []


def test_hostile_names_display_as_text_and_never_run(seeded, offline_tiles, page, login):
    enterprise = Enterprise.objects.create(name=HOSTILE, origin_country="CN", sector="mining")
    site = Site.objects.create(
        enterprise=enterprise,
        name=HOSTILE,
        kind="mine",
        district=District.objects.get(name="Ala-Buka District"),
        locality=HOSTILE,
        latitude=Decimal("42.500000"),
        longitude=Decimal("76.500000"),
        precision="exact",
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login()
    open_map(page, count=3)
    point = screen_point(page, 42.5, 76.5)
    page.mouse.move(*point)
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_be_visible()
    assert tooltip.text_content() == HOSTILE
    popup = click_site(page, site)
    assert popup.locator(".site-popup-name").text_content() == HOSTILE
    assert popup.locator(".site-popup-enterprise").text_content() == HOSTILE
    assert popup.locator(".site-popup-place").text_content().startswith(HOSTILE + ", Ala-Buka District")
    # No element was made from the names: the only images are Leaflet's own.
    assert page.locator(".leaflet-popup img, .leaflet-tooltip img, .leaflet-popup script").count() == 0
    assert dialogs == []
    assert page.console_errors == []
    assert page.blocked_requests == []


def test_map_works_under_a_strict_content_security_policy(seeded, offline_tiles, page, login):
    def with_csp(route):
        if route.request.resource_type != "document":
            route.fallback()
            return
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.route(re.compile(r".*/map/.*"), with_csp)
    login()
    with page.expect_response(re.compile(r".*/map/$")) as document:
        open_map(page)
    assert document.value.headers["content-security-policy"] == CSP
    popup = click_site(page, Site.objects.get(name=PLANT))
    expect(popup.locator(".site-popup-name")).to_have_text(PLANT)
    # A violation of the policy (an inline script or style) would show as a console error.
    assert page.console_errors == []


def test_unreachable_tiles_leave_the_map_working(seeded, settings, page, login):
    settings.RISKREG_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    login()
    open_map(page)
    popup = click_site(page, Site.objects.get(name=MINE))
    expect(popup.locator(".site-popup-name")).to_have_text(MINE)
    # The only requests that left the test server were for tiles, and they were refused.
    assert page.blocked_requests
    assert all(url.startswith("https://tile.openstreetmap.org/") for url in page.blocked_requests)
    assert all("Failed to load resource" in error for error in page.console_errors)


def test_country_outlines_load_from_static_files(seeded, offline_tiles, page, login):
    if outline_urls() is None:
        pytest.skip("country outlines need the npm packages that `make install` fetches (npm ci)")
    login()
    outlines = []
    page.on("response", lambda response: "world-atlas" in response.url and outlines.append(response.status))
    open_map(page)
    # A locator, not wait_for_function: the CSP forbids the eval that a string predicate needs.
    page.locator(".leaflet-outlines-pane canvas").wait_for(state="attached")
    assert outlines == [200]
    assert page.console_errors == []
