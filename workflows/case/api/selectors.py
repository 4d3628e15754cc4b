"""Reads the case-handling API needs beyond ``workflows.case.selectors``.

Visibility is decided in ``workflows.case.selectors`` (``tasks_for_user``, ``cases_for_user``);
these helpers only look single objects up through them (404 otherwise) and gather what a
task's step needs to be done.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404
from viewflow.workflow.status import STATUS

from casework.choices import Role
from casework.models import AuditEvent, CaseFile, JournalDocument, Membership
from casework.selectors import audit_events_for, case_for, roles_for_user
from trials.choices import DECIDED_STATUSES, ProposalStatus
from trials.models import Application, Attachment, Consultation, DecisionProposal
from trials.services import DECIDING_MINISTRY
from workflows.case import services
from workflows.case.flows import ApplicationFlow
from workflows.case.models import CaseProcess
from workflows.case.selectors import TaskRow, cases_for_user, task_rows, tasks_for_user

HUMAN_STEPS = list(services.HANDLERS)
OPEN = [STATUS.NEW, STATUS.ASSIGNED]
KDD_ROLES = {Role.CASE_OFFICER.value, Role.APPROVER.value}


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def case_get_for_user(user, application_id) -> CaseProcess:
    """The case of application ``application_id`` if ``user`` may see it; 404 otherwise."""
    try:
        return cases_for_user(user).get(application_id=_pk(application_id))
    except CaseProcess.DoesNotExist as exc:
        raise Http404 from exc


def task_get_for_user(user, task_id):
    """An open task in ``user``'s inbox or queue; 404 otherwise."""
    try:
        return tasks_for_user(user).get(pk=_pk(task_id))
    except ApplicationFlow.task_class.DoesNotExist as exc:
        raise Http404 from exc


def task_for_action(user, task_id):
    """A person's task (of any status) in a case ``user`` may see; 404 otherwise.

    Wider than the inbox on purpose: whether the user may take *this* task is the services'
    call (403), and a task someone finished in between must answer 409, not 404.
    """
    cases = cases_for_user(user).values("pk")
    try:
        return (
            ApplicationFlow.task_class.objects.filter(
                process__in=cases, flow_task__in=[getattr(ApplicationFlow, s) for s in HUMAN_STEPS]
            )
            .select_related(
                "owner",
                "process__caseprocess__application__lead_organisation",
                "process__caseprocess__application__call",
            )
            .get(pk=_pk(task_id))
        )
    except ApplicationFlow.task_class.DoesNotExist as exc:
        raise Http404 from exc


def sees_internal_notes(user, application: Application) -> bool:
    """KDD sees its assessments' notes and proposals at once; consulted ministries only after
    the decision (the proposal is KDD's internal preparation until then)."""
    return bool(roles_for_user(user) & KDD_ROLES) or application.status in DECIDED_STATUSES


def allowed_actions(user, task, *, is_officer: bool) -> list[str]:
    """What ``user`` may do with ``task`` now; the services decide again when they do it."""
    if task.status not in OPEN:
        return []
    actions = []
    mine = task.owner_id == user.pk
    claimable = (
        task.status == STATUS.NEW and task.owner_id is None and services.can_take(user, task)
    )
    if claimable:
        actions.append("claim")
    if mine:
        actions.append("unassign")
    if mine or claimable:
        actions.append("complete")
    if mine or is_officer:
        actions.append("reassign")
    return actions


def case_numbers(applications) -> dict[int, str]:
    """Case numbers (``2026/000012``) by application id, in one query."""
    ids = [str(a.pk) for a in applications]
    cases = CaseFile.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id__in=ids
    ).only("year", "sequence", "object_id")
    return {int(case.object_id): case.number for case in cases}


def open_steps_by_process(process_ids) -> dict[int, list[TaskRow]]:
    """The open person tasks of each process, with their titles and due dates."""
    tasks = (
        ApplicationFlow.task_class.objects.filter(
            process_id__in=list(process_ids),
            status__in=OPEN,
            flow_task__in=[getattr(ApplicationFlow, s) for s in HUMAN_STEPS],
        )
        .select_related("owner", "process__caseprocess__application")
        .order_by("created", "pk")
    )
    steps: dict[int, list[TaskRow]] = {}
    for row in task_rows(list(tasks)):
        steps.setdefault(row.task.process_id, []).append(row)
    return steps


def task_consultation(task) -> Consultation | None:
    """The consultation a consult task answers, or a consultation_overdue task is about."""
    name = task.flow_task.name
    consultation_id = task.data.get("consultation")
    if consultation_id is None and name == "consultation_overdue":
        timer = task.previous.first()
        host = timer.previous.first() if timer is not None else None
        consultation_id = host.data.get("consultation") if host is not None else None
    if consultation_id is None:
        return None
    return (
        Consultation.objects.select_related("ministry")
        .prefetch_related("exemptions__provision__act")
        .filter(pk=consultation_id)
        .first()
    )


