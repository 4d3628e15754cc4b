"""The case-handling workspace: inbox and queue, task pages, case pages, decision letters
and the batch decision of a call. Thin views: every read through workflows.case.selectors
(the same reads the case API makes), every action through workflows.case.services. Plain
HTML forms that work without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.choices import Role
from casework.downloads import file_response
from casework.models import JournalEntry
from casework.selectors import (
    DocumentFile,
    audit_change_lines,
    case_for,
    document_for_user,
    journal_document_file,
    memberships_remembered,
    ministry_list,
)
from casework.services import journal_entry_screen
from legal.choices import LimitKind
from trials import labels, rules
from trials import selectors as trials_selectors
from trials import services as trials_services
from trials.choices import (
    DECIDED_STATUSES,
    ApplicationStatus,
    Assessment,
    ExemptionStatus,
    ExtensionStatus,
    Outcome,
    Purpose,
    Stage,
    TrialCategory,
    TrialStatus,
)
from trials.exceptions import ConflictError
from trials.letters import Letter
from trials.models import Application, Attachment, Call
from trials.public.views import page_numbers
from workflows.case import selectors, services
from workflows.case.extension_forms import EXTENSION_STEP_FORMS
from workflows.case.extension_views import extension_step_parts, extension_success
from workflows.case.forms import (
    STEP_FORMS,
    CallBatchForm,
    ReassignForm,
    ScreeningForm,
    TaskFilterForm,
)
from workflows.tasks import TaskDone
from workflows.timers import TIMER_FIRED

SUCCESS_MESSAGES = {
    "register": gettext_lazy("The application is registered and the receipt is sent."),
    "check_completeness": gettext_lazy("The completeness check is recorded."),
    "answer_overdue": gettext_lazy("Your choice is recorded."),
    "assess": gettext_lazy("The assessment is recorded."),
    "consult": gettext_lazy("Your answer to the consultation is sent."),
    "consultation_overdue": gettext_lazy("Your choice is recorded."),
    "propose": gettext_lazy("The proposed decision is sent for approval."),
    "approve": gettext_lazy("Your decision on the proposal is recorded."),
    "interim_reply": gettext_lazy("The preliminary answer is sent."),
}

SUBMIT_LABELS = {
    "register": gettext_lazy("Register the application"),
    "check_completeness": gettext_lazy("Save the check"),
    "answer_overdue": gettext_lazy("Confirm"),
    "assess": gettext_lazy("Save the assessment"),
    "consult": gettext_lazy("Send the answer"),
    "consultation_overdue": gettext_lazy("Confirm"),
    "propose": gettext_lazy("Send the proposal for approval"),
    "approve": gettext_lazy("Confirm the decision"),
    "interim_reply": gettext_lazy("Send the preliminary answer"),
}

STEP_STATES = {
    "current": gettext_lazy("Current step"),
    "done": gettext_lazy("Done"),
    "pending": gettext_lazy("Not reached"),
}


# --- helpers ------------------------------------------------------------------------------


def _refuse(request, reason: str):
    """403 with the reason on the page (templates/403.html): the words the API gives in its
    403."""
    raise PermissionDenied(reason)


def _require_workspace(user) -> None:
    if not selectors.has_workspace_role(user):
        raise PermissionDenied(_("Only staff of the ministries handle cases."))


def _require_officer(user) -> None:
    if not selectors.is_case_officer(user):
        raise PermissionDenied(_("Only a case officer at the ministry can do this."))


def _case_url(application_id: int) -> str:
    return reverse("workflows:case", kwargs={"application_pk": application_id})


def _process_url(process) -> str:
    """The page of the case a process handles: an application's, or an extension's."""
    if process.extension_id is not None:
        return reverse("workflows:extension_case", kwargs={"extension_pk": process.extension_id})
    return _case_url(process.application_id)


def _conflict(request, application_id: int, exc: ConflictError):
    """Someone else was first: say what happened (the API's 409 text) on the case page."""
    if isinstance(exc, TaskDone):
        messages.error(request, str(exc))
    else:
        messages.error(
            request,
            _("Someone else has already done this task, or the case has moved on: %(reason)s")
            % {"reason": exc},
        )
    return redirect(_case_url(application_id))


WARNING_TITLES = {
    "sector_trial_provision": gettext_lazy("The act has its own trial provision"),
    **{kind.value: kind.label for kind in LimitKind},
}


def _label_warnings(exemptions) -> None:
    """Set ``warning_list`` from the ``warnings`` selectors.attach_warnings set: the § 4
    limits and sector trial provisions the register flags, each with its title."""
    for exemption in exemptions:
        exemption.warning_list = [
            {"title": WARNING_TITLES.get(warning.kind, warning.kind), "text": warning.text}
            for warning in exemption.warnings
        ]


def _application_context(application) -> dict:
    categories = dict(TrialCategory.choices)
    purposes = {purpose.purpose: purpose for purpose in application.purposes.all()}
    return {
        "category_labels": [categories[c] for c in application.categories if c in categories],
        "purpose_rows": [(purpose, purposes.get(purpose.value)) for purpose in Purpose],
        "co_applicants": list(application.co_applicants.all()),
    }


def _attachments(user, application, journal) -> list:
    """The application's attachments, each with ``url``: the portal's download view for
    those it serves the user, else the journal copy (consultees), else none."""
    downloadable = selectors.downloadable_attachments(user, application)
    journaled = selectors.journal_documents_by_source(journal, Attachment)
    attachments = list(application.attachments.all())
    for attachment in attachments:
        if attachment.pk in downloadable:
            attachment.url = reverse("trials:attachment_download", kwargs={"pk": attachment.pk})
        elif attachment.pk in journaled:
            attachment.url = reverse(
                "workflows:journal_document", kwargs={"pk": journaled[attachment.pk].pk}
            )
        else:
            attachment.url = ""
    return attachments


# --- the inbox ----------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    """My tasks and the queue of tasks my roles may take: filters that mean something to the
    person's roles, sorted by due date by default, a page at a time."""
    _require_workspace(request.user)
    user = request.user
    is_officer = selectors.is_case_officer(user)
    kdd = selectors.is_kdd_staff(user)
    ministries = ministry_list().order_by("name")
    if not kdd:  # a consultee: only the ministries they answer for
        ministries = ministries.filter(code__in=selectors.consultee_ministries(user))
    form = TaskFilterForm(
        request.GET or None,
        steps=selectors.step_choices() if is_officer else None,
        calls=Call.objects.order_by("-opens_on") if kdd else None,
        ministries=ministries,
    )
    filters = form.filters() if request.GET else {}
    ordering = form.ordering() if request.GET else "due"
    mine = selectors.order_tasks(selectors.filter_tasks(selectors.inbox(user), **filters), ordering)
    waiting = selectors.order_tasks(
        selectors.filter_tasks(selectors.queue(user), **filters), ordering
    )
    my_page = Paginator(mine, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    queue_page = Paginator(waiting, TASKS_PER_PAGE).get_page(request.GET.get("qpage"))
    return render(
        request,
        "workflows/inbox.html",
        {
            "form": form,
            "filtered": any(filters.values()),
            "my_rows": selectors.task_rows(list(my_page.object_list)),
            "queue_rows": selectors.task_rows(list(queue_page.object_list)),
            "my_page": my_page,
            "queue_page": queue_page,
            "my_pages": _page_links(request, my_page, "page", "my-tasks"),
            "queue_pages": _page_links(request, queue_page, "qpage", "queue"),
            "due_soon_days": selectors.DUE_SOON_DAYS,
            "is_team_leader": trials_selectors.is_kdd_leader(user),
            "calls": selectors.calls_with_applications().order_by("-opens_on")
            if is_officer
            else [],
        },
    )


TASKS_PER_PAGE = 25


def _page_links(request, page, param: str, anchor: str) -> dict:
    """Links to the other pages of one of the inbox's lists (``param`` is its page number in
    the query string, so the two lists page on their own and keep the filters)."""

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}#{anchor}"

    return {
        "previous": url(page.previous_page_number()) if page.has_previous() else "",
        "next": url(page.next_page_number()) if page.has_next() else "",
        "numbers": [
            (number, url(number) if number else "", number == page.number)
            for number in page_numbers(page)
        ]
        if page.paginator.num_pages > 1
        else [],
    }


# --- a task -------------------------------------------------------------------------------


def _access_or_leave(request, task):
    """The user's access to an open task; for a closed one, the case page with what
    happened to it (or 403)."""
    if not selectors.is_open(task):
        process = selectors.case_process(task)
        application_id = process.application_id
        if selectors.cases_for_user(request.user).filter(application_id=application_id).exists():
            reason = selectors.task_gone_reason(task, request.user)
            if request.method == "POST":
                messages.error(request, reason)
            else:
                messages.info(request, reason)
            return None, redirect(_process_url(process))
        raise PermissionDenied(_("You cannot see this task."))
    access = selectors.task_access(request.user, task)
    if access.refusal:
        _refuse(request, access.refusal)
    if not access.may_view:
        raise PermissionDenied(_("You cannot see this task."))
    return access, None


def _active(exemptions) -> list:
    return [e for e in exemptions if e.status != ExemptionStatus.WITHDRAWN]


def _assess_step(context) -> tuple[dict, dict]:
    exemptions = _active(context.exemptions)
    for exemption in exemptions:
        suggestion = context.suggestions.get(exemption.pk, "")
        exemption.suggestion = suggestion
        exemption.suggestion_label = Assessment(suggestion).label if suggestion else ""
    preliminary = context.application.stage == Stage.PRELIMINARY
    return (
        {"exemptions": exemptions, "suggestions": context.suggestions, "preliminary": preliminary},
        {},
    )


def _propose_step(context) -> tuple[dict, dict]:
    exemptions = _active(context.exemptions)
    for exemption in exemptions:
        exemption.answers = context.answers.get(exemption.pk, [])
    returned = context.proposal
    return (
        {"exemptions": exemptions, "previous": returned.outcomes if returned else None},
        {"returned": returned},
    )


def _approve_step(context) -> tuple[dict, dict]:
    proposal = context.proposal
    rows = []
    for exemption in context.exemptions if proposal is not None else []:
        spec = proposal.outcomes.get(str(exemption.pk))
        if spec is None:
            continue
        rows.append(
            {
                "exemption": exemption,
                "outcome": Outcome(spec["outcome"]).label,
                "reasons": spec.get("reasons", ""),
                "conditions": spec.get("conditions", ""),
                "answers": context.answers.get(exemption.pk, []),
            }
        )
    return {}, {"proposal": proposal, "proposal_rows": rows}


STEP_PARTS = {
    "assess": _assess_step,
    "consult": lambda context: (
        {"exemptions": context.step_exemptions},
        {"consultation": context.consultation},
    ),
    "propose": _propose_step,
    "approve": _approve_step,
    "answer_overdue": lambda context: ({}, {"information_request": context.information_request}),
    "check_completeness": lambda context: (
        {},
        {"information_request": context.information_request},
    ),
    "consultation_overdue": lambda context: ({}, {"consultation": context.consultation}),
    "interim_reply": lambda context: ({}, {"interim_replies": context.interim_replies}),
}


def _letter_recipients(context) -> list:
    """Who the step's letter goes to: the line ministries for the consultation, else the
    applicant (whose written form the page shows, or asks the officer to choose)."""
    if context.step == "assess":
        return list(trials_services.consultations_needed(context.application))
    return [context.application.lead_organisation]


def _letter_unaddressed(context, recipients: list) -> list:
    """The organisations in the step's letter's address block (every applicant of a joint
    application; the line ministries for the consultation) with no postal address: the
    officer is told before sending, the letter does not print an empty block silently."""
    if context.step == "assess":
        addressees = recipients  # the line ministries (``_letter_recipients``)
    else:
        addressees = context.application.applicant_organisations
    return [organisation for organisation in addressees if not organisation.postal_address_lines]


def _step_parts(context) -> tuple[dict, dict]:
    """(form kwargs, extra template context) of the task's step."""
    if context.extension is not None and context.step in EXTENSION_STEP_FORMS:
        return extension_step_parts(context)
    parts = STEP_PARTS.get(context.step)
    return parts(context) if parts is not None else ({}, {})


def _step_form(context):
    if context.extension is not None:
        return EXTENSION_STEP_FORMS.get(context.step) or STEP_FORMS[context.step]
    return STEP_FORMS[context.step]


def _task_post(request, context, form):
    """Complete the task with the posted form: a redirect, or None to show the form again."""
    task = context.task
    if not context.access.may_work:
        messages.error(
            request,
            _("%(name)s has this task now.") % {"name": selectors.display_name(task.owner)}
            if task.owner_id
            else _("You cannot do this task."),
        )
        return redirect("workflows:task", task_pk=task.pk)
    if not form.is_valid():
        return None
    try:
        services.task_complete(
            actor=request.user, task=task, payload=form.payload(), files=form.files_payload()
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        task.refresh_from_db()  # the failed attempt may have touched it
        return None
    except ConflictError as exc:
        return _conflict(request, context.application.pk, exc)
    except PermissionDenied as exc:
        _refuse(request, str(exc))
    if context.extension is not None:  # back to the trial whose extension it is
        messages.success(request, extension_success(context.step))
        return redirect("workflows:trial", pk=context.extension.trial_id)
    messages.success(request, SUCCESS_MESSAGES[context.step])
    return redirect(_case_url(context.application.pk))


@login_required
@require_http_methods(["GET", "POST"])
def task_execute(request, task_pk: int, **kwargs):
    """The page of one task: the case in brief and the step's form (the page of every
    human node of ApplicationFlow); ``selectors.task_context`` is the API's task detail too."""
    task = selectors.task_get(task_pk)
    access, leave = _access_or_leave(request, task)
    if leave is not None:
        return leave
    context = selectors.task_context(request.user, task, access)
    _label_warnings(context.exemptions)
    _label_warnings(context.step_exemptions)
    form_kwargs, extra = _step_parts(context)
    form_class = _step_form(context)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, **form_kwargs)
        done = _task_post(request, context, form)
        if done is not None:
            return done
    else:
        form = form_class(**form_kwargs)
    users = context.assignees
    application = context.application
    page = {
        "exemptions": context.exemptions,
        "attachments": _attachments(
            request.user, application, selectors.journal_of(case_for(application))
        ),
        "task": context.task,
        "row": context.row,
        "step": context.step,
        "step_template": extra.pop("step_template", f"workflows/steps/{context.step}.html"),
        "submit_label": extra.pop("submit_label", SUBMIT_LABELS[context.step]),
        "title": context.row.title,
        "process": selectors.case_process(task),
        "case_url": _process_url(selectors.case_process(task)),
        "extension": context.extension,
        "application": application,
        "access": access,
        "form": form if access.may_work else None,
        "reassign_form": ReassignForm(users=users, auto_id="reassign_%s") if users else None,
        "files_lost": request.method == "POST" and bool(request.FILES),
        "letter_recipients": _letter_recipients(context) if form_class.sends_letter else [],
    }
    page["letter_neutral"] = any(not r.letter_language for r in page["letter_recipients"])
    page["letter_unaddressed"] = (
        _letter_unaddressed(context, page["letter_recipients"]) if form_class.sends_letter else []
    )
    return render(
        request,
        "workflows/task.html",
        {**page, **_application_context(application), **extra},
    )


def _task_action(request, task_pk: int, action, success: str, *, back_to_task: bool):
    task = selectors.task_get(task_pk)
    _access, leave = _access_or_leave(request, task)
    if leave is not None:
        return leave
    application_id = selectors.case_process(task).application_id
    try:
        action(task)
    except ConflictError as exc:
        return _conflict(request, application_id, exc)
    except PermissionDenied as exc:
        _refuse(request, str(exc))
    messages.success(request, success)
    if back_to_task:
        return redirect("workflows:task", task_pk=task.pk)
    return redirect("workflows:inbox")


@login_required
@require_POST
def task_claim(request, task_pk: int):
    def claim(task):
        services.task_claim(actor=request.user, task=task)

    return _task_action(request, task_pk, claim, _("The task is yours now."), back_to_task=True)


@login_required
@require_POST
def task_unassign(request, task_pk: int):
    def unassign(task):
        services.task_unassign(actor=request.user, task=task)

    return _task_action(
        request, task_pk, unassign, _("The task is back in the queue."), back_to_task=False
    )


@login_required
@require_POST
def task_reassign(request, task_pk: int):
    task = selectors.task_get(task_pk)
    access, leave = _access_or_leave(request, task)
    if leave is not None:
        return leave
    if not access.may_reassign:
        raise PermissionDenied(_("You cannot reassign this task."))
    # Any active person here: whether they may do the step is the service's answer, in the
    # words the API gives (the page offers only ``selectors.eligible_assignees``).
    form = ReassignForm(request.POST, users=get_user_model().objects.filter(is_active=True))
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("user", [])))
        return redirect("workflows:task", task_pk=task.pk)
    user = form.cleaned_data["user"]
    application_id = selectors.case_process(task).application_id
    try:
        services.task_reassign(actor=request.user, task=task, user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("workflows:task", task_pk=task.pk)
    except ConflictError as exc:
        return _conflict(request, application_id, exc)
    messages.success(
        request, _("%(name)s has the task now.") % {"name": selectors.display_name(user)}
    )
    if user == request.user:
        return redirect("workflows:task", task_pk=task.pk)
    return redirect(_case_url(application_id))


# --- the team view for KDD's leaders ---------------------------------------------------------


def _require_team_leader(user) -> None:
    if not trials_selectors.is_kdd_leader(user):
        raise PermissionDenied(_("Only KDD's leaders (approvers and administrators) see the team."))


@login_required
@require_GET
def team(request):
    """Who has which tasks, how many are overdue and how old the cases are; reassign from
    here (KDD's approvers and administrators)."""
    _require_team_leader(request.user)
    members, queue = selectors.team_workload()
    people = [member.person for member in members]
    officers = [p for p in people if selectors.is_case_officer(p)]
    approvers = [p for p in people if selectors.is_ministry_officer(p, Role.APPROVER)]
    for row in [r for m in members for r in m.rows] + queue["queue_rows"]:
        choices = approvers if row.step == "approve" else officers
        row.choices = [p for p in choices if p.pk != row.task.owner_id]
    return render(
        request,
        "workflows/team.html",
        {
            "members": members,
            "queue": queue,
            "total_overdue": sum(m.overdue for m in members) + queue["queue_overdue"],
            "trials": trials_selectors.trials_to_follow_up()[:TEAM_TRIALS],
            "follow_up_officers": officers,
        },
    )


TEAM_TRIALS = 200  # the trials in force listed with their officer (ending first)


@login_required
@require_POST
def team_reassign(request, task_pk: int):
    _require_team_leader(request.user)
    task = selectors.task_get(task_pk)
    user = get_user_model().objects.filter(pk=request.POST.get("user") or None, is_active=True)
    user = user.first()
    if user is None:
        messages.error(request, _("Choose who gets the task."))
        return redirect(reverse("workflows:team") + f"#task-{task.pk}")
    try:
        services.task_reassign(actor=request.user, task=task, user=user, as_leader=True)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(name)s has the task now.") % {"name": selectors.display_name(user)}
        )
    return redirect(reverse("workflows:team") + f"#task-{task.pk}")


