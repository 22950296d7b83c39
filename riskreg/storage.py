"""Static files storage for production: whitenoise's compressed, hashed files."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hash and compress static files, without rewriting JavaScript source-map comments.

    The vendored Leaflet.markercluster build names a ``.js.map`` file that its package does not
    ship, which makes collectstatic fail; browsers only fetch source maps with developer tools open.
    """

    patterns = tuple((glob, rules) for glob, rules in ManifestStaticFilesStorage.patterns if glob != "*.js")
