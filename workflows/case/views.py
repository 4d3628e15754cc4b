"""The case-handling workspace: inbox and queue, task pages, case pages, decision letters
and the batch decision of a call. Thin views: reads through workflows.case.selectors/queries,
every action through workflows.case.services. Plain HTML forms that work without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.choices import CaseStatus, Role
from casework.selectors import case_for, ministry_list, roles_for_user
from legal.choices import LimitKind
from trials import selectors as trials_selectors
from trials.choices import (
    DECIDED_STATUSES,
    ApplicationStatus,
    Assessment,
    ConsultationStatus,
    ExemptionStatus,
    Outcome,
    Purpose,
    Stage,
    TrialCategory,
)
from trials.exceptions import ConflictError
from trials.models import Attachment, Call
from trials.services import assessment_suggestion
from workflows.case import queries, selectors, services
from workflows.case.forms import STEP_FORMS, CallBatchForm, ReassignForm, TaskFilterForm

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

# The audit trail in words (the officer's view: every step, internal ones included).
ACTION_LABELS = {
    "application.created": gettext_lazy("Application started"),
    "application.updated": gettext_lazy("Draft changed"),
    "application.co_applicants_set": gettext_lazy("Co-applicants changed"),
    "application.purposes_set": gettext_lazy("Purposes changed"),
    "application.copied": gettext_lazy("Started as a copy"),
    "application.submitted": gettext_lazy("Application submitted"),
    "application.registered": gettext_lazy("Application registered"),
    "application.complete": gettext_lazy("Found complete"),
    "application.information_requested": gettext_lazy("More information requested"),
    "information_request.extended": gettext_lazy("Deadline for the answer extended"),
    "application.answered": gettext_lazy("The applicant answered"),
    "application.continued_without_answer": gettext_lazy("Continued without the answer"),
    "application.closed_without_answer": gettext_lazy("Closed without an answer"),
    "exemption.assessed": gettext_lazy("Exemption assessed"),
    "application.consultation_started": gettext_lazy("Consultation started"),
    "consultation.sent": gettext_lazy("Consultation letter sent"),
    "consultation.answered": gettext_lazy("Consultation answered"),
    "consultation.extended": gettext_lazy("Consultation deadline extended"),
    "consultation.closed": gettext_lazy("Consultation closed without an answer"),
    "application.consultation_finished": gettext_lazy("Consultation finished"),
    "application.decision_proposed": gettext_lazy("Decision proposed"),
    "application.proposal_returned": gettext_lazy("Proposal returned"),
    "application.approved": gettext_lazy("Decision made: approved"),
    "application.rejected": gettext_lazy("Decision made: rejected"),
    "application.interim_reply_sent": gettext_lazy("Preliminary answer sent"),
    "application.withdrawn": gettext_lazy("Application withdrawn"),
    "trial.created": gettext_lazy("Trial created"),
    "task.claimed": gettext_lazy("Task taken"),
    "task.unassigned": gettext_lazy("Task given back to the queue"),
    "task.reassigned": gettext_lazy("Task given to someone else"),
    "case.opened": gettext_lazy("Case file opened"),
    "case.closed": gettext_lazy("Case file closed"),
    "journal.entry_created": gettext_lazy("Document journaled"),
    "exemption_request.created": gettext_lazy("Exemption request added"),
    "exemption_request.updated": gettext_lazy("Exemption request changed"),
    "exemption_request.deleted": gettext_lazy("Exemption request deleted"),
    "attachment.added": gettext_lazy("Attachment added"),
    "attachment.deleted": gettext_lazy("Attachment deleted"),
    "contact.added": gettext_lazy("Contact person added"),
    "contact.removed": gettext_lazy("Contact person removed"),
}

STEP_STATES = {
    "current": gettext_lazy("Current step"),
    "done": gettext_lazy("Done"),
    "pending": gettext_lazy("Not reached"),
}


# --- helpers ------------------------------------------------------------------------------


def _name(user) -> str:
    if user is None:
        return _("The system")
    return user.get_full_name() or user.get_username()


def _state_label(value: str) -> str:
    for choices in (ApplicationStatus, ExemptionStatus, ConsultationStatus, CaseStatus):
        try:
            return str(choices(value).label)
        except ValueError:
            continue
    return value


def _require_workspace(user) -> None:
    if not queries.has_workspace_role(user):
        raise PermissionDenied(_("Only staff of the ministries handle cases."))


def _require_officer(user) -> None:
    if Role.CASE_OFFICER not in roles_for_user(user):
        raise PermissionDenied(_("Only a case officer at the ministry can do this."))


def _case_url(application_id: int) -> str:
    return reverse("workflows:case", kwargs={"application_pk": application_id})


def _conflict(request, application_id: int, exc: ConflictError):
    if isinstance(exc, services.TaskDone):
        messages.error(request, _("Someone else has already done this task."))
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


def _attach_warnings(exemptions) -> None:
    """Set ``warning_list``: the § 4 limits and sector trial provisions the register flags."""
    exemptions = list(exemptions)
    queries.attach_warnings(exemptions)
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
    downloadable = queries.downloadable_attachments(user, application)
    journaled = queries.journal_documents_by_source(journal, Attachment)
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
    """My tasks and the queue of tasks my roles may take, with filters."""
    _require_workspace(request.user)
    form = TaskFilterForm(
        request.GET or None,
        steps=queries.step_choices(),
        calls=Call.objects.order_by("-opens_on"),
        ministries=ministry_list().order_by("name"),
    )
    filters = form.filters() if request.GET else {}
    mine = selectors.filter_tasks(selectors.inbox(request.user), **filters)
    waiting = selectors.filter_tasks(selectors.queue(request.user), **filters)
    is_officer = Role.CASE_OFFICER in roles_for_user(request.user)
    return render(
        request,
        "workflows/inbox.html",
        {
            "form": form,
            "filtered": any(filters.values()),
            "my_rows": selectors.task_rows(list(mine)),
            "queue_rows": selectors.task_rows(list(waiting)),
            "calls": queries.calls_with_applications().order_by("-opens_on") if is_officer else [],
        },
    )


# --- a task -------------------------------------------------------------------------------


def _access_or_leave(request, task):
    """The user's access to an open task; for a finished one, the case page (or 403)."""
    if not queries.is_open(task):
        application_id = queries.task_process(task).application_id
        if selectors.cases_for_user(request.user).filter(application_id=application_id).exists():
            if request.method == "POST":
                messages.error(request, _("Someone else has already done this task."))
            else:
                messages.info(request, _("This task is already done."))
            return None, redirect(_case_url(application_id))
        raise PermissionDenied(_("You cannot see this task."))
    access = queries.task_access(request.user, task)
    if not access.may_view:
        raise PermissionDenied(_("You cannot see this task."))
    return access, None


