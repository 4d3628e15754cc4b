"""Deployment checks (``manage.py check --deploy``)."""

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.finders import FileSystemFinder
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core import checks


def static_manifest_check(app_configs=None, **kwargs):
    """With DEBUG off and hashed static names, every page needs the manifest collectstatic
    writes: without it (or without an entry for one of this project's files) pages answer 500.
    """
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    manifest = f"{settings.STATIC_ROOT}/{staticfiles_storage.manifest_name}"
    if staticfiles_storage.read_manifest() is None:
        return [
            checks.Error(
                f"No static files manifest at {manifest}: with DEBUG off every page fails.",
                hint="Run `manage.py collectstatic --noinput` with the same STATIC_ROOT "
                "(scripts/serve.sh does) before starting the server.",
                id="frikommune.E001",
            )
        ]
    collected, _ = staticfiles_storage.load_manifest()
    ignore_patterns = apps.get_app_config("staticfiles").ignore_patterns
    own = {path for path, _ in FileSystemFinder().list(ignore_patterns)}
    missing = sorted(own - set(collected))
    if missing:
        return [
            checks.Error(
                f"The static files manifest {manifest} lacks {len(missing)} of this project's "
                f"files ({', '.join(missing[:5])}): pages that use them fail.",
                hint="collectstatic was not run after they were added; run it again.",
                id="frikommune.E002",
            )
        ]
    return []


PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def shared_cache_check(app_configs=None, **kwargs):
    """The API throttle and the page caches count in the default cache: kept in one process's
    memory, every gunicorn worker counts for itself and a client gets the limit once per worker.
    """
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            f"The default cache ({backend}) is not shared between workers: throttle limits and "
            "cached pages are per process.",
            hint="Set CACHE_BACKEND=django.core.cache.backends.redis.RedisCache and "
            "CACHE_LOCATION=redis://127.0.0.1:6379/1 (README, Production).",
            id="frikommune.W001",
        )
    ]
