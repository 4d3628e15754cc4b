"""What people do with case-handling tasks: claim, unassign, reassign, complete.

Each completion runs under the process lock (SELECT ... FOR UPDATE on the process row):
of two people completing the same task at once, the second waits, finds the task done and
is told so (HTTP 409), and nothing is recorded twice. The work of each step is done by
``trials.services``; this module only routes a task's payload to the right service.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.fsm.base import NoTransition
from viewflow.workflow.status import PROCESS, STATUS

from casework.background import enqueued_write
from casework.selectors import memberships_remembered
from casework.services import audit_record, audit_write
from casework.transactions import hold, savepoint, service_atomic, unit_of_work
from trials import services as trials
from trials.choices import ExemptionStatus, Outcome, Stage
from trials.models import Application, Call, Consultation
from trials.selectors import exemption_requests_read
from workflows.case import extension, notifications, selectors
from workflows.case.flows import ApplicationFlow, consultation_item
from workflows.case.models import CaseProcess
from workflows.nodes import links_write, tasks_write
from workflows.tasks import TaskDone, take, take_to_complete

ACTIVE = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED, STATUS.SCHEDULED]
ASSESSED_OR_WITHDRAWN = (ExemptionStatus.ASSESSED, ExemptionStatus.WITHDRAWN)


def _gone(task, actor=None) -> TaskDone:
    """A TaskDone saying what happened to ``task``: taken, completed or the case withdrawn."""
    return TaskDone(selectors.task_gone_reason(task, actor))


# --- starting and the applicant's side (called through trials.hooks) ---------------------


def case_start(application, actor) -> CaseProcess:
    """Start the case process for a submitted application (inside the submit transaction);
    its first task rows and their links are written together (a unit of work)."""
    with unit_of_work(_deferred_write):
        process = ApplicationFlow.start.run(application=application, actor=actor)
        _step_end()
        return process


def _process(application) -> CaseProcess | None:
    """The application's own case process (not one of its extensions')."""
    return CaseProcess.objects.filter(application=application, extension__isnull=True).first()


def answer_received(application, actor) -> None:
    """The applicant answered: finish the waiting task so the process moves on."""
    process = _process(application)
    if process is None:
        return
    task = (
        ApplicationFlow.task_class.objects.filter(
            process=process, flow_task=ApplicationFlow.await_answer, status__in=ACTIVE
        )
        .select_related("process")
        .first()
    )
    if task is not None:
        ApplicationFlow.await_answer.run(task)
        transaction.on_commit(partial(notifications.applicant_answered, application.pk))


def case_cancel(application, actor) -> None:
    """The application was withdrawn: cancel every open task and close the process."""
    process = _process(application)
    if process is None:
        return
    with ApplicationFlow.lock(process.pk):
        for task in ApplicationFlow.task_class.objects.filter(process=process, status__in=ACTIVE):
            activation = task.flow_task.activation_class(task)
            cancel = getattr(activation, "cancel", None)
            if cancel is not None and cancel.can_proceed():
                cancel()
            else:
                task.status = STATUS.CANCELED
                task.save(update_fields=["status"])
        process.status = PROCESS.CANCELED
        process.save(update_fields=["status"])


# --- who may take which task --------------------------------------------------------------


def _check_may_work_on(actor, task) -> None:
    """The role and four-eyes rules of ``selectors.task_refusal``, as a refusal."""
    refusal = selectors.task_refusal(actor, task)
    if refusal:
        raise PermissionDenied(refusal)


def _deferred_write(deferred: dict[str, list]) -> None:
    """What a step put off to its end: the engine's new task rows and the links between
    tasks, the audit events, the background tasks queued (letters, mail)."""
    tasks_write(deferred.get("task_insert", []))
    links_write(deferred)
    audit_write(deferred)
    enqueued_write(deferred)


def _step_end() -> None:
    """Inside the step's unit of work, at its end: its new task rows written, and the work
    they give someone announced (the mails queued with the step's other task rows)."""
    tasks_write()
    notifications.announce_deferred()


def _locked(task, operation: Callable):
    """Run ``operation(task, activation)`` under the process lock, on a fresh task row.

    Called in a service's transaction. One query takes the process lock (the row
    ``ApplicationFlow.lock`` locks) and the application's and reads both; the engine's
    activations, the handlers and the services they call share that copy (a unit of work,
    ``casework.transactions.unit_of_work``, holds the application), and the step's links
    between tasks and its audit events are written together at its end.
    """
    fresh = selectors.task_locked(task.pk)
    process = fresh.process
    for field in type(task)._meta.concrete_fields:  # the caller's object made fresh
        setattr(task, field.attname, getattr(fresh, field.attname))
        if field.is_relation and field.is_cached(task):
            field.delete_cached_value(task)
    task.process = process
    with unit_of_work(_deferred_write):
        hold((Application, process.application_id), process.application)
        activation = task.flow_task.activation_class(task)
        try:
            result = operation(task, activation)
        except NoTransition as exc:
            raise _gone(task) from exc
        _step_end()
        return result


@service_atomic
def task_claim(*, actor, task):
    def claim(task, activation):
        if task.status != STATUS.NEW:
            raise _gone(task, actor)
        take(task, activation, actor, check=lambda: _check_may_work_on(actor, task))
        _audit(actor, task, "task.claimed")
        return task

    with memberships_remembered(actor):
        return _locked(task, claim)


@service_atomic
def task_unassign(*, actor, task):
    def unassign(task, activation):
        if task.status != STATUS.ASSIGNED:
            raise _gone(task, actor)
        if not task.flow_task.can_unassign(actor, task):
            raise PermissionDenied(_("Only the person who has the task can put it back."))
        activation.unassign()
        _audit(actor, task, "task.unassigned")
        return task

    return _locked(task, unassign)


@service_atomic
def task_reassign(*, actor, task, user, as_leader: bool = False):
    """Give the task to someone else who may do it (the holder or a case officer; a KDD
    leader from the team view with ``as_leader``)."""

    def reassign(task, activation):
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
            raise _gone(task, actor)
        if not selectors.may_hand_on(actor, task, as_leader=as_leader):
            raise PermissionDenied(_("You cannot reassign this task."))
        try:
            _check_may_work_on(user, task)
        except PermissionDenied as exc:
            raise ValidationError({"user": str(exc)}) from exc
        if task.owner_permission and not user.has_perm(task.owner_permission):
            raise ValidationError({"user": _("%(name)s cannot do this task.") % {"name": user}})
        task.owner = user
        task.status = STATUS.ASSIGNED
        task.save(update_fields=["owner", "status"])
        _audit(actor, task, "task.reassigned", data={"to": user.get_username()})
        if user.pk != actor.pk:
            transaction.on_commit(partial(notifications.task_given, task.pk, user.pk, actor.pk))
        return task

    return _locked(task, reassign)


def _audit(actor, task, action, data=None):
    application = selectors.case_process(task).application
    audit_record(
        actor=actor,
        action=action,
        target=application,
        organisation=application.lead_organisation,
        data={"task": task.pk, "step": task.flow_task.name, **(data or {})},
    )


# --- completing: one handler per step ----------------------------------------------------


def _register(actor, task, application, payload, files):
    trials.application_register(
        actor=actor, application=application, language=payload.get("letter_language", "")
    )
    process = selectors.case_process(task)
    process.officer = actor
    process.save(update_fields=["officer"])


def _check_completeness(actor, task, application, payload, files):
    if payload.get("complete"):
        trials.application_accept_as_complete(actor=actor, application=application)
    else:
        trials.application_request_information(
            actor=actor,
            application=application,
            message=payload.get("message", ""),
            due_date=payload.get("due_date"),
            language=payload.get("letter_language", ""),
        )


def _answer_overdue(actor, task, application, payload, files):
    action = payload.get("action")
    if action == "continue":
        trials.application_continue_without_answer(
            actor=actor, application=application, reason=payload.get("reason", "")
        )
    elif action == "extend":
        trials.information_request_extend(
            actor=actor, application=application, due_date=_new_deadline(payload)
        )
    elif action == "close":
        trials.application_close_without_answer(
            actor=actor,
            application=application,
            reason=payload.get("reason", ""),
            language=payload.get("letter_language", ""),
        )
    else:
        raise ValidationError({"action": _("Choose continue, extend or close.")})
    task.data = {**task.data, "action": action}


def _assess(actor, task, application, payload, files):
    assessments = payload.get("assessments") or {}
    exemptions = {e.pk: e for e in exemption_requests_read(application, ministry=True)}
    unknown = set(assessments) - set(exemptions)
    if unknown:
        raise ValidationError({"assessments": _("Unknown exemption requests.")})
    trials.exemptions_assess(  # every refusal together, keyed <field>_<exemption id>
        actor=actor,
        application=application,
        assessments=[(exemptions[pk], spec) for pk, spec in assessments.items()],
    )
    # no refresh: the application and its requests were read under the process lock in this
    # transaction, and assessing wrote only the requests, these objects
    if not exemptions or any(e.status not in ASSESSED_OR_WITHDRAWN for e in exemptions.values()):
        raise ValidationError(_("Assess every exemption request."))
    hold(("exemptions", application.pk), list(exemptions.values()))  # consultations_needed
    hold(("assessment_complete", application.pk), True)  # consultations_start's check
    skip = payload.get("skip_consultation") and application.stage == Stage.PRELIMINARY
    if not skip:
        trials.consultations_start(
            actor=actor,
            application=application,
            due_date=payload.get("consultation_due_date"),
            message=payload.get("consultation_message", ""),
            language=payload.get("letter_language", ""),
        )


def _consultation(task) -> Consultation:
    """The consultation a consult or consultation_overdue task is about."""
    consultation = selectors.task_consultation(task)
    if consultation is None:
        raise TaskDone()
    return consultation


def _new_deadline(payload) -> object:
    if not payload.get("due_date"):
        raise ValidationError({"due_date": _("Give the new deadline.")})
    return payload["due_date"]


def _consult(actor, task, application, payload, files):
    trials.consultation_answer(
        actor=actor,
        consultation=_consultation(task),
        positions={
            int(k): (v.get("position", ""), v.get("statement", ""))
            for k, v in (payload.get("positions") or {}).items()
        },
        statement=payload.get("statement", ""),
        attachment=(files or {}).get("attachment"),
    )


def _consultation_overdue(actor, task, application, payload, files):
    consultation = _consultation(task)
    action = payload.get("action")
    if action == "extend":
        consultation = trials.consultation_extend(
            actor=actor, consultation=consultation, due_date=_new_deadline(payload)
        )
    elif action == "close":
        trials.consultation_close(
            actor=actor, consultation=consultation, reason=payload.get("reason", "")
        )
    else:
        raise ValidationError({"action": _("Choose extend or close.")})
    task.data = {**task.data, "action": action, **consultation_item(consultation)}


def _propose(actor, task, application, payload, files):
    trials.decision_propose(
        actor=actor,
        application=application,
        outcomes=payload.get("outcomes") or {},
        summary=payload.get("summary", ""),
        language=payload.get("letter_language", ""),
    )


def _approve(actor, task, application, payload, files):
    proposal = selectors.pending_proposal(application.pk)
    if proposal is None:
        raise TaskDone(_("The proposal has already been approved or returned."))
    if payload.get("decision") == "approve":
        trials.proposal_approve(actor=actor, proposal=proposal, comment=payload.get("comment", ""))
    elif payload.get("decision") == "return":
        trials.proposal_return(actor=actor, proposal=proposal, comment=payload.get("comment", ""))
    else:
        raise ValidationError({"decision": _("Choose approve or return.")})


def _interim_reply(actor, task, application, payload, files):
    if not payload.get("expected_decision"):
        raise ValidationError({"expected_decision": _("Give the date a decision is expected.")})
    trials.interim_reply_send(
        actor=actor,
        application=application,
        reason=payload.get("reason", ""),
        expected_decision=payload["expected_decision"],
        language=payload.get("letter_language", ""),
    )


HANDLERS = {
    "register": _register,
    "check_completeness": _check_completeness,
    "answer_overdue": _answer_overdue,
    "assess": _assess,
    "consult": _consult,
    "consultation_overdue": _consultation_overdue,
    "propose": _propose,
    "approve": _approve,
    "interim_reply": _interim_reply,
}


@service_atomic
def task_complete(*, actor, task, payload: dict, files: dict | None = None):
    """Do the task's work through the domain services and move the process on."""

    def complete(task, activation):
        take_to_complete(
            task,
            activation,
            actor,
            check=lambda: _check_may_work_on(actor, task),
            gone=lambda: _gone(task, actor),
        )
        process = selectors.case_process(task)
        handlers = extension.HANDLERS if process.extension_id else {}
        handler = handlers.get(task.flow_task.name) or HANDLERS[task.flow_task.name]
        activation.start(None)
        handler(actor, task, process.application, payload, files)
        activation.execute()
        return task

    with memberships_remembered(actor):
        return _locked(task, complete)


# --- a call decided as a batch -----------------------------------------------------------


@dataclass(frozen=True)
class BatchProposed:
    taken_forward: int
    not_taken_forward: int


@service_atomic
def call_batch_propose(
    *, actor, call: Call, forward: set[int], reasons: str, summary: str, letter_language: str = ""
) -> BatchProposed:
    """Propose a decision on each preliminary application of ``call`` whose propose task
    ``actor`` may do (``selectors.call_batch_rows``): those whose id is in ``forward`` taken
    forward (every exemption granted), the others not (every exemption refused with
    ``reasons``), each with ``summary``; every proposal then awaits an approver. The
    decision letters to neutral applicants are written in ``letter_language``.

    All or nothing: when any proposal is refused, none is made, and the ValidationError
    lists the refusals under each application's id. A task someone else did in between
    raises TaskDone (nothing is proposed either).
    """
    rows = [row for row in selectors.call_batch_rows(actor, call) if row.may_propose]
    if not rows:
        raise ValidationError(_("No application of the call awaits a proposal."))
    failed = {}
    for row in rows:
        taken = row.application.pk in forward
        outcome = {
            "outcome": Outcome.GRANTED if taken else Outcome.REFUSED,
            "reasons": "" if taken else reasons,
            "conditions": "",
        }
        payload = {
            "outcomes": {e.pk: dict(outcome) for e in row.exemptions},
            "summary": summary,
            "letter_language": letter_language,
        }
        try:
            with savepoint():  # a refused proposal rolls back alone; the batch goes on
                task_complete(actor=actor, task=row.propose_task, payload=payload)
        except ValidationError as exc:
            failed[str(row.application.pk)] = [
                f"{row.application.reference}: {message}" for message in exc.messages
            ]
    if failed:
        raise ValidationError(failed)
    forward_count = sum(1 for row in rows if row.application.pk in forward)
    return BatchProposed(forward_count, len(rows) - forward_count)
