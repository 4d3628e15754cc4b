"""One place that turns what the services raise into API answers.

Registered as ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``. The services speak Django
(``ValidationError``, ``PermissionDenied``, ``Http404``) and django-fsm (a stale status);
clients get:

- 400 ``{"field": ["message", ...]}`` for a Django ``ValidationError`` with fields, and
  ``{"non_field_errors": ["message", ...]}`` for one without (for example every reason an
  application cannot be submitted yet): the same shape as DRF's own serializer errors;
- 403 ``{"detail": "..."}`` for ``PermissionDenied`` (DRF's own handling, message kept);
- 404 for objects outside what the user may see (the selectors raise ``Http404``);
- 409 ``{"detail": "..."}`` for ``ConflictError`` and ``ConcurrentTransition``: someone else
  changed the application in between, the client should reload.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django_fsm import ConcurrentTransition
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from trials.exceptions import ConflictError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail=None, code=None):
        super().__init__(detail or str(ConflictError()), code)


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """DRF's error shape for a Django ``ValidationError``."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


def as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(validation_error_detail(exc))
    if isinstance(exc, ConflictError):
        return Conflict(str(exc))
    if isinstance(exc, ConcurrentTransition):
        return Conflict()
    return exc


def exception_handler(exc, context):
    return drf_exception_handler(as_api_exception(exc), context)
