"""Conditional GET and caching for every page open without login: one decorator.

The public pages of trials (applications, register, statistics, feeds, downloads) and the
public journal each name a *validator*: a function of the request (and the view's
arguments) returning a ``Validator``, whose ``version`` changes whenever what the page shows
may have changed (and whose ``last_modified``, when known, is the time of that change).
``conditional_page(validator)`` then, for every page alike:

- answers GET/HEAD only (405 otherwise);
- answers ``If-None-Match`` (and ``If-Modified-Since`` where there is a ``last_modified``)
  with 304 while the validator is unchanged, without running the view;
- sends a weak ``ETag`` (and ``Last-Modified``) with the page. Weak, because each page embeds
  a freshly masked CSRF token: equal pages differ in bytes. The ETag also depends on the
  language, the user and the address asked (path and query), so no two representations
  share one;
- lets anyone cache the answer for ``PUBLIC_MAX_AGE`` seconds, or, for a logged-in user
  (whose name is in the header), only their own browser, revalidating each time;
  ``Vary: Cookie`` (the language and the login come from cookies).

The validator runs before the view; it should be cheap (an indexed read or two). What it
read is kept as ``request.page_validator`` so the view need not read it again.

What costs work in proportion to the data (figures, summaries, prepared downloads) is
computed once per version: ``version_cached`` keeps it in the shared cache (Redis in
production, so every worker and host shares it) under the validator's version, which every
write changes when it commits. A stale value is never served; an old one simply expires.

The page itself is computed once per version too, for anonymous readers (``shared_page``):
the rendered answer is kept in the shared cache under the validator's version, the address
asked (scheme, host, path and query as sent) and the language, and served to the next
anonymous reader without running the view. Nothing personal is ever shared: a logged-in
user, a reader with a session or pending messages, always gets the view's own answer; a
page is kept only when it is a plain 200 whose rendering set no cookie, touched no session
and queued no message; and the CSRF token of the page's forms (the language switcher) is
rendered as a placeholder that each reader's own token replaces when the page is served.

With a shared cache (Redis) the kept answer is served even earlier, without the validator's
query, URL resolution or the view (``casework.fastpath``, which reuses ``conditional_response``
and ``_with_own_token`` so that both paths answer alike).
"""

import datetime
import hashlib
from calendar import timegm
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

PUBLIC_MAX_AGE = 60
# How long a value computed for one version stays in the cache (a newer version replaces it
# in use at once; this only bounds the memory old versions hold).
VERSION_CACHE_SECONDS = 60 * 60
_MISSING = object()
# Part of every ETag: change it when the pages' markup changes, so caches fetch them anew.
PAGES_VERSION = "public-2"


@dataclass(frozen=True)
class Validator:
    version: str
    last_modified: datetime.datetime | None = None
    data: Any = None  # what the validator read, for the view to reuse (e.g. a count)


def page_etag(request, version: str) -> str:
    user = str(request.user.pk) if request.user.is_authenticated else "anonymous"
    query = "&".join(f"{key}={value}" for key, value in sorted(request.GET.lists()))
    parts = [PAGES_VERSION, version, get_language() or "", user, request.path, query]
    return "W/" + quote_etag(hashlib.sha256("|".join(parts).encode()).hexdigest()[:32])


def cache_headers(request, response):
    """Public for a minute, or private and revalidated for a logged-in user."""
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    patch_vary_headers(response, ("Cookie",))
    return response


def conditional_response(request, etag: str, last_modified: int | None, render: Callable):
    """304 (or 412) while ``etag``/``last_modified`` match what the request has, else
    ``render()``'s answer; with the validators and the cache headers. What a public page
    answers, from the view (``conditional_page``) or from the kept answer
    (``casework.fastpath``) alike."""
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = render()
    if response.status_code in (200, 304):
        response.headers.setdefault("ETag", etag)
        if last_modified is not None:
            response.headers.setdefault("Last-Modified", http_date(last_modified))
    return cache_headers(request, response)


