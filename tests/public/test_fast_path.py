"""The early path (casework.fastpath): with a shared cache (Redis) a kept public answer is
served to an anonymous reader without the database, and it is exactly what the full path
answers (headers, cookies, CSRF token, 304s, the API's throttle); a write shows on the next
request; with a per-process cache the early path is off."""

import re
import uuid

import pytest
import redis
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection, transaction
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import fastpath
from legal.models import Provision
from trials.models import Application

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACT = "/lover/LOV-2023-06-09-30/"
PAGES = [
    "/",
    "/soknader/",
    "/soknader/?q=skole",
    "/soknader/?county=34&status=approved&sort=decided",
    "/soknader/{reference}/",
    "/journal/",
    "/unntak/",
    ACT,
    "/statistikk/",
    "/kommuner/3405/",
    "/soknader/feed/nye/",
]
API = ["/api/v1/public/applications/", "/api/v1/public/exemptions/?page_size=5"]


@pytest.fixture
def shared_cache(settings):
    """The default cache in Redis (as in production), under a key prefix of this test's own;
    skipped where no Redis runs (CI and the dev machines run one at 127.0.0.1:6379)."""
    prefix = f"frikommune-test-fast-{uuid.uuid4().hex}"
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        pytest.skip(f"needs Redis at {REDIS_URL} (CI and the dev machines run one): {exc}")
    settings.CACHES = {
        "default": {
            "BACKEND": "casework.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    assert fastpath.cache_is_shared()
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def full_path(monkeypatch):
    """``with full_path():`` requests answered the full way (the early path off)."""

    class Switch:
        def __enter__(self):
            monkeypatch.setattr(fastpath, "cache_is_shared", lambda: False)

        def __exit__(self, *exc):
            monkeypatch.undo()

    return Switch


def queries_of(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries)


def _comparable(response) -> dict:
    """Everything an answer says except what differs per request (the request id, the
    CSRF token's value, the throttle's remaining count)."""
    headers = {
        name: value
        for name, value in response.items()
        if name not in ("X-Request-ID", "X-RateLimit-Remaining")
    }
    cookies = {
        name: {key: value for key, value in morsel.items() if key != "expires"}
        | {"set": bool(morsel.value)}
        for name, morsel in response.cookies.items()
    }
    content = TOKEN.sub("", response.content.decode())
    return {"status": response.status_code, "headers": headers, "cookies": cookies, "body": content}


def test_a_kept_page_is_served_without_the_database(shared_cache, publish):
    application = publish(title="Skoledag", stop_at="decided")
    for page in (page.format(reference=application.reference) for page in PAGES):
        first, _count = queries_of(Client(), page)
        assert first.status_code == 200, page
        second, count = queries_of(Client(), page)
        assert count == 0, page
        assert second.status_code == 200
        assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())


def test_with_a_per_process_cache_every_request_checks_the_database(publish):
    publish()
    assert not fastpath.cache_is_shared()  # LocMemCache, as in the tests and the demo
    Client().get("/soknader/")
    _response, count = queries_of(Client(), "/soknader/")
    assert count == 1  # the validator: another process's write would show at once


def test_a_write_shows_on_the_next_request(shared_cache, publish):
    publish(title="Første skoledag")
    assert "Første skoledag" in Client().get("/soknader/").content.decode()
    assert queries_of(Client(), "/soknader/")[1] == 0
    publish(title="Andre skoledag")
    page, count = queries_of(Client(), "/soknader/")
    assert count > 0
    assert "Andre skoledag" in page.content.decode()


def test_any_committed_write_bumps_the_version_and_a_rolled_back_one_does_not(
    shared_cache, publish, django_capture_on_commit_callbacks
):
    application = publish(title="Første skoledag")
    Client().get(f"/soknader/{application.reference}/")
    before = fastpath.data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(title="Aldri lagret")
        raise RuntimeError
    assert fastpath.data_version() == before
    # A queryset update sends no signal; the database write itself is seen. (The page's own
    # validator, checked on the full path, follows ``updated_at``.)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(
            title="Endret tittel", updated_at=timezone.now()
        )
    assert fastpath.data_version() != before
    page, count = queries_of(Client(), f"/soknader/{application.reference}/")
    assert count > 0
    assert "Endret tittel" in page.content.decode()


