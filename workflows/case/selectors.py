"""Every read of the case workspace, for the officers' pages and the case API alike.

What a user may see and do is decided here once, so a page and the API cannot disagree:

- the four-eyes rule: ``may_review`` (who may approve or return a proposal) and
  ``pending_proposals`` (the one query for proposals awaiting approval);
- which tasks a user sees (``tasks_for_user``, ``inbox``, ``queue``), may take
  (``task_refusal``, ``may_take``) and what they may do with one (``task_access``), and why a
  task is no longer open (``task_gone_reason``);
- what a task's step shows (``task_context``), who a task may be given to
  (``eligible_assignees``), which cases a user sees (``cases_for_user``), which journal
  documents and attachments they may download, and the case history.

``workflows.case.services`` checks the same functions again when a change is made.
"""

import datetime
import textwrap
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow import chart
from viewflow.workflow.status import STATUS

from casework.choices import EntryType, Role
from casework.models import AuditEvent, CaseFile, JournalDocument, JournalEntry, Membership
from casework.prepared import PreparedQuery
from casework.selectors import (
    audit_events_for,
    case_for,
    case_journal,
    document_for_user,
    roles_for_user,
    user_has_role,
    user_has_role_in,
)
from casework.transactions import held, hold, in_unit_of_work
from legal.selectors import attach_limits, provision_warnings
from trials.choices import (
    DECIDED_STATUSES,
    ApplicationStatus,
    ExemptionStatus,
    ExtensionStatus,
    ProposalStatus,
    Stage,
)
from trials.letters import Letter, render_letter
from trials.models import (
    Application,
    Attachment,
    Call,
    Consultation,
    ConsultationAnswer,
    DecisionProposal,
    ExemptionRequest,
    Extension,
    InformationRequest,
    InterimReply,
)
from trials.selectors import attachments_for_user, is_kdd_leader, is_ministry_officer
from trials.services import DECIDING_MINISTRY, assessment_suggestion, decision_letter_context
from workflows.case.flows import ApplicationFlow
from workflows.case.models import CaseProcess
from workflows.trial.flows import TrialFollowUpFlow

OPEN = [STATUS.NEW, STATUS.ASSIGNED]
KDD_ROLES = {Role.CASE_OFFICER.value, Role.APPROVER.value}
WORKSPACE_ROLES = {*KDD_ROLES, Role.CONSULTEE.value}
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
OFFICER_STEPS = [step for step in HUMAN_STEPS if step not in ("consult", "approve")]
# The steps the text version of the process diagram lists (waiting for the applicant too).
LISTED_STEPS = [*HUMAN_STEPS[:2], "await_answer", *HUMAN_STEPS[2:]]
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


# The steps whose work differs in the case of an application for extension, with their titles
# there (the nodes are the application's: ``workflows.case.extension``).
EXTENSION_STEP_TITLES = {
    "register": gettext_lazy("Register the application for extension"),
    "assess": gettext_lazy("Assess the terms of the extension"),
    "propose": gettext_lazy("Propose a decision on the extension"),
    "approve": gettext_lazy("Approve the decision on the extension"),
}


def _nodes(names) -> list:
    return [getattr(ApplicationFlow, name) for name in names]


def display_name(user) -> str:
    if user is None:
        return _("The system")
    return user.get_full_name() or user.get_username()


def has_workspace_role(user) -> bool:
    return bool(roles_for_user(user) & WORKSPACE_ROLES)


def is_case_officer(user) -> bool:
    return Role.CASE_OFFICER.value in roles_for_user(user)


def sees_internal_notes(user, application: Application) -> bool:
    """KDD sees its assessment notes, proposals and the case history at once; a consulted
    ministry only after the decision (they are KDD's internal preparation until then)."""
    return bool(roles_for_user(user) & KDD_ROLES) or application.status in DECIDED_STATUSES


def is_kdd_staff(user) -> bool:
    """A case officer or an approver at KDD (the deciding ministry's own people)."""
    return bool(roles_for_user(user) & KDD_ROLES)


def consultee_ministries(user) -> list[str]:
    """The codes of the ministries ``user`` answers consultations for."""
    return _consultee_ministries(user)


def _consultee_ministries(user) -> list[str]:
    return list(
        Membership.objects.filter(user=user, role=Role.CONSULTEE).values_list(
            "organisation__code", flat=True
        )
    )


# The follow-up of a trial gives the officer a task in the same inbox: a report is overdue.
FOLLOW_UP_STEP = "report_overdue"


def step_title(name: str) -> str:
    node = getattr(TrialFollowUpFlow if name == FOLLOW_UP_STEP else ApplicationFlow, name)
    return str(node.task_title or name)


def step_choices() -> list[tuple[str, str]]:
    return [(name, step_title(name)) for name in [*HUMAN_STEPS, FOLLOW_UP_STEP]]


def is_follow_up(task) -> bool:
    """A trial's follow-up task (an overdue report), not a case's."""
    return task.flow_task is TrialFollowUpFlow.report_overdue


def case_process_get(pk, *, lock: bool = False) -> CaseProcess:
    """The case process with its application; with ``lock``, both rows locked (the process
    row is the one ``ApplicationFlow``'s lock takes, so this is that lock and the
    application's in one query)."""
    processes = CaseProcess.objects.select_related("application__lead_organisation")
    if lock:
        processes = processes.select_related("officer").select_for_update(
            of=("self", "application")
        )
    return processes.get(pk=pk)


