from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from trials.services import follow_up_next_at, follow_up_run
from workflows.nodes import DataSplit, task_not_routed
from workflows.trial.models import TrialProcess

OFFICER = "workflows.handle_case"


class TrialFollowUpFlow(flow.Flow):
    """Following up a trial in force (forsøksloven § 3 and the decision's conditions).

    The process starts when the regulation is recorded and the trial comes into force. A
    database timer waits for the next date that matters: an expiry warning 12 and 6 months
    before the end (to the municipality and the officer), a reminder before a report is due,
    the day after a report was due, and the end date itself. Then it does what is due: on
    the end date the trial ends by itself unless it was extended; a report not delivered by
    its due date gives the officer a task to follow it up. An extension or a new obligation
    moves the timer; a trial stopped or made permanent ends the process at the next run.
    """

    process_class = TrialProcess
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_follow_up).Next(this.wait)

    wait = (
        flow.Timer(this.next_check)
        .Annotation(title=_("Until the next follow-up date"))
        .Next(this.check)
    )

    check = flow.Function(this.run_follow_up).Next(this.after_check)

    after_check = (
        DataSplit()
        .Next(this.wait, case=this.is_running)
        .Next(this.report_overdue, data_source=this.overdue_items)
        .Next(this.finished, case=this.is_closed)
    )

    report_overdue = (
        flow.View(task_not_routed)
        .Annotation(title=_("A report on a trial is overdue: follow it up"))
        .Permission(OFFICER)
        .Assign(this.trial_officer)
        .Next(this.followed_up)
    )

    followed_up = flow.End()

    finished = flow.End()

    def start_follow_up(self, activation, trial, actor=None):
        activation.process.trial = trial
        return activation.process

    def next_check(self, activation):
        return follow_up_next_at(activation.process.trial) or timezone.now()

    def run_follow_up(self, activation):
        overdue = follow_up_run(trial=activation.process.trial)
        activation.process.data = {"overdue": [o.pk for o in overdue]}
        activation.process.save(update_fields=["data"])

    def is_running(self, activation):
        activation.process.trial.refresh_from_db()
        return activation.process.is_running()

    def is_closed(self, activation):
        return not self.is_running(activation)

    def overdue_items(self, activation):
        return [{"obligation": pk} for pk in (activation.process.data or {}).get("overdue", [])]

    def trial_officer(self, activation):
        activation.process.trial.refresh_from_db(fields=["officer"])
        return activation.process.trial.officer
