"""Settings for the server that `make bench` measures: production settings (DEBUG off), except
that static files are served without a hashed manifest, so the bench needs no collectstatic."""

from riskreg.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