def task_locked(task_pk):
    """The task read fresh under the process lock, with its CaseProcess (as ``task.process``)
    and application, in one query: the process row (the one ``ApplicationFlow``'s lock
    takes), the application's and the task's, locked in that order (PostgreSQL takes the
    rows of ``FOR UPDATE OF`` in the order named: the process first, like every other
    holder of the lock, so no deadlock); a task changed while this waited is read as
    changed."""
    task = _TASK_LOCKED.get(int(task_pk))
    task.process = task.process.caseprocess
    return task


_TASK_LOCKED = PreparedQuery(  # the same SQL at every step: compiled once (casework.prepared)
    lambda task_pk: (
        ApplicationFlow.task_class.objects.select_related(
            "process__caseprocess__application__lead_organisation",
            "process__caseprocess__officer",
        )
        .select_for_update(of=("process__caseprocess", "process__caseprocess__application", "self"))
        .filter(process__caseprocess__application__isnull=False)  # inner joins: lockable
        .filter(pk=task_pk)
        .order_by()
    )
)


def case_process(task) -> CaseProcess:
    """The task's process as our CaseProcess, with its application.

    Under the services' process lock that is the process loaded (once) after taking the
    lock, which the engine's activations share; otherwise it is read from the database.
    """
    if type(task).process.is_cached(task):
        process = task.process
        if not isinstance(process, CaseProcess):
            process = process.caseprocess  # selected with the task by task_get and the lists
        if CaseProcess.application.is_cached(process):
            return process
    return case_process_get(task.process_id)


# --- the four-eyes rule ------------------------------------------------------------------------

APPROVER_ONLY = gettext_lazy("Only a leader with the approver role can take this task.")
FOUR_EYES = gettext_lazy("You cannot approve your own proposal (four-eyes principle).")


def pending_proposals() -> QuerySet[DecisionProposal]:
    """Proposals awaiting an approver's decision (the database allows one per application)."""
    return DecisionProposal.objects.filter(status=ProposalStatus.PENDING)


def pending_proposal(application_id: int) -> DecisionProposal | None:
    """The proposal awaiting approval. Inside a case step's unit of work
    (``workflows.case.services``) it is read once, locked, and held for the approval."""
    proposals = pending_proposals().filter(application_id=application_id)
    if not in_unit_of_work():
        return proposals.select_related("proposed_by").first()
    key = ("pending_proposal", application_id)
    proposal = held(key)
    if proposal is None or proposal.status != ProposalStatus.PENDING:
        proposal = _PENDING_PROPOSAL_LOCKED.first(application_id)
        if proposal is not None:
            hold(key, proposal)
            hold((DecisionProposal, proposal.pk), proposal)
    return proposal


_PENDING_PROPOSAL_LOCKED = PreparedQuery(  # at the approval: compiled once
    lambda application_id: (
        pending_proposals()
        .filter(application_id=application_id)
        .select_related("proposed_by")
        .select_for_update(of=("self",))[:1]
    )  # first(): by the model's ordering
)


def review_refusal(user, proposal: DecisionProposal | None) -> str | None:
    """Why ``user`` may not approve or return ``proposal``, or None when they may: a leader
    with the approver role at KDD who did not make it (four eyes). The same rule as
    ``trials.services.proposal_approve``/``proposal_return`` check under the row lock, and the
    database's ``proposal_four_eyes`` constraint."""
    if not is_ministry_officer(user, Role.APPROVER):
        return str(APPROVER_ONLY)
    if proposal is not None and proposal.proposed_by_id == user.pk:
        return str(FOUR_EYES)
    return None


def may_review(user, proposal: DecisionProposal) -> bool:
    """Who may approve or return a proposal (the four-eyes rule; see ``review_refusal``)."""
    return review_refusal(user, proposal) is None


def _own_pending_approvals(user) -> Q:
    """The approval tasks of ``user``'s own pending proposals: ``review_refusal`` as a
    filter, so they never list, show or offer a proposer the approval of their proposal."""
    return Q(
        flow_task=ApplicationFlow.approve,
        process__caseprocess__application__in=pending_proposals()
        .filter(proposed_by=user)
        .values("application_id"),
    )


# --- who may take a task -----------------------------------------------------------------------


def task_refusal(user, task) -> str | None:
    """Why ``user`` may not take or be given ``task`` by role, or None when they may: staff
    of the consulted ministry for a consultation, an approver who did not make the proposal
    for the approval, a KDD case officer for every other step."""
    node = task.flow_task
    if node is ApplicationFlow.consult:
        ministry = (task.data or {}).get("ministry", "")
        if not user_has_role_in(user, Role.CONSULTEE, organisation_code=ministry):
            return _("Only staff of the consulted ministry can take this task.")
        return None
    if node is ApplicationFlow.approve:
        return review_refusal(user, pending_proposal(case_process(task).application_id))
    if not user_has_role(user, Role.CASE_OFFICER):
        return _("Only a case officer at the ministry can take this task.")
    return None


def may_take(user, task) -> bool:
    """May ``user`` take ``task`` from the queue now (role, four eyes and the node's own
    permission)?"""
    return task_refusal(user, task) is None and task.flow_task.can_assign(user, task)


def may_hand_on(user, task, *, as_leader: bool = False) -> bool:
    """May ``user`` give ``task`` to someone else: its holder, anyone while it waits in the
    queue, a case officer (who distributes the ministry's work), or a KDD leader acting
    from the team view (``as_leader``)?"""
    if as_leader and is_kdd_leader(user):
        return True
    return task.owner_id in (None, user.pk) or is_case_officer(user)


@dataclass
class TeamMember:
    person: object
    rows: list
    overdue: int
    oldest_case_days: int | None


