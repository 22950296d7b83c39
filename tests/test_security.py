"""Production settings, error pages, login throttling and the Content-Security-Policy header."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from riskreg.settings import DEV_SECRET_KEY, tile_source

ROOT = Path(__file__).resolve().parent.parent


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="riskreg.example.org",
        DATABASE_URL="sqlite:///:memory:",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_is_clean_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_flags_a_disabled_ssl_redirect():
    """The switch for a proxy that redirects by itself is visible to the deploy check."""
    result = manage("check", "--deploy", env=production_env(DJANGO_SECURE_SSL_REDIRECT="0"))
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize("key", [None, "", "dev-only-insecure-key"])
def test_production_refuses_to_start_without_a_secret_key(key):
    env = production_env()
    if key is None:
        del env["DJANGO_SECRET_KEY"]
    else:
        env["DJANGO_SECRET_KEY"] = key
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_development_needs_no_configuration():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DATABASE_URL"] = "sqlite:///:memory:"
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr


# A secret-looking literal of 20+ characters assigned to a secret key variable.
SECRET_LITERAL = re.compile(r"SECRET_KEY[\"']?\s*[=:]\s*[\"']?[\w!@#$%^&*()+/=-]{20,}")


# Keys that say what they are: the development default and throw-away keys of benchmarks.
PLACEHOLDER = re.compile(rf"{re.escape(DEV_SECRET_KEY)}|not-a-secret|insecure")


def test_no_secret_key_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [name for name in tracked if Path(name).name.startswith(".env")]
    for name in tracked:
        path = ROOT / name
        if path.is_file() and path.suffix not in {".png", ".ico", ".gz", ".woff", ".woff2"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            found = [m.group() for m in SECRET_LITERAL.finditer(text) if not PLACEHOLDER.search(m.group())]
            assert not found, (name, found)


def test_production_cookies_and_hsts_headers():
    """Run requests through the production settings in a subprocess and read the headers."""
    script = (
        "import django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE','riskreg.settings');django.setup();"
        "from django.conf import settings as s;"
        "from django.test import Client;"
        "r=Client(HTTP_HOST='riskreg.example.org').get('/', secure=True);"
        "print(r.status_code, r.headers.get('Strict-Transport-Security'));"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY);"
        "r=Client(HTTP_HOST='riskreg.example.org').get('/accounts/login/');"
        "print(r.status_code, r.headers.get('Location'))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "302 max-age=31536000; includeSubDomains; preload",
        "True True True",
        "301 https://riskreg.example.org/accounts/login/",
    ]


# --- error pages --------------------------------------------------------------------------


@override_settings(DEBUG=False)
def test_404_page_leaks_nothing(db, admin_client):
    response = admin_client.get("/no-such-page/<script>x</script>")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text
    assert "<script>x" not in text
    assert "urls.py" not in text and "URLconf" not in text and "Traceback" not in text


@override_settings(DEBUG=False)
def test_403_page_leaks_nothing(db, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="pw-nobody-123", is_staff=False)
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory
    from django.views import defaults

    request = RequestFactory().get("/x")
    request.user = user
    response = defaults.permission_denied(request, PermissionDenied("secret internal reason"))
    assert response.status_code == 403
    text = response.content.decode()
    assert "Access denied" in text and "secret internal reason" not in text


@override_settings(DEBUG=False)
def test_500_page_leaks_nothing():
    from django.test import RequestFactory
    from django.views import defaults

    response = defaults.server_error(RequestFactory().get("/x"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "Server error" in text
    assert "Traceback" not in text and "SECRET" not in text and "settings" not in text


# --- login throttling ---------------------------------------------------------------------


def test_login_is_locked_after_five_failures(db, client, django_user_model):
    django_user_model.objects.create_user("analyst", password="right-password-123")
    url = reverse("login")
    for _attempt in range(5):
        response = client.post(url, {"username": "analyst", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Even the right password is refused now, so guessing cannot go on.
    response = client.post(url, {"username": "analyst", "password": "right-password-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_four_failures_then_the_right_password_logs_in(db, client, django_user_model):
    django_user_model.objects.create_user("analyst", password="right-password-123")
    url = reverse("login")
    for _attempt in range(4):
        assert client.post(url, {"username": "analyst", "password": "wrong"}).status_code == 200
    response = client.post(url, {"username": "analyst", "password": "right-password-123"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_lockout_of_one_user_does_not_lock_another(db, client, django_user_model):
    django_user_model.objects.create_user("other", password="other-password-123")
    url = reverse("login")
    for _attempt in range(5):
        client.post(url, {"username": "victim", "password": "wrong"})
    response = client.post(url, {"username": "other", "password": "other-password-123"})
    assert response.status_code == 302


# --- Content-Security-Policy --------------------------------------------------------------


def test_csp_header_forbids_inline_scripts(db, client):
    policy = client.get(reverse("login")).headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["style-src-attr"] == ["'unsafe-inline'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_csp_allows_the_tile_server_for_images():
    assert tile_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == ["https://tile.openstreetmap.org"]
    assert tile_source("https://{s}.tiles.example.org/{z}/{x}/{y}.png") == ["https://*.tiles.example.org"]
    assert tile_source("") == []
