"""The applicant portal ("Mine søknader"): thin views over trials.services and selectors.

Views read through ``trials.selectors`` (the one permission filter) and write only through
``trials.services``. Every form is plain HTML that works without JavaScript.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from casework.choices import Role
from casework.selectors import audit_events_for, organisations_for_user
from legal.choices import LimitKind
from legal.citations import CitationError, parse_citation
from legal.selectors import act_list, attach_limits, provision_search, provision_warnings
from trials import notifications, rules, selectors, services
from trials.choices import ApplicationStatus, Purpose, Stage, TrialCategory
from trials.models import Application, Attachment
from trials.portal.forms import (
    AboutForm,
    AnswerForm,
    ApplicationCreateForm,
    AttachmentForm,
    ContactsForm,
    CopyForm,
    ExemptionForm,
    PurposesForm,
    WithdrawForm,
)
from trials.services import ConflictError

MAX_SEARCH_RESULTS = 100


@dataclass(frozen=True)
class Step:
    slug: str
    title: str


STEPS = [
    Step("om", gettext_lazy("About the trial")),
    Step("formal", gettext_lazy("Purposes and category")),
    Step("unntak", gettext_lazy("Exemptions")),
    Step("vedlegg", gettext_lazy("Attachments")),
    Step("kontakter", gettext_lazy("Applicants and contacts")),
    Step("oppsummering", gettext_lazy("Summary and submission")),
]
STEP_SLUGS = [step.slug for step in STEPS]
FIRST_STEP = STEP_SLUGS[0]

IN_PROCESS_STATUSES = {
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.REGISTERED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.AWAITING_APPLICANT,
    ApplicationStatus.IN_CONSULTATION,
    ApplicationStatus.DECISION_PROPOSED,
}

STATUS_EXPLANATIONS = {
    ApplicationStatus.DRAFT: (
        gettext_lazy(
            "The application is a draft. Only your organisation can see it, and the ministry "
            "has not received it."
        ),
        gettext_lazy(
            "Fill in every step and submit the application. You can save and come back at any time."
        ),
    ),
    ApplicationStatus.SUBMITTED: (
        gettext_lazy("The ministry has received the application."),
        gettext_lazy(
            "The ministry registers the application in its records and checks that it is "
            "complete. You will be told if more information is needed."
        ),
    ),
    ApplicationStatus.REGISTERED: (
        gettext_lazy("The application is registered with a case number at the ministry."),
        gettext_lazy(
            "A case officer checks that the application is complete and then assesses each "
            "requested exemption."
        ),
    ),
    ApplicationStatus.UNDER_REVIEW: (
        gettext_lazy("A case officer at the ministry is assessing the application."),
        gettext_lazy(
            "Each requested exemption is assessed against forsøksloven. The ministries that "
            "own the acts concerned will be consulted. If the case takes more than a month, "
            "you will get a preliminary answer saying why and when to expect a decision."
        ),
    ),
    ApplicationStatus.AWAITING_APPLICANT: (
        gettext_lazy("The ministry needs more information from you before it can go on."),
        gettext_lazy(
            "Answer the request for information below by the date given. The case continues "
            "when the ministry has your answer."
        ),
    ),
    ApplicationStatus.IN_CONSULTATION: (
        gettext_lazy("The ministries that own the acts concerned have been asked for their views."),
        gettext_lazy(
            "When the ministries have answered, the case officer completes the assessment "
            "and proposes a decision."
        ),
    ),
    ApplicationStatus.DECISION_PROPOSED: (
        gettext_lazy("The case officer has proposed a decision."),
        gettext_lazy(
            "A second person at the ministry reviews the proposal before the decision is made "
            "and sent to you."
        ),
    ),
    ApplicationStatus.APPROVED: (
        gettext_lazy("The ministry has approved the application, fully or in part."),
        gettext_lazy(
            "The decision letter gives the reasons for each exemption. An approved trial is "
            "given as a regulation with its period and must be evaluated."
        ),
    ),
    ApplicationStatus.REJECTED: (
        gettext_lazy("The ministry has rejected the application."),
        gettext_lazy(
            "The decision letter gives the reasons. You can start a new application from this one."
        ),
    ),
    ApplicationStatus.WITHDRAWN: (
        gettext_lazy("The application was withdrawn and will not be handled."),
        gettext_lazy("You can start a new application from this one."),
    ),
}
PRELIMINARY_OUTCOMES = {
    ApplicationStatus.APPROVED: (
        gettext_lazy("The ministry has taken the preliminary application forward."),
        gettext_lazy(
            "Taken forward is not approval: submit a final application adopted by the council, "
            "with the proposed local regulation. Start it from this application."
        ),
    ),
    ApplicationStatus.REJECTED: (
        gettext_lazy("The ministry has not taken the preliminary application forward."),
        gettext_lazy(
            "The letter from the ministry gives the reasons. You can start a new application "
            "from this one."
        ),
    ),
}

# The history the applicant sees: what happened to the application, in words. Internal steps
# of the case handling (assessments, each ministry's consultation answer, journal entries)
# are left out, and a reason is shown only where it was written for the applicant.
EVENT_DESCRIPTIONS = {
    "application.created": (gettext_lazy("Application started"), False),
    "application.updated": (gettext_lazy("Draft changed"), False),
    "application.co_applicants_set": (gettext_lazy("Co-applicants changed"), False),
    "application.purposes_set": (gettext_lazy("Purposes changed"), False),
    "application.copied": (gettext_lazy("Started as a copy of %(source)s"), False),
    "contact.added": (gettext_lazy("Contact person added"), False),
    "contact.removed": (gettext_lazy("Contact person removed"), False),
    "exemption_request.created": (gettext_lazy("Exemption request added: %(provision)s"), False),
    "exemption_request.updated": (gettext_lazy("Exemption request changed"), False),
    "exemption_request.deleted": (gettext_lazy("Exemption request deleted: %(provision)s"), False),
    "attachment.added": (gettext_lazy("Attachment added"), False),
    "attachment.deleted": (gettext_lazy("Attachment deleted: %(name)s"), False),
    "application.submitted": (gettext_lazy("Application submitted"), False),
    "application.registered": (gettext_lazy("Application registered by the ministry"), False),
    "application.complete": (gettext_lazy("The ministry found the application complete"), False),
    "application.information_requested": (
        gettext_lazy("The ministry asked for more information"),
        True,
    ),
    "information_request.extended": (
        gettext_lazy("The deadline for answering was extended"),
        False,
    ),
    "application.answered": (gettext_lazy("The applicant answered the request"), False),
    "application.continued_without_answer": (
        gettext_lazy("The ministry went on without the answer"),
        True,
    ),
    "application.closed_without_answer": (
        gettext_lazy("The ministry closed the case without an answer"),
        True,
    ),
    "application.consultation_started": (
        gettext_lazy("The ministries that own the acts concerned were consulted"),
        False,
    ),
    "application.consultation_finished": (
        gettext_lazy("The consultation of the ministries is finished"),
        False,
    ),
    "application.interim_reply_sent": (gettext_lazy("A preliminary answer was sent"), False),
    "application.decision_proposed": (gettext_lazy("A decision was proposed"), False),
    "application.proposal_returned": (
        gettext_lazy("The proposal was sent back for more assessment"),
        False,
    ),
    "application.approved": (gettext_lazy("The ministry made its decision"), False),
    "application.rejected": (gettext_lazy("The ministry made its decision"), False),
    "application.withdrawn": (gettext_lazy("Application withdrawn"), True),
}

WARNING_TITLES = {
    "sector_trial_provision": gettext_lazy("The act has its own trial provision"),
    **{kind.value: kind.label for kind in LimitKind},
}


# Helpers -----------------------------------------------------------------------------------


def status_explanation(application: Application) -> tuple[str, str]:
    if application.stage == Stage.PRELIMINARY and application.status in PRELIMINARY_OUTCOMES:
        return PRELIMINARY_OUTCOMES[application.status]
    return STATUS_EXPLANATIONS[ApplicationStatus(application.status)]


def _status_label(value: str) -> str:
    try:
        return ApplicationStatus(value).label
    except ValueError:
        return value


def describe_event(event) -> dict | None:
    """An audit event in words for the history timeline; None for internal steps."""
    if event.action not in EVENT_DESCRIPTIONS:
        return None
    template, show_reason = EVENT_DESCRIPTIONS[event.action]
    data = event.data or {}
    values = {
        "source": data.get("source", ""),
        "provision": data.get("provision", ""),
        "name": data.get("name", ""),
    }
    text = str(template)
    if "%(" in text:
        text = text % values
    if event.actor_id is None:
        who = _("The system")
    else:
        who = event.actor.get_full_name() or event.actor.get_username()
    return {
        "at": event.created_at,
        "text": text,
        "from_state": _status_label(event.from_state) if event.from_state else "",
        "to_state": _status_label(event.to_state) if event.to_state else "",
        "who": who,
        "reason": event.reason if show_reason else "",
    }


def warning_items(warnings) -> list[dict]:
    return [{"title": WARNING_TITLES.get(w.kind, w.kind), "text": w.text} for w in warnings]


def exemptions_with_warnings(application: Application) -> list:
    """The application's exemption requests, each with ``warning_list`` for the templates."""
    exemptions = list(application.exemption_requests.all())
    found = {
        request.pk: warning_items(warnings)
        for request, warnings in selectors.exemption_warnings(application)
    }
    for exemption in exemptions:
        exemption.warning_list = found.get(exemption.pk, [])
    return exemptions