def team_workload() -> tuple[list[TeamMember], dict]:
    """Who at KDD holds which open tasks, how many are overdue and how old their oldest case
    is, and what waits in the queue: the leaders' team view (a fixed number of queries)."""
    staff = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation__code=DECIDING_MINISTRY,
            memberships__role__in=[Role.CASE_OFFICER, Role.APPROVER],
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    open_tasks = list(
        order_tasks(
            _tasks().filter(status__in=OPEN, flow_task__in=_nodes(HUMAN_STEPS)), "due"
        ).exclude(flow_task=ApplicationFlow.consult)
    )
    rows = task_rows(open_tasks)
    today = timezone.localdate()
    by_owner: dict[int, list] = {}
    for row in rows:
        by_owner.setdefault(row.task.owner_id, []).append(row)
    members = []
    for person in staff:
        mine = by_owner.get(person.pk, [])
        submitted = [
            timezone.localdate(r.application.submitted_at)
            for r in mine
            if r.application.submitted_at
        ]
        members.append(
            TeamMember(
                person=person,
                rows=mine,
                overdue=sum(1 for r in mine if r.overdue),
                oldest_case_days=(today - min(submitted)).days if submitted else None,
            )
        )
    queue_rows = by_owner.get(None, [])
    return members, {
        "queue": len(queue_rows),
        "queue_overdue": sum(1 for r in queue_rows if r.overdue),
        "queue_rows": queue_rows,
    }


def task_gone_reason(task, user=None) -> str:
    """Why ``task`` is no longer open to ``user``, in words (the 409 of pages and API):
    taken by someone else, already completed, or closed because the case was withdrawn."""
    if task.status == STATUS.ASSIGNED and task.owner_id is not None:
        if user is not None and task.owner_id == user.pk:
            return _("You already have this task.")
        return _("%(name)s has already taken this task.") % {"name": display_name(task.owner)}
    if task.status == STATUS.NEW:
        return _("Nobody has this task now: it is back in the queue.")
    if task.status == STATUS.DONE:
        if user is not None and task.owner_id == user.pk:
            return _("You have already completed this task.")
        if task.owner_id is None:
            return _("This task has already been completed.")
        return _("%(name)s has already completed this task.") % {"name": display_name(task.owner)}
    if case_process(task).application.status == ApplicationStatus.WITHDRAWN:
        return _("The application has been withdrawn, so this task is closed.")
    return _("This task is no longer needed: the case has moved on.")


# --- lists of tasks ----------------------------------------------------------------------------


def _tasks() -> QuerySet:
    """The case process's tasks and the trials' follow-up tasks (the inbox shows both)."""
    return ApplicationFlow.task_class.objects.filter(
        Q(process__flow_class=ApplicationFlow)
        | Q(process__flow_class=TrialFollowUpFlow, flow_task=TrialFollowUpFlow.report_overdue)
    ).select_related(
        "owner",
        "process__caseprocess__application__lead_organisation__county",
        "process__caseprocess__application__call",
        "process__trialprocess__trial__application__lead_organisation__county",
    )


def tasks_for_user(user) -> QuerySet:
    """Every open task ``user`` could see in their inbox or queue: their own, and those their
    roles may take; never the approval of their own proposal."""
    if not user.is_authenticated:
        return ApplicationFlow.task_class.objects.none()
    roles = roles_for_user(user)
    visible = Q(owner=user)
    if Role.CASE_OFFICER in roles:
        visible |= Q(flow_task__in=[*_nodes(OFFICER_STEPS), TrialFollowUpFlow.report_overdue])
    if Role.APPROVER in roles:
        visible |= Q(flow_task=ApplicationFlow.approve)
    ministries = _consultee_ministries(user)
    if ministries:
        visible |= Q(flow_task=ApplicationFlow.consult, data__ministry__in=ministries)
    return _tasks().filter(visible, status__in=OPEN).exclude(_own_pending_approvals(user))


def inbox(user) -> QuerySet:
    return tasks_for_user(user).filter(owner=user, status=STATUS.ASSIGNED).order_by("created")


def queue(user) -> QuerySet:
    """Unassigned tasks ``user``'s roles may take."""
    return tasks_for_user(user).filter(owner__isnull=True, status=STATUS.NEW).order_by("created")


def filter_tasks(tasks: QuerySet, *, step="", call="", municipality="", ministry="") -> QuerySet:
    if step == FOLLOW_UP_STEP:
        tasks = tasks.filter(flow_task=TrialFollowUpFlow.report_overdue)
    elif step and hasattr(ApplicationFlow, step):
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


DUE_SOON_DAYS = 3  # a task due within this many days is marked "due soon" in the lists
TASK_ORDERINGS = {  # the inbox's sort orders: name -> order_by
    "due": ("due_on", "created", "pk"),
    "-due": ("-due_on", "-created", "-pk"),
    "created": ("created", "pk"),
    "-created": ("-created", "-pk"),
}


def with_due_dates(tasks: QuerySet) -> QuerySet:
    """``tasks`` with ``due_on``, the date a list shows and sorts by: the consultation's due
    date for a consultation, otherwise the step's time (``STEP_DAYS``) from the task's start.
    The same date ``task_rows`` gives, computed in the database so a page can sort by it."""
    consultation_due = Subquery(
        Consultation.objects.filter(pk=OuterRef("consultation_ref")).values("due_date")[:1],
        output_field=DateField(),
    )
    step_due = Case(
        *(
            When(flow_task=getattr(ApplicationFlow, name), then=F("created") + timedelta(days=days))
            for name, days in STEP_DAYS.items()
        ),
        default=F("created") + timedelta(days=7),
        output_field=DateTimeField(),
    )
    return tasks.annotate(
        consultation_ref=Cast(KeyTextTransform("consultation", "data"), IntegerField())
    ).annotate(due_on=Coalesce(consultation_due, TruncDate(step_due), output_field=DateField()))


