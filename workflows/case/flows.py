import datetime
from functools import cache

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.status import STATUS

from casework.prepared import PreparedUpdate
from casework.transactions import held
from trials.models import Application, Consultation
from trials.services import consultations_finish
from workflows.case import notifications
from workflows.case.models import CaseProcess
from workflows.nodes import (
    DataSplitWrittenOnce,
    End,
    Function,
    Handle,
    If,
    Join,
    SelectForUpdateLock,
    Split,
    StartHandle,
    Timer,
    View,
    previous_task,
    task_not_routed,
)

REMINDER_DAYS = 3
INTERIM_REPLY_AFTER_DAYS = 30
OFFICER = "workflows.handle_case"
APPROVER = "workflows.approve_decision"
CONSULTEE = "workflows.answer_consultation"


def consultation_item(consultation) -> dict:
    """What a consult task carries: its consultation, the ministry and the deadline (which
    its reminder and deadline timers are computed from)."""
    return {
        "consultation": consultation.pk,
        "ministry": consultation.ministry.code,
        "due_date": consultation.due_date.isoformat(),
    }


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _host_task(activation):
    """The task a boundary timer is attached to (its previous task; known without a query
    while the timer is being armed, ``workflows.nodes.TimerActivation``)."""
    return getattr(activation, "prev_task", None) or activation.task.previous.first()


def _application(activation):
    """The process's application as it is now: the copy the step's unit of work holds (the
    services changed that very object), else read again."""
    application = activation.process.application
    if held((Application, application.pk)) is not application:
        application.refresh_from_db()
    return application


@cache
def _interim_cancel(task_class) -> PreparedUpdate:
    """The open tasks of the given nodes in a process, compiled once (``casework.prepared``)."""
    return PreparedUpdate(
        lambda process_id, *flow_task_refs: task_class._default_manager.filter(
            process_id=process_id,
            flow_task__in=flow_task_refs,
            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.SCHEDULED],
        )
    )


