import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class RefusingBackend(LocmemBackend):
    """The mail server refuses the first ``refusals`` messages, then accepts (locmem)."""

    refusals = 0

    def send_messages(self, messages):
        if RefusingBackend.refusals > 0:
            RefusingBackend.refusals -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def refusing_mail(settings):
    """``refusing_mail(n)``: the next n sends fail as an SMTP server that hangs up."""
    settings.EMAIL_BACKEND = "tests.tasks.conftest.RefusingBackend"

    def refuse(count: int):
        RefusingBackend.refusals = count

    yield refuse
    RefusingBackend.refusals = 0


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("rot", "rot@kdd.example", "x")
