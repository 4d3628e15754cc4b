"""Mails the case process sends: reminders when a deadline approaches (queued by the timer's
function node in its transaction, rendered and sent by tasks), and the mails that give a
person work (a consultation, a proposal to approve, a passed deadline, a task given to them,
the applicant's answer), each with a link to the task. A person who chose the daily digest
gets them gathered once a day (``casework.notifications.mail_person``)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models.signals import post_save
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from casework.background import enqueue
from casework.choices import Role
from casework.notifications import mail_person, wants_digest_annotation
from casework.transactions import defer, deferred_take
from trials.models import Consultation
from trials.services.applications import applicant_email_queue


def answer_reminder(application, *, event: int) -> None:
    """``event``: the id of the process task that fired, so a timer sends one reminder."""
    applicant_email_queue(application, "answer_reminder", reminder=event)


def consultation_reminder(consultation, *, event: int) -> None:
    """One mail to each consultee of the consulted ministry, fanned out by a task."""
    from workflows.case.tasks import consultation_reminder_fan_out

    enqueue(consultation_reminder_fan_out, consultation.pk, event)


def consultation_reminder_email(consultation_id: int, email: str) -> EmailMessage:
    consultation = Consultation.objects.select_related("application", "ministry").get(
        pk=consultation_id
    )
    with translation.override("nb"):
        context = {"consultation": consultation, "site_url": settings.SITE_URL}
        subject = render_to_string(
            "workflows/email/consultation_reminder_subject.txt", context, using="text"
        )
        body = render_to_string("workflows/email/consultation_reminder.txt", context, using="text")
    return EmailMessage(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [email])


# --- mails that give a person work, each with a link to the task -----------------------------

# The steps that arrive for someone who is not watching the case: the line ministry's
# consultation, the leader's approval, and the officer's tasks raised by a passed deadline.
ANNOUNCED_STEPS = ("consult", "approve", "answer_overdue", "consultation_overdue")


def _task(task_id: int):
    from workflows.case.flows import ApplicationFlow

    return (
        ApplicationFlow.task_class.objects.select_related(
            "owner", "process__caseprocess__application", "process__caseprocess__officer"
        )
        .filter(pk=task_id)
        .first()
    )


def _work_mail(users, template: str, context: dict, *, key: str | None = None) -> None:
    """``key`` names the event: each person's mail is keyed by it, so it is queued once."""
    with translation.override("nb"):
        context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
        subject = render_to_string(f"workflows/email/{template}_subject.txt", context, using="text")
        body = render_to_string(f"workflows/email/{template}.txt", context, using="text")
    for user in users:
        mail_person(user, subject.strip(), body, key=f"{key}/{user.pk}" if key else None)


def _case_process(task):
    """The task's CaseProcess (the one the engine holds, when it created the task)."""
    from workflows.case.models import CaseProcess

    process = task.process
    return process if isinstance(process, CaseProcess) else process.caseprocess


def _due(task):
    """The task's due date as the task lists show it (``task_rows``); a consult task knows
    its consultation's deadline from its data."""
    from workflows.case.selectors import task_rows

    due = (task.data or {}).get("due_date")
    if due and task.flow_task.name == "consult":
        return datetime.date.fromisoformat(due)
    return task_rows([task])[0].due


def _task_context(task) -> dict:
    from workflows.case.selectors import step_title

    process = _case_process(task)
    return {
        "task": task,
        "application": process.application,
        "step": step_title(task.flow_task.name),
        "due": _due(task),
        "task_path": reverse("workflows:task", kwargs={"task_pk": task.pk}),
    }


def _case_officers_of(process):
    """The officer who registered the case; KDD's case officers when none is set yet."""
    if process.officer_id:
        return [process.officer]
    users = get_user_model().objects.filter(
        memberships__role=Role.CASE_OFFICER, memberships__organisation__code="KDD"
    )
    return list(users.distinct())


