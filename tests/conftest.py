"""The whole suite's set-up.

- One test database per worker (pytest-xdist gives each its own), migrated and loaded with the
  real reference data once; every test runs in a transaction that is rolled back.
- Fast settings for the whole run: MD5 password hashing (PBKDF2 costs most of a second per
  user; tests/test_passwords.py checks the real hashing) and static files looked up
  per request instead of WhiteNoise indexing every static file for each new test client.
- The shared fixtures (people, organisations, applications in every state) live in
  tests/fixtures.py, registered here; builders in tests/builders.py. Data a module's tests
  only read is built once for the module (tests/once.py, also registered here).
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

pytest_plugins = ["tests.once", "tests.fixtures"]

REAL_PASSWORD_HASHERS = list(settings.PASSWORD_HASHERS)


def load_reference_data() -> None:
    call_command("load_reference_data", verbosity=0, stdout=io.StringIO())


def record_bokmal_for_neutral() -> None:
    """Letters to a neutral organisation need the officer's choice of written form
    (språklova § 11, ``trials.journal.letter_language``). Tests about something else get
    municipalities and ministries that recorded bokmål; the counties keep the decisions of
    legal/data/language_forms.csv; tests of the rule (tests/trials/test_letter_language.py)
    record neutral through the service first."""
    from casework.choices import OrganisationKind
    from casework.models import Organisation

    Organisation.objects.filter(
        language_form="", kind__in=[OrganisationKind.KOMMUNE, OrganisationKind.DEPARTEMENT]
    ).update(language_form="nb")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the real reference data (loaded once per worker).

    On PostgreSQL the audit table refuses TRUNCATE (casework migration 0011) unless the
    database allows it; a test database is emptied between transactional tests, so it does
    (new connections read the setting, hence the reconnect)."""
    with django_db_blocker.unblock():
        load_reference_data()
        record_bokmal_for_neutral()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f'ALTER DATABASE "{connection.settings_dict["NAME"]}" '
                    "SET frikommune.audit_truncate = 'allow'"
                )
            connection.close()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: throttles, and figures cached per version of the
    data (a rolled-back test may leave the same version with other data behind)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _fast_settings():
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher", *REAL_PASSWORD_HASHERS],
        WHITENOISE_AUTOREFRESH=True,
        # Tests travel days ahead with a logged-in client; the timeout tests
        # (tests/casework/test_local_accounts.py) set their own limits.
        SESSION_IDLE_TIMEOUT=10 * 365 * 86400,
        SESSION_ABSOLUTE_TIMEOUT=10 * 365 * 86400,
        SESSION_COOKIE_AGE=10 * 365 * 86400,
    ):
        yield


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def mid_minute():
    """The public API's throttle counts per clock minute: a test of it starts just after a
    minute begins, so its requests fall in one window whenever the test runs."""
    import datetime

    import time_machine
    from django.utils import timezone

    start = timezone.now().replace(second=2, microsecond=0) + datetime.timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        yield