def order_tasks(tasks: QuerySet, sort: str) -> QuerySet:
    return with_due_dates(tasks).order_by(*TASK_ORDERINGS.get(sort, TASK_ORDERINGS["due"]))


@dataclass
class TaskRow:
    task: object
    application: Application
    step: str
    title: str
    due: datetime.date
    choices: list = field(default_factory=list)  # whom a leader may give it to (team view)
    extension_id: int | None = None  # the case of an application for extension
    trial: object = None  # a trial's follow-up task: the trial

    @property
    def is_follow_up(self) -> bool:
        return self.trial is not None

    @property
    def overdue(self) -> bool:
        return self.due < timezone.localdate()

    @property
    def due_soon(self) -> bool:
        today = timezone.localdate()
        return today <= self.due <= today + timedelta(days=DUE_SOON_DAYS)

    @property
    def days_left(self) -> int:
        return (self.due - timezone.localdate()).days


def _process_of(task) -> CaseProcess:
    process = task.process
    return process if isinstance(process, CaseProcess) else process.caseprocess


def task_rows(tasks) -> list[TaskRow]:
    """Tasks with what a list shows: the case, the step's title and the due date."""
    consultation_ids = [t.data.get("consultation") for t in tasks if t.data.get("consultation")]
    due_by_consultation = dict(
        Consultation.objects.filter(pk__in=consultation_ids).values_list("pk", "due_date")
    )
    rows = []
    for task in tasks:
        name = task.flow_task.name
        due = getattr(task, "due_on", None) or due_by_consultation.get(
            task.data.get("consultation")
        )
        if due is None:
            due = timezone.localdate(task.created) + datetime.timedelta(days=STEP_DAYS.get(name, 7))
        title = task.flow_task.task_title or name
        if is_follow_up(task):
            trial = task.process.trialprocess.trial
            application, extension_id = trial.application, None
        else:
            process, trial = _process_of(task), None
            application, extension_id = process.application, process.extension_id
            if extension_id is not None:
                title = EXTENSION_STEP_TITLES.get(name, title)
        rows.append(
            TaskRow(
                task=task,
                application=application,
                step=name,
                title=str(title),
                due=due,
                extension_id=extension_id,
                trial=trial,
            )
        )
    return rows


def open_steps_by_process(process_ids) -> dict[int, list[TaskRow]]:
    """The open person tasks of each process, with their titles and due dates."""
    tasks = (
        ApplicationFlow.task_class.objects.filter(
            process_id__in=list(process_ids),
            status__in=OPEN,
            flow_task__in=_nodes(HUMAN_STEPS),
        )
        .select_related("owner", "process__caseprocess__application")
        .order_by("created", "pk")
    )
    steps: dict[int, list[TaskRow]] = {}
    for row in task_rows(list(tasks)):
        steps.setdefault(row.task.process_id, []).append(row)
    return steps


# --- one task ----------------------------------------------------------------------------------


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def follow_up_task_get(pk):
    """A trial's follow-up task with its trial, or None when ``pk`` is not one."""
    return (
        TrialFollowUpFlow.task_class.objects.filter(
            process__flow_class=TrialFollowUpFlow, flow_task=TrialFollowUpFlow.report_overdue
        )
        .select_related("owner", "process__trialprocess__trial__application__lead_organisation")
        .filter(pk=_pk(pk))
        .first()
    )


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
            .get(pk=_pk(pk))
        )
    except ApplicationFlow.task_class.DoesNotExist as exc:
        raise Http404 from exc


def task_for_action(user, task_id):
    """A person's task (of any status) in a case ``user`` may see; 404 otherwise.

    Wider than the inbox on purpose: whether the user may take *this* task is the services'
    call (403), and a task someone finished in between must answer 409, not 404.
    """
    task = task_get(task_id)
    if task.flow_task.name not in HUMAN_STEPS or not (
        cases_for_user(user).filter(pk=task.process_id).exists()
    ):
        raise Http404
    return task


def is_open(task) -> bool:
    return task.status in OPEN


@dataclass
class TaskAccess:
    """What ``user`` may do with one task (the page's buttons, the API's allowed_actions)."""

    may_view: bool
    may_work: bool = False  # fill in and complete the form now
    may_claim: bool = False
    may_unassign: bool = False
    may_reassign: bool = False
    refusal: str = ""  # why not, for one the user's roles would otherwise show (four eyes)

    @property
    def actions(self) -> list[str]:
        flags = [
            ("claim", self.may_claim),
            ("unassign", self.may_unassign),
            ("complete", self.may_work),
            ("reassign", self.may_reassign),
        ]
        return [name for name, allowed in flags if allowed]


def task_access(user, task, *, listed: bool = False) -> TaskAccess:
    """Who may see an open task: its holder, and those whose roles let them take it (the
    inbox and queue rules above), never the proposer on the approval step. ``listed``: the
    task comes from ``tasks_for_user(user)`` already."""
    if not user.is_authenticated or not is_open(task):
        return TaskAccess(may_view=False)
    if is_follow_up(task):  # done on the trial's page (or the tasks API) by a case officer
        officer = is_case_officer(user)
        return TaskAccess(may_view=officer, may_work=officer)
    if task.flow_task.name not in HUMAN_STEPS:
        return TaskAccess(may_view=False)
    if task.flow_task is ApplicationFlow.approve and is_ministry_officer(user, Role.APPROVER):
        refusal = review_refusal(user, pending_proposal(case_process(task).application_id))
        if refusal:
            return TaskAccess(may_view=False, refusal=refusal)
    own = task.owner_id == user.pk
    if not (own or listed or tasks_for_user(user).filter(pk=task.pk).exists()):
        return TaskAccess(may_view=False)
    may_claim = task.status == STATUS.NEW and may_take(user, task)
    return TaskAccess(
        may_view=True,
        may_work=(own and task.status == STATUS.ASSIGNED) or may_claim,
        may_claim=may_claim,
        may_unassign=task.status == STATUS.ASSIGNED and task.flow_task.can_unassign(user, task),
        may_reassign=may_hand_on(user, task),
    )