def _step_context(task, application) -> tuple[dict, dict]:
    """(form kwargs, extra template context) of the task's step."""
    name = task.flow_task.name
    if name == "assess":
        exemptions = [
            e for e in application.exemption_requests.all() if e.status != ExemptionStatus.WITHDRAWN
        ]
        suggestions = {e.pk: assessment_suggestion(e) for e in exemptions}
        for exemption in exemptions:
            exemption.suggestion = suggestions[exemption.pk]
            exemption.suggestion_label = (
                Assessment(suggestions[exemption.pk]).label if suggestions[exemption.pk] else ""
            )
        return (
            {
                "exemptions": exemptions,
                "suggestions": suggestions,
                "preliminary": application.stage == Stage.PRELIMINARY,
            },
            {},
        )
    if name == "consult":
        consultation = queries.task_consultation(task)
        exemptions = list(consultation.exemptions.all()) if consultation else []
        _attach_warnings(exemptions)
        return {"exemptions": exemptions}, {"consultation": consultation}
    if name == "propose":
        exemptions = [
            e for e in application.exemption_requests.all() if e.status != ExemptionStatus.WITHDRAWN
        ]
        answers = queries.answers_by_exemption(queries.consultations_of(application))
        for exemption in exemptions:
            exemption.answers = answers.get(exemption.pk, [])
        returned = queries.returned_proposal(application)
        return (
            {"exemptions": exemptions, "previous": returned.outcomes if returned else None},
            {"returned": returned},
        )
    if name == "approve":
        proposal = queries.pending_proposal(application)
        rows = []
        if proposal is not None:
            answers = queries.answers_by_exemption(queries.consultations_of(application))
            for exemption in application.exemption_requests.all():
                spec = proposal.outcomes.get(str(exemption.pk))
                if spec is None:
                    continue
                rows.append(
                    {
                        "exemption": exemption,
                        "outcome": Outcome(spec["outcome"]).label,
                        "reasons": spec.get("reasons", ""),
                        "conditions": spec.get("conditions", ""),
                        "answers": answers.get(exemption.pk, []),
                    }
                )
        return {}, {"proposal": proposal, "proposal_rows": rows}
    if name in ("answer_overdue", "check_completeness"):
        return {}, {"information_request": queries.open_information_request(application)}
    if name == "consultation_overdue":
        return {}, {"consultation": queries.overdue_consultation(task)}
    if name == "interim_reply":
        return {}, {"interim_replies": list(application.interim_replies.all())}
    return {}, {}