@pytest.mark.parametrize(
    ("sql", "write"),
    [
        ('SELECT "trials_application"."id" FROM "trials_application"', False),
        ("(SELECT 1) UNION (SELECT 2)", False),
        ("  select 1 FOR UPDATE", False),
        ("SAVEPOINT s1", False),
        ('INSERT INTO "trials_application" ("title") VALUES (%s)', True),
        ('UPDATE "casework_sequence" SET last_value = last_value + 1', True),
        ('DELETE FROM "legal_provision" WHERE id = 1', True),
        ("WITH moved AS (UPDATE x SET y = 1 RETURNING id) SELECT * FROM moved", True),
        ('UPDATE "django_session" SET "expire_date" = %s', False),
        ('INSERT INTO "django_tasks_database_dbtaskresult" ("id") VALUES (%s)', False),
    ],
)
def test_what_counts_as_a_write(sql, write):
    assert fastpath._is_write(sql) is write


def test_a_transaction_bumps_once_however_many_levels_wrote(
    monkeypatch, django_capture_on_commit_callbacks
):
    bumps = []
    monkeypatch.setattr(fastpath, "data_version_bump", lambda: bumps.append(1))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Application.objects.filter(pk=0).update(title="a")
        with transaction.atomic():
            Application.objects.filter(pk=0).update(title="b")
            with pytest.raises(RuntimeError), transaction.atomic():
                Application.objects.filter(pk=0).update(title="c")
                raise RuntimeError
        Application.objects.filter(pk=0).update(title="d")
    assert bumps == [1]


def test_a_lost_version_makes_every_kept_answer_unreachable(shared_cache, publish):
    publish()
    Client().get("/soknader/")
    assert queries_of(Client(), "/soknader/")[1] == 0
    cache.delete(fastpath.DATA_VERSION_KEY)  # evicted, or Redis restarted
    assert queries_of(Client(), "/soknader/")[1] > 0


def test_a_process_remembers_the_answers_but_asks_the_cache_which_is_current(shared_cache, publish):
    publish()
    Client().get("/soknader/")
    assert queries_of(Client(), "/soknader/")[1] == 0
    server = redis.Redis.from_url(REDIS_URL)
    bodies = list(server.scan_iter(f"{shared_cache}:*fast-answer-body:*"))
    assert bodies
    server.delete(*bodies)
    assert queries_of(Client(), "/soknader/")[1] == 0  # from this process's memory
    fastpath.data_version_bump()  # another process wrote
    assert queries_of(Client(), "/soknader/")[1] > 0


def test_writes_no_public_page_shows_do_not_bump(shared_cache, django_capture_on_commit_callbacks):
    before = fastpath.data_version()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        session = Client().session
        session["x"] = 1
        session.save()
    assert fastpath.data_version() == before


def test_the_task_worker_claiming_and_finishing_tasks_does_not_bump(
    shared_cache, django_capture_on_commit_callbacks
):
    """The worker polls and updates the queue's rows all day; the public pages stay kept."""
    from django_tasks_db.models import DBTaskResult

    from trials.tasks import downloads_prepare

    with django_capture_on_commit_callbacks(execute=True):
        downloads_prepare.enqueue()
    before = fastpath.data_version()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        DBTaskResult.objects.update(priority=1)
    assert fastpath.data_version() == before


# --- the early path answers exactly what the full path answers ---------------------------------

SCENARIOS = {
    "no cookie": {},
    "English": {"cookies": {"django_language": "en"}},
    "nynorsk": {"cookies": {"django_language": "nn"}},
    "unknown language": {"cookies": {"django_language": "xx"}},
    "own CSRF cookie": {"cookies": {"csrftoken": "a" * 32}},
    "malformed CSRF cookie": {"cookies": {"csrftoken": "not a token"}},
    "Accept-Language": {"headers": {"Accept-Language": "en"}},
    "HEAD": {"method": "head"},
}


def _request(page: str, scenario: dict):
    client = Client()
    for name, value in scenario.get("cookies", {}).items():
        client.cookies[name] = value
    method = getattr(client, scenario.get("method", "get"))
    with CaptureQueriesContext(connection) as queries:
        response = method(page, headers=scenario.get("headers", {}))
    return client, response, len(queries)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("page", ["/soknader/", ACT, "/journal/"])
def test_the_early_answer_is_the_full_answer(shared_cache, full_path, publish, page, scenario):
    publish()
    _request(page, {})  # kept (both ways), by a reader without cookies
    _request(page, SCENARIOS[scenario])
    with full_path():
        _client, full, full_count = _request(page, SCENARIOS[scenario])
    client, early, early_count = _request(page, SCENARIOS[scenario])
    assert _comparable(early) == _comparable(full)
    if full.status_code == 405:  # HEAD of the act page: GET only, as before
        return
    assert full_count > 0 and early_count == 0
    if "csrftoken" in early.cookies or "csrftoken" in client.cookies:
        # The page's token is the reader's own: it unmasks to their cookie's secret.
        [token] = set(TOKEN.findall(early.content.decode())) or [None]
        if token is not None:
            assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value


