"""Reads the case-handling pages need beyond workflows.case.selectors: one task, its case, the
people who may take it, the process as a diagram and as a list, the journal and the history.

Permissions are decided here once (``task_access``, ``case_for_user``,
``journal_document_for_user``) so no page can forget an object-level check.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.html import escape
from viewflow.workflow import chart
from viewflow.workflow.status import STATUS

from casework.choices import EntryType, Role
from casework.models import AuditEvent, CaseFile, JournalDocument, JournalEntry, Membership
from casework.selectors import audit_events_for, case_for, case_journal, roles_for_user
from legal.selectors import attach_limits, provision_warnings
from trials.choices import ExemptionStatus, ProposalStatus, Stage
from trials.letters import Letter, render_letter
from trials.models import (
    Application,
    Attachment,
    Call,
    Consultation,
    ConsultationAnswer,
    DecisionProposal,
    ExemptionRequest,
)
from trials.selectors import attachments_for_user
from trials.services import DECIDING_MINISTRY
from workflows.case import selectors, services
from workflows.case.flows import ApplicationFlow
from workflows.case.models import CaseProcess

WORKSPACE_ROLES = {Role.CASE_OFFICER, Role.APPROVER, Role.CONSULTEE}
OPEN = [STATUS.NEW, STATUS.ASSIGNED]
# The steps a person does, in the order of the process (a task page exists for each).
HUMAN_STEPS = [
    "register",
    "check_completeness",
    "answer_overdue",
    "assess",
    "consult",
    "consultation_overdue",
    "propose",
    "approve",
    "interim_reply",
]
# The steps the text version of the process diagram lists (waiting for the applicant too).
LISTED_STEPS = [
    "register",
    "check_completeness",
    "await_answer",
    "answer_overdue",
    "assess",
    "consult",
    "consultation_overdue",
    "propose",
    "approve",
    "interim_reply",
]


def has_workspace_role(user) -> bool:
    return bool(roles_for_user(user) & {str(role) for role in WORKSPACE_ROLES})


def step_title(name: str) -> str:
    node = getattr(ApplicationFlow, name)
    return str(node.task_title or name)


def step_choices() -> list[tuple[str, str]]:
    return [(name, step_title(name)) for name in HUMAN_STEPS]


# --- one task ------------------------------------------------------------------------------


def task_get(pk) -> object:
    """A task of the case process with its case; 404 for anything else."""
    try:
        return (
            ApplicationFlow.task_class.objects.filter(process__flow_class=ApplicationFlow)
            .select_related(
                "owner",
                "process__caseprocess__application__lead_organisation",
                "process__caseprocess__application__call",
                "process__caseprocess__officer",
            )
            .get(pk=pk)
        )
    except (ApplicationFlow.task_class.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def task_process(task) -> CaseProcess:
    return task.process.caseprocess


def is_open(task) -> bool:
    return task.status in OPEN


def pending_proposal(application: Application) -> DecisionProposal | None:
    return (
        DecisionProposal.objects.filter(application=application, status=ProposalStatus.PENDING)
        .select_related("proposed_by")
        .first()
    )


def returned_proposal(application: Application) -> DecisionProposal | None:
    """The last proposal the approver sent back, if the latest one was."""
    latest = (
        DecisionProposal.objects.filter(application=application)
        .select_related("proposed_by", "reviewed_by")
        .order_by("-proposed_at", "-pk")
        .first()
    )
    if latest is not None and latest.status == ProposalStatus.RETURNED:
        return latest
    return None


@dataclass
class TaskAccess:
    """What ``user`` may do with one task."""

    may_view: bool
    may_work: bool = False  # fill in and complete the form now
    may_claim: bool = False
    may_unassign: bool = False
    may_reassign: bool = False


def _is_proposer(user, task) -> bool:
    if task.flow_task is not ApplicationFlow.approve:
        return False
    proposal = pending_proposal(task_process(task).application)
    return proposal is not None and proposal.proposed_by_id == user.pk


def task_access(user, task) -> TaskAccess:
    """Who may see a task: its holder, and those whose roles let them take it (the inbox and
    queue rules of workflows.case.selectors), never the proposer on the approval step."""
    if not user.is_authenticated or not is_open(task):
        return TaskAccess(may_view=False)
    if task.flow_task.name not in HUMAN_STEPS or _is_proposer(user, task):
        return TaskAccess(may_view=False)
    own = task.owner_id == user.pk
    if not own and not selectors.tasks_for_user(user).filter(pk=task.pk).exists():
        return TaskAccess(may_view=False)
    may_claim = task.status == STATUS.NEW and services.can_take(user, task)
    is_officer = Role.CASE_OFFICER in roles_for_user(user)
    return TaskAccess(
        may_view=True,
        may_work=(own and task.status == STATUS.ASSIGNED) or may_claim,
        may_claim=may_claim,
        may_unassign=task.status == STATUS.ASSIGNED and task.flow_task.can_unassign(user, task),
        may_reassign=task.owner_id in (None, user.pk) or is_officer,
    )


def eligible_assignees(task) -> QuerySet:
    """People the task may be given to: consultees of the consulted ministry, approvers other
    than the proposer, or KDD's case officers; never the present holder."""
    node = task.flow_task
    memberships = Membership.objects.all()
    if node is ApplicationFlow.consult:
        memberships = memberships.filter(
            role=Role.CONSULTEE, organisation__code=task.data.get("ministry", "")
        )
    elif node is ApplicationFlow.approve:
        memberships = memberships.filter(role=Role.APPROVER)
    else:
        memberships = memberships.filter(
            role=Role.CASE_OFFICER, organisation__code=DECIDING_MINISTRY
        )
    users = get_user_model().objects.filter(pk__in=memberships.values("user_id"), is_active=True)
    if node is ApplicationFlow.approve:
        proposal = pending_proposal(task_process(task).application)
        if proposal is not None:
            users = users.exclude(pk=proposal.proposed_by_id)
    if task.owner_id:
        users = users.exclude(pk=task.owner_id)
    return users.order_by("first_name", "last_name", "username")


