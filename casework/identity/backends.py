"""Authentication of a person a provider has vouched for: mozilla-django-oidc's backend,
configured per provider, with the checks Digdir requires of a client.

The ID token's signature is checked against the provider's published keys (JWKS, the key
named by the token's ``kid``, asymmetric algorithms only), and its issuer, audience (our
client id), expiry, issue time and nonce; then the level of assurance (``acr``). A refused
login leaves its reason on the request (``request.oidc_refusal``) for the refusal page.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from casework import services
from casework.identity.providers import (
    Provider,
    ProviderUnavailable,
    organisation_numbers_from,
    pid_digest,
    provider_get,
)

logger = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 60
REFUSED_ACR = "acr"
REFUSED_TOKEN = "token"  # noqa: S105 (a reason code, not a secret)
REFUSED_PROVIDER = "provider"


def provider_settings(provider: Provider, name: str, default=None):
    """mozilla-django-oidc's setting ``name`` for this provider."""
    values = {
        "OIDC_RP_CLIENT_ID": provider.client_id,
        "OIDC_RP_CLIENT_SECRET": provider.client_secret,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": provider.scopes,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_USE_NONCE": True,
        "OIDC_STORE_ID_TOKEN": True,  # the id_token_hint of logout
        "OIDC_TIMEOUT": settings.OIDC_TIMEOUT,
        "OIDC_AUTHENTICATION_CALLBACK_URL": f"oidc-callback-{provider.key}",
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": provider.extra_params(),
    }
    if name in values:
        return values[name]
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    }
    if name in endpoints:
        return provider.endpoint(endpoints[name])
    return default


class ProviderBackend(OIDCAuthenticationBackend):
    """One backend for every provider: the callback view puts the provider on the request."""

    def __init__(self, *args, **kwargs):
        # The parent reads global settings here; ours are per provider, read per login.
        self.provider = None
        self.UserModel = get_user_model()

    def _configure(self, provider: Provider) -> None:
        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = provider.endpoint("token_endpoint")
        self.OIDC_OP_USER_ENDPOINT = provider.endpoint("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = provider.endpoint("jwks_uri")
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = provider.client_secret
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None

    def get_settings(self, attr, *args):
        if self.provider is None:
            return args[0] if args else None
        return provider_settings(self.provider, attr, args[0] if args else None)

    def authenticate(self, request, **kwargs):
        provider_key = getattr(request, "oidc_provider", None) if request else None
        if not provider_key or "nonce" not in kwargs:
            return None  # a password login: not ours
        provider = provider_get(provider_key)
        if provider is None:
            return None
        try:
            self._configure(provider)
            return super().authenticate(request, **kwargs)
        except ProviderUnavailable as exc:
            logger.warning("OIDC provider %s unavailable: %s", provider_key, exc)
            request.oidc_refusal = REFUSED_PROVIDER
        except requests.RequestException as exc:
            logger.warning("OIDC token request to %s failed: %s", provider_key, exc)
            request.oidc_refusal = REFUSED_PROVIDER
        except SuspiciousOperation as exc:
            logger.warning("OIDC login through %s refused: %s", provider_key, exc)
            request.oidc_refusal = getattr(exc, "refusal", REFUSED_TOKEN)
        return None

    def retrieve_matching_jwk(self, token):
        """The provider's key named by the token's ``kid`` (the only one if it names none)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"unreadable ID token header: {exc}") from exc
        response = requests.get(self.provider.endpoint("jwks_uri"), timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = [key for key in response.json().get("keys", []) if key.get("use", "sig") == "sig"]
        kid = header.get("kid")
        matching = [key for key in keys if kid is None or key.get("kid") == kid]
        if len(matching) != 1:
            raise SuspiciousOperation("no single signing key of the provider matches the token")
        return jwt.PyJWK(matching[0])

    def verify_token(self, token, **kwargs):
        """Signature, issuer, audience, expiry, issue time and nonce of the ID token."""
        if not token:
            raise SuspiciousOperation("the provider sent no ID token")
        key = self.retrieve_matching_jwk(token)
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=settings.OIDC_SIGNING_ALGORITHMS,
                audience=self.provider.client_id,
                issuer=self.provider.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        if payload.get("azp") and payload["azp"] != self.provider.client_id:
            raise SuspiciousOperation("ID token issued to another client (azp)")
        if kwargs.get("nonce") is None or payload.get("nonce") != kwargs["nonce"]:
            raise SuspiciousOperation("ID token nonce does not match this login")
        if not self.provider.acr_accepted(payload.get("acr")):
            refusal = SuspiciousOperation(
                f"level of assurance {payload.get('acr')!r} below {self.provider.acr!r}"
            )
            refusal.refusal = REFUSED_ACR
            raise refusal
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with the userinfo endpoint's where the provider has one
        (only when it describes the same subject)."""
        claims = dict(payload)
        endpoint = self.provider.endpoint("userinfo_endpoint")
        if endpoint and access_token:
            try:
                response = requests.get(
                    endpoint,
                    headers={"Authorization": f"Bearer {access_token}"},
                    timeout=settings.OIDC_TIMEOUT,
                )
                response.raise_for_status()
                extra = response.json()
            except (requests.RequestException, ValueError) as exc:
                logger.info("OIDC userinfo of %s unavailable: %s", self.provider.key, exc)
                extra = {}
            if isinstance(extra, dict) and extra.get("sub") == payload.get("sub"):
                for name, value in extra.items():
                    claims.setdefault(name, value)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        login = services.external_login_record(
            provider=self.provider.key,
            subject=str(payload["sub"]),
            claims={k: v for k, v in claims.items() if k != "pid"},
            pid_digest=pid_digest(str(claims.get("pid") or "")),
            link_by_pid=self.provider.is_digdir,
            organisation_numbers=organisation_numbers_from(claims)
            if self.provider.key == "ansattporten"
            else (),
        )
        self.request.oidc_new_account = login.created
        return login.user
