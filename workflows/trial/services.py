"""Starting and moving the follow-up timers of a trial; completing its officer tasks.

Registered as callbacks of ``trials.hooks`` (trials knows nothing of workflows): they run in
the service's transaction.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.fsm.base import NoTransition
from viewflow.workflow.status import STATUS

from casework.services import audit_record
from trials.selectors import is_ministry_officer
from trials.services import follow_up_next_at
from workflows.case.flows import ApplicationFlow
from workflows.case.models import CaseProcess
from workflows.tasks import TaskDone, take_to_complete
from workflows.trial.flows import TrialFollowUpFlow
from workflows.trial.models import TrialProcess

OPEN = [STATUS.NEW, STATUS.ASSIGNED]


def follow_up_start(trial, actor) -> TrialProcess:
    """The trial came into force: start watching it."""
    existing = TrialProcess.objects.filter(trial=trial).first()
    if existing is not None:
        return existing
    return TrialFollowUpFlow.start.run(trial=trial, actor=actor)


def follow_up_reschedule(trial, actor) -> None:
    """A watched date changed: the waiting timer wakes at the new next date (or at once when
    the trial is closed, so the process finishes at the next run)."""
    at = follow_up_next_at(trial) or timezone.now()
    TrialFollowUpFlow.task_class.objects.filter(
        process__trialprocess__trial=trial,
        flow_task=TrialFollowUpFlow.wait,
        status=STATUS.SCHEDULED,
    ).update(scheduled=at)


def overdue_tasks(trial=None):
    """Open tasks "a report is overdue", for one trial or all."""
    tasks = TrialFollowUpFlow.task_class.objects.filter(
        process__flow_class=TrialFollowUpFlow,
        flow_task=TrialFollowUpFlow.report_overdue,
        status__in=OPEN,
    ).select_related("owner", "process__trialprocess__trial__application__lead_organisation")
    if trial is not None:
        tasks = tasks.filter(process__trialprocess__trial=trial)
    return tasks.order_by("created")


def follow_up_officer_changed(trial, previous, actor) -> None:
    """The trial's follow-up went to another officer: so do its open follow-up tasks."""
    tasks = TrialFollowUpFlow.task_class.objects.filter(
        process__trialprocess__trial=trial,
        flow_task=TrialFollowUpFlow.report_overdue,
        status__in=OPEN,
    )
    tasks.update(owner=trial.officer, status=STATUS.ASSIGNED)


def extension_tasks(trial):
    """The open tasks of the cases of ``trial``'s applications for extension."""
    return (
        ApplicationFlow.task_class.objects.filter(
            process__caseprocess__extension__trial=trial, status__in=OPEN
        )
        .select_related("owner", "process__caseprocess__application")
        .order_by("created")
    )


def extension_case_ids(trial) -> set[int]:
    """The ids of ``trial``'s extensions that have a case (all but those decided at once
    before extensions on KDD's initiative went through a case)."""
    return set(
        CaseProcess.objects.filter(extension__trial=trial).values_list("extension_id", flat=True)
    )


def _check_officer(actor) -> None:
    if not is_ministry_officer(actor):
        raise PermissionDenied(_("Only a case officer at the ministry can do this."))


@transaction.atomic
def overdue_task_complete(*, actor, task, note: str = "") -> None:
    """The officer has followed up an overdue report (asked the municipality, or waived it)."""
    _check_officer(actor)
    with TrialFollowUpFlow.lock(task.process_id):
        task.refresh_from_db()
        activation = task.flow_task.activation_class(task)
        try:
            take_to_complete(
                task, activation, actor, check=lambda: _check_officer(actor), gone=TaskDone
            )
            activation.start(None)
            activation.execute()
        except NoTransition as exc:
            raise TaskDone() from exc
    trial = (
        TrialProcess.objects.select_related("trial__application__lead_organisation")
        .get(pk=task.process_id)
        .trial
    )
    audit_record(
        actor=actor,
        action="trial.overdue_report_followed_up",
        target=trial,
        organisation=trial.application.lead_organisation,
        reason=(note or "").strip(),
        data={"obligation": task.data.get("obligation")},
    )