def task_consultation(task) -> Consultation | None:
    """The consultation a consult task answers."""
    consultation_id = (task.data or {}).get("consultation")
    if not consultation_id:
        return None
    return (
        Consultation.objects.select_related("ministry", "sent_by", "letter")
        .prefetch_related(
            Prefetch(
                "exemptions",
                queryset=ExemptionRequest.objects.select_related("provision__act__ministry"),
            )
        )
        .filter(pk=consultation_id)
        .first()
    )


def overdue_consultation(task) -> Consultation | None:
    """The consultation whose deadline raised a consultation_overdue task (the consult task
    the deadline timer was attached to carries it)."""
    timer = task.previous.first()
    host = timer.previous.first() if timer is not None else None
    if host is None:
        return None
    return task_consultation(host)


def open_information_request(application: Application):
    return application.information_requests.filter(answered_at__isnull=True).first()


# --- a case --------------------------------------------------------------------------------


def case_for_user(user, application_pk) -> CaseProcess:
    """The case process of an application ``user`` may handle or was consulted on; else 404."""
    try:
        return selectors.cases_for_user(user).get(application_id=application_pk)
    except (CaseProcess.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def application_for_case(application_pk) -> Application:
    return (
        Application.objects.select_related("lead_organisation", "call", "preliminary", "created_by")
        .prefetch_related(
            "co_applicants",
            "purposes",
            "contacts__organisation",
            Prefetch(
                "exemption_requests",
                queryset=ExemptionRequest.objects.select_related(
                    "provision__act__ministry", "assessed_by"
                ),
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.select_related("organisation", "uploaded_by"),
            ),
            "information_requests",
            Prefetch("interim_replies"),
        )
        .get(pk=application_pk)
    )


def attach_warnings(exemptions) -> None:
    """Set ``warnings`` on each exemption: the § 4 limits covering its provision and the
    act's own trial provision (legal.selectors.provision_warnings, for all in one query)."""
    provisions = [e.provision for e in exemptions if e.provision_id is not None]
    attach_limits(provisions)
    for exemption in exemptions:
        if exemption.provision_id is None:
            exemption.warnings = []
            continue
        exemption.warnings = provision_warnings(exemption.provision)


def consultations_of(application: Application) -> list[Consultation]:
    return list(
        application.consultations.select_related("ministry", "answered_by", "answer_entry")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=ConsultationAnswer.objects.select_related("exemption__provision__act"),
            ),
            "exemptions",
        )
        .order_by("sent_at", "ministry__name")
    )


def answers_by_exemption(consultations: list[Consultation]) -> dict[int, list[ConsultationAnswer]]:
    """Each exemption's consultation answers (with the consultation and its ministry)."""
    result: dict[int, list[ConsultationAnswer]] = {}
    for consultation in consultations:
        for answer in consultation.answers.all():
            answer.consultation = consultation
            result.setdefault(answer.exemption_id, []).append(answer)
    return result


def proposals_of(application: Application) -> list[DecisionProposal]:
    return list(
        application.proposals.select_related("proposed_by", "reviewed_by").order_by(
            "proposed_at", "pk"
        )
    )


def downloadable_attachments(user, application: Application) -> set[int]:
    """Attachments ``user`` may fetch through the portal's download view."""
    return set(
        attachments_for_user(user).filter(application=application).values_list("pk", flat=True)
    )


def journal_of(case: CaseFile | None) -> list[JournalEntry]:
    if case is None:
        return []
    return list(case_journal(case).order_by("number_in_case"))


def journal_documents_by_source(entries: list[JournalEntry], model) -> dict[int, JournalDocument]:
    """Journal documents that register a stored object of ``model`` (e.g. an attachment)."""
    content_type = ContentType.objects.get_for_model(model)
    found = {}
    for entry in entries:
        for document in entry.documents.all():
            if document.source_type_id == content_type.pk and document.source_id:
                found[int(document.source_id)] = document
    return found


def document_is_downloadable(document: JournalDocument) -> bool:
    if document.file:
        return True
    return document.source_type_id == ContentType.objects.get_for_model(Attachment).pk


