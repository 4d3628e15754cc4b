import pytest
from viewflow.workflow.status import STATUS

from casework.choices import Role
from tests.factories import member, ministry
from tests.trials.conftest import *  # noqa: F403 - the application builders and people
from workflows.case.flows import ApplicationFlow


@pytest.fixture
def approver(kdd):
    return member(kdd, Role.APPROVER, username="leder.kdd")


@pytest.fixture
def hod_consultee(db):
    return member(ministry("HOD"), Role.CONSULTEE, username="fagdep.hod")


@pytest.fixture
def open_task():
    """``open_task(application, "register")``: the one open task of that step."""

    def find(application, step):
        return ApplicationFlow.task_class.objects.select_related("process").get(
            process__caseprocess__application=application,
            flow_task=getattr(ApplicationFlow, step),
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )

    return find
