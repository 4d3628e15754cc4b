"""The early path: a public answer kept in the shared cache, served to an anonymous reader
before URL resolution, the views and the database.

``casework.caching`` keeps each public page rendered once per version of the data, and
checks that version with one database query per request (the page's validator). With a
cache every worker and host shares (Redis), the same guarantee is had without the query:

- **The data version** (``data_version``): a token in the shared cache, replaced by a new
  random one (``data_version_bump``) when any transaction that wrote to the database commits
  (``watch_writes``, on every database connection: any INSERT, UPDATE, DELETE, ... except to
  the tables no public page shows, the sessions and the task queue). A token is never used
  twice, so an evicted or lost key only makes every kept answer unreachable.
- **The kept answer** (``FastAnswer``): when a public page (``conditional_page``) or a list of
  the public API is answered to an anonymous reader the full way, what it answered is kept
  for the method, the date, the language, the address (scheme, host, path and query) and,
  for the API, the Accept header, together with the data version read *before* the request
  read any data. A write that committed before that read is in the answer; one that commits
  after it replaces the token, so the answer is never served again (the version and the
  address's entry, which names the answer, are read in one round trip, and the answer is
  served only while they match). Each answer is kept once under an id of its own and never
  changes, so a process keeps the answers it served last in memory and reads only the
  version and the entry from the cache for them.
- **Served early** (``FastPublicMiddleware``, right after the request id and CSP middleware):
  the next anonymous reader (GET or HEAD, no session or messages cookie) gets the kept answer
  after one or two cache reads. The middleware below it that the full path runs are run
  here too, by their own methods (sessions, language, CSRF, authentication, messages,
  Content-Length, X-Frame-Options), so every header and cookie is what the full path sends:
  the ETag, 304 and 412 answers (``conditional_response``), the reader's own CSRF token
  and cookie, Vary, Content-Language. The public API's throttle counts each request
  (the "gate" its app registers in ``gates``).

With a per-process cache (LocMemCache: the demo, the tests) a write by another process could
not replace the token this process sees: the early path is off and every request checks the
page's own validator in the database, as before.
"""

import contextlib
import functools
import hashlib
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache, caches
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.db.transaction import TransactionManagementError
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone

from casework.caching import PAGES_VERSION, FastAnswer, _with_own_token, conditional_response
from casework.middleware import LanguageMiddleware, chosen_language

logger = logging.getLogger(__name__)

DATA_VERSION_KEY = "public-data-version"
# How long a kept answer may be served: a newer data version replaces it in use at once; this
# bounds what a write outside the application (SQL by hand) could leave visible.
FAST_ANSWER_SECONDS = 5 * 60
# Caches every worker and host shares (instances of these); any other (LocMemCache, a file
# per host, the database's) turns the early path off.
SHARED_CACHES = (RedisCache, BaseMemcachedCache)


@functools.cache
def unwatched_tables() -> tuple[str, ...]:
    """Written on every logged-in request (sessions) or as the task worker claims and
    finishes tasks (the task queue); no public page shows them. Named by their models, so
    the names are the tables' real ones."""
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    return tuple(f'"{model._meta.db_table}"' for model in (Session, DBTaskResult))


_READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SHOW", "SET ", "PRAGMA")
API_PREFIX = "/api/"
# gates[kind](request, response) -> the response with the request's own part, or None to
# answer this request the full way (e.g. the public API's throttle, registered by trials).
gates: dict[str, Callable] = {}


def cache_is_shared() -> bool:
    return isinstance(caches["default"], SHARED_CACHES)


def data_version(known: str | None = None) -> str | None:
    """The current token (``known``: as just read), or None when the early path is off (a
    per-process cache)."""
    if not cache_is_shared():
        return None
    if known is None:
        known = cache.get(DATA_VERSION_KEY)
    if known is None:  # never set, evicted or lost: a fresh one, nothing is kept under it
        cache.add(DATA_VERSION_KEY, uuid.uuid4().hex, None)
        known = cache.get(DATA_VERSION_KEY)
    return known