@login_required
@require_http_methods(["GET", "POST"])
def task_execute(request, task_pk: int, **kwargs):
    """The page of one task: the case in brief and the step's form (viewflow's view of every
    human node of ApplicationFlow)."""
    task = queries.task_get(task_pk)
    access, leave = _access_or_leave(request, task)
    if leave is not None:
        return leave
    process = queries.task_process(task)
    application = queries.application_for_case(process.application_id)
    name = task.flow_task.name
    exemptions = list(application.exemption_requests.all())  # the prefetched instances
    _attach_warnings(exemptions)
    form_kwargs, extra = _step_context(task, application)
    form_class = STEP_FORMS[name]

    if request.method == "POST":
        if not access.may_work:
            messages.error(
                request,
                _("%(name)s has this task now.") % {"name": _name(task.owner)}
                if task.owner_id
                else _("You cannot do this task."),
            )
            return redirect("workflows:task", task_pk=task.pk)
        form = form_class(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                services.task_complete(
                    actor=request.user,
                    task=task,
                    payload=form.payload(),
                    files=form.files_payload(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                task = queries.task_get(task.pk)  # the failed attempt may have touched it
            except ConflictError as exc:
                return _conflict(request, application.pk, exc)
            else:
                messages.success(request, SUCCESS_MESSAGES[name])
                return redirect(_case_url(application.pk))
    else:
        form = form_class(**form_kwargs)

    row = selectors.task_rows([task])[0]
    reassign_form = None
    if access.may_reassign:
        users = queries.eligible_assignees(task)
        if users.exists():
            reassign_form = ReassignForm(users=users, auto_id="reassign_%s")
    context = {
        "exemptions": exemptions,
        "attachments": _attachments(
            request.user, application, queries.journal_of(case_for(application))
        ),
        "task": task,
        "row": row,
        "step": name,
        "step_template": f"workflows/steps/{name}.html",
        "submit_label": SUBMIT_LABELS[name],
        "title": row.title,
        "process": process,
        "application": application,
        "access": access,
        "form": form if access.may_work else None,
        "reassign_form": reassign_form,
        "files_lost": request.method == "POST" and bool(request.FILES),
        **_application_context(application),
        **extra,
    }
    return render(request, "workflows/task.html", context)


def _task_action(request, task_pk: int, action, success: str, *, back_to_task: bool):
    task = queries.task_get(task_pk)
    access, leave = _access_or_leave(request, task)
    if leave is not None:
        return leave
    application_id = queries.task_process(task).application_id
    try:
        action(task, access)
    except ConflictError as exc:
        if isinstance(exc, services.TaskDone):
            messages.error(request, _("Someone else has already taken or done this task."))
            return redirect(_case_url(application_id))
        return _conflict(request, application_id, exc)
    messages.success(request, success)
    if back_to_task:
        return redirect("workflows:task", task_pk=task.pk)
    return redirect("workflows:inbox")


@login_required
@require_POST
def task_claim(request, task_pk: int):
    def claim(task, access):
        services.task_claim(actor=request.user, task=task)

    return _task_action(request, task_pk, claim, _("The task is yours now."), back_to_task=True)


@login_required
@require_POST
def task_unassign(request, task_pk: int):
    def unassign(task, access):
        services.task_unassign(actor=request.user, task=task)

    return _task_action(
        request, task_pk, unassign, _("The task is back in the queue."), back_to_task=False
    )


@login_required
@require_POST
def task_reassign(request, task_pk: int):
    task = queries.task_get(task_pk)
    access, leave = _access_or_leave(request, task)
    if leave is not None:
        return leave
    if not access.may_reassign:
        raise PermissionDenied(_("You cannot reassign this task."))
    form = ReassignForm(request.POST, users=queries.eligible_assignees(task))
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("user", [])))
        return redirect("workflows:task", task_pk=task.pk)
    user = form.cleaned_data["user"]
    application_id = queries.task_process(task).application_id
    try:
        services.task_reassign(actor=request.user, task=task, user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("workflows:task", task_pk=task.pk)
    except ConflictError as exc:
        return _conflict(request, application_id, exc)
    messages.success(request, _("%(name)s has the task now.") % {"name": _name(user)})
    if user == request.user:
        return redirect("workflows:task", task_pk=task.pk)
    return redirect(_case_url(application_id))


# --- a case -------------------------------------------------------------------------------


def _history_rows(events) -> list[dict]:
    return [
        {
            "at": event.created_at,
            "who": _name(event.actor),
            "action": ACTION_LABELS.get(event.action, event.action),
            "from_state": _state_label(event.from_state) if event.from_state else "",
            "to_state": _state_label(event.to_state) if event.to_state else "",
            "reason": event.reason,
            "detail": (event.data or {}).get("title") or (event.data or {}).get("to", ""),
        }
        for event in events
    ]


@login_required
@require_GET
def case_detail(request, application_pk: int):
    """Everything about one case: application, documents, journal, assessments,
    consultations, open steps, the process and its history."""
    process = queries.case_for_user(request.user, application_pk)
    application = queries.application_for_case(process.application_id)
    case = case_for(application)
    journal = queries.journal_of(case)
    consultations = queries.consultations_of(application)
    answers = queries.answers_by_exemption(consultations)
    exemptions = list(application.exemption_requests.all())
    _attach_warnings(exemptions)
    for exemption in exemptions:
        exemption.answers = answers.get(exemption.pk, [])

    tasks = queries.process_tasks(process)
    steps = queries.process_steps(tasks)
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
            if task.status in queries.OPEN and task.flow_task.name in queries.HUMAN_STEPS
        ]
    )
    for row in open_rows:
        row.access = queries.task_access(request.user, row.task)

    attachments = _attachments(request.user, application, journal)
    for entry in journal:
        for document in entry.documents.all():
            document.downloadable = queries.document_is_downloadable(document)

    decided = application.status in DECIDED_STATUSES
    roles = roles_for_user(request.user)
    # A consulted ministry sees the case, but not the ministry's internal work before the
    # decision: assessment notes, proposals and the audit history (whose reasons carry them).
    sees_internal = decided or bool(roles & {Role.CASE_OFFICER, Role.APPROVER})
    if not sees_internal:
        for exemption in exemptions:
            exemption.assessment_note = ""
    context = {
        "process": process,
        "application": application,
        "case": case,
        "journal": journal,
        "exemptions": exemptions,
        "consultations": consultations,
        "proposals": queries.proposals_of(application) if sees_internal else [],
        "information_requests": list(application.information_requests.all()),
        "interim_replies": list(application.interim_replies.all()),
        "open_rows": open_rows,
        "attachments": attachments,
        "steps": steps,
        "current_steps": current,
        "diagram": queries.process_diagram(process, label),
        "diagram_label": label,
        "history": (
            _history_rows(queries.case_history(application, case)) if sees_internal else []
        ),
        "decided": decided,
        "sees_internal": sees_internal,
        "is_officer": Role.CASE_OFFICER in roles,
        **_application_context(application),
    }
    return render(request, "workflows/case.html", context)


