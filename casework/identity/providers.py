"""The OIDC providers this installation offers, read from settings.OIDC_PROVIDERS.

A provider is on when its issuer and client id are set. Its endpoints come from the issuer's
discovery document (``/.well-known/openid-configuration``, cached) unless set explicitly; the
document must name the configured issuer, or the provider is treated as unreachable.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

# Digdir's levels of assurance, lowest first; the old names (Level3/Level4) still occur.
ACR_LEVELS = {
    "idporten-loa-low": 1,
    "idporten-loa-substantial": 2,
    "Level3": 2,
    "idporten-loa-high": 3,
    "Level4": 3,
}
# Providers whose subjects are the same people as ID-porten's: a pid from them links accounts.
DIGDIR_PROVIDERS = frozenset({"idporten", "ansattporten"})
DISCOVERY_CACHE_SECONDS = 3600
ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "end_session_endpoint",
)
DEFAULT_NAMES = {
    "idporten": "ID-porten",
    "ansattporten": "Ansattporten",
    "generic": _("Ministries' login"),
}


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or does not match."""


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    acr: str
    explicit: dict[str, str]
    authorization_details: str = ""

    @property
    def display_name(self) -> str:
        return self.name or str(DEFAULT_NAMES.get(self.key, self.key))

    @property
    def is_digdir(self) -> bool:
        return self.key in DIGDIR_PROVIDERS

    def metadata(self) -> dict[str, str]:
        """The endpoints: explicit settings over the discovery document."""
        if all(self.explicit.get(name) for name in ENDPOINTS[:3]):
            return {name: self.explicit.get(name, "") for name in ENDPOINTS}
        discovered = discovery_document(self.issuer)
        return {name: self.explicit.get(name) or discovered.get(name, "") for name in ENDPOINTS}

    def extra_params(self) -> dict[str, str]:
        """What the authorization request adds: the wanted level (acr_values) and, for
        Ansattporten, which organisations' rights to report (authorization_details)."""
        params = {}
        if self.acr:
            params["acr_values"] = self.acr
        if self.authorization_details:
            params["authorization_details"] = self.authorization_details
        return params

    def endpoint(self, name: str) -> str:
        return self.metadata()[name]

    def acr_accepted(self, acr: str | None) -> bool:
        """Is ``acr`` at least the configured level? Unknown values are not."""
        if not self.acr:
            return True
        wanted = ACR_LEVELS.get(self.acr)
        if wanted is None:  # a non-Digdir vocabulary: only the exact value
            return acr == self.acr
        return ACR_LEVELS.get(acr or "", 0) >= wanted


def discovery_document(issuer: str) -> dict:
    key = f"oidc:discovery:{issuer}"
    document = cache.get(key)
    if document is not None:
        return document
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(f"{url} names issuer {document.get('issuer')!r}")
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def configured_providers() -> list[Provider]:
    """The providers that are switched on, in the login page's order."""
    providers = []
    for key in settings.OIDC_PROVIDER_KEYS:
        config = settings.OIDC_PROVIDERS.get(key) or {}
        if not (config.get("issuer") and config.get("client_id")):
            continue
        providers.append(
            Provider(
                key=key,
                name=config.get("name", ""),
                issuer=config["issuer"],
                client_id=config["client_id"],
                client_secret=config.get("client_secret", ""),
                scopes=config.get("scopes") or "openid",
                acr=config.get("acr", ""),
                explicit={name: config.get(name, "") for name in ENDPOINTS},
                authorization_details=config.get("authorization_details", ""),
            )
        )
    return providers


def provider_get(key: str) -> Provider | None:
    return next((p for p in configured_providers() if p.key == key), None)


def form_action_origins() -> list[str]:
    """Origins a form of ours may end up at: the logout button is answered with a redirect
    to the provider's end_session endpoint, which the Content-Security-Policy must allow."""
    origins = []
    for provider in configured_providers():
        urls = [provider.issuer, provider.explicit.get("end_session_endpoint", "")]
        document = cache.get(f"oidc:discovery:{provider.issuer}") or {}
        urls.append(document.get("end_session_endpoint", ""))
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"} and parts.netloc:
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in origins:
                    origins.append(origin)
    return origins


def pid_digest(pid: str) -> str:
    """A keyed digest of a national identity number: links logins, reveals nothing."""
    if not pid:
        return ""
    return salted_hmac("frikommune.identity.pid", pid.strip(), algorithm="sha256").hexdigest()


def organisation_numbers_from(claims: dict) -> set[str]:
    """Organisation numbers an Ansattporten login acts for, from ``authorization_details``.

    Both shapes Digdir documents: ``reportees`` (Altinn roles and resources, each with
    ``ID`` ``0192:<orgno>``) and ``orgno`` (``{"authority": ..., "ID": "0192:<orgno>"}``).
    """
    details = claims.get("authorization_details") or []
    if isinstance(details, dict):
        details = [details]
    found = set()
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict):
            continue
        entries = list(detail.get("reportees") or [])
        if isinstance(detail.get("orgno"), dict):
            entries.append(detail["orgno"])
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            identifier = str(entry.get("ID") or entry.get("id") or "")
            number = identifier.rsplit(":", 1)[-1]
            if len(number) == 9 and number.isdigit():
                found.add(number)
    return found
