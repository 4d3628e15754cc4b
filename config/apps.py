"""The project's own app configs: deploy checks, and static files as collected here."""

from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig
from django.core import checks


class ConfigConfig(AppConfig):
    default = True  # this module holds more than one app config
    name = "config"
    verbose_name = "Frikommune configuration"

    def ready(self):
        from config.checks import shared_cache_check, static_manifest_check

        checks.register(static_manifest_check, checks.Tags.staticfiles, deploy=True)
        checks.register(shared_cache_check, checks.Tags.caches, deploy=True)


class StaticFilesConfig(DjangoStaticFilesConfig):
    """``django.contrib.staticfiles`` without viewflow's assets.

    viewflow ships the assets of its own Material frontend (124 MB with Plotly, Dash and the
    npm sources of its fonts); no page, e-mail or admin screen here uses one, and its
    ``roboto-fontface.css`` refers to fonts the package does not ship, which stops
    ``collectstatic`` with the manifest storage. So collectstatic leaves the whole folder out;
    a page that started using one would fail in the production smoke (``scripts/smoke.sh``).
    """

    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, "viewflow"]
