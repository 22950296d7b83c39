"""A reader's path through the register in a real browser, without JavaScript of our own."""

import os

import pytest

from riskreg.models import Concern

pytestmark = pytest.mark.browser

# Set RISKREG_SCREENSHOTS=<dir> to keep screenshots of the pages for a look by eye.
SCREENSHOTS = os.environ.get("RISKREG_SCREENSHOTS")


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_from_the_heatmap_to_full_gold_minings_concern(seeded, page, login):
    login()
    page.goto("/")
    snap(page, "dashboard")
    # The seeds put two open concerns at likelihood 3, impact 4 (high).
    cell = page.locator("td.heatmap-cell.level-3 a[href*='likelihood=3&impact=4']")
    assert cell.inner_text() == "2"
    cell.click()
    page.wait_for_load_state()
    assert "/concerns/" in page.url
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    # The filter form shows what is applied: the open statuses are ticked, closed is not.
    assert page.is_checked("input[name=status][value=open]")
    assert not page.is_checked("input[name=status][value=closed]")
    snap(page, "concern_list")

    page.click("text=Security of Full Gold Mining in Ala-Buka district")
    page.wait_for_load_state()
    concern = Concern.objects.get(site__enterprise__name="Full Gold Mining")
    assert page.url.endswith(concern.get_absolute_url())
    body = page.inner_text("main")
    assert "Foreign Minister Kazakbaev receives Chinese Ambassador Du Dewen" in body
    assert "Du Dewen" in body
    assert "Round table with Chinese enterprises, ministries and private sector" in body
    snap(page, "concern_detail")
    assert page.console_errors == []
    assert page.blocked_requests == []


def test_filtering_and_resetting_the_list_with_the_form(seeded, page, login):
    login()
    page.goto("/concerns/")
    assert page.locator("table tbody tr").count() == 3
    page.fill("input[name=q]", "Kaindy")
    page.select_option("select[name=per_page]", "50")
    page.click("text=Apply filters")
    page.wait_for_load_state()
    assert "q=Kaindy" in page.url and "per_page=50" in page.url
    assert page.locator("table tbody tr").count() == 1
    page.click("text=Reset")
    page.wait_for_load_state()
    assert page.locator("table tbody tr").count() == 3
    assert page.console_errors == []