@login_required
@require_GET
def journal_document(request, pk: int):
    """A document of a case's journal, for those who may see the case."""
    document = queries.journal_document_for_user(request.user, pk)
    if document.file:
        handle = document.file
        filename = document.file.name.rsplit("/", 1)[-1]
        content_type = document.content_type or "application/octet-stream"
    else:
        attachment = queries.attachment_of(document)
        if attachment is None:
            raise Http404
        handle = attachment.file
        filename = attachment.original_name
        content_type = attachment.content_type
    try:
        opened = handle.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        opened, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the decision letter ------------------------------------------------------------------


def _letter_response(request, application, *, back_url: str, back_label: str, breadcrumbs):
    if application.status not in DECIDED_STATUSES:
        raise Http404
    if request.GET.get("format") == "pdf":
        document = queries.decision_document(application)
        if document is None:
            raise Http404
        try:
            opened = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            opened,
            as_attachment=False,
            filename=f"vedtak-{application.reference}.pdf",
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
    letter = queries.decision_letter(application)
    return render(
        request,
        "workflows/decision_letter.html",
        {
            "application": application,
            "letter": letter,
            "has_pdf": queries.decision_document(application) is not None,
            "back_url": back_url,
            "back_label": back_label,
            "breadcrumbs": breadcrumbs,
        },
    )