def data_version_bump() -> None:
    """A new token: every answer kept so far is out of date (called after a commit)."""
    try:
        cache.set(DATA_VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # the write has committed; the cache must not make it fail
        logger.exception("the public data version could not be bumped")
        with contextlib.suppress(Exception):  # logged above; the kept answers expire
            cache.delete(DATA_VERSION_KEY)


def _is_write(sql: str) -> bool:
    """Anything but a read (conservatively: an unknown statement counts as a write)."""
    head = sql.lstrip(" \t\n(")[:80]
    if head[:9].upper().startswith(_READS):
        return False
    return not any(table in head for table in unwatched_tables())


class _CommitBump:
    """The commit hook of a transaction that wrote: bumps the version once per commit, however
    many savepoint levels registered one (they share ``fired``)."""

    def __init__(self, fired: list):
        self.fired = fired

    def __call__(self) -> None:
        if not self.fired:
            self.fired.append(True)
            data_version_bump()


def _bump_on_commit(connection) -> None:
    # One hook per transaction and savepoint level: a hook registered in a savepoint is
    # dropped when it rolls back, so only one registered at this very level can be relied on.
    level = set(connection.savepoint_ids)
    fired = None
    for sids, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _CommitBump) and not callback.fired:
            if sids == level:
                return
            fired = callback.fired
    try:
        connection.on_commit(_CommitBump([] if fired is None else fired), robust=True)
    except TransactionManagementError:  # manual transaction management: no commit hook
        data_version_bump()


def _write_watcher(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if _is_write(sql):
        # After the statement: outside a transaction it has committed already and the
        # callback runs at once; inside one, after the commit (never after a rollback).
        _bump_on_commit(context["connection"])
    return result


def watch_writes(sender, connection, **kwargs) -> None:
    """Receiver of ``connection_created``: every write on the connection bumps the version
    when it commits."""
    if _write_watcher not in connection.execute_wrappers:
        connection.execute_wrappers.append(_write_watcher)


# --- the middleware ----------------------------------------------------------------------------

# The middleware after this one, whose work the early path does itself (by their methods).
REPLAYED = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "casework.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "casework.api.RejectNulInApiQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "casework.identity.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Appended by viewflow's AppConfig; nothing they do touches a kept answer: the site's
    # permissions and context are for viewflow's own views, Turbo's status codes for POSTs.
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
)


# The answers this process served last, by their id: an answer is kept once, under an id of
# its own, and never changes, so a process that has it need not read it from the cache again
# while the address's entry names it (the entry and the version still come from the cache).
_ANSWERS: OrderedDict[str, FastAnswer] = OrderedDict()
_ANSWERS_MAX_BYTES = 32 * 1024 * 1024
_answers_bytes = 0
_answers_lock = threading.Lock()


def _answer_remember(answer_id: str, answer: FastAnswer) -> None:
    global _answers_bytes
    with _answers_lock:
        if answer_id in _ANSWERS:
            return
        _ANSWERS[answer_id] = answer
        _answers_bytes += len(answer.content)
        while _answers_bytes > _ANSWERS_MAX_BYTES and len(_ANSWERS) > 1:
            _id, dropped = _ANSWERS.popitem(last=False)
            _answers_bytes -= len(dropped.content)


def _answer_get(answer_id: str) -> FastAnswer | None:
    with _answers_lock:
        answer = _ANSWERS.get(answer_id)
        if answer is not None:
            _ANSWERS.move_to_end(answer_id)
            return answer
    answer = cache.get(f"fast-answer-body:{answer_id}")
    if answer is not None:
        _answer_remember(answer_id, answer)
    return answer