def task_get_for_user(user, task_id):
    """An open task in ``user``'s inbox or queue; 404 otherwise (403 with the reason for the
    approval of their own proposal)."""
    task = task_get(task_id)
    access = task_access(user, task)
    if access.refusal:
        raise PermissionDenied(access.refusal)
    if not access.may_view:
        raise Http404
    return task


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
        users = users.exclude(
            pk__in=pending_proposals()
            .filter(application_id=case_process(task).application_id)
            .values("proposed_by_id")
        )
    if task.owner_id:
        users = users.exclude(pk=task.owner_id)
    return users.order_by("first_name", "last_name", "username")


def _consultation_with_exemptions(consultation_id, *, locked: bool) -> Consultation | None:
    """The consultation with its exemptions (as ``consultation.exemptions.all()``, in their
    order) in one query: its links to them, each with both rows; ``locked``: the
    consultation's row locked (``FOR UPDATE OF`` it alone). None when it has no exemption."""
    query = _CONSULTATION_LINKS_LOCKED if locked else _CONSULTATION_LINKS
    links = query.all(consultation_id)
    if not links:
        return None
    consultation = links[0].consultation
    # what prefetch_related("exemptions") leaves on it (django.db.models.query.prefetch_one_level)
    exemptions = consultation.exemptions.get_queryset()
    exemptions._result_cache = [link.exemptionrequest for link in links]
    exemptions._prefetch_done = True
    consultation._prefetched_objects_cache = {Consultation.exemptions.field.name: exemptions}
    return consultation


def task_consultation(task) -> Consultation | None:
    """The consultation a consult task answers, or a consultation_overdue task is about (the
    consult task its deadline timer was attached to carries it)."""
    consultation_id = (task.data or {}).get("consultation")
    if consultation_id is None and task.flow_task is ApplicationFlow.consultation_overdue:
        timer = task.previous.first()
        host = timer.previous.first() if timer is not None else None
        consultation_id = (host.data or {}).get("consultation") if host is not None else None
    if not consultation_id:
        return None
    locked = in_unit_of_work()  # a case step answering or closing it: locked once, and held
    consultation = _consultation_with_exemptions(consultation_id, locked=locked)
    if consultation is None:  # no exemption in it (or gone): the consultation alone
        query = _TASK_CONSULTATION_LOCKED if locked else _TASK_CONSULTATION
        consultation = query.first(consultation_id)
    if consultation is not None and in_unit_of_work():
        application = held((Application, consultation.application_id))
        if application is not None:
            consultation.application = application
            hold((Consultation, consultation.pk), consultation)
    return consultation


def _consultation_links_query(*, lock: bool) -> PreparedQuery:
    def build(consultation_id):
        links = (
            Consultation.exemptions.through.objects.filter(consultation_id=consultation_id)
            .select_related(
                "consultation__ministry",
                "consultation__sent_by",
                "consultation__letter",
                "exemptionrequest__provision__act__ministry",
            )
            .order_by(*(f"exemptionrequest__{name}" for name in ExemptionRequest._meta.ordering))
        )
        return links.select_for_update(of=("consultation",)) if lock else links

    return PreparedQuery(build)


_CONSULTATION_LINKS = _consultation_links_query(lock=False)
_CONSULTATION_LINKS_LOCKED = _consultation_links_query(lock=True)


def _task_consultation_query(*, lock: bool) -> PreparedQuery:
    def build(consultation_id):
        consultations = Consultation.objects.select_related("ministry", "sent_by", "letter")
        if lock:
            consultations = consultations.select_for_update(of=("self",))
        return consultations.prefetch_related(
            Prefetch(
                "exemptions",
                queryset=ExemptionRequest.objects.select_related("provision__act__ministry"),
            )
        ).filter(pk=consultation_id)[:1]  # first(): by the model's ordering

    return PreparedQuery(build)


_TASK_CONSULTATION = _task_consultation_query(lock=False)
_TASK_CONSULTATION_LOCKED = _task_consultation_query(lock=True)


def returned_proposal(application: Application, extension=None) -> DecisionProposal | None:
    """The last proposal the approver sent back, if the latest one was (of the application,
    or of its application for extension ``extension``)."""
    latest = (
        DecisionProposal.objects.filter(application=application, extension=extension)
        .select_related("proposed_by", "reviewed_by")
        .order_by("-proposed_at", "-pk")
        .first()
    )
    if latest is not None and latest.status == ProposalStatus.RETURNED:
        return latest
    return None


def open_information_request(application: Application) -> InformationRequest | None:
    return application.information_requests.filter(answered_at__isnull=True).first()


@dataclass
class TaskContext:
    """What the page and the API show of one task: the case, what its step needs, and what
    the user may do with it."""

    task: object
    row: TaskRow
    application: Application
    access: TaskAccess
    exemptions: list  # the application's, each with ``warnings``
    step_exemptions: list  # those the step is about (a consultation's, or all)
    show_notes: bool
    suggestions: dict = field(default_factory=dict)  # assess: the register's suggestions
    consultation: Consultation | None = None
    proposal: DecisionProposal | None = None  # approve: pending; propose: the last returned
    answers: dict = field(default_factory=dict)  # propose, approve: answers per exemption
    information_request: InformationRequest | None = None
    interim_replies: list = field(default_factory=list)
    assignees: QuerySet | None = None  # who the user may give the task to
    extension: Extension | None = None  # the case of an application for extension

    @property
    def step(self) -> str:
        return self.row.step

    @property
    def interim_reply(self) -> InterimReply | None:
        return self.interim_replies[0] if self.interim_replies else None