def conditional_page(validator: Callable[..., Validator]):
    """Decorate a public view: see the module's docstring."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            current = validator(request, *args, **kwargs)
            request.page_validator = current
            etag = page_etag(request, current.version)
            moment = current.last_modified
            last_modified = timegm(moment.utctimetuple()) if moment else None
            response = conditional_response(
                request,
                etag,
                last_modified,
                lambda: shared_page(
                    request, current.version, lambda: view(request, *args, **kwargs)
                ),
            )
            kept = getattr(request, "shared_page_kept", None)
            if kept is not None:
                # The early path (casework.fastpath) may serve it from now on, validators and all.
                status, headers, content = kept
                request.fast_answer = FastAnswer(
                    "page", status, headers, content, etag=etag, last_modified=last_modified
                )
            return response

        return require_safe(wrapped)

    return decorator


@dataclass(frozen=True)
class FastAnswer:
    """An answer the early path (``casework.fastpath``) may serve to the next anonymous
    reader: a public page's kept answer and its validators (kind "page"), or an answer of
    the public API (another kind, whose gate answers each request's own part: the throttle)."""

    kind: str
    status: int
    headers: list
    content: bytes
    etag: str = ""
    last_modified: int | None = None


# --- The rendered page, shared between anonymous readers -----------------------------------

# What ``{% csrf_token %}`` renders while a page is rendered to be shared (the context
# processor ``shared_page_csrf``); each reader's own token replaces it when served. As long
# as a masked token, and of characters that need no escaping anywhere.
SHARED_CSRF_PLACEHOLDER = "sharedpagecsrftokenplaceholder".ljust(64, "0")
# Larger answers (the full exports) are prepared downloads of their own.
SHARED_PAGE_MAX_BYTES = 2 * 1024 * 1024
SHARED_PAGE_HEADERS_SKIPPED = {"content-length"}


def shared_page_csrf(request) -> dict:
    """Context processor: the placeholder instead of a token while rendering to share."""
    if getattr(request, "rendering_shared_page", False):
        return {"csrf_token": SHARED_CSRF_PLACEHOLDER}
    return {}


def _may_share(request) -> bool:
    """An anonymous reader with nothing of their own to show: no session, no messages."""
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def _shared_page_key(request, version: str) -> str:
    parts = [
        PAGES_VERSION,
        version,
        get_language() or "",
        request.scheme,
        request.get_host(),
        request.get_full_path(),
    ]
    return "shared-page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _keepable(request, response) -> tuple[int, list, bytes] | None:
    """What of a freshly rendered answer may be shared, or None."""
    messages = getattr(request, "_messages", None)
    session = getattr(request, "session", None)
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # a token outside the placeholder
        or (session is not None and session.modified)
        or (messages is not None and getattr(messages, "_queued_messages", None))
        or "private" in response.get("Cache-Control", "")
        or "no-store" in response.get("Cache-Control", "")
        or len(response.content) > SHARED_PAGE_MAX_BYTES
    ):
        return None
    headers = [
        (name, value)
        for name, value in response.items()
        if name.lower() not in SHARED_PAGE_HEADERS_SKIPPED
    ]
    return response.status_code, headers, response.content


def _with_own_token(request, response):
    """The placeholder replaced by this reader's own CSRF token (which also sets the cookie,
    as rendering ``{% csrf_token %}`` does)."""
    placeholder = SHARED_CSRF_PLACEHOLDER.encode()
    if not response.streaming and placeholder in response.content:
        response.content = response.content.replace(placeholder, get_token(request).encode())
    return response


def shared_page(request, version: str, render: Callable[[], Any]):
    """``render()``'s answer, or for an anonymous reader the one kept for this address,
    language and ``version`` of the data (see the module's docstring)."""
    if not _may_share(request):
        return render()
    key = _shared_page_key(request, version)
    kept = cache.get(key)
    if kept is None:
        request.rendering_shared_page = True
        try:
            response = render()
            if isinstance(response, SimpleTemplateResponse):
                response.render()
        finally:
            request.rendering_shared_page = False
        kept = _keepable(request, response)
        if kept is None:
            return _with_own_token(request, response)
        cache.set(key, kept, VERSION_CACHE_SECONDS)
    request.shared_page_kept = kept
    status, headers, content = kept
    return _with_own_token(request, HttpResponse(content, status=status, headers=headers))


def version_cached(key: str, version: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, once per ``version`` of the data, kept in the shared cache."""
    digest = hashlib.sha256(f"{PAGES_VERSION}|{key}|{version}".encode()).hexdigest()[:40]
    name = f"version-cached:{digest}"
    value = cache.get(name, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(name, value, VERSION_CACHE_SECONDS)
    return value


def request_version_cached(request, key: str, compute: Callable[[], Any]) -> Any:
    """``version_cached`` under the page's validator (``conditional_page``), for the address
    asked (path and query) and ``key``."""
    version = request.page_validator.version
    return version_cached(f"{request.get_full_path()}|{key}", version, compute)


class RememberingPaginator(Paginator):
    """A paginator whose count and whose pages' keys are computed once per version of the
    data: ``remember(key, compute)`` (``version_cached`` under the data's version and the
    filters asked). Sorting every row to find a page then happens once per version; a page
    is read by its keys, in the queryset's order."""

    def __init__(self, object_list, per_page, *, remember, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.remember = remember

    @cached_property
    def count(self) -> int:
        return self.remember("count", self.object_list.count)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.object_list
        keys = self.remember(
            f"page-{number}-{self.per_page}",
            lambda: list(queryset[bottom:top].values_list("pk", flat=True)),
        )
        return self._get_page(list(queryset.filter(pk__in=keys)), number, self)