@login_required
@require_GET
def decision_letter(request, pk: int):
    process = queries.case_for_user(request.user, pk)
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


# --- a call decided as a batch ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def call_batch(request, call_pk: int):
    """The preliminary applications of a call, proposed together: taken forward or not."""
    _require_officer(request.user)
    call = get_object_or_404(Call, pk=call_pk)
    rows = queries.call_batch_rows(request.user, call)
    _attach_warnings([exemption for row in rows for exemption in row.exemptions])
    eligible = [row for row in rows if row.may_propose]
    form = CallBatchForm(
        request.POST if request.method == "POST" else None,
        applications=[row.application for row in eligible],
    )
    for row in eligible:
        row.field = form[f"forward_{row.application.pk}"]
    if request.method == "POST" and form.is_valid():
        failed = {}
        try:
            with transaction.atomic():
                for row in eligible:
                    try:
                        services.task_complete(
                            actor=request.user,
                            task=row.propose_task,
                            payload=form.payload(row.application, row.exemptions),
                        )
                    except ValidationError as exc:
                        failed[row.application.pk] = exc.messages
                if failed:
                    raise _BatchFailed
        except _BatchFailed:
            for row in eligible:
                for message in failed.get(row.application.pk, []):
                    form.add_error(
                        f"forward_{row.application.pk}",
                        f"{row.application.reference}: {message}",
                    )
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
            forward = sum(1 for row in eligible if form.taken_forward(row.application))
            messages.success(
                request,
                _("Proposed for approval: %(forward)s taken forward, %(not)s not taken forward.")
                % {"forward": forward, "not": len(eligible) - forward},
            )
            return redirect("workflows:call_batch", call_pk=call.pk)
    return render(
        request,
        "workflows/call_batch.html",
        {"call": call, "rows": rows, "eligible": eligible, "form": form},
    )


class _BatchFailed(Exception):
    """Some proposals of a batch were refused: roll all of them back."""
