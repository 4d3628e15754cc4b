"""Open data: the one writer of every download of the public side (docs/open-data.md).

/soknader/, /unntak/, /unntak/<act>/ and /statistikk/ take ``?format=csv`` or ``?format=json``
and answer through this module, so they cannot drift apart:

- the licence (NLOD 2.0) in a ``Link: <…>; rel="license"`` header and, in JSON, a
  ``license`` field; ``Access-Control-Allow-Origin: *`` (the public API sends the same two
  headers through ``licensed``);
- CSV: UTF-8 with a byte order mark, ``\\r\\n`` line ends, one header row; lists joined with
  ``LIST_SEPARATOR``, booleans ``true``/``false``, nothing an empty cell, and a text a
  spreadsheet would run as a formula prefixed with an apostrophe (``csv_cell``);
- JSON: one object ``{"license", "source", "generated_at", …, "results": [...]}``;
- both written from rows read in chunks (or a few ``values()`` queries), and kept as a
  prepared file per version of the data (``prepared_download``): the full export is read
  from the cache until something public changes.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from casework.caching import page_etag

LICENSE = {
    "name": "Norsk lisens for offentlige data (NLOD) 2.0",
    "url": "https://data.norge.no/nlod/no/2.0",
}
LICENSE_LINK = f'<{LICENSE["url"]}>; rel="license"'

EXPORT_FORMATS = ("csv", "json")
LIST_SEPARATOR = "; "
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500


def export_format(request) -> str:
    """``csv``, ``json``, "" for the page itself, or what else was asked for (see
    ``unknown_format``)."""
    return request.GET.get("format", "").strip().lower()


def unknown_format(fmt: str) -> HttpResponse | None:
    """The 400 answer to a format other than csv and json, else None."""
    if fmt and fmt not in EXPORT_FORMATS:
        return HttpResponseBadRequest(
            _("Unknown format: choose csv or json."), content_type="text/plain; charset=utf-8"
        )
    return None


def licensed(response: HttpResponse) -> HttpResponse:
    """The licence and open CORS: open data without credentials, any web page may read it."""
    response["Link"] = LICENSE_LINK
    response["Access-Control-Allow-Origin"] = "*"
    return response


def in_chunks(queryset: QuerySet) -> Iterator:
    """The rows of ``queryset`` read ``CHUNK_SIZE`` at a time (prefetches per chunk)."""
    return queryset.iterator(chunk_size=CHUNK_SIZE)


PREPARED_CHUNK = 64 * 1024
PREPARED_HEADERS = ("Content-Type", "Content-Disposition", "Link", "Access-Control-Allow-Origin")
PREPARED_SECONDS = 60 * 60 * 24
# The addresses downloaded so far: {cache key: (scheme, host, path and query, language)}.
PREPARED_ADDRESSES = "prepared-downloads"
PREPARE_QUEUED = "prepared-downloads-queued"
PREPARE_QUEUED_SECONDS = 60


def prepared_download(request, build: Callable[[], HttpResponse]) -> StreamingHttpResponse:
    """The download ``build()`` answers, prepared once per version of the data and kept in
    the shared cache: every request for the same address is served the last prepared file,
    at the cost of reading it. When the data change, the worker prepares it again
    (``trials.tasks.downloads_prepare``, queued with the change); until it has, the last file is
    served with the ETag of the version it was prepared from. Only an address never
    prepared (or a rebuild by the task) runs ``build()`` in the request.

    Used by views under ``conditional_page`` (``request.page_validator``)."""
    key = f"download|{request.get_host()}|{request.get_full_path()}"
    version = request.page_validator.version
    kept = cache.get(key)
    if kept is None or (kept[0] != version and getattr(request, "preparing_download", False)):
        response = build()
        body = b"".join(response.streaming_content) if response.streaming else response.content
        headers = {name: response[name] for name in PREPARED_HEADERS if name in response}
        kept = (version, response.status_code, body, headers)
        cache.set(key, kept, PREPARED_SECONDS)
        _remember_address(key, request)
    elif kept[0] != version:
        downloads_prepare_soon()
    kept_version, status, body, headers = kept
    chunks = (body[start : start + PREPARED_CHUNK] for start in range(0, len(body), PREPARED_CHUNK))
    response = StreamingHttpResponse(chunks, status=status)
    for name, value in headers.items():
        response[name] = value
    if kept_version != version:
        response["ETag"] = page_etag(request, kept_version)
    return response


def _remember_address(key: str, request) -> None:
    addresses = cache.get(PREPARED_ADDRESSES) or {}
    if key not in addresses:
        address = (request.scheme, request.get_host(), request.get_full_path(), get_language())
        addresses[key] = address
        cache.set(PREPARED_ADDRESSES, addresses, PREPARED_SECONDS)


def prepared_addresses() -> dict[str, tuple[str, str, str, str]]:
    return cache.get(PREPARED_ADDRESSES) or {}


def downloads_prepare_soon() -> None:
    """Queue ``trials.tasks.downloads_prepare`` when any download has been prepared, once
    while one is queued (the task clears the mark when it starts; a mark whose task was
    rolled back expires after ``PREPARE_QUEUED_SECONDS``)."""
    from trials.tasks import downloads_prepare

    if prepared_addresses() and cache.add(PREPARE_QUEUED, True, PREPARE_QUEUED_SECONDS):
        downloads_prepare.enqueue()


def data_changed(**kwargs) -> None:
    """Signal receiver (an audit event saved: every service writes one): the task is queued
    in the writer's transaction, so the worker prepares the downloads after it commits."""
    downloads_prepare_soon()


def csv_cell(value) -> str:
    """One CSV cell by the convention of docs/open-data.md."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = LIST_SEPARATOR.join(str(item) for item in value)
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


class _Echo:
    """A write-only file for csv.writer: returns each line for the streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_download(
    columns: list[str], rows: Iterable[Iterable], *, name: str
) -> StreamingHttpResponse:
    """``rows`` (values in ``columns`` order) as ``<name>-YYYY-MM-DD.csv``."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")

    def lines():
        # A byte order mark, so spreadsheet programs read æ, ø and å as UTF-8.
        yield "\ufeff" + writer.writerow(columns)
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return licensed(response)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)


def json_download(
    request, *, results: Iterable[dict] | None = None, **fields
) -> StreamingHttpResponse:
    """``{"license", "source", "generated_at", **fields}``, with ``results`` (streamed, last)
    when given. ``source`` is the address asked, without its query."""
    head = {
        "license": LICENSE,
        "source": request.build_absolute_uri(request.path),
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        **fields,
    }

    def chunks():
        if results is None:
            yield _dumps(head)
            return
        yield _dumps(head)[:-1] + ', "results": ['
        for number, record in enumerate(results):
            yield ("," if number else "") + _dumps(record)
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    return licensed(response)
