"""The password login form, throttled (casework.identity.throttle); the Django admin's login
uses the same rule."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from casework import services
from casework.identity import throttle


class ThrottledLoginMixin:
    locked_out = False

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if throttle.locked_out(self.request, username):
            self.locked_out = True
            raise ValidationError(
                _(
                    "Too many failed logins. Wait %(minutes)s minutes and try again, or log "
                    "in with your electronic ID."
                ),
                code="locked_out",
                params={"minutes": max(1, self.lockout_minutes())},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if throttle.failure_record(self.request, username):
                user = get_user_model().objects.filter(username=username).first()
                services.login_lockout_record(username=username, user=user)
            raise
        throttle.success_record(username)
        return cleaned

    @staticmethod
    def lockout_minutes() -> int:
        from django.conf import settings

        return settings.LOGIN_LOCKOUT_SECONDS // 60


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