def _answer_keep(key: str, version: str, answer: FastAnswer) -> None:
    answer_id = uuid.uuid4().hex
    cache.set_many(
        {f"fast-answer-body:{answer_id}": answer, key: (version, answer_id)}, FAST_ANSWER_SECONDS
    )
    _answer_remember(answer_id, answer)


def _may_answer_early(request) -> bool:
    """An anonymous reader with nothing of their own: no session, no messages."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def fast_key(request) -> str | None:
    """Where the answer to ``request`` is kept (with the data version it was made under);
    None when the request cannot be answered early."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None  # the full path answers it (400)
    api = request.path.startswith(API_PREFIX)
    if api and request.method != "GET":
        return None
    parts = [
        PAGES_VERSION,
        request.method,  # a view may answer GET only
        timezone.localdate().isoformat(),  # what is in force today changes at midnight
        chosen_language(request),
        request.scheme,
        host,
        request.get_full_path(),
        request.headers.get("Accept", "") if api else "",
    ]
    return "fast-answer:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


class FastPublicMiddleware:
    """Serve a kept public answer to an anonymous reader early (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        after = tuple(settings.MIDDLEWARE[settings.MIDDLEWARE.index(MIDDLEWARE_PATH) + 1 :])
        if after != REPLAYED:
            # The early path would skip middleware it does not know: off, loudly.
            logger.warning("casework.fastpath is off: the middleware after it are not %s", REPLAYED)
            raise MiddlewareNotUsed("the middleware after FastPublicMiddleware changed")

        def nothing(request):  # pragma: no cover - the hooks below are called directly
            raise AssertionError

        self.session = SessionMiddleware(nothing)
        self.language = LanguageMiddleware(nothing)
        self.common = CommonMiddleware(nothing)
        self.csrf = CsrfViewMiddleware(nothing)
        self.authentication = AuthenticationMiddleware(nothing)
        self.messages = MessageMiddleware(nothing)
        self.xframe = XFrameOptionsMiddleware(nothing)

    def __call__(self, request):
        key = None
        if _may_answer_early(request) and cache_is_shared():
            key = fast_key(request)
        if key is None:
            return self.get_response(request)
        # One round trip: the data version, read before anything reads data (see the
        # module's docstring), and which answer is kept for this address, with its version.
        found = cache.get_many([DATA_VERSION_KEY, key])
        version = data_version(found.get(DATA_VERSION_KEY))
        kept = found.get(key)
        answer = None
        if kept is not None and kept[0] == version:
            answer = _answer_get(kept[1])
        if answer is not None:
            response = self.answer(request, answer)
            if response is not None:
                return response
            return self.get_response(request)
        response = self.get_response(request)
        answer = getattr(request, "fast_answer", None)
        if answer is not None and response.status_code in (200, 304):
            _answer_keep(key, version, answer)
        return response

    def answer(self, request, answer: FastAnswer):
        # What the middleware below do on the way in, in their order.
        self.session.process_request(request)
        self.language.process_request(request)
        self.csrf.process_request(request)
        self.authentication.process_request(request)
        self.messages.process_request(request)
        request.user.is_authenticated  # noqa: B018 - as SessionTimeoutMiddleware: reads the session
        if answer.kind == "page":
            response = conditional_response(
                request,
                answer.etag,
                answer.last_modified,
                lambda: _with_own_token(
                    request,
                    HttpResponse(answer.content, status=answer.status, headers=answer.headers),
                ),
            )
        else:
            response = HttpResponse(answer.content, status=answer.status, headers=answer.headers)
            response = gates[answer.kind](request, response)
            if response is None:
                return None
        # ... and on the way out, innermost first.
        response = self.xframe.process_response(request, response)
        response = self.messages.process_response(request, response)
        response = self.csrf.process_response(request, response)
        response = self.common.process_response(request, response)
        response = self.language.process_response(request, response)
        return self.session.process_response(request, response)


MIDDLEWARE_PATH = f"{FastPublicMiddleware.__module__}.{FastPublicMiddleware.__qualname__}"