# --- a case -------------------------------------------------------------------------------


def _event_detail(event) -> str:
    """A timer's title (stored as its msgid) in the reader's language; else the title or
    recipient the event recorded."""
    data = event.data or {}
    if event.action == TIMER_FIRED and data.get("title"):
        return _(data["title"])
    return data.get("title") or data.get("to", "")


def _history_rows(events, *, stage: str, action_label=None, state_label=None) -> list[dict]:
    """The audit trail in words (the officer's view: every step, internal ones included);
    ``action_label``/``state_label`` name what ``trials.labels`` does not (an extension's)."""

    def action(name: str) -> str:
        return (action_label and action_label(name)) or labels.action_label(name, stage=stage)

    def state(value: str) -> str:
        if not value:
            return ""
        return (state_label and state_label(value)) or labels.state_label(value, stage=stage)

    return [
        {
            "at": event.created_at,
            "who": selectors.display_name(event.actor),
            "action": action(event.action),
            "from_state": state(event.from_state),
            "to_state": state(event.to_state),
            "reason": event.reason,
            "detail": _event_detail(event),
            "changes": audit_change_lines(event.data or {}),
        }
        for event in events
    ]


def _exemptions_context(application, *, sees_internal: bool) -> dict:
    """The exemptions with their warnings and consultation answers; KDD's notes blanked for
    those who may not see them yet."""
    consultations = selectors.consultations_of(application)
    answers = selectors.answers_by_exemption(consultations)
    exemptions = list(application.exemption_requests.all())
    selectors.attach_warnings(exemptions)
    _label_warnings(exemptions)
    if not sees_internal:
        selectors.hide_internal_notes(exemptions)
    for exemption in exemptions:
        exemption.answers = answers.get(exemption.pk, [])
    return {"exemptions": exemptions, "consultations": consultations}


