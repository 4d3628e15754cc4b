"""Reads for the officers' page of access requests."""

from django.db.models import QuerySet
from viewflow.workflow.status import STATUS

from casework.models import AccessRequest
from workflows.access.flows import AccessRequestFlow

OPEN = [STATUS.NEW, STATUS.ASSIGNED]


def _tasks() -> QuerySet:
    return AccessRequestFlow.task_class.objects.filter(
        process__flow_class=AccessRequestFlow, flow_task=AccessRequestFlow.decide_access
    ).select_related(
        "owner",
        "process__accessrequestprocess__access_request__entry__case",
        "process__accessrequestprocess__access_request__entry__correspondent",
    )


def open_access_tasks() -> QuerySet:
    """Undecided requests' tasks, the one due first on top."""
    return (
        _tasks()
        .filter(status__in=OPEN)
        .order_by("process__accessrequestprocess__access_request__due_date", "created")
    )


def access_task_for(access_request: AccessRequest):
    """The open decision task of ``access_request``, or None once decided."""
    return (
        _tasks()
        .filter(status__in=OPEN, process__accessrequestprocess__access_request=access_request)
        .first()
    )


def access_request_of(task) -> AccessRequest:
    return task.process.accessrequestprocess.access_request
