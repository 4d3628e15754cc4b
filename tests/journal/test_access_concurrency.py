"""Two officers deciding the same access request at once: exactly one wins, the other is
told someone else did it, and the requester gets one answer (PostgreSQL row locks)."""

import os
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections

from casework.choices import AccessRequestStatus, Role
from casework.models import AccessRequest
from casework.services import access_request_create
from tests.background import run_due_tasks
from tests.conftest import record_bokmal_for_neutral
from tests.factories import person
from workflows.access import services as access_services
from workflows.access.flows import AccessRequestFlow
from workflows.case.services import TaskDone

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE); SQLite serialises writers",
)


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests start from an empty database: load the register first."""
    with open(os.devnull, "w") as quiet:
        call_command("load_reference_data", verbosity=0, stdout=quiet)
    record_bokmal_for_neutral()


def _at_once(calls) -> list:
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            out[index] = call()
        except Exception as exc:
            out[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return out


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_officers_deciding_the_same_request_at_once(
    reference_data, make_entry, kdd, case_officer, monkeypatch
):
    colleague = person(kdd, Role.CASE_OFFICER, "saksbehandlar.to", first_name="Per")
    access_request = access_request_create(
        actor=None, entry=make_entry(), email="innsyn@example.org"
    )
    task = AccessRequestFlow.task_class.objects.get(
        process__accessrequestprocess__access_request=access_request,
        flow_task=AccessRequestFlow.decide_access,
    )
    decide = access_services.access_request_decide

    def slowly(**kwargs):
        result = decide(**kwargs)
        time.sleep(0.5)  # hold the lock, so the other officer surely waits for it
        return result

    monkeypatch.setattr(access_services, "access_request_decide", slowly)

    def complete(actor, payload):
        fresh = AccessRequestFlow.task_class.objects.get(pk=task.pk)
        return lambda: access_services.access_task_complete(
            actor=actor, task=fresh, payload=payload
        )

    results = _at_once(
        [
            complete(case_officer, {"decision": "grant"}),
            complete(colleague, {"decision": "refuse", "basis": "offl_13", "reason": "Nei."}),
        ]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], TaskDone), results
    access_request = AccessRequest.objects.get(pk=access_request.pk)
    winner = 0 if not isinstance(results[0], Exception) else 1
    expected = [AccessRequestStatus.GRANTED, AccessRequestStatus.REFUSED][winner]
    assert access_request.status == expected
    assert access_request.decided_by == [case_officer, colleague][winner]
    run_due_tasks()  # the receipt and the one decision
    assert len(mail.outbox) == 2