def task_context(user, task, access: TaskAccess | None = None) -> TaskContext:
    """Everything one task shows, for the task page and the API's task detail alike."""
    access = access or task_access(user, task)
    application = application_for_case(case_process(task).application_id)
    name = task.flow_task.name
    exemptions = list(application.exemption_requests.all())  # the prefetched instances
    attach_warnings(exemptions)
    show_notes = sees_internal_notes(user, application)
    if not show_notes:
        hide_internal_notes(exemptions)
    context = TaskContext(
        task=task,
        row=task_rows([task])[0],
        application=application,
        access=access,
        exemptions=exemptions,
        step_exemptions=exemptions,
        show_notes=show_notes,
        extension=extension_of(task),
    )
    if context.extension is not None and name in EXTENSION_STEP_TITLES:
        return _extension_task_context(context, task)
    if name in ("consult", "consultation_overdue"):
        context.consultation = task_consultation(task)
    if name == "consult":
        context.step_exemptions = (
            list(context.consultation.exemptions.all()) if context.consultation else []
        )
        attach_warnings(context.step_exemptions)
        if not show_notes:
            hide_internal_notes(context.step_exemptions)
    elif name == "assess":
        context.suggestions = {e.pk: assessment_suggestion(e) for e in exemptions}
    elif name in ("propose", "approve"):
        context.answers = answers_by_exemption(consultations_of(application))
        if name == "approve":
            context.proposal = pending_proposal(application.pk)
        else:
            context.proposal = returned_proposal(application)
    elif name in ("answer_overdue", "check_completeness"):
        context.information_request = open_information_request(application)
    elif name == "interim_reply":
        context.interim_replies = list(application.interim_replies.all())
    if access.may_reassign:
        context.assignees = eligible_assignees(task)
    return context


def extension_of(task) -> Extension | None:
    """The application for extension a task's case is about (with its trial), or None."""
    extension_id = case_process(task).extension_id
    if extension_id is None:
        return None
    return (
        Extension.objects.select_related("trial", "requested_by", "assessed_by")
        .prefetch_related("trial__extensions")
        .get(pk=extension_id)
    )


def _extension_task_context(context: TaskContext, task) -> TaskContext:
    """An extension's register, assess, propose or approve step: the extension, the trial's
    exemptions, the consultations' answers and the proposal (pending or returned)."""
    extension = context.extension
    granted = set(extension.trial.exemptions.values_list("pk", flat=True))
    context.step_exemptions = [e for e in context.exemptions if e.pk in granted]
    if context.step in ("propose", "approve"):
        context.answers = answers_by_exemption(
            consultations_of(context.application, extension=extension)
        )
        if context.step == "approve":
            context.proposal = pending_proposal(context.application.pk)
        else:
            context.proposal = returned_proposal(context.application, extension)
    if context.access.may_reassign:
        context.assignees = eligible_assignees(task)
    return context


# --- a case ------------------------------------------------------------------------------------


def cases_for_user(user) -> QuerySet[CaseProcess]:
    """Officers and approvers see every case; consultees those their ministry is consulted on."""
    processes = CaseProcess.objects.select_related(
        "application__lead_organisation", "application__call", "officer"
    )
    if not user.is_authenticated:
        return processes.none()
    if roles_for_user(user) & KDD_ROLES:
        return processes
    ministries = _consultee_ministries(user)
    if ministries:
        return processes.filter(
            application__consultations__ministry__code__in=ministries
        ).distinct()
    return processes.none()


def case_for_user(user, application_pk) -> CaseProcess:
    """The case process of an application ``user`` may handle or was consulted on; else 404."""
    try:
        return cases_for_user(user).get(application_id=_pk(application_pk), extension__isnull=True)
    except CaseProcess.DoesNotExist as exc:
        raise Http404 from exc


def extension_case_for_user(user, extension_pk) -> CaseProcess:
    """The case of an application for extension (or of KDD's own proposal to extend) that
    ``user`` may see: KDD's officers and approvers every one, a line ministry's staff those
    their ministry is consulted on; else 404."""
    processes = cases_for_user(user).select_related(
        "extension__trial__application__lead_organisation",
        "extension__requested_by",
        "extension__assessed_by",
        "extension__decided_by",
        "extension__letter",
    )
    if not is_kdd_staff(user):
        processes = processes.filter(
            extension__consultations__ministry__code__in=_consultee_ministries(user)
        ).distinct()
    try:
        return processes.get(extension_id=_pk(extension_pk))
    except CaseProcess.DoesNotExist as exc:
        raise Http404 from exc


def extension_cases_of(application: Application) -> list[CaseProcess]:
    """The cases of the extensions of ``application``'s trial, oldest first."""
    return list(
        CaseProcess.objects.filter(application=application, extension__isnull=False)
        .select_related("extension")
        .order_by("extension_id")
    )


def sees_internal_extension_work(user, extension: Extension) -> bool:
    """``sees_internal_notes`` for the case of an extension: KDD at once, a consulted
    ministry once it is decided."""
    return is_kdd_staff(user) or extension.status != ExtensionStatus.REQUESTED