@dataclass
class TaskContext:
    """What a step needs to be done, next to the task row itself."""

    row: TaskRow
    payload: str
    exemptions: list = field(default_factory=list)
    suggestions: dict = field(default_factory=dict)
    show_notes: bool = True
    consultation: Consultation | None = None
    proposal: DecisionProposal | None = None
    information_request: object = None
    interim_reply: object = None
    allowed_actions: list = field(default_factory=list)
    assignees: list = field(default_factory=list)


def task_context(user, task, *, payload_name: str) -> TaskContext:
    from trials.services import assessment_suggestion

    row = task_rows([task])[0]
    application = row.application
    name = row.step
    context = TaskContext(
        row=row,
        payload=payload_name,
        show_notes=sees_internal_notes(user, application),
        allowed_actions=allowed_actions(
            user, task, is_officer=Role.CASE_OFFICER.value in roles_for_user(user)
        ),
    )
    exemptions = application.exemption_requests.select_related("provision__act")
    if name in ("consult", "consultation_overdue"):
        context.consultation = task_consultation(task)
        if name == "consult" and context.consultation is not None:
            exemptions = context.consultation.exemptions.select_related("provision__act")
    context.exemptions = list(exemptions)
    if name == "assess":
        context.suggestions = {e.pk: assessment_suggestion(e) for e in context.exemptions}
    if name == "approve":
        context.proposal = application.proposals.filter(status=ProposalStatus.PENDING).first()
    elif name == "propose":
        context.proposal = application.proposals.filter(status=ProposalStatus.RETURNED).first()
    if name == "answer_overdue":
        context.information_request = application.information_requests.filter(
            answered_at__isnull=True
        ).first()
    if name == "interim_reply":
        context.interim_reply = application.interim_replies.first()
    if "reassign" in context.allowed_actions:
        context.assignees = list(eligible_assignees(task))
    return context


def _attachment_type_id() -> int:
    return ContentType.objects.get_for_model(Attachment).pk


def document_is_downloadable(document: JournalDocument) -> bool:
    """A stored file, or an application's attachment it registers."""
    return bool(document.file) or (
        document.source_type_id == _attachment_type_id() and bool(document.source_id)
    )


def case_document(user, application_id, document_id) -> JournalDocument:
    """A document in the journal of a case ``user`` may see; 404 otherwise."""
    process = case_get_for_user(user, application_id)
    case = case_for(process.application)
    try:
        return JournalDocument.objects.select_related("entry").get(
            pk=_pk(document_id), entry__case=case
        )
    except JournalDocument.DoesNotExist as exc:
        raise Http404 from exc


def document_file(document: JournalDocument):
    """(file, file name, content type) of a journal document; 404 when none is stored."""
    if document.file:
        name = document.file.name.rsplit("/", 1)[-1]
        return document.file, name, document.content_type or "application/octet-stream"
    if document.source_type_id == _attachment_type_id():
        attachment = Attachment.objects.filter(pk=document.source_id).first()
        if attachment is not None:
            return attachment.file, attachment.original_name, attachment.content_type
    raise Http404


def case_history(application: Application) -> list[AuditEvent]:
    """The audit trail of the application and its case file, oldest first."""
    events = list(audit_events_for(application))
    case = case_for(application)
    if case is not None:
        events += list(audit_events_for(case))
    return sorted(events, key=lambda event: (event.created_at, event.pk))


def eligible_assignees(task) -> QuerySet:
    """Who the task may be given to (the services check again): staff of the consulted
    ministry, approvers other than the proposer, or KDD's case officers; not the holder."""
    node = task.flow_task
    if node is ApplicationFlow.consult:
        memberships = Membership.objects.filter(
            role=Role.CONSULTEE, organisation__code=task.data.get("ministry", "")
        )
    elif node is ApplicationFlow.approve:
        memberships = Membership.objects.filter(role=Role.APPROVER)
    else:
        memberships = Membership.objects.filter(
            role=Role.CASE_OFFICER, organisation__code=DECIDING_MINISTRY
        )
    users = get_user_model().objects.filter(pk__in=memberships.values("user_id"), is_active=True)
    if node is ApplicationFlow.approve:
        proposal = DecisionProposal.objects.filter(
            application_id=task.process.caseprocess.application_id,
            status=ProposalStatus.PENDING,
        ).first()
        if proposal is not None:
            users = users.exclude(pk=proposal.proposed_by_id)
    if task.owner_id:
        users = users.exclude(pk=task.owner_id)
    return users.order_by("username")
