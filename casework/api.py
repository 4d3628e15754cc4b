"""What every API endpoint shares below the views: bad input is a 400 with a message, and an
address under /api/ that matches nothing answers JSON, never an HTML page.

PostgreSQL refuses NUL (0x00) in text, so a NUL byte that reached a query would be a server
error; it is refused here once, for query strings and JSON bodies alike (form fields refuse
it through Django's own ``ProhibitNullCharactersValidator``).
"""

from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework import parsers
from rest_framework.exceptions import ParseError

API_PREFIX = "/api/"
# A database id in an API path: digits that fit a bigint; anything else matches no route
# (a JSON 404) instead of reaching the database as an overflow.
ID_PATTERN = r"[0-9]{1,18}"
NUL_MESSAGE = "Text may not contain NUL (0x00) characters."


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that refuses NUL characters anywhere in the document."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise ParseError(NUL_MESSAGE)
        return data


class RejectNulInApiQueryMiddleware:
    """A 400 for an API request whose path or query string carries a NUL character."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and (
            "\x00" in request.path
            or any(_has_nul(key) or _has_nul(values) for key, values in request.GET.lists())
        ):
            return JsonResponse({"detail": NUL_MESSAGE}, status=400)
        return self.get_response(request)


def not_found(request, exception=None):
    """Django's 404 page, or a JSON 404 under /api/ (as DRF answers inside a route)."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


# --- the errors every operation may answer, in the OpenAPI schema -----------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` says what went wrong; a 400 names each bad field.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
UNSAFE = {"post", "put", "patch", "delete"}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error answers that every operation of its
    kind can give (bad input, not logged in, not allowed, not found, throttled), so clients
    and schemathesis see every status code the API uses. Answers an operation documents
    itself (with a specific body) are kept."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

    def error(text: str) -> dict:
        return {"description": text, "content": body}

    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "head", *UNSAFE}:
                continue
            responses = operation.setdefault("responses", {})
            anonymous = {} in operation.get("security", [{}])
            wanted = {"400": "Bad input: the message names each field.", "429": "Throttled."}
            if not anonymous:
                wanted["401"] = "Not logged in (session or `Authorization: Token <key>`)."
                wanted["403"] = "Logged in, but not allowed to do this."
            paged = any(p.get("name") == "page" for p in operation.get("parameters", []))
            if "{" in path or paged:
                wanted["404"] = "Not found, or not yours to see (or a page past the last)."
            if method in UNSAFE:
                wanted["415"] = "The body's media type is not accepted."
            for code, text in wanted.items():
                responses.setdefault(code, error(text))
    return result