def _announce(task) -> None:
    from workflows.case.flows import ApplicationFlow
    from workflows.case.selectors import eligible_assignees

    if task.flow_task.name not in ANNOUNCED_STEPS:
        return
    if task.flow_task in (ApplicationFlow.consult, ApplicationFlow.approve):
        users = list(eligible_assignees(task).annotate(wants_digest=wants_digest_annotation()))
        template = "task_waiting"
    else:
        users = _case_officers_of(_case_process(task))
        template = "deadline_passed"
    _work_mail(users, template, _task_context(task), key=f"work/task/{task.pk}")


def task_given(task_id: int, user_id: int, given_by_id: int | None = None) -> None:
    """Someone gave the person a task."""
    task = _task(task_id)
    if task is None or task.owner_id != user_id:
        return
    given_by = get_user_model().objects.filter(pk=given_by_id).first() if given_by_id else None
    context = _task_context(task)
    context["given_by"] = (given_by.get_full_name() or given_by.get_username()) if given_by else ""
    _work_mail([task.owner], "task_given", context)


def applicant_answered(application_id: int) -> None:
    """The applicant answered a request for information: the case's officer, with a link to
    the task the answer opened (or to the case)."""
    from workflows.case.flows import ApplicationFlow
    from workflows.case.models import CaseProcess
    from workflows.case.selectors import HUMAN_STEPS, OPEN, _nodes

    process = (
        CaseProcess.objects.select_related("application", "officer")
        .filter(application_id=application_id, extension__isnull=True)
        .first()
    )
    if process is None:
        return
    task = (
        ApplicationFlow.task_class.objects.filter(
            process_id=process.pk, status__in=OPEN, flow_task__in=_nodes(HUMAN_STEPS)
        )
        .order_by("-created")
        .first()
    )
    path = (
        reverse("workflows:task", kwargs={"task_pk": task.pk})
        if task is not None
        else reverse("workflows:case", kwargs={"application_pk": application_id})
    )
    _work_mail(
        _case_officers_of(process),
        "applicant_answered",
        {"application": process.application, "task_path": path},
    )


def task_created(sender, instance, created: bool, **kwargs) -> None:
    """When the process creates a task that gives someone work, mail them from the worker
    (``workflows.case.tasks.task_announce``), queued in the transaction that created it:
    at the end of the case step that did (``announce_deferred``, with the step's other task
    rows), else at once. Nothing is announced that was rolled back, nothing lost."""
    from viewflow.workflow.models import Task

    if not created or not isinstance(instance, Task) or instance.flow_task is None:
        return
    if getattr(instance.flow_task, "name", "") not in ANNOUNCED_STEPS:
        return
    from workflows.case.flows import ApplicationFlow

    if instance.flow_task.flow_class is not ApplicationFlow:
        return
    if not defer("announce", instance):  # a case step announces it at its end
        from workflows.case.tasks import task_announce

        enqueue(task_announce, instance.pk)


def announce_deferred() -> None:
    """The tasks a case step created that give someone work: at the step's end, in its
    transaction, one background task each (``workflows.case.tasks.task_announce``), written
    with the step's other task rows. The worker finds the people, renders and queues their
    mails; nothing is queued for a step that rolls back, nothing lost for one that commits."""
    from workflows.case.tasks import task_announce

    for task in deferred_take("announce"):
        enqueue(task_announce, task.pk)


def task_announce_run(task_id: int) -> None:
    """The worker's half: announce the task if it still waits (the consulted ministry's
    consultees, the approvers, never the proposer, or the case's officer when a deadline
    passed). Each person's mail is keyed by the task, so a run repeated sends one mail each."""
    from workflows.case.selectors import is_open

    task = _task(task_id)
    if task is not None and is_open(task):
        _announce(task)


def connect() -> None:
    post_save.connect(task_created, dispatch_uid="workflows.case.notifications.task_created")