def extension_journal(extension: Extension, case: CaseFile | None) -> list[JournalEntry]:
    """The entries of the application's case file that belong to the extension's case: the
    application for it, the consultation letters and answers, the decision letter."""
    if case is None:
        return []
    ids = {extension.application_entry_id, extension.letter_id}
    for letter_id, answer_id in extension.consultations.values_list("letter_id", "answer_entry_id"):
        ids |= {letter_id, answer_id}
    ids.discard(None)
    return list(
        case_journal(case).filter(pk__in=ids).select_related("case").order_by("number_in_case")
    )


def extension_history(extension: Extension, process: CaseProcess) -> list[AuditEvent]:
    """The audit trail of the extension's case, oldest first: its steps and decision (on the
    trial), the tasks taken and handed on and the consultations answered (on the
    application)."""
    trial_events = audit_events_for(extension.trial).filter(data__extension=extension.pk)
    task_ids = list(
        ApplicationFlow.task_class.objects.filter(process=process).values_list("pk", flat=True)
    )
    consultation_ids = list(extension.consultations.values_list("pk", flat=True))
    case_events = audit_events_for(extension.trial.application).filter(
        Q(data__task__in=task_ids or [0]) | Q(data__consultation__in=consultation_ids or [0])
    )
    events = list(trial_events) + list(case_events)
    return sorted(events, key=lambda event: (event.created_at, event.pk))


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


def case_numbers(applications) -> dict[int, str]:
    """Case numbers (``2026/000012``) by application id, in one query."""
    ids = [str(a.pk) for a in applications]
    cases = CaseFile.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id__in=ids
    ).only("year", "sequence", "object_id")
    return {int(case.object_id): case.number for case in cases}


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


def hide_internal_notes(exemptions) -> None:
    """Blank KDD's assessment notes on these (unsaved) instances, for those who may not see
    them yet (``sees_internal_notes``)."""
    for exemption in exemptions:
        exemption.assessment_note = ""


