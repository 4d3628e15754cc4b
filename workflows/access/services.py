"""Deciding access requests (innsynskrav) through their process.

Completion runs under the process lock, like ``workflows.case.services``: of two officers
deciding the same request at once, the second waits, finds the task done and is told so
(``TaskDone``, HTTP 409), and nothing is decided or sent twice. The decision itself is
``casework.services.access_request_decide``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from viewflow.fsm.base import NoTransition
from viewflow.workflow.status import STATUS

from casework.choices import Role
from casework.exceptions import AlreadyDecided
from casework.models import AccessRequest, JournalDocument
from casework.selectors import user_has_role
from casework.services import access_request_decide
from casework.transactions import service_atomic
from workflows.access.flows import AccessRequestFlow
from workflows.access.models import AccessRequestProcess
from workflows.tasks import TaskDone, take_to_complete

GRANT = "grant"
REFUSE = "refuse"


def access_process_start(access_request: AccessRequest, actor) -> AccessRequestProcess:
    """Start the process of a new access request (inside the request's transaction)."""
    return AccessRequestFlow.start.run(access_request=access_request, actor=actor)


def _check_may_decide(actor) -> None:
    """The role rule; the task's own permission (``workflows.handle_case``) is checked by
    viewflow when the task is assigned."""
    if not user_has_role(actor, Role.CASE_OFFICER):
        raise PermissionDenied(_("Only a case officer at the ministry can take this task."))


def can_decide(actor, task) -> bool:
    if not user_has_role(actor, Role.CASE_OFFICER):
        return False
    if task.status == STATUS.NEW:
        return task.flow_task.can_assign(actor, task)
    return task.status == STATUS.ASSIGNED and task.owner_id == actor.pk


def _decide(actor, task, payload: dict) -> AccessRequest:
    access_request = (
        AccessRequestProcess.objects.select_related("access_request")
        .get(pk=task.process_id)
        .access_request
    )
    decision = payload.get("decision")
    if decision not in (GRANT, REFUSE):
        raise ValidationError({"decision": _("Choose whether to grant or refuse access.")})
    documents = None
    if decision == GRANT and payload.get("documents") is not None:
        wanted = {int(pk) for pk in payload["documents"]}
        documents = list(
            JournalDocument.objects.filter(entry_id=access_request.entry_id, pk__in=wanted)
        )
        if len(documents) != len(wanted):
            raise ValidationError({"documents": _("Choose documents of the requested entry only.")})
    return access_request_decide(
        actor=actor,
        access_request=access_request,
        grant=decision == GRANT,
        basis="" if decision == GRANT else payload.get("basis", ""),
        reason=payload.get("reason", ""),
        documents=documents,
    )


@service_atomic
def access_task_complete(*, actor, task, payload: dict):
    """Decide the request of ``task`` (``payload``: ``decision`` "grant" or "refuse",
    ``basis`` for a refusal, ``reason``, and optionally ``documents`` to release) and end
    the process. Raises ValidationError (nothing kept), PermissionDenied or TaskDone."""
    with AccessRequestFlow.lock(task.process_id):
        task.refresh_from_db()
        activation = task.flow_task.activation_class(task)
        try:
            take_to_complete(
                task, activation, actor, check=lambda: _check_may_decide(actor), gone=TaskDone
            )
            activation.start(None)
            _decide(actor, task, payload)
            activation.execute()
        except (NoTransition, AlreadyDecided) as exc:
            raise TaskDone() from exc
    return task