def _process_context(user, process) -> dict:
    """Where the case is: the steps as a list and a diagram, and its open tasks with what
    ``user`` may do with each."""
    tasks = selectors.process_tasks(process)
    steps = selectors.process_steps(tasks, extension=process.is_extension())
    for step in steps:
        step.state_label = STEP_STATES[step.state]
    current = [step.title for step in steps if step.state == "current"]
    if current:
        label = _("Process diagram of the case. Current step: %(steps)s.") % {
            "steps": "; ".join(current)
        }
    else:
        label = _("Process diagram of the case. No step is open.")
    open_rows = selectors.task_rows(
        [
            task
            for task in tasks
            if selectors.is_open(task) and task.flow_task.name in selectors.HUMAN_STEPS
        ]
    )
    with memberships_remembered(user):
        for row in open_rows:
            row.access = selectors.task_access(user, row.task)
    return {
        "open_rows": open_rows,
        "steps": steps,
        "current_steps": current,
        "diagram": selectors.process_diagram(process, label),
        "diagram_label": label,
    }


def _journal_rows(journal, *, is_officer: bool) -> None:
    """The case journal's rows as the shared include shows them: which documents may be
    downloaded, and for officers each entry's screening form."""
    for entry in journal:
        for document in entry.documents.all():
            document.downloadable = selectors.document_is_downloadable(document)
        if is_officer:
            entry.screening_form = ScreeningForm(
                prefix=f"screen-{entry.pk}",
                initial={"basis": entry.screening_basis, "words": ", ".join(entry.screened_words)},
            )


