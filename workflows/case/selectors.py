"""Reads for the task workspaces and the case API: inbox, queue, due dates, visible cases."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.choices import Role
from casework.models import Membership
from trials.models import Application, Consultation, DecisionProposal, InterimReply
from workflows.case.flows import ApplicationFlow
from workflows.case.models import CaseProcess

OFFICER_STEPS = [
    "register",
    "check_completeness",
    "answer_overdue",
    "assess",
    "consultation_overdue",
    "propose",
    "interim_reply",
]
STEP_DAYS = {  # how long a step may take before it shows as overdue
    "register": 3,
    "check_completeness": 7,
    "answer_overdue": 3,
    "assess": 14,
    "consultation_overdue": 3,
    "propose": 14,
    "approve": 7,
    "interim_reply": 3,
}


def _tasks() -> QuerySet:
    return ApplicationFlow.task_class.objects.filter(
        process__flow_class=ApplicationFlow
    ).select_related(
        "owner",
        "process__caseprocess__application__lead_organisation__county",
        "process__caseprocess__application__call",
    )


def _roles(user) -> set[str]:
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


def _consultee_ministries(user) -> list[str]:
    return list(
        Membership.objects.filter(user=user, role=Role.CONSULTEE).values_list(
            "organisation__code", flat=True
        )
    )


def _steps(names) -> list:
    return [getattr(ApplicationFlow, name) for name in names]


def tasks_for_user(user) -> QuerySet:
    """Every open task ``user`` could see in their inbox or queue."""
    if not user.is_authenticated:
        return ApplicationFlow.task_class.objects.none()
    roles = _roles(user)
    visible = Q(owner=user)
    if Role.CASE_OFFICER in roles:
        visible |= Q(flow_task__in=_steps(OFFICER_STEPS))
    if Role.APPROVER in roles:
        visible |= Q(flow_task=ApplicationFlow.approve)
    ministries = _consultee_ministries(user)
    if ministries:
        visible |= Q(flow_task=ApplicationFlow.consult, data__ministry__in=ministries)
    return _tasks().filter(visible, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def inbox(user) -> QuerySet:
    return tasks_for_user(user).filter(owner=user, status=STATUS.ASSIGNED).order_by("created")


def queue(user) -> QuerySet:
    """Unassigned tasks ``user``'s roles may take (never their own proposal to approve)."""
    tasks = tasks_for_user(user).filter(owner__isnull=True, status=STATUS.NEW)
    own_proposals = DecisionProposal.objects.filter(proposed_by=user, status="pending").values(
        "application_id"
    )
    return tasks.exclude(
        flow_task=ApplicationFlow.approve,
        process__caseprocess__application__in=own_proposals,
    ).order_by("created")


def filter_tasks(tasks: QuerySet, *, step="", call="", municipality="", ministry="") -> QuerySet:
    if step and hasattr(ApplicationFlow, step):
        tasks = tasks.filter(flow_task=getattr(ApplicationFlow, step))
    if call:
        tasks = tasks.filter(process__caseprocess__application__call_id=call)
    if municipality:
        tasks = tasks.filter(
            Q(process__caseprocess__application__lead_organisation__number=municipality)
            | Q(process__caseprocess__application__co_applicants__number=municipality)
        ).distinct()
    if ministry:
        tasks = tasks.filter(
            Q(data__ministry=ministry)
            | Q(
                process__caseprocess__application__exemption_requests__provision__act__ministry__code=ministry
            )
        ).distinct()
    return tasks


def application_of(task) -> Application:
    return task.process.caseprocess.application


@dataclass
class TaskRow:
    task: object
    application: Application
    step: str
    title: str
    due: datetime.date

    @property
    def overdue(self) -> bool:
        return self.due < timezone.localdate()


def task_rows(tasks) -> list[TaskRow]:
    """Tasks with what a list shows: the case, the step's title and the due date."""
    consultation_ids = [t.data.get("consultation") for t in tasks if t.data.get("consultation")]
    due_by_consultation = dict(
        Consultation.objects.filter(pk__in=consultation_ids).values_list("pk", "due_date")
    )
    rows = []
    for task in tasks:
        name = task.flow_task.name
        due = due_by_consultation.get(task.data.get("consultation"))
        if due is None:
            due = timezone.localdate(task.created) + datetime.timedelta(days=STEP_DAYS.get(name, 7))
        rows.append(
            TaskRow(
                task=task,
                application=application_of(task),
                step=name,
                title=str(task.flow_task.task_title or name),
                due=due,
            )
        )
    return rows


def cases_for_user(user) -> QuerySet[CaseProcess]:
    """Officers and approvers see every case; consultees those their ministry is consulted on."""
    processes = CaseProcess.objects.select_related(
        "application__lead_organisation", "application__call", "officer"
    )
    if not user.is_authenticated:
        return processes.none()
    roles = _roles(user)
    if roles & {Role.CASE_OFFICER, Role.APPROVER}:
        return processes
    ministries = _consultee_ministries(user)
    if ministries:
        return processes.filter(
            application__consultations__ministry__code__in=ministries
        ).distinct()
    return processes.none()


def open_steps(process: CaseProcess) -> list:
    return list(
        ApplicationFlow.task_class.objects.filter(
            process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.SCHEDULED]
        ).select_related("owner")
    )


def latest_interim_reply(application) -> InterimReply | None:
    return application.interim_replies.first()
