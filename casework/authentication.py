"""API keys for the REST API: ``Authorization: Token <key>``, checked against stored digests.

The header format is DRF's ``TokenAuthentication`` (which parses it for us); the keys are
``casework.models.ApiKey``, of which the database holds only a SHA-256 digest.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from casework.models import ApiKey
from casework.services import api_key_mark_used


class ApiKeyAuthentication(TokenAuthentication):
    """Authenticate a request by the digest of its key.

    The key is hashed before the database sees it, so comparing digests there leaks, through
    timing, at most how much of a digest matched, which tells an attacker nothing about a key.
    Messages are DRF's own, so clients get the same answers (and translations) as before.
    """

    keyword = "Token"
    model = ApiKey

    def authenticate_credentials(self, key: str):
        api_key = (
            ApiKey.objects.select_related("user").filter(digest=ApiKey.digest_for(key)).first()
        )
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        api_key_mark_used(api_key=api_key)
        return (api_key.user, api_key)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme for ``ApiKeyAuthentication``, under DRF's usual name."""

    target_class = ApiKeyAuthentication
    name = "tokenAuth"
    priority = 1  # above drf-spectacular's own TokenAuthentication scheme, which matches too

    def get_security_definition(self, auto_schema):
        return {
            **build_bearer_security_scheme_object(
                header_name="Authorization", token_prefix=self.target.keyword
            ),
            "description": (
                f'An API key, sent as "Authorization: {self.target.keyword} <key>". Users create '
                "their own on the API key page (/api-nokkel/); administrators use "
                "manage.py create_api_token."
            ),
        }