@login_required
@require_GET
def case_detail(request, application_pk: int):
    """Everything about one case: application, documents, journal, assessments,
    consultations, open steps, the process and its history. A consulted ministry sees the
    case, but not KDD's internal work before the decision: assessment notes, proposals and
    the audit history (whose reasons carry them)."""
    user = request.user
    process = selectors.case_for_user(user, application_pk)
    application = selectors.application_for_case(process.application_id)
    sees_internal = selectors.sees_internal_notes(user, application)
    case = case_for(application)
    journal = selectors.journal_of(case)
    is_officer = selectors.is_case_officer(user)
    _journal_rows(journal, is_officer=is_officer)
    context = {
        "process": process,
        "application": application,
        "case": case,
        "journal": journal,
        "attachments": _attachments(user, application, journal),
        "proposals": selectors.proposals_of(application) if sees_internal else [],
        "information_requests": list(application.information_requests.all()),
        "interim_replies": list(application.interim_replies.all()),
        "history": _history_rows(selectors.case_history(application), stage=application.stage)
        if sees_internal
        else [],
        "decided": application.status in DECIDED_STATUSES,
        "extension_cases": selectors.extension_cases_of(application)
        if selectors.is_kdd_staff(user)
        else [],
        "sees_internal": sees_internal,
        "is_officer": is_officer,
        **_exemptions_context(application, sees_internal=sees_internal),
        **_process_context(user, process),
        **_application_context(application),
    }
    return render(request, "workflows/case.html", context)


