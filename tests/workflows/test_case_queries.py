"""The whole case, from submission to the decision with its audit trail and journal, stays
within a fixed number of SQL queries (issue 11 § 1; bench/case_process.py measures the same
steps with their time, against the bare viewflow engine). A change that adds queries to a step
fails here: look at ``bench/case_process.py --show-queries`` to see which."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.models import AuditEvent, JournalEntry, Sequence
from tests import builders
from trials.choices import Assessment, Outcome, Position
from trials.models import Consultation
from workflows.case.services import task_complete

pytestmark = pytest.mark.django_db

# The service calls of one case: submit, register, completeness, assessment of two exemptions
# sending two consultations, two answers, proposal, approval with its letter: 189 when this was
# written (bench/case_process.py, which also counts what its driver reads to build the payloads
# and find the tasks, went from 395 to 216 a case); 194 once the letters gained their address
# block of every applicant and the copies to the consulted ministries (issue 14); 159 on both
# SQLite and PostgreSQL after the engine's new task rows, the letter and mail task rows and the
# journal numbers of a step were written together and the lock read the fresh task (issue 11),
# this count now including the mails about work to the consultees and the approver, which a
# step queues at its end (before, after the commit, where this test did not count them); 153
# once a step queues one background task per new task to announce instead of finding the
# people and rendering their mails itself (the worker does that); 137 once a journal entry's
# number in its case is taken by its INSERT, the entries of a step (registration, the
# consultation letters) are written together, a consultation is read with its exemptions in
# one query, the join is found with its incoming tasks, the end and the end of the
# consultations check and move in one conditional UPDATE each, and the preliminary-answer
# tasks are cancelled with one UPDATE.
# No room: a change that adds a query to a step fails here.
WHOLE_CASE_MAX = 137

TWO_MINISTRIES = [builders.exemption(builders.OPPL_13_1), builders.exemption(builders.HOL_3_2)]


def _case(make_ready, applicant, staff) -> tuple[int, object]:
    """One application through every step; the number of queries its services made."""
    application = make_ready(exemptions=TWO_MINISTRIES)
    counted = 0

    def measure(action):
        nonlocal counted
        with CaptureQueriesContext(connection) as captured:
            action()
        counted += len(captured.captured_queries)

    measure(lambda: builders.services.application_submit(actor=applicant, application=application))
    for step, actor, payload in (
        ("register", staff.officer, {}),
        ("check_completeness", staff.officer, {"complete": True}),
    ):
        task = builders.open_task(application, step)
        measure(lambda t=task, a=actor, p=payload: task_complete(actor=a, task=t, payload=p))
    exemptions = list(application.exemption_requests.all())
    task = builders.open_task(application, "assess")
    assessments = {e.pk: {"assessment": Assessment.WITHIN_SCOPE} for e in exemptions}
    measure(
        lambda: task_complete(actor=staff.officer, task=task, payload={"assessments": assessments})
    )
    while (task := builders.open_task(application, "consult")) is not None:
        consultation = Consultation.objects.select_related("ministry").get(
            pk=task.data["consultation"]
        )
        positions = {e.pk: {"position": Position.SUPPORTS} for e in consultation.exemptions.all()}
        measure(
            lambda t=task, c=consultation, p=positions: task_complete(
                actor=staff.consultee(c.ministry), task=t, payload={"positions": p}
            )
        )
    task = builders.open_task(application, "propose")
    outcomes = {e.pk: {"outcome": Outcome.GRANTED} for e in exemptions}
    measure(
        lambda: task_complete(
            actor=staff.officer,
            task=task,
            payload={"outcomes": outcomes, "summary": "Godkjent."},
        )
    )
    task = builders.open_task(application, "approve")
    measure(lambda: task_complete(actor=staff.approver, task=task, payload={"decision": "approve"}))
    application.refresh_from_db()
    return counted, application


def test_a_whole_case_stays_within_its_query_budget(make_ready, applicant, staff):
    _case(make_ready, applicant, staff)  # the first case of a year creates its counters
    queries, application = _case(make_ready, applicant, staff)

    assert application.status == "approved"
    assert queries <= WHOLE_CASE_MAX, f"{queries} queries for a whole case"


def test_the_cheaper_case_keeps_its_whole_history(make_ready, applicant, staff):
    """The step's audit events are written together, the engine skips its re-reads: the
    trail and the journal are still complete, event by event."""
    _case(make_ready, applicant, staff)
    _queries, application = _case(make_ready, applicant, staff)

    events = list(
        AuditEvent.objects.filter(object_id=str(application.pk), content_type__model="application")
        .order_by("id")
        .values_list("action", "actor_id", "from_state", "to_state")
    )
    events = events[[e[0] for e in events].index("application.submitted") :]
    assert [e[0] for e in events] == [
        "application.submitted",
        "application.registered",
        "application.complete",
        "exemption.assessed",
        "exemption.assessed",
        "application.consultation_started",
        "consultation.sent",
        "consultation.sent",
        "consultation.answered",
        "consultation.answered",
        "application.consultation_finished",
        "application.decision_proposed",
        "application.approved",
    ]
    for action, actor_id, from_state, to_state in events[1:]:
        if action.startswith("application."):  # a change of status: from, to, and who
            assert from_state and to_state, action
            assert actor_id or action == "application.consultation_finished", action
    entries = JournalEntry.objects.filter(case__object_id=str(application.pk)).order_by(
        "number_in_case"
    )
    # application, receipt, two consultation letters, two answers, the decision
    assert [e.number_in_case for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    # the journal numbers a step takes together (registration, the consultation letters) are
    # all used, in order, and none is skipped: the year's journal stays gapless
    numbers = [e.journal_sequence for e in entries]
    assert numbers == list(range(numbers[0], numbers[0] + 7))
    assert (
        Sequence.objects.get(name="journal", year=entries[0].journal_year).last_value
        == (numbers[-1])
    )