class ApplicationFlow(flow.Flow):
    """Case handling of an application for a trial under forsøksloven.

    A submission starts the process. A KDD case officer registers the application (case
    number, journal entry, receipt) and checks that it is complete, asking the applicant
    for more information when needed and waiting, with a reminder before the deadline and
    a task for the officer when it passes. The officer assesses each requested exemption
    against forsøksloven § 4, then consults every line ministry owning an act concerned
    (one task per ministry, in parallel, each with a reminder and a deadline), proposes a
    decision with reasons, and a leader approves it or sends it back: never the person who
    proposed it. The decision letter goes out and an approved final application becomes a
    trial. A month after registration without a decision, the officer is asked to send a
    preliminary answer (forvaltningsloven § 11 a), again whenever the date given passes.

    An application for extension of a trial runs the same process (``process.extension``
    set): registered, its terms assessed, the ministries owning the trial's acts consulted,
    a decision proposed and approved by another person; the approval moves the end date
    and sends the letter. It needs no completeness check or preliminary answer. An
    extension KDD proposes on its own initiative starts at that approval (nothing to
    register or assess: its proposer has done so); returned, it goes back to its proposer.
    """

    process_class = CaseProcess
    lock_impl = SelectForUpdateLock()

    start = StartHandle(this.start_case).Next(this.after_start)

    after_start = If(this.is_proposed_at_start).Then(this.approve).Else(this.register)

    register = (
        View(task_not_routed)
        .Annotation(title=_("Register the application"))
        .Permission(OFFICER)
        .Next(this.after_registration)
    )

    after_registration = (
        If(this.is_extension_case).Then(this.assess).Else(this.split_after_registration)
    )

    split_after_registration = Split().Always(this.check_completeness).Always(this.interim_wait)

    check_completeness = (
        View(task_not_routed)
        .Annotation(title=_("Check that the application is complete"))
        .Permission(OFFICER)
        .Assign(this.case_officer)
        .Next(this.is_complete)
    )

    is_complete = If(this.application_is_complete).Then(this.assess).Else(this.await_answer)

    await_answer = (
        Handle(this.answer_received)
        .Annotation(title=_("Wait for the applicant's answer"))
        .OnTimeout(
            this.answer_reminder_due,
            this.remind_applicant,
            interrupting=False,
            title=_("Reminder: the applicant's deadline is near"),
        )
        .OnTimeout(
            this.answer_deadline,
            this.answer_overdue,
            title=_("The applicant's deadline has passed"),
        )
        .Next(this.assess)
    )

    remind_applicant = Function(this.send_answer_reminder).Next(this.reminder_sent)
    reminder_sent = End()

    answer_overdue = (
        View(task_not_routed)
        .Annotation(title=_("The applicant has not answered: continue, extend or close"))
        .Permission(OFFICER)
        .Assign(this.case_officer)
        .Next(this.after_answer_overdue)
    )

    after_answer_overdue = (
        flow.Switch()
        .Case(this.await_answer, this.answer_extended)
        .Case(this.closed, this.application_is_decided)
        .Default(this.assess)
    )

    assess = (
        View(task_not_routed)
        .Annotation(title=_("Assess each requested exemption"))
        .Permission(OFFICER)
        .Assign(this.case_officer)
        .Next(this.needs_consultation)
    )

    needs_consultation = (
        If(this.consultation_needed).Then(this.split_consultations).Else(this.propose)
    )

    split_consultations = DataSplitWrittenOnce().Next(
        this.consult, data_source=this.consultation_items
    )

    consult = (
        View(task_not_routed)
        .Annotation(title=_("Answer the consultation"))
        .Permission(CONSULTEE)
        .OnTimeout(
            this.consultation_reminder_due,
            this.remind_ministry,
            interrupting=False,
            title=_("Reminder: the consultation deadline is near"),
        )
        .OnTimeout(
            this.consultation_deadline,
            this.consultation_overdue,
            title=_("The consultation deadline has passed"),
        )
        .Next(this.join_consultations)
    )

    remind_ministry = Function(this.send_consultation_reminder).Next(this.reminder_to_ministry_sent)
    reminder_to_ministry_sent = End()

    consultation_overdue = (
        View(task_not_routed)
        .Annotation(title=_("A ministry has not answered: extend or close the consultation"))
        .Permission(OFFICER)
        .Assign(this.case_officer)
        .Next(this.after_consultation_overdue)
    )

    after_consultation_overdue = (
        If(this.consultation_extended)
        .Then(this.consult, task_data=this.consultation_item_again)
        .Else(this.join_consultations)
    )

    join_consultations = Join().Next(this.finish_consultations)

    finish_consultations = Function(this.consultations_done).Next(this.propose)

    propose = (
        View(task_not_routed)
        .Annotation(title=_("Propose a decision"))
        .Permission(OFFICER)
        .Assign(this.case_officer)
        .Next(this.approve)
    )

    approve = (
        View(task_not_routed)
        .Annotation(title=_("Approve the proposed decision"))
        .Permission(APPROVER)
        .Next(this.is_approved)
    )

    is_approved = If(this.application_is_decided).Then(this.decided).Else(this.propose)

    decided = Function(this.stop_interim_replies).Next(this.end)

    closed = Function(this.stop_interim_replies).Next(this.end)

    end = End()

    interim_wait = (
        Timer(this.interim_reply_due)
        .Annotation(title=_("One month after registration"))
        .Next(this.interim_reply)
    )

    interim_reply = (
        View(task_not_routed)
        .Annotation(title=_("Send a preliminary answer"))
        .Permission(OFFICER)
        .Assign(this.case_officer)
        .Next(this.interim_again)
    )

    interim_again = (
        Timer(this.expected_decision_passed)
        .Annotation(title=_("The expected decision date has passed"))
        .Next(this.interim_reply)
    )

    # Callbacks. They read the domain models; every write goes through trials.services
    # (called from workflows.case.services when a person completes a task).

    def start_case(self, activation, application, actor=None, extension=None):
        activation.process.application = application
        activation.process.extension = extension
        if activation.process.is_proposed_at_start():
            activation.process.officer = actor  # a returned proposal goes back to them
        return activation.process

    def is_proposed_at_start(self, activation):
        return activation.process.is_proposed_at_start()

    def is_extension_case(self, activation):
        return activation.process.is_extension()

    def case_officer(self, activation):
        """Later officer tasks go to whoever registered the case (the registration step sets
        it on the process the activations share)."""
        return activation.process.officer

    def application_is_complete(self, activation):
        _application(activation)
        return activation.process.is_complete()

    def application_is_decided(self, activation):
        if activation.process.is_extension():
            activation.process.extension.refresh_from_db(fields=["status"])
        else:
            _application(activation)
        return activation.process.is_decided()

    def answer_extended(self, activation):
        return previous_task(activation).data.get("action") == "extend"

    def answer_received(self, activation, **kwargs):
        return activation.process

    def _open_request(self, activation):
        return activation.process.application.information_requests.filter(
            answered_at__isnull=True
        ).first()

    def answer_reminder_due(self, activation):
        request = self._open_request(activation)
        return _start_of_day(request.due_date - datetime.timedelta(days=REMINDER_DAYS))

    def answer_deadline(self, activation):
        request = self._open_request(activation)
        return _start_of_day(request.due_date + datetime.timedelta(days=1))

    def send_answer_reminder(self, activation):
        notifications.answer_reminder(activation.process.application, event=activation.task.pk)

    def _open_consultations(self, activation):
        """The case's open consultations: the application's, or its extension's (those the
        assessment step just sent, when it did)."""
        process = activation.process
        if process.is_extension():
            return list(
                Consultation.objects.filter(
                    application_id=process.application_id,
                    extension_id=process.extension_id,
                    status="open",
                ).select_related("ministry")
            )
        application = process.application
        sent = held(("consultations_sent", application.pk))
        if sent is not None:
            return sent
        return list(
            application.consultations.filter(status="open", extension__isnull=True).select_related(
                "ministry"
            )
        )

    def consultation_needed(self, activation):
        """Consult when the assessment step sent consultation letters."""
        return bool(self._open_consultations(activation))

    def consultation_items(self, activation):
        return [consultation_item(c) for c in self._open_consultations(activation)]

    def _consultation(self, task):
        return Consultation.objects.select_related("ministry").get(pk=task.data["consultation"])

    def _consultation_due(self, activation) -> datetime.date:
        """The deadline of the consult task's consultation: its task data says it (a task
        created before it did: read the consultation)."""
        host = _host_task(activation)
        due = (host.data or {}).get("due_date")
        if due:
            return datetime.date.fromisoformat(due)
        return self._consultation(host).due_date

    def consultation_reminder_due(self, activation):
        due = self._consultation_due(activation)
        return _start_of_day(due - datetime.timedelta(days=REMINDER_DAYS))

    def consultation_deadline(self, activation):
        return _start_of_day(self._consultation_due(activation) + datetime.timedelta(days=1))

    def send_consultation_reminder(self, activation):
        # this function node follows the boundary timer, which follows the consult task
        timer = _host_task(activation)
        notifications.consultation_reminder(
            self._consultation(timer.previous.first()), event=timer.pk
        )

    def consultation_extended(self, activation):
        return previous_task(activation).data.get("action") == "extend"

    def consultation_item_again(self, activation):
        overdue = previous_task(activation)
        return {
            key: overdue.data[key]
            for key in ("consultation", "ministry", "due_date")
            if key in overdue.data
        }

    def consultations_done(self, activation):
        if not activation.process.is_extension():  # an extension has no status to move back
            consultations_finish(actor=None, application=activation.process.application)

    def interim_reply_due(self, activation):
        # read fresh: the registration step sets it in the same transaction, and the
        # process's application may have been loaded before that step ran
        application = activation.process.application
        if held((Application, application.pk)) is not application:
            application.refresh_from_db(fields=["registered_at"])
        registered = application.registered_at or timezone.now()
        return registered + datetime.timedelta(days=INTERIM_REPLY_AFTER_DAYS)

    def expected_decision_passed(self, activation):
        reply = activation.process.application.interim_replies.first()
        return _start_of_day(reply.expected_decision + datetime.timedelta(days=1))

    def stop_interim_replies(self, activation):
        """The case is decided: the preliminary-answer branch is no longer needed. Its open
        tasks cancelled with one UPDATE, as each one's ``cancel`` would (status CANCELED and
        finished now; NEW, ASSIGNED and SCHEDULED are what the View's and the Timer's
        ``cancel`` accept), under the process lock the step holds."""
        _interim_cancel(self.task_class).update(
            activation.process.pk,
            *(
                get_task_ref(node)
                for node in (self.interim_wait, self.interim_reply, self.interim_again)
            ),
            status=STATUS.CANCELED,
            finished=timezone.now(),
        )