def _applicant_organisations(user):
    return organisations_for_user(user, role=Role.APPLICANT).order_by("kind", "name")


def _preliminaries(user):
    """Preliminary applications taken forward that a final application may continue."""
    return (
        selectors.applications_for_user(user)
        .filter(
            stage=Stage.PRELIMINARY,
            status=ApplicationStatus.APPROVED,
            lead_organisation__in=_applicant_organisations(user).values("pk"),
        )
        .order_by("-submitted_at")
    )


def _conflict(request, application_pk: int, exc: ConflictError):
    reason = str(exc)
    if reason == str(ConflictError()):
        text = _("Someone else changed this application before you. This is how it stands now.")
    else:
        text = _(
            "Someone else changed this application before you: %(reason)s "
            "This is how it stands now."
        ) % {"reason": reason}
    messages.error(request, text)
    return redirect("trials:application_detail", pk=application_pk)


def _step_url(application: Application, slug: str) -> str:
    return reverse("trials:application_step", kwargs={"pk": application.pk, "step": slug})


def editable(view):
    """Load the application the user may see (else 404); only its editors get the view.

    Others are sent to the read-only status page. A ConflictError from a service becomes
    a message on the status page.
    """

    @login_required
    @wraps(view)
    def wrapper(request, pk: int, **kwargs):
        application = selectors.application_get_for_user(request.user, pk)
        if not selectors.user_can_edit(request.user, application):
            if application.is_draft:
                messages.info(request, _("Only the lead applicant can change the draft."))
            else:
                messages.info(
                    request, _("The application has been submitted and can no longer be changed.")
                )
            return redirect("trials:application_detail", pk=application.pk)
        try:
            return view(request, application, **kwargs)
        except ConflictError as exc:
            return _conflict(request, application.pk, exc)

    return wrapper