def journal_document_for_user(user, pk) -> JournalDocument:
    """A journal document of a case ``user`` may see (the case page's rule); else 404."""
    try:
        document = JournalDocument.objects.select_related("entry__case").get(pk=pk)
    except (JournalDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    case = document.entry.case
    if case.content_type_id != ContentType.objects.get_for_model(Application).pk:
        raise Http404
    if not selectors.cases_for_user(user).filter(application_id=case.object_id).exists():
        raise Http404
    return document


def attachment_of(document: JournalDocument) -> Attachment | None:
    if document.source_type_id != ContentType.objects.get_for_model(Attachment).pk:
        return None
    return Attachment.objects.filter(pk=document.source_id).first()


def case_history(application: Application, case: CaseFile | None) -> list[AuditEvent]:
    """The audit trail of the application and of its case file, oldest first."""
    events = list(audit_events_for(application))
    if case is not None:
        events += list(audit_events_for(case))
    return sorted(events, key=lambda event: (event.created_at, event.pk))


# --- the process: diagram and list ---------------------------------------------------------


def process_tasks(process: CaseProcess) -> list:
    return list(
        ApplicationFlow.task_class.objects.filter(process=process)
        .select_related("owner")
        .order_by("created", "pk")
    )


@dataclass
class StepState:
    name: str
    title: str
    state: str  # "current", "done" or "pending"
    open_tasks: list = field(default_factory=list)


def process_steps(tasks: list) -> list[StepState]:
    """The steps of the process with where the case is: the text version of the diagram."""
    steps = []
    for name in LISTED_STEPS:
        node = getattr(ApplicationFlow, name)
        mine = [task for task in tasks if task.flow_task is node]
        open_tasks = [task for task in mine if task.status in OPEN]
        if open_tasks:
            state = "current"
        elif any(task.status == STATUS.DONE for task in mine):
            state = "done"
        else:
            state = "pending"
        steps.append(StepState(name, step_title(name), state, open_tasks))
    return steps


def process_diagram(process: CaseProcess, label: str) -> str:
    """viewflow's SVG chart of the flow with each node's status, named by ``label``."""
    grid = chart.calc_layout_data(ApplicationFlow)
    chart.calc_cell_status(ApplicationFlow, grid, process.pk)
    svg = chart.grid_to_svg(grid).strip()
    return svg.replace(
        "<svg ",
        f'<svg role="img" aria-label="{escape(label)}" focusable="false" class="process-chart" ',
        1,
    )


# --- the decision --------------------------------------------------------------------------


def decision_letter(application: Application) -> Letter:
    """The decision letter as trials.services.casehandling renders it for the journal."""
    return render_letter(
        "decision",
        {
            "application": application,
            "exemptions": list(application.exemption_requests.select_related("provision__act")),
            "trial": getattr(application, "trial", None),
            "case": case_for(application),
        },
        language=application.lead_organisation.letter_language,
    )


def decision_document(application: Application) -> JournalDocument | None:
    """The stored PDF of the decision letter: the main document of the outgoing entry
    journaled when the case was decided."""
    case = case_for(application)
    if case is None or application.decided_at is None:
        return None
    documents = (
        JournalDocument.objects.filter(
            entry__case=case,
            entry__entry_type=EntryType.OUTGOING,
            entry__registered_at__gte=application.decided_at,
            is_main=True,
        )
        .exclude(file="")
        .order_by("entry__number_in_case", "pk")
    )
    for document in documents:
        if document.file.name.rsplit("/", 1)[-1].startswith("decision"):
            return document
    return None


# --- a call decided as a batch -------------------------------------------------------------


@dataclass
class BatchRow:
    application: Application
    exemptions: list
    propose_task: object | None
    may_propose: bool


def calls_with_applications() -> QuerySet[Call]:
    return Call.objects.filter(applications__process__isnull=False).distinct()


def call_batch_rows(user, call: Call) -> list[BatchRow]:
    """The call's submitted applications, each with its open propose task (if any) and
    whether ``user`` may complete it here (it is theirs, or in the queue for them)."""
    applications = list(
        Application.objects.filter(call=call, process__isnull=False)
        .select_related("lead_organisation")
        .prefetch_related(
            Prefetch(
                "exemption_requests",
                queryset=ExemptionRequest.objects.exclude(
                    status=ExemptionStatus.WITHDRAWN
                ).select_related("provision__act"),
            )
        )
        .order_by("reference")
    )
    tasks = {
        task.process.caseprocess.application_id: task
        for task in ApplicationFlow.task_class.objects.filter(
            flow_task=ApplicationFlow.propose,
            status__in=OPEN,
            process__caseprocess__application__in=applications,
        ).select_related("owner", "process__caseprocess")
    }
    rows = []
    for application in applications:
        task = tasks.get(application.pk)
        may = False
        if task is not None and application.stage == Stage.PRELIMINARY:
            may = task.owner_id == user.pk or (
                task.status == STATUS.NEW and services.can_take(user, task)
            )
        rows.append(
            BatchRow(
                application=application,
                exemptions=list(application.exemption_requests.all()),
                propose_task=task,
                may_propose=may,
            )
        )
    return rows
