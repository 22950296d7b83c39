"""Settings for riskreg, read from the environment (twelve-factor style).

Development needs no configuration at all: SQLite at ./db.sqlite3, DEBUG on and a
throw-away secret key. Production sets DJANGO_DEBUG=0 and the variables listed in
the README; the app then refuses to start without a real secret key.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
import xstatic.pkg.bootstrap
import xstatic.pkg.jquery
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The fallback key exists so that a fresh clone runs; it is never good for production.
DEV_SECRET_KEY = "dev-only-insecure-key"  # noqa: S105 - refused below when DEBUG is off
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="" if not DEBUG else DEV_SECRET_KEY)
if not SECRET_KEY or (not DEBUG and SECRET_KEY == DEV_SECRET_KEY):
    raise environ.ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a secret value when DJANGO_DEBUG=0")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_filters",
    "django_tables2",
    "simple_history",
    "axes",
    "csp",
    "concurrency",
    "riskreg",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # A save that loses the optimistic-locking race after validation gets a clear 409 page.
    "concurrency.middleware.ConcurrencyMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "riskreg.urls"
WSGI_APPLICATION = "riskreg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Reuse connections between requests and check them before use, so a restarted
# database server costs one failed request at most, not a broken worker.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# SQLite only, off by default: read the file through a memory map of this many bytes instead of
# a read() call per page. At a million concerns 2**30 makes list pages about a third faster
# (README, Performance), but every mapped page that a worker touched counts in its RSS.
SQLITE_MMAP_SIZE = env.int("RISKREG_SQLITE_MMAP_SIZE", default=0)
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and SQLITE_MMAP_SIZE:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("init_command", f"PRAGMA mmap_size={SQLITE_MMAP_SIZE}")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# One cache for every worker process and host (the app keeps no state of its own): a table in the
# register's database, created by migration 0003. It holds the dashboard's counts (dashboard.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "riskreg_cache",
    }
}
# dumpdata/loaddata JSON that keeps datetimes to the microsecond (backups of the history tables).
SERIALIZATION_MODULES = {"json": "riskreg.backup"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses further attempts once the limit is reached.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("ky", _("Kyrgyz"))]
LOCALE_PATHS = [BASE_DIR / "riskreg" / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Bishkek")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party assets come from pinned XStatic packages, served as our own static files.
STATICFILES_DIRS = [
    ("vendor/bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
    ("vendor/jquery", xstatic.pkg.jquery.BASE_DIR),
    ("vendor/leaflet", xstatic.pkg.leaflet.BASE_DIR),
    ("vendor/leaflet-markercluster", xstatic.pkg.leaflet_markercluster.BASE_DIR),
]
# Country outlines for the map's offline base layer come from pinned npm packages that
# `make install` fetches into node_modules/ (see package.json); the map works without them.
NPM_ASSETS = {
    "vendor/world-atlas": BASE_DIR / "node_modules" / "world-atlas",
    "vendor/topojson-client": BASE_DIR / "node_modules" / "topojson-client" / "dist",
}
STATICFILES_DIRS += [(prefix, path) for prefix, path in NPM_ASSETS.items() if path.is_dir()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "riskreg.storage.StaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-striped table-hover align-middle"}

# Tiles for the site map; empty disables the tile layer (offline intranets).
RISKREG_TILE_URL = env.str("RISKREG_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
# Shown in the map's corner as the tile provider asks; plain text (Leaflet inserts it as HTML).
RISKREG_TILE_ATTRIBUTION = env.str("RISKREG_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")

# --- Security --------------------------------------------------------------------------
# Everything below tightens only in production (DJANGO_DEBUG=0), so `make run` keeps working
# over plain HTTP on a laptop. `manage.py check --deploy` is clean with the defaults.

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients),
# set DJANGO_SECURE_PROXY_SSL_HEADER=1 so Django knows the request came in over HTTPS.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)  # one working day
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

CONCURRENCY_HANDLER409 = "riskreg.locking.conflict"

# Login throttling: after AXES_FAILURE_LIMIT failed attempts for one username from one
# address, further attempts are refused with the lockout page until the cool-off ends.
AXES_FAILURE_LIMIT = env.int("DJANGO_AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"


def tile_source(url: str) -> list[str]:
    """The CSP source for the map tile server: scheme and host of RISKREG_TILE_URL,
    with Leaflet's {s} subdomain placeholder widened to a wildcard."""
    if not url:
        return []
    parts = urlsplit(url.replace("{s}.", "*."))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


# Content-Security-Policy: no inline script anywhere (the map's script is served from a URL).
# Leaflet and folium put style="" attributes on elements, so inline style *attributes* are
# allowed; inline <style> elements are not, unless they carry the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", *tile_source(RISKREG_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Errors go to stderr, where gunicorn and the service manager collect them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
