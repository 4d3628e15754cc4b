"""What every person's task in the processes of workflows/ shares: the 409 for a task that is
no longer open (``TaskDone``) and the rule for taking one to complete it (``take_to_complete``).
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from trials.exceptions import ConflictError


class TaskDone(ConflictError):
    """The task is no longer open to this person (HTTP 409); the message says what happened
    (for the case process: ``workflows.case.selectors.task_gone_reason``)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("Someone else has already done this task. Reload to see the case.")
        )


def take(task, activation, actor, *, check: Callable[[], None], save: bool = True) -> None:
    """Give a task waiting in the queue to ``actor``, if ``check()`` (the process's role
    rules, raising PermissionDenied) and the node's permission let them. Without ``save``
    the task row is written by what follows in the same transaction (its completion)."""
    check()
    if not task.flow_task.can_assign(actor, task):
        raise PermissionDenied(_("You cannot take this task."))
    if save:
        activation.assign(actor)
    else:
        task.owner = actor
        task.status = STATUS.ASSIGNED


def take_to_complete(
    task, activation, actor, *, check: Callable[[], None], gone: Callable[[], TaskDone]
) -> None:
    """Before ``actor`` completes ``task``: one in the queue becomes theirs (``take``), one
    assigned must be theirs (and ``check()`` still pass); one no longer open raises
    ``gone()``. Called under the process lock, on a fresh task row."""
    if task.status == STATUS.NEW:
        take(task, activation, actor, check=check, save=False)  # saved when completed
        return
    if task.status != STATUS.ASSIGNED:
        raise gone()
    if task.owner_id != actor.pk:
        raise PermissionDenied(_("Someone else has this task."))
    check()
