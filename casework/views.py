"""A logged-in user's own API key: create (shown once) and revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from casework import services
from casework.models import ApiKey


def _render(request, *, new_key: str = ""):
    api_key = ApiKey.objects.filter(user=request.user).first()
    return render(request, "casework/api_token.html", {"api_key": api_key, "new_key": new_key})


@never_cache
@login_required
@require_GET
def api_token(request):
    return _render(request)


@never_cache
@login_required
@require_POST
def api_token_create(request):
    try:
        issued = services.api_token_create(actor=request.user, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("casework:api_token")
    return _render(request, new_key=issued.key)


@login_required
@require_POST
def api_token_revoke(request):
    if services.api_token_revoke(actor=request.user, user=request.user):
        messages.success(request, _("Your API key is revoked. Programs using it are shut out."))
    else:
        messages.info(request, _("You had no API key."))
    return redirect("casework:api_token")
