"""Production mode: static files collected with hashed names, the deploy checks, and the public
API throttle counting real client addresses in a cache every worker shares.

The whole site served by gunicorn in production mode is tested by ``scripts/smoke.sh`` in CI.
"""

import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory
from rest_framework.request import Request

from config.checks import shared_cache_check, static_manifest_check
from tests import test_security as security
from trials.public.api.views import PublicRateThrottle

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
REDIS_URL = "redis://127.0.0.1:6379/0"
JOURNAL_API = "/api/v1/public/journal/"


def production_environment(**overrides) -> dict[str, str]:
    """What README's "Production" section tells an operator to set."""
    return security.production_environment(
        CACHE_BACKEND="django.core.cache.backends.redis.RedisCache",
        CACHE_LOCATION="redis://127.0.0.1:6379/1",
        TRUSTED_PROXY_COUNT="1",
        **overrides,
    )


run_manage = security.run_manage


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """collectstatic as serve.sh runs it, with the production storage, into a fresh folder."""
    root = tmp_path_factory.mktemp("static")
    result = run_manage(
        "collectstatic", "--noinput", environment=production_environment(STATIC_ROOT=str(root))
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def manifest_paths(root: Path) -> dict[str, str]:
    return json.loads((root / "staticfiles.json").read_text(encoding="utf-8"))["paths"]


# --- static files ----------------------------------------------------------------------------


def test_collectstatic_hashes_the_sites_and_the_api_docs_assets(static_root):
    paths = manifest_paths(static_root)
    assert paths["css/frikommune.css"].startswith("css/frikommune.")
    assert (static_root / paths["css/frikommune.css"]).is_file()
    for vendored in ("designsystemet.css", "theme-digdir.css"):  # Designsystemet, no CDN
        hashed = paths[f"vendor/designsystemet/{vendored}"]
        assert hashed != f"vendor/designsystemet/{vendored}"
        assert (static_root / hashed).is_file()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in paths
    assert "admin/css/base.css" in paths
    # viewflow's frontend, which no page uses, is left out (it refers to fonts it lacks).
    assert not any(path.startswith("viewflow/") for path in paths)


@pytest.mark.django_db
def test_pages_link_the_hashed_stylesheet_with_debug_off(client, settings, static_root):
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    response = client.get("/")
    assert response.status_code == 200
    stylesheet = manifest_paths(static_root)["css/frikommune.css"]
    assert f'href="/static/{stylesheet}"' in response.content.decode()


def test_production_settings_pass_check_deploy_without_warnings(static_root):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environment=production_environment(STATIC_ROOT=str(static_root)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_static_files_were_not_collected(tmp_path):
    result = run_manage(
        "check", "--deploy", environment=production_environment(STATIC_ROOT=str(tmp_path))
    )
    assert result.returncode != 0
    assert "frikommune.E001" in result.stderr
    assert "collectstatic" in result.stderr


def test_the_manifest_check_names_files_added_since_collectstatic(settings, tmp_path, static_root):
    manifest = json.loads((static_root / "staticfiles.json").read_text(encoding="utf-8"))
    del manifest["paths"]["css/frikommune.css"]
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest), encoding="utf-8")
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    [error] = static_manifest_check()
    assert error.id == "frikommune.E002"
    assert "css/frikommune.css" in error.msg
    settings.STATIC_ROOT = static_root
    assert static_manifest_check() == []


def test_the_manifest_check_is_silent_in_development(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    settings.DEBUG = True
    assert static_manifest_check() == []


def test_a_per_process_cache_is_a_deploy_warning(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    [warning] = shared_cache_check()
    assert warning.id == "frikommune.W001"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    assert shared_cache_check() == []


# --- the public API throttle -----------------------------------------------------------------


@pytest.fixture
def throttled(settings, mid_minute):
    """Two requests a minute per client; ``throttled(proxies=1)`` as TRUSTED_PROXY_COUNT=1."""
    cache.clear()

    def throttle(**extra) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "600/minute"},
            **({"NUM_PROXIES": extra["proxies"]} if "proxies" in extra else {}),
        }

    yield throttle
    cache.clear()