# The states an extension's case records in the audit trail (``trials.services.extensions``).
EXTENSION_STATES = {
    "requested": ExtensionStatus.REQUESTED.label,
    "registered": ApplicationStatus.REGISTERED.label,
    "assessed": gettext_lazy("Assessed"),
    "proposed": ApplicationStatus.DECISION_PROPOSED.label,
    "granted": ExtensionStatus.GRANTED.label,
    "refused": ExtensionStatus.REFUSED.label,
    **{status.value: status.label for status in TrialStatus},
}


def _extension_action_label(action: str) -> str:
    label = trials_selectors.TRIAL_EVENTS.get(action)
    return str(label) if label else ""


def _extension_state_label(value: str) -> str:
    label = EXTENSION_STATES.get(value)
    return str(label) if label else ""


def _extension_terms(extension, trial) -> dict:
    """The terms asked for and where they take the trial, against forsøksloven § 3."""
    return {
        "asked_ends_on": extension.asked_ends_on,
        "legal_maximum": rules.latest_extended_end(trial.period_ends_on),
        "months_left": rules.extension_months_left(trial),
        "max_months": rules.MAX_EXTENSION_MONTHS,
    }


@login_required
@require_GET
def extension_case_detail(request, extension_pk: int):
    """Everything about the case of an application for extension (or of KDD's own proposal
    to extend): the terms against the legal limit, its open steps and who has them, the
    process, the consultations and answers, the proposals, its journal entries and its
    history. The parts are the application's case page's. A consulted ministry sees the
    case, but not KDD's internal work before the decision (as on the application's)."""
    user = request.user
    process = selectors.extension_case_for_user(user, extension_pk)
    extension = process.extension
    trial = extension.trial
    application = trial.application
    process.application = application  # the same row, with its organisation
    sees_internal = selectors.sees_internal_extension_work(user, extension)
    case = case_for(application)
    journal = selectors.extension_journal(extension, case)
    is_officer = selectors.is_case_officer(user)
    _journal_rows(journal, is_officer=is_officer)
    phase = trials_selectors.extension_phase(extension)
    label, _meaning, _next, color = labels.EXTENSION_PHASES[phase]
    history = []
    if sees_internal:
        history = _history_rows(
            selectors.extension_history(extension, process),
            stage="",
            action_label=_extension_action_label,
            state_label=_extension_state_label,
        )
    context = {
        "process": process,
        "extension": extension,
        "trial": trial,
        "application": application,
        "case": case,
        "journal": journal,
        "screening_next": request.path,
        "phase_label": label,
        "phase_color": color,
        "proposals": list(
            extension.proposals.select_related("proposed_by", "reviewed_by").order_by(
                "proposed_at", "pk"
            )
        )
        if sees_internal
        else [],
        "consultations": selectors.consultations_of(application, extension=extension),
        "history": history,
        "sees_internal": sees_internal,
        "is_officer": is_officer,
        **_extension_terms(extension, trial),
        **_process_context(user, process),
    }
    return render(request, "workflows/extension_case.html", context)


