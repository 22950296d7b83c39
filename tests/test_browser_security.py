"""In Chromium: admin and the register's pages work under the Content-Security-Policy, and hostile
text entered through admin never executes anywhere."""

import pytest

from riskreg.models import Concern

from .hostile import MIXED, MIXED_2, text_fields, values_for
from .test_hostile_input import models_with_text
from .test_permissions import PROTECTED, url_for

pytestmark = pytest.mark.browser


@pytest.fixture
def dialogs(page):
    """Every alert/confirm/prompt a page opens: any at all means injected script ran."""
    opened = []

    def record(dialog):
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def test_login_page_has_no_csp_violations(seeded, page):
    response = page.goto("/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.console_errors == []


def test_admin_works_under_the_csp(seeded, page, login, dialogs):
    login()
    concern = Concern.objects.order_by("pk").first()
    page.goto("/admin/riskreg/concern/")
    page.get_by_role("link", name="High").first.click()  # a list filter
    page.wait_for_load_state()
    assert "level__exact=3" in page.url
    page.goto(f"/admin/riskreg/concern/{concern.pk}/change/")
    # The enterprise autocomplete is select2, run by admin's JavaScript; it must open and query.
    page.locator("#id_enterprise + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("Gold")
    page.locator(".select2-results__option", has_text="Full Gold Mining").wait_for()
    page.keyboard.press("Escape")
    # Collapsible fieldsets, calendar widgets and "add another" links are scripts too.
    assert page.locator(".datetimeshortcuts").count() > 0
    page.goto(f"/admin/riskreg/concern/{concern.pk}/history/")
    assert page.locator("#change-history").count() == 1
    assert page.console_errors == [], page.console_errors
    assert dialogs == []


def test_text_typed_into_admin_is_stored_exactly(seeded, page, login, dialogs):
    login()
    concern = Concern.objects.order_by("pk").first()
    page.goto(f"/admin/riskreg/concern/{concern.pk}/change/")
    page.fill("#id_title", MIXED)
    page.fill("#id_description", MIXED_2)
    page.click("input[name=_save]")
    page.wait_for_load_state()
    concern.refresh_from_db()
    assert (concern.title, concern.description) == (MIXED, MIXED_2)
    page.goto(f"/admin/riskreg/concern/{concern.pk}/change/")
    assert page.input_value("#id_title") == MIXED
    assert dialogs == [] and page.console_errors == []


def test_hostile_text_everywhere_never_executes(seeded, page, login, dialogs, settings):
    # No map tiles (the offline intranet case): tile requests to the internet would be refused
    # by the test browser and show up as console errors; any CSP violation would too.
    settings.RISKREG_TILE_URL = ""
    for model in models_with_text():
        for obj in model.objects.all():
            for field in text_fields(model):
                value = values_for([field], [f"{obj.pk} {MIXED} {MIXED_2}"])[field.name]
                setattr(obj, field.name, value)
            obj.save()
    login()
    urls = [url_for(name, entry) for name, entry in PROTECTED if not name.startswith("password_")]
    for model in models_with_text():
        obj = model.objects.order_by("pk").first()
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls += [base, f"{base}{obj.pk}/change/"]
        if hasattr(model, "history"):
            urls.append(f"{base}{obj.pk}/history/")
    visited = []
    for url in urls:
        response = page.goto(url)
        page.wait_for_load_state("networkidle")
        visited.append((url, response.status))
    assert all(status == 200 for _url, status in visited), visited
    assert dialogs == [], dialogs
    assert page.console_errors == [], page.console_errors