def status(client, *, remote: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.get(JOURNAL_API, REMOTE_ADDR=remote, headers=headers).status_code


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_escape_the_limit_without_proxies(client, throttled):
    throttled()  # the settings as they are: no TRUSTED_PROXY_COUNT set
    answers = [status(client, remote="192.0.2.10", forwarded=f"198.51.100.{n}") for n in range(3)]
    assert answers == [200, 200, 429]
    assert status(client, remote="192.0.2.11", forwarded="198.51.100.0") == 200


@pytest.mark.django_db
def test_behind_one_proxy_the_address_the_proxy_appended_is_the_client(client, throttled):
    throttled(proxies=1)
    proxy = "10.0.0.2"
    answers = [
        status(client, remote=proxy, forwarded=f"198.51.100.{n}, 203.0.113.7") for n in range(3)
    ]
    assert answers == [200, 200, 429]
    assert status(client, remote=proxy, forwarded="203.0.113.8") == 200


def test_the_trusted_proxy_count_sets_the_throttles_proxies_and_the_https_header():
    code = (
        "from django.conf import settings as s; "
        "print(s.REST_FRAMEWORK['NUM_PROXIES'], s.SECURE_PROXY_SSL_HEADER)"
    )
    environment = production_environment(DJANGO_SETTINGS_MODULE="config.settings")
    for count, expected in [
        ("0", "0 None"),
        ("2", "2 ('HTTP_X_FORWARDED_PROTO', 'https')"),
    ]:
        result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env={**environment, "TRUSTED_PROXY_COUNT": count},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip() == expected, result.stderr


@pytest.fixture
def redis_caches():
    """Two separate connections to the Redis on 127.0.0.1:6379, as two gunicorn workers have,
    under a key prefix of this test's own (other processes may use the same server)."""
    prefix = f"frikommune-test-{uuid.uuid4().hex}"
    connections = [RedisCache(REDIS_URL, {"KEY_PREFIX": prefix}) for _ in range(2)]
    try:
        connections[0].get("ping")
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        pytest.skip(f"needs Redis at {REDIS_URL} (CI and the dev machines run one): {exc}")
    yield connections
    client = connections[0]._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def worker_throttle(connection) -> PublicRateThrottle:
    throttle = PublicRateThrottle()
    throttle.cache = connection
    return throttle


def anonymous_request(address: str) -> Request:
    request = Request(RequestFactory().get(JOURNAL_API, REMOTE_ADDR=address))
    request.user = AnonymousUser()
    return request


@pytest.fixture
def rate_of(settings):
    def set_rate(rate: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": rate, "user": "600/minute"},
        }

    return set_rate


def test_workers_share_one_count_in_redis(redis_caches, rate_of):
    rate_of("3/minute")
    first, second = redis_caches
    allowed = []
    for connection in [first, second, first, second, first]:
        throttle = worker_throttle(connection)
        allowed.append(throttle.allow_request(anonymous_request("192.0.2.20"), view=None))
    assert allowed == [True, True, True, False, False]


def test_concurrent_requests_in_redis_never_pass_the_limit(redis_caches, rate_of):
    """DRF's own throttle reads the history, appends and writes it back: requests arriving
    together each write back their own list and the count is lost. One INCR is atomic."""
    rate_of("10/minute")
    allowed = []
    barrier = threading.Barrier(8)

    def worker(connection):
        barrier.wait()
        for _ in range(5):
            throttle = worker_throttle(connection)
            allowed.append(throttle.allow_request(anonymous_request("192.0.2.30"), view=None))

    threads = [threading.Thread(target=worker, args=(redis_caches[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 40
    assert allowed.count(True) == 10
