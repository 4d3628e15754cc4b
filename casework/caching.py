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
"""

import datetime
import hashlib
from calendar import timegm
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
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
            response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if response is None:
                response = view(request, *args, **kwargs)
            if response.status_code in (200, 304):
                response.headers.setdefault("ETag", etag)
                if last_modified is not None:
                    response.headers.setdefault("Last-Modified", http_date(last_modified))
            return cache_headers(request, response)

        return require_safe(wrapped)

    return decorator


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
