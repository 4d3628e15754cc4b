"""Schemathesis over the whole OpenAPI schema: anonymous, as an applicant and as a case
officer. No generated input may cause a server error or a status code the schema does not
document. Bounded (a few examples per operation, derandomised) so the suite stays fast; the
same test on PostgreSQL catches what only PostgreSQL refuses (NUL bytes, dates out of range).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from casework.services import api_token_create
from config.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = 3


def _headers(user) -> dict:
    key = api_token_create(actor=user, user=user).key
    return {"Authorization": f"Token {key}"}


def _fuzz(headers: dict) -> list[str]:
    """Every operation of the schema with EXAMPLES generated inputs; the failures found.

    Driven with Hypothesis directly (schemathesis's own pytest plugin does not run under
    pytest 9), one operation after the other, inside the test's database transaction."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1500])
    return failures


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [not_a_server_error, status_code_conformance]


@pytest.fixture
def world(publish):
    """Something to find: an application in the case process. The requests go through the
    WSGI application, which closes the database connection after each request; like
    Django's test client, keep it open so that the test's transaction survives."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield publish(stop_at="assess")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_anonymous(world):
    failures = _fuzz({})
    assert not failures, "\n\n".join(failures)


def test_applicant(world, applicant):
    failures = _fuzz(_headers(applicant))
    assert not failures, "\n\n".join(failures)


def test_case_officer(world, case_officer):
    failures = _fuzz(_headers(case_officer))
    assert not failures, "\n\n".join(failures)