def consultations_of(application: Application, extension=None) -> list[Consultation]:
    """The consultations of the application's own case, or with ``extension`` those of that
    application for extension's case: each case page and step shows only its own."""
    consultations = application.consultations.filter(extension=extension)
    return list(
        consultations.select_related("ministry", "answered_by", "answer_entry__case")
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
    """The application's own proposals (those on its extensions belong to their cases)."""
    return list(
        application.proposals.filter(extension__isnull=True)
        .select_related("proposed_by", "reviewed_by")
        .order_by("proposed_at", "pk")
    )


def case_history(application: Application) -> list[AuditEvent]:
    """The audit trail of the application and of its case file, oldest first."""
    events = list(audit_events_for(application))
    case = case_for(application)
    if case is not None:
        events += list(audit_events_for(case))
    return sorted(events, key=lambda event: (event.created_at, event.pk))


# --- documents: who may download what ----------------------------------------------------------


def downloadable_attachments(user, application: Application) -> set[int]:
    """Attachments ``user`` may fetch through the portal's download view."""
    return set(
        attachments_for_user(user).filter(application=application).values_list("pk", flat=True)
    )


def journal_of(case: CaseFile | None) -> list[JournalEntry]:
    if case is None:
        return []
    return list(case_journal(case).select_related("case").order_by("number_in_case"))


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
    """A stored file, or an application's attachment it registers."""
    return bool(document.file) or (
        document.source_type_id == ContentType.objects.get_for_model(Attachment).pk
        and bool(document.source_id)
    )


def user_may_read_case(user, case: CaseFile) -> bool:
    """May ``user`` see the whole case file of an application (its screened documents too)?
    The case page's rule (``cases_for_user``), registered as a ``casework.hooks.case_readers``
    reader so ``casework.selectors.document_for_user`` asks it."""
    if case.content_type_id != ContentType.objects.get_for_model(Application).pk:
        return False
    return cases_for_user(user).filter(application_id=case.object_id).exists()


def case_document_for_user(user, document_id, application_id=None) -> JournalDocument:
    """A journal document as the workspace page and API serve it: one ``user`` may download
    (``casework.selectors.document_for_user``) of a case they may see (of case
    ``application_id`` when given); else 404. The workspace's addresses are for the people on
    the case, public documents included (everyone else has the public journal)."""
    document = document_for_user(user, document_id)
    case = document.entry.case
    if not user_may_read_case(user, case):
        raise Http404
    if application_id is not None and case.object_id != str(_pk(application_id)):
        raise Http404
    return document


# --- the process: diagram and list -------------------------------------------------------------


def process_tasks(process: CaseProcess) -> list:
    return list(
        ApplicationFlow.task_class.objects.filter(process=process)
        .select_related("owner", "process__caseprocess__application")
        .order_by("created", "pk")
    )


@dataclass
class StepState:
    name: str
    title: str
    state: str  # "current", "done" or "pending"
    open_tasks: list = field(default_factory=list)


# The steps the case of an extension goes through (no completeness check or preliminary answer).
EXTENSION_LISTED_STEPS = [
    "register",
    "assess",
    "consult",
    "consultation_overdue",
    "propose",
    "approve",
]


def process_steps(tasks: list, *, extension: bool = False) -> list[StepState]:
    """The steps of the process with where the case is: the text version of the diagram
    (of an extension's case: its steps, with their titles there)."""
    steps = []
    for name in EXTENSION_LISTED_STEPS if extension else LISTED_STEPS:
        node = getattr(ApplicationFlow, name)
        mine = [task for task in tasks if task.flow_task is node]
        open_tasks = [task for task in mine if task.status in OPEN]
        if open_tasks:
            state = "current"
        elif any(task.status == STATUS.DONE for task in mine):
            state = "done"
        else:
            state = "pending"
        title = EXTENSION_STEP_TITLES.get(name) if extension else None
        steps.append(StepState(name, str(title or step_title(name)), state, open_tasks))
    return steps


# Words for the nodes the flow leaves without a title (viewflow would print their names in
# English), and for the gateways' branches: the diagram speaks the page's language.
NODE_LABELS = {
    "start": gettext_lazy("Submitted"),
    "end": gettext_lazy("End"),
    "after_start": gettext_lazy("Proposed by KDD on its own initiative?"),
    "after_registration": gettext_lazy("An application for extension?"),
    "split_after_registration": gettext_lazy("Registered"),
    "is_complete": gettext_lazy("Is the application complete?"),
    "needs_consultation": gettext_lazy("Are ministries to be consulted?"),
    "split_consultations": gettext_lazy("One consultation per ministry"),
    "join_consultations": gettext_lazy("All consultations done"),
    "is_approved": gettext_lazy("Is the proposal approved?"),
    "remind_applicant": gettext_lazy("Remind the applicant"),
    "remind_ministry": gettext_lazy("Remind the ministry"),
    "after_answer_overdue": gettext_lazy("The officer's choice"),
    "after_consultation_overdue": gettext_lazy("Is the deadline extended?"),
    "decided": gettext_lazy("Decided"),
    "reminder_sent": gettext_lazy("Reminder sent"),
    "reminder_to_ministry_sent": gettext_lazy("Reminder sent"),
    "closed": gettext_lazy("Closed"),
    "finish_consultations": gettext_lazy("Close the consultations"),
}
EDGE_LABELS = {"yes": gettext_lazy("yes"), "no": gettext_lazy("no")}
CURRENT_STATUSES = {STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED}


def _diagram_text(cell, title: str) -> None:
    """Set a cell's words: wrapped inside a task box, or its tooltip for events and gates
    (the layout viewflow's ``chart.calc_text`` uses)."""
    shape = getattr(cell.node, "shape", chart.DEFAULT_SHAPE)
    if shape.get("text-align") != "middle":
        cell.title = title
        return
    font_size = shape.get("font-size", 12)
    segments = textwrap.wrap(title, 20) or [title]
    block_height = max(len(segments) - 1, 0) * font_size * 1.2
    x_start = int(cell.shape.width / 2)
    y_start = int((cell.shape.height - block_height) / 2)
    cell.shape.text = [
        (segment, "align-middle", font_size, x_start, y_start + (n * font_size * 1.2))
        for n, segment in enumerate(segments)
    ]


def process_diagram(process: CaseProcess, label: str) -> str:
    """The SVG chart of the flow, named by ``label``: viewflow's layout drawn by our own
    template without inline styles (the site's CSP allows only its stylesheets; the look is
    in static/css/process.css), every word in the page's language, the open steps marked
    "current"."""
    grid = chart.calc_layout_data(ApplicationFlow)
    chart.calc_cell_status(ApplicationFlow, grid, process.pk)
    cells = []
    for cell in grid.cells:
        if cell.node.name in NODE_LABELS:
            _diagram_text(cell, str(NODE_LABELS[cell.node.name]))
        status = str(cell.status or "").lower()
        current = "current" if cell.status in CURRENT_STATUSES else ""
        cells.append((cell, " ".join(part for part in (status, current) if part)))
    for edge in grid.edges:
        if edge.label in EDGE_LABELS:
            edge.label = str(EDGE_LABELS[edge.label])
    return render_to_string(
        "workflows/process_diagram.svg",
        {"grid": grid, "cells": cells, "edges": grid.edges, "label": label},
    ).strip()


# --- the decision ------------------------------------------------------------------------------


def decision_letter(application: Application) -> Letter:
    """The decision letter as trials.services.casehandling renders it for the journal: the
    letter its PDF was drawn from once the worker has stored it (``JournalDocument.letter``),
    else from the same template and data, dated and written in the form its journal entry
    recorded."""
    case = case_for(application)
    document = _decision_entry_document(application, case)
    if document is not None and document.letter:
        return Letter.from_data(document.letter)
    proposal = application.proposals.filter(status=ProposalStatus.APPROVED).first()
    context = decision_letter_context(application, case, proposal)
    language = application.lead_organisation.letter_language or "nb"
    if document is not None:
        context["today"] = document.entry.document_date
        context["officer"] = context["officer"] or document.entry.created_by
        language = document.language or language
    return render_letter("decision", {"application": application, **context}, language=language)


def _decision_entry_document(application: Application, case) -> JournalDocument | None:
    """The main document of the first letter journaled when the case was decided."""
    if case is None or application.decided_at is None:
        return None
    return (
        JournalDocument.objects.filter(
            entry__case=case,
            entry__entry_type=EntryType.OUTGOING,
            entry__registered_at__gte=application.decided_at,
            is_main=True,
        )
        .select_related("entry__created_by")
        .order_by("entry__number_in_case", "pk")
        .first()
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


# --- a call decided as a batch -----------------------------------------------------------------


@dataclass
class BatchRow:
    application: Application
    exemptions: list
    propose_task: object | None
    may_propose: bool


def calls_with_applications() -> QuerySet[Call]:
    return Call.objects.filter(applications__case_processes__isnull=False).distinct()


def call_batch_rows(user, call: Call) -> list[BatchRow]:
    """The call's submitted applications, each with its open propose task (if any) and
    whether ``user`` may complete it here (it is theirs, or in the queue for them)."""
    applications = list(
        Application.objects.filter(
            call=call, case_processes__isnull=False, case_processes__extension__isnull=True
        )
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
            may = task.owner_id == user.pk or (task.status == STATUS.NEW and may_take(user, task))
        rows.append(
            BatchRow(
                application=application,
                exemptions=list(application.exemption_requests.all()),
                propose_task=task,
                may_propose=may,
            )
        )
    return rows
