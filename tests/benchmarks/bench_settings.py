"""Settings for the server that `make bench` measures: production settings (DEBUG off), except
that static files are served without a hashed manifest, so the bench needs no collectstatic."""

from riskreg.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The bench talks plain HTTP on loopback; production's redirect to HTTPS would answer every
# request with a 301 (the hardening made it the default when DEBUG is off).
SECURE_SSL_REDIRECT = False