@login_required
@require_POST
def journal_entry_screening(request, application_pk: int, entry_pk: int):
    """An officer sets or lifts the screening of one entry of the case's journal."""
    _require_officer(request.user)
    process = selectors.case_for_user(request.user, application_pk)
    case = case_for(process.application)
    if case is None:
        raise Http404
    entry = get_object_or_404(JournalEntry, pk=entry_pk, case=case)
    form = ScreeningForm(request.POST, prefix=f"screen-{entry.pk}")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    anchor = f"{back or _case_url(application_pk)}#entry-{entry.pk}"
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(anchor)
    try:
        journal_entry_screen(
            actor=request.user,
            entry=entry,
            basis=form.cleaned_data["basis"],
            words=form.words_list(),
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(anchor)
    if form.cleaned_data["basis"]:
        messages.success(request, _("The entry is screened."))
    else:
        messages.success(request, _("The screening is lifted: the entry is public."))
    return redirect(anchor)


@login_required
@require_GET
def journal_document(request, pk: int):
    """A document of a case's journal, for those who may see the case."""
    document = selectors.case_document_for_user(request.user, pk)
    return file_response(journal_document_file(document))


# --- the decision letter ------------------------------------------------------------------


def _letter_response(request, application, *, back_url: str, back_label: str, breadcrumbs):
    if application.status not in DECIDED_STATUSES:
        raise Http404
    if request.GET.get("format") == "pdf":
        document = selectors.decision_document(application)
        if document is None:
            raise Http404
        found = DocumentFile(
            document.file, f"vedtak-{application.reference}.pdf", "application/pdf"
        )
        return file_response(found, as_attachment=False)
    letter = selectors.decision_letter(application)
    return render(
        request,
        "workflows/decision_letter.html",
        {
            "application": application,
            "letter": letter,
            "has_pdf": selectors.decision_document(application) is not None,
            "back_url": back_url,
            "back_label": back_label,
            "breadcrumbs": breadcrumbs,
        },
    )


@login_required
@require_GET
def decision_letter(request, pk: int):
    process = selectors.case_for_user(request.user, pk)
    application = process.application
    case_url = _case_url(application.pk)
    return _letter_response(
        request,
        application,
        back_url=case_url,
        back_label=_("Back to the case"),
        breadcrumbs=[
            (reverse("workflows:inbox"), _("Case handling")),
            (case_url, application.reference),
        ],
    )


@login_required
@require_GET
def applicant_decision_letter(request, pk: int):
    application = trials_selectors.application_get_for_user(request.user, pk)
    detail_url = reverse("trials:application_detail", kwargs={"pk": application.pk})
    return _letter_response(
        request,
        application,
        back_url=detail_url,
        back_label=_("Back to the application"),
        breadcrumbs=[
            (reverse("trials:application_list"), _("My applications")),
            (detail_url, application.reference),
        ],
    )


# --- every letter of a case as a web page ---------------------------------------------------


def _journal_letter_response(
    request, application, document, *, pdf_url, back_url, back_label, breadcrumbs
):
    """The web page of a letter KDD journaled: the ``Letter`` its PDF was drawn from
    (``JournalDocument.letter``), in the written form it was made in (404 for a document
    that is no rendered letter), or ``?format=pdf`` the document as sent."""
    if request.GET.get("format") == "pdf":
        return file_response(journal_document_file(document), as_attachment=False)
    if not document.letter:
        raise Http404
    letter = Letter.from_data(document.letter)
    entry = document.entry
    return render(
        request,
        "workflows/journal_letter.html",
        {
            "application": application,
            "document": document,
            "entry": entry,
            "letter": letter,
            "pdf_url": pdf_url,
            "back_url": back_url,
            "back_label": back_label,
            "breadcrumbs": breadcrumbs,
        },
    )


@login_required
@require_GET
def case_letter(request, application_pk: int, document_pk: int):
    """A letter of the case's journal as a web page, for those who may see the case (KDD's
    officers, the ministries consulted): ``selectors.case_document_for_user``."""
    document = selectors.case_document_for_user(request.user, document_pk, application_pk)
    application = Application.objects.get(pk=application_pk)  # the document's case's
    case_url = _case_url(application.pk)
    return _journal_letter_response(
        request,
        application,
        document,
        pdf_url=reverse("workflows:journal_document", kwargs={"pk": document.pk}),
        back_url=case_url,
        back_label=_("Back to the case"),
        breadcrumbs=[
            (reverse("workflows:inbox"), _("Case handling")),
            (case_url, application.reference),
        ],
    )


@login_required
@require_GET
def applicant_letter(request, pk: int, document_pk: int):
    """A letter KDD sent the applicant, as a web page and as sent (PDF): the journal's
    document rule (``casework.selectors.document_for_user``: a party reads the letters to
    it, ``trials.selectors.letters_for_user``), for a document of this application's case."""
    application = trials_selectors.application_get_for_user(request.user, pk)
    document = document_for_user(request.user, document_pk)
    if document.entry.case_id != getattr(case_for(application), "pk", None):
        raise Http404
    detail_url = reverse("trials:application_detail", kwargs={"pk": application.pk})
    return _journal_letter_response(
        request,
        application,
        document,
        pdf_url=f"{request.path}?format=pdf",
        back_url=detail_url,
        back_label=_("Back to the application"),
        breadcrumbs=[
            (reverse("trials:application_list"), _("My applications")),
            (detail_url, application.reference),
        ],
    )


# --- a call decided as a batch ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def call_batch(request, call_pk: int):
    """The preliminary applications of a call, proposed together: taken forward or not
    (``services.call_batch_propose``)."""
    _require_officer(request.user)
    call = get_object_or_404(Call, pk=call_pk)
    rows = selectors.call_batch_rows(request.user, call)
    exemptions = [exemption for row in rows for exemption in row.exemptions]
    selectors.attach_warnings(exemptions)
    _label_warnings(exemptions)
    eligible = [row for row in rows if row.may_propose]
    form = CallBatchForm(
        request.POST if request.method == "POST" else None,
        applications=[row.application for row in eligible],
    )
    for row in eligible:
        row.field = form[f"forward_{row.application.pk}"]
    if request.method == "POST" and form.is_valid():
        try:
            proposed = services.call_batch_propose(actor=request.user, call=call, **form.batch())
        except ValidationError as exc:
            form.add_batch_errors(exc)
        except ConflictError as exc:
            messages.error(
                request,
                _(
                    "Someone else has already done one of these tasks: %(reason)s Nothing was "
                    "proposed; check the list and try again."
                )
                % {"reason": exc},
            )
            return redirect("workflows:call_batch", call_pk=call.pk)
        else:
            messages.success(
                request,
                _("Proposed for approval: %(forward)s taken forward, %(not)s not taken forward.")
                % {"forward": proposed.taken_forward, "not": proposed.not_taken_forward},
            )
            return redirect("workflows:call_batch", call_pk=call.pk)
    return render(
        request,
        "workflows/call_batch.html",
        {"call": call, "rows": rows, "eligible": eligible, "form": form},
    )