# List, create, status page -----------------------------------------------------------------


@login_required
def application_list(request):
    organisations = _applicant_organisations(request.user)
    mine = Q(lead_organisation__in=organisations.values("pk")) | Q(
        co_applicants__in=organisations.values("pk")
    )
    applications = list(
        selectors.applications_for_user(request.user)
        .filter(pk__in=Application.objects.filter(mine).values("pk"))
        .order_by("-updated_at")
    )
    groups = [
        {
            "key": "drafts",
            "title": _("Drafts"),
            "applications": [a for a in applications if a.status == ApplicationStatus.DRAFT],
        },
        {
            "key": "in-process",
            "title": _("Submitted and in process"),
            "applications": [a for a in applications if a.status in IN_PROCESS_STATUSES],
        },
        {
            "key": "decided",
            "title": _("Decided or withdrawn"),
            "applications": [
                a
                for a in applications
                if a.status != ApplicationStatus.DRAFT and a.status not in IN_PROCESS_STATUSES
            ],
        },
    ]
    return render(
        request,
        "trials/application_list.html",
        {
            "groups": groups,
            "applications": applications,
            "can_apply": organisations.exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request):
    organisations = _applicant_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only staff of a municipality or county can apply."))
    form_kwargs = {"organisations": organisations, "preliminaries": _preliminaries(request.user)}
    if request.method == "POST":
        form = ApplicationCreateForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = services.application_create(
                    actor=request.user,
                    lead_organisation=data["lead_organisation"],
                    title=data["title"],
                    stage=data["stage"],
                    call=data["call"],
                    preliminary=data["preliminary"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("The draft %(reference)s is saved. Fill in the steps below.")
                    % {"reference": application.reference},
                )
                return redirect(_step_url(application, FIRST_STEP))
    else:
        form = ApplicationCreateForm(**form_kwargs)
    return render(request, "trials/application_create.html", {"form": form})


@login_required
def application_detail(request, pk: int):
    application = selectors.application_get_for_user(request.user, pk)
    actions = selectors.available_actions(request.user, application)
    meaning, next_step = status_explanation(application)
    events = audit_events_for(application).order_by("created_at", "id")
    organisations = _applicant_organisations(request.user)
    information_requests = list(application.information_requests.all())
    context = {
        "application": application,
        "actions": actions,
        "can_edit": selectors.user_can_edit(request.user, application),
        "status_meaning": meaning,
        "status_next": next_step,
        "timeline": [item for item in map(describe_event, events) if item is not None],
        "open_request": next((r for r in information_requests if not r.is_answered), None),
        "answered_requests": [r for r in information_requests if r.is_answered],
        "copy_form": CopyForm(organisations=organisations) if organisations.exists() else None,
        "can_continue_as_final": selectors.user_is_applicant_for(
            request.user, application, lead_only=True
        )
        and rules.may_continue_as_final(application),
        "first_step": FIRST_STEP,
    }
    context.update(_content_context(application))
    return render(request, "trials/application_detail.html", context)


def _content_context(application: Application) -> dict:
    """What the shared content template (status page, summary step) needs."""
    categories = dict(TrialCategory.choices)
    purposes = {purpose.purpose: purpose for purpose in application.purposes.all()}
    return {
        "category_labels": [categories[c] for c in application.categories if c in categories],
        "purpose_rows": [(purpose, purposes.get(purpose.value)) for purpose in Purpose],
        "co_applicants": list(application.co_applicants.all()),
        "exemptions": exemptions_with_warnings(application),
    }


# The guided steps --------------------------------------------------------------------------


def _render_step(request, application: Application, slug: str, context: dict):
    index = STEP_SLUGS.index(slug)
    full = {
        "application": application,
        "steps": STEPS,
        "step": STEPS[index],
        "step_number": index + 1,
        "step_count": len(STEPS),
        "previous_step": STEPS[index - 1] if index > 0 else None,
        "next_step": STEPS[index + 1] if index + 1 < len(STEPS) else None,
        **context,
    }
    return render(request, f"trials/steps/{slug}.html", full)


def _after_save(request, application: Application, slug: str, message: str | None = None):
    """Where the step's buttons lead: next step, previous step, or the same step."""
    action = request.POST.get("action", "continue")
    index = STEP_SLUGS.index(slug)
    if action == "back" and index > 0:
        target = STEP_SLUGS[index - 1]
    elif action in ("save", "add_contact", "upload"):
        target = slug
        messages.success(request, message or _("Your changes are saved."))
    else:
        target = STEP_SLUGS[min(index + 1, len(STEP_SLUGS) - 1)]
        if message:
            messages.success(request, message)
    return redirect(_step_url(application, target))


@editable
@require_http_methods(["GET", "POST"])
def application_step(request, application: Application, step: str):
    handlers = {
        "om": _step_about,
        "formal": _step_purposes,
        "unntak": _step_exemptions,
        "vedlegg": _step_attachments,
        "kontakter": _step_contacts,
        "oppsummering": _step_summary,
    }
    if step not in handlers:
        raise Http404
    return handlers[step](request, application, step)


def _step_about(request, application: Application, slug: str):
    kwargs = {"application": application, "preliminaries": _preliminaries(request.user)}
    if request.method == "POST":
        form = AboutForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.application_save_draft(
                    actor=request.user, application=application, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return _after_save(request, application, slug)
    else:
        form = AboutForm(
            initial={
                "title": application.title,
                "summary": application.summary,
                "description": application.description,
                "requested_start": application.requested_start,
                "period_months": application.period_months,
                "stage": application.stage,
                "call": application.call_id,
                "preliminary": application.preliminary_id,
            },
            **kwargs,
        )
    return _render_step(request, application, slug, {"form": form})


def _step_purposes(request, application: Application, slug: str):
    current = {p.purpose: p.justification for p in application.purposes.all()}
    if request.method == "POST":
        form = PurposesForm(request.POST)
        if form.is_valid():
            try:
                services.application_save_draft(
                    actor=request.user,
                    application=application,
                    purposes=form.purposes(),
                    **form.application_fields(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc, {p.value: f"justification_{p.value}" for p in Purpose})
            else:
                return _after_save(request, application, slug)
    else:
        initial = {
            "categories": application.categories,
            **{name: getattr(application, name) for name in PurposesForm.TEXT_FIELDS},
        }
        for purpose, justification in current.items():
            initial[f"purpose_{purpose}"] = True
            initial[f"justification_{purpose}"] = justification
        form = PurposesForm(initial=initial)
    return _render_step(request, application, slug, {"form": form})


def _step_exemptions(request, application: Application, slug: str):
    if request.method == "POST":
        return _after_save(request, application, slug)
    return _render_step(
        request, application, slug, {"exemptions": exemptions_with_warnings(application)}
    )


def _step_attachments(request, application: Application, slug: str):
    organisations = application.applicant_organisations
    file_lost = False
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES, organisations=organisations)
        action = request.POST.get("action", "continue")
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload:
                try:
                    attachment = services.attachment_add(
                        actor=request.user,
                        application=application,
                        uploaded_file=upload,
                        kind=form.cleaned_data["kind"],
                        organisation=form.cleaned_data["organisation"],
                        description=form.cleaned_data["description"],
                        screening_basis=form.cleaned_data["screening_basis"],
                    )
                except ValidationError as exc:
                    form.add_service_errors(exc)
                else:
                    return _after_save(
                        request,
                        application,
                        slug,
                        _("“%(name)s” is uploaded.") % {"name": attachment.original_name},
                    )
            elif action in ("continue", "back"):
                return _after_save(request, application, slug)
            else:
                form.add_error("file", _("Choose a file to upload."))
        file_lost = bool(request.FILES.get("file")) and "file" not in form.errors
    else:
        form = AttachmentForm(organisations=organisations)
    return _render_step(
        request,
        application,
        slug,
        {
            "form": form,
            "attachments": list(application.attachments.all()),
            "file_lost": file_lost,
        },
    )


CONTACT_ERROR_FIELDS = {
    "organisation": "contact_organisation",
    "name": "contact_name",
    "job_title": "contact_job_title",
    "email": "contact_email",
    "phone": "contact_phone",
}


def _step_contacts(request, application: Application, slug: str):
    co_applicants = list(application.co_applicants.all())
    if request.method == "POST":
        action = request.POST.get("action", "continue")
        form = ContactsForm(
            request.POST, application=application, require_contact=action == "add_contact"
        )
        if form.is_valid():
            added = False
            try:
                with transaction.atomic():
                    services.application_save_draft(
                        actor=request.user,
                        application=application,
                        co_applicants=form.cleaned_data["co_applicants"],
                    )
                    if form.has_contact():
                        services.contact_add(
                            actor=request.user,
                            application=application,
                            organisation=form.cleaned_data["contact_organisation"],
                            **form.contact(),
                        )
                        added = True
            except ValidationError as exc:
                form.add_service_errors(exc, CONTACT_ERROR_FIELDS)
            else:
                message = _("The contact person is added.") if added else None
                return _after_save(request, application, slug, message)
    else:
        form = ContactsForm(
            application=application,
            initial={"co_applicants": ", ".join(o.number for o in co_applicants)},
        )
    return _render_step(
        request,
        application,
        slug,
        {
            "form": form,
            "co_applicants": co_applicants,
            "contacts": list(application.contacts.all()),
        },
    )


def _step_summary(request, application: Application, slug: str):
    submit_errors = []
    if request.method == "POST":
        try:
            services.application_submit(actor=request.user, application=application)
        except ValidationError as exc:
            submit_errors = exc.messages
        else:
            return redirect("trials:application_receipt", pk=application.pk)
    content = _content_context(application)
    context = {
        "submit_errors": submit_errors,
        "problems": [] if submit_errors else rules.submission_problems(application),
        "exemption_warnings": [
            (e, e.warning_list) for e in content["exemptions"] if e.warning_list
        ],
        **content,
    }
    return _render_step(request, application, slug, context)


# Exemption requests ------------------------------------------------------------------------


def _exemption_of(application: Application, exemption_pk: int):
    for exemption in application.exemption_requests.all():
        if exemption.pk == exemption_pk:
            return exemption
    raise Http404


def _citation_suggestions(text: str, exc: CitationError) -> list[str]:
    """Each suggestion as a full citation the applicant can choose and resolve."""
    _act, has_section, section = text.partition("§")
    result = []
    for suggestion in exc.suggestions:
        if "§" not in suggestion and has_section:
            suggestion = f"{suggestion} §{section}"
        if suggestion not in result:
            result.append(suggestion)
    return result


@editable
@require_http_methods(["GET", "POST"])
def exemption_create(request, application: Application):
    return _exemption_form(request, application, None)


@editable
@require_http_methods(["GET", "POST"])
def exemption_edit(request, application: Application, exemption_pk: int):
    return _exemption_form(request, application, _exemption_of(application, exemption_pk))


def _exemption_form(request, application: Application, exemption):
    """The provision picker and the details, in one form so nothing typed is lost.

    Actions: ``resolve`` a typed citation (or a chosen suggestion), ``search`` an act's
    sections, ``choose`` a section found, ``change`` the provision, ``save``. Pressing Enter
    sends ``auto``, which picks the action that fits what was filled in.
    """
    acts = list(act_list())
    state = {"resolved": None, "results": None, "suggestions": [], "show_keep": False}
    errors: list[tuple[str | None, str]] = []
    service_error = None
    if request.method == "GET":
        initial = {}
        if exemption is not None:
            initial = {
                "provision": exemption.provision_id,
                "citation": exemption.citation_text,
                "keep_citation": bool(exemption.citation_text),
                "subsection": exemption.subsection,
                **{name: getattr(exemption, name) for name in ExemptionForm.DETAIL_FIELDS},
            }
            state["resolved"] = exemption.provision
            state["show_keep"] = not exemption.is_resolved
        form = ExemptionForm(initial=initial, acts=acts)
        return _render_exemption(request, application, exemption, form, state)

    data = request.POST.copy()
    action = data.get("action") or "auto"
    form = ExemptionForm(data, acts=acts)
    form.is_valid()
    cleaned = form.cleaned_data
    provision = cleaned.get("provision")
    citation = (cleaned.get("citation") or "").strip()
    suggestion = (cleaned.get("suggestion") or "").strip()
    if action == "auto":
        if provision is not None:
            action = "save"
        elif suggestion or citation:
            action = "resolve"
        elif cleaned.get("act") or cleaned.get("q"):
            action = "search"
        else:
            action = "save"
    if action == "resolve" and not (suggestion or citation) and (cleaned.get("q") or "").strip():
        action = "search"

    def search():
        act = form.chosen_act()
        query = (cleaned.get("q") or "").strip()
        if act is None and not query:
            errors.append(("q", _("Choose an act, or write what to search for.")))
            return
        results = list(provision_search(act=act, query=query)[: MAX_SEARCH_RESULTS + 1])
        state["results"] = attach_limits(results[:MAX_SEARCH_RESULTS])
        state["more_results"] = len(results) > MAX_SEARCH_RESULTS

    if action == "change":
        data["provision"] = ""
        provision = None
    elif action == "resolve":
        text = suggestion or citation
        data["suggestion"] = ""
        if not text:
            errors.append(("citation", _("Write a citation, for example “opplæringslova § 13-1”.")))
        else:
            data["citation"] = text
            try:
                parsed = parse_citation(text)
            except CitationError as exc:
                errors.append(("citation", exc.message))
                state["suggestions"] = _citation_suggestions(text, exc)
                state["show_keep"] = True
                data["provision"] = ""
                provision = None
            else:
                provision = parsed.provision
                data["provision"] = str(provision.pk)
                if parsed.subsection and not data.get("subsection"):
                    data["subsection"] = str(parsed.subsection)
    elif action == "search":
        data["provision"] = ""
        provision = None
        search()
    elif action == "choose":
        if provision is None:
            errors.append(("provision", _("Choose one of the sections found.")))
            search()
    else:  # save
        kwargs = {}
        if provision is None and suggestion:
            citation = suggestion
            data["citation"], data["suggestion"] = suggestion, ""
        if provision is not None:
            kwargs["provision"] = provision
        elif citation:
            try:
                parse_citation(citation)
            except CitationError as exc:
                if cleaned.get("keep_citation"):
                    kwargs["citation_text"] = citation
                else:
                    errors.append(
                        (
                            "citation",
                            _(
                                "%(problem)s Correct the citation, choose a suggestion, or "
                                "tick “Save the citation as I wrote it”."
                            )
                            % {"problem": exc.message},
                        )
                    )
                    state["suggestions"] = _citation_suggestions(citation, exc)
                    state["show_keep"] = True
            else:
                kwargs["citation_text"] = citation
        else:
            errors.append(
                (
                    "citation",
                    _("Choose the provision: write the citation, or search an act for it."),
                )
            )
        if not errors and form.is_valid():
            try:
                if exemption is None:
                    services.exemption_request_create(
                        actor=request.user, application=application, **kwargs, **form.details()
                    )
                else:
                    services.exemption_request_update(
                        actor=request.user, request=exemption, **kwargs, **form.details()
                    )
            except ValidationError as exc:
                service_error = exc
            else:
                messages.success(request, _("The exemption request is saved."))
                return redirect(_step_url(application, "unntak"))

    form = ExemptionForm(data, acts=acts)
    form.is_valid()
    for name, message in errors:
        form.add_error(name, message)
    if service_error is not None:
        # Without a chosen provision the typed citation is what the error is about.
        form.add_service_errors(service_error, {} if provision else {"provision": "citation"})
    if provision is None and data.get("provision"):
        provision = form.cleaned_data.get("provision")
    state["resolved"] = provision
    if provision is None and exemption is not None and not exemption.is_resolved:
        state["show_keep"] = True
    # The page reloaded for an action inside the provision picker (find, search, choose,
    # change): focus goes back there, not to the top of the page (WCAG 2.4.3).
    state["return_focus"] = action in ("resolve", "search", "choose", "change") and not errors
    return _render_exemption(request, application, exemption, form, state)


def _render_exemption(request, application, exemption, form, state):
    resolved = state["resolved"]
    if resolved is not None:
        form.error_anchors = {**form.error_anchors, "citation": "provision-picker"}
    context = {
        "application": application,
        "exemption": exemption,
        "form": form,
        "warnings": warning_items(provision_warnings(resolved)) if resolved else [],
        **state,
    }
    return render(request, "trials/exemption_form.html", context)


@editable
@require_http_methods(["GET", "POST"])
def exemption_delete(request, application: Application, exemption_pk: int):
    exemption = _exemption_of(application, exemption_pk)
    if request.method == "POST":
        label = exemption.provision_label
        services.exemption_request_delete(actor=request.user, request=exemption)
        messages.success(
            request,
            _("The exemption request for %(provision)s is deleted.") % {"provision": label},
        )
        return redirect(_step_url(application, "unntak"))
    return render(
        request,
        "trials/confirm_delete.html",
        {
            "application": application,
            "title": _("Delete the exemption request?"),
            "text": _("The request for an exemption from %(provision)s will be deleted.")
            % {"provision": exemption.provision_label},
            "cancel_url": _step_url(application, "unntak"),
        },
    )


# Contacts and attachments ------------------------------------------------------------------


@editable
@require_POST
def contact_delete(request, application: Application, contact_pk: int):
    contact = next((c for c in application.contacts.all() if c.pk == contact_pk), None)
    if contact is None:
        raise Http404
    services.contact_remove(actor=request.user, contact=contact)
    messages.success(request, _("%(name)s is removed as contact person.") % {"name": contact.name})
    return redirect(_step_url(application, "kontakter"))


def _attachment_for_user(user, pk: int):
    try:
        return (
            selectors.attachments_for_user(user)
            .select_related("application__lead_organisation")
            .get(pk=pk)
        )
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def attachment_download(request, pk: int):
    attachment = _attachment_for_user(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def attachment_delete(request, pk: int):
    attachment = _attachment_for_user(request.user, pk)
    application = attachment.application
    if not selectors.user_can_edit(request.user, application):
        messages.info(request, _("The attachment can no longer be deleted."))
        return redirect("trials:application_detail", pk=application.pk)
    cancel_url = _step_url(application, "vedlegg")
    if request.method == "POST":
        name = attachment.original_name
        try:
            services.attachment_delete(actor=request.user, attachment=attachment)
        except ConflictError as exc:
            return _conflict(request, application.pk, exc)
        messages.success(request, _("“%(name)s” is deleted.") % {"name": name})
        return redirect(cancel_url)
    return render(
        request,
        "trials/confirm_delete.html",
        {
            "application": application,
            "title": _("Delete the attachment?"),
            "text": _("The file “%(name)s” will be deleted from the application.")
            % {"name": attachment.original_name},
            "cancel_url": cancel_url,
        },
    )


# After submission --------------------------------------------------------------------------


@login_required
def application_receipt(request, pk: int):
    application = selectors.application_get_for_user(request.user, pk)
    if application.is_draft or application.submitted_at is None:
        return redirect(_step_url(application, "oppsummering"))
    return render(
        request,
        "trials/application_receipt.html",
        {
            "application": application,
            "co_applicants": list(application.co_applicants.all()),
            "recipients": notifications.applicant_recipients(application),
        },
    )


def _lead_applicant_only(request, application: Application, action: str):
    """None when ``action`` is allowed now; else the response to give."""
    if action in selectors.available_actions(request.user, application):
        return None
    if not selectors.user_is_applicant_for(request.user, application, lead_only=True):
        raise PermissionDenied(_("Only the lead applicant can do this."))
    texts = {
        "answer": _("The ministry is not waiting for an answer."),
        "withdraw": _("The application can no longer be withdrawn."),
    }
    messages.info(request, texts[action])
    return redirect("trials:application_detail", pk=application.pk)


@login_required
@require_http_methods(["GET", "POST"])
def application_answer(request, pk: int):
    application = selectors.application_get_for_user(request.user, pk)
    refused = _lead_applicant_only(request, application, "answer")
    if refused is not None:
        return refused
    information_request = selectors.open_information_request(application)
    if request.method == "POST":
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.application_answer(
                    actor=request.user,
                    application=application,
                    text=form.cleaned_data["text"],
                    files=form.cleaned_data["files"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc, {"file": "files"})
            except ConflictError as exc:
                return _conflict(request, application.pk, exc)
            else:
                messages.success(
                    request, _("Your answer is sent. The ministry goes on with the case.")
                )
                return redirect("trials:application_detail", pk=application.pk)
    else:
        form = AnswerForm()
    return render(
        request,
        "trials/application_answer.html",
        {
            "application": application,
            "information_request": information_request,
            "form": form,
            "files_lost": request.method == "POST" and bool(request.FILES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request, pk: int):
    application = selectors.application_get_for_user(request.user, pk)
    refused = _lead_applicant_only(request, application, "withdraw")
    if refused is not None:
        return refused
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.application_withdraw(
                    actor=request.user, application=application, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except ConflictError as exc:
                return _conflict(request, application.pk, exc)
            else:
                messages.success(
                    request,
                    _("The application %(reference)s is withdrawn.")
                    % {"reference": application.reference},
                )
                return redirect("trials:application_detail", pk=application.pk)
    else:
        form = WithdrawForm()
    return render(
        request, "trials/application_withdraw.html", {"application": application, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_copy(request, pk: int):
    """Start a new draft from an own application or a decided (public) one."""
    source = (
        selectors.applications_for_user(request.user).filter(pk=pk).first()
        or selectors.decided_public_applications().filter(pk=pk).first()
    )
    if source is None:
        raise Http404
    organisations = _applicant_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only staff of a municipality or county can apply."))
    if request.method == "POST":
        form = CopyForm(request.POST, organisations=organisations)
        if form.is_valid():
            try:
                copy = services.application_copy(
                    actor=request.user,
                    source=source,
                    lead_organisation=form.cleaned_data["lead_organisation"],
                    as_final=request.POST.get("as_final") == "1",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _(
                        "The new draft %(reference)s is started from %(source)s, with its "
                        "exemption requests. Check every step before you submit."
                    )
                    % {"reference": copy.reference, "source": source.reference},
                )
                return redirect(_step_url(copy, FIRST_STEP))
    else:
        form = CopyForm(organisations=organisations)
    return render(request, "trials/application_copy.html", {"source": source, "form": form})