@pytest.mark.parametrize("page", ["/soknader/", ACT, "/journal/"])
def test_conditional_requests_are_answered_early(shared_cache, full_path, publish, page):
    publish()
    first = Client().get(page)
    etag = first["ETag"]
    with full_path():
        full = Client().get(page, headers={"If-None-Match": etag})
    early, count = queries_of(Client(), page, headers={"If-None-Match": etag})
    assert count == 0
    assert early.status_code == full.status_code == 304
    assert _comparable(early) == _comparable(full)
    stale, _count = queries_of(Client(), page, headers={"If-None-Match": 'W/"old"'})
    assert stale.status_code == 200
    if "Last-Modified" in first:  # the journal
        since = Client().get(page, headers={"If-Modified-Since": first["Last-Modified"]})
        assert since.status_code == 304


def test_a_reader_with_a_session_or_a_login_never_gets_the_early_answer(
    shared_cache, publish, applicant
):
    publish()
    Client().get("/soknader/")
    assert queries_of(Client(), "/soknader/")[1] == 0
    logged_in = Client()
    logged_in.force_login(applicant)
    page, count = queries_of(logged_in, "/soknader/")
    assert count > 1
    assert "Logg ut" in page.content.decode()
    assert "private" in page["Cache-Control"]
    assert "Logg ut" not in Client().get("/soknader/").content.decode()


# --- the public API -------------------------------------------------------------------------


@pytest.mark.parametrize("url", API)
def test_a_kept_api_list_is_the_full_answer_and_still_throttled(
    shared_cache, full_path, publish, settings, url, mid_minute
):
    publish()
    Client().get(url)
    with full_path():
        full = Client().get(url)
    early, count = queries_of(Client(), url)
    assert count == 0
    assert _comparable(early) == _comparable(full)
    assert early.json() == full.json()
    # Each request is counted, early or not.
    remaining = [int(Client().get(url)["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining == [remaining[0], remaining[0] - 1, remaining[0] - 2]


def test_the_throttle_answers_429_once_counted(
    shared_cache, full_path, publish, settings, mid_minute
):
    publish()
    url = API[0]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "600/minute"},
    }
    answers = [Client().get(url) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer["X-RateLimit-Remaining"] for answer in answers[:3]] == ["2", "1", "0"]
    assert "Retry-After" in answers[3]


def test_the_browsable_api_is_never_kept(shared_cache, publish):
    publish()
    url = API[0]
    for _ in range(2):
        page, count = queries_of(Client(), url, headers={"Accept": "text/html"})
        assert page["Content-Type"].startswith("text/html")
        assert count > 0
    assert Client().get(url)["Content-Type"] == "application/json"


def test_the_api_in_another_language_is_kept_apart(shared_cache, publish):
    publish()
    url = API[0]
    norwegian = Client().get(url).json()
    english = Client()
    english.cookies["django_language"] = "en"
    assert english.get(url).json() != norwegian
    assert Client().get(url).json() == norwegian


# --- the law register's act page --------------------------------------------------------------


def test_the_act_page_has_a_validator_and_follows_both_kinds_of_data(client, publish):
    publish(title="Skoledag")
    first = client.get(ACT)
    assert first.status_code == 200 and first["ETag"]
    assert first["Cache-Control"] == "public, max-age=60"
    assert client.get(ACT, headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert Client().get(ACT).status_code == 200
    # The register's own data changed: a provision's heading.
    provision = Provision.objects.get(act__lovdata_id="LOV-2023-06-09-30", section_number="13-1")
    provision.heading = "Ein ny overskrift"
    provision.save()
    changed = Client().get(ACT)
    assert changed["ETag"] != first["ETag"]
    assert "Ein ny overskrift" in changed.content.decode()
    # What trials counts changed: another application asks for an exemption from the act.
    publish(title="Andre skoledag")
    assert Client().get(ACT)["ETag"] != changed["ETag"]


def test_the_act_page_answers_only_get_as_before(client):
    assert client.head(ACT).status_code == 405
    assert client.post(ACT).status_code == 405
    assert client.get("/lover/LOV-1800-01-01-1/").status_code == 404


def test_the_early_path_turns_itself_off_when_the_middleware_change(settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:5],
        "django.middleware.gzip.GZipMiddleware",
        *settings.MIDDLEWARE[5:],
    ]
    with pytest.raises(MiddlewareNotUsed):
        fastpath.FastPublicMiddleware(lambda request: None)


def test_the_project_s_middleware_are_the_ones_the_early_path_replays():
    fastpath.FastPublicMiddleware(lambda request: None)  # does not raise MiddlewareNotUsed
