import os
import shutil

import pytest

from riskreg.seeds import load_seeds

# Playwright's sync API runs an event loop in the test thread; the tests touch the
# database only between browser calls, never concurrently with them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def seeded(db) -> None:
    """The register as the seed article fills it."""
    load_seeds()


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", password="pw-boss-123")
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Skipped only outside CI when it is missing."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI requires Chromium at {CHROMIUM} for the browser tests")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page that may reach only the test server; console errors are collected."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.blocked_requests = []
    page.console_errors = []

    def only_localhost(route):
        url = route.request.url
        if url.startswith(live_server.url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            page.blocked_requests.append(url)
            route.abort()

    context.route("**/*", only_localhost)
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def login(page, django_user_model):
    """Log a user in through the real login form; returns a function taking a user (a superuser by default)."""

    def log_in(user=None):
        if user is None:
            user = django_user_model.objects.create_superuser("browser-admin", password="pw-browser-123")
            password = "pw-browser-123"
        else:
            password = user._test_password
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.get_username())
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return user

    return log_in
