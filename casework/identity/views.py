"""Logging in and out: through an OIDC provider (ID-porten, Ansattporten, the ministries'
own), or with a local account (development, the demo, the break-glass administrator)."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from casework.identity import backends
from casework.identity.forms import LoginForm
from casework.identity.providers import ProviderUnavailable, configured_providers, provider_get
from casework.selectors import memberships_for_user

logger = logging.getLogger(__name__)

SESSION_PROVIDER = "oidc_provider"
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 (the session key mozilla-django-oidc uses)
INVITATION_PATH = "/invitasjon/"
UI_LOCALES = {"nb": "nb", "nn": "nn", "en": "en"}


def _refused(request, reason: str, *, status: int = 403):
    provider = provider_get(getattr(request, "oidc_provider", "") or "")
    return render(
        request,
        "identity/refused.html",
        {"reason": reason, "provider": provider, "providers": configured_providers()},
        status=status,
    )


@method_decorator(never_cache, name="dispatch")
class ProviderLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider: code flow with PKCE (S256), state and nonce."""

    provider_key = ""

    def __init__(self, **kwargs):
        # The parent reads the endpoint from global settings here; ours is per provider.
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.provider = None

    def get_settings(self, attr, *args):
        return backends.provider_settings(self.provider, attr, args[0] if args else None)

    def get_extra_params(self, request):
        params = dict(super().get_extra_params(request))
        params["ui_locales"] = UI_LOCALES.get((get_language() or "nb")[:2], "nb")
        return params

    def get(self, request):
        self.provider = provider_get(self.provider_key)
        if self.provider is None:
            raise Http404
        request.oidc_provider = self.provider_key
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.provider.endpoint("authorization_endpoint")
        except ProviderUnavailable as exc:
            logger.warning("OIDC provider %s unavailable: %s", self.provider_key, exc)
            return _refused(request, backends.REFUSED_PROVIDER, status=503)
        self.OIDC_RP_CLIENT_ID = self.provider.client_id
        return super().get(request)


@method_decorator(never_cache, name="dispatch")
class ProviderCallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code; the backend checks it all."""

    provider_key = ""

    def get(self, request):
        if provider_get(self.provider_key) is None:
            raise Http404
        request.oidc_provider = self.provider_key
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # a state this browser did not start
            logger.warning("OIDC callback of %s refused: %s", self.provider_key, exc)
            return _refused(request, backends.REFUSED_TOKEN)

    def login_failure(self):
        reason = getattr(self.request, "oidc_refusal", "")
        if not reason:
            reason = "cancelled" if self.request.GET.get("error") else backends.REFUSED_TOKEN
        return _refused(self.request, reason)

    @property
    def success_url(self):
        next_url = self.request.session.pop("oidc_login_next", None) or ""
        accepting = next_url.startswith(INVITATION_PATH)
        if not accepting and not memberships_for_user(self.user).exists():
            return reverse("access_missing")
        return next_url or resolve_url(settings.LOGIN_REDIRECT_URL)

    def login_success(self):
        response = super().login_success()
        self.request.session[SESSION_PROVIDER] = self.provider_key
        return response


@require_POST
def logout(request):
    """Ends our session, and the provider's too (end_session_endpoint) when the person came
    through one; the provider sends them back to the "logged out" page."""
    provider = provider_get(request.session.get(SESSION_PROVIDER, ""))
    id_token = request.session.get(SESSION_ID_TOKEN, "")
    auth.logout(request)
    if provider is not None and id_token:
        try:
            endpoint = provider.endpoint("end_session_endpoint")
        except ProviderUnavailable:
            endpoint = ""
        if endpoint:
            query = urlencode(
                {
                    "id_token_hint": id_token,
                    "post_logout_redirect_uri": request.build_absolute_uri(reverse("logged_out")),
                    "client_id": provider.client_id,
                }
            )
            return HttpResponseRedirect(f"{endpoint}?{query}")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_GET
def logged_out(request):
    return render(request, "registration/logged_out.html")


@never_cache
@login_required
@require_GET
def access_missing(request):
    """A person who is logged in but has no role yet: how to get one."""
    return render(
        request,
        "identity/no_access.html",
        {"memberships": memberships_for_user(request.user)},
    )


class LoginView(auth_views.LoginView):
    """The login page: the configured providers first, then the local account form
    (throttled per account and address)."""

    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked_out:
            response.status_code = 429
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["providers"] = configured_providers()
        return context
