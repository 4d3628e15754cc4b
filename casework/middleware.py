"""Request ids: taken from X-Request-ID when a proxy sets one, else generated.

The id is kept in a context variable so that audit events and log lines of one request
carry the same id without passing the request around.
"""

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY unless a view has set its own policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = _allow_logout_redirects(policy)
        return response


def _allow_logout_redirects(policy: str) -> str:
    """The logout button's answer redirects to the login provider's end_session endpoint;
    ``form-action`` must allow that origin or the browser stops the redirect."""
    from casework.identity.providers import form_action_origins

    origins = form_action_origins()
    if not origins or "form-action 'self'" not in policy:
        return policy
    return policy.replace("form-action 'self'", "form-action 'self' " + " ".join(origins), 1)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class LanguageMiddleware(LocaleMiddleware):
    """Bokmål unless the user has chosen another language with the language switcher.

    The browser's Accept-Language is not used: many Norwegians run English browsers, and a
    Norwegian public service speaks Norwegian until asked otherwise.
    """

    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()


def chosen_language(request) -> str:
    """The language a request is answered in (``LanguageMiddleware``): the language cookie's
    when it names a supported one, else bokmål."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        return translation.get_supported_language_variant(chosen)
    except LookupError:
        return settings.LANGUAGE_CODE
