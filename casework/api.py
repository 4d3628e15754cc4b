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
