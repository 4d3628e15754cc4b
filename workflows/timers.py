"""Every timer that fires leaves an entry in the history of what its process is about.

viewflow fires due timers from ``manage.py workflow_timers`` without a person; the timer's
task row is saved as DONE inside the firing transaction, so the audit event is written in
that same transaction (a firing that rolls back leaves no entry). A process says what it is
about with ``audit_subject()`` (the application, the trial); the event's title is the timer's
annotation, as the process diagram shows it.
"""

from django.db.models.signals import post_save
from django.utils import translation
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from casework.services import audit_record

TIMER_FIRED = "timer.fired"


def _untranslated(title) -> str:
    with translation.override("en"):
        return str(title or "")


def _subject(task: Task):
    flow_class = task.flow_task.flow_class
    process = flow_class.process_class._default_manager.get(pk=task.process_id)
    subject = getattr(process, "audit_subject", None)
    return subject() if callable(subject) else process


def record_fired_timer(sender, instance, created: bool, **kwargs):
    if (
        created
        or not isinstance(instance, Task)
        or instance.flow_task_type != "TIMER"
        or instance.status != STATUS.DONE
    ):
        return
    node = instance.flow_task
    if node is None:
        return
    subject = _subject(instance)
    audit_record(
        actor=None,
        action=TIMER_FIRED,
        target=subject,
        organisation=getattr(subject, "lead_organisation", None),
        data={
            "task": instance.pk,
            "timer": node.name,
            # the msgid: each reader's history translates it (workflows.case.views)
            "title": _untranslated(node.task_title) or node.name,
            "due": instance.scheduled.isoformat() if instance.scheduled else "",
        },
    )


def connect() -> None:
    """Listen to every model's saves (flows may use Task proxies or subclasses)."""
    post_save.connect(record_fired_timer, dispatch_uid="workflows.timers.record_fired_timer")
