"""A logged-in user's own API key: create (shown once) and revoke."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework import services
from casework.models import ApiKey, MailPreference


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


class MailPreferenceForm(forms.Form):
    daily_digest = forms.TypedChoiceField(
        label=gettext_lazy("How do you want the mails about new work?"),
        choices=[
            ("0", gettext_lazy("One mail for each task, when it arrives")),
            ("1", gettext_lazy("One daily digest with everything that came")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def mail_preference(request):
    """The person's choice between a mail per task and a daily digest."""
    current = MailPreference.objects.filter(user=request.user, daily_digest=True).exists()
    if request.method == "POST":
        form = MailPreferenceForm(request.POST)
        if form.is_valid():
            services.mail_preference_set(
                actor=request.user, daily_digest=form.cleaned_data["daily_digest"]
            )
            messages.success(request, _("Your mail settings are saved."))
            return redirect("casework:mail_preference")
    else:
        form = MailPreferenceForm(initial={"daily_digest": "1" if current else "0"})
    return render(request, "casework/mail_preference.html", {"form": form, "digest": current})
