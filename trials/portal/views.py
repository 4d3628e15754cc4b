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
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from casework.choices import Role
from casework.downloads import file_response
from casework.selectors import audit_events_for, organisations_for_user
from legal.choices import LimitKind
from legal.citations import CitationError, parse_citation
from legal.selectors import act_list, attach_limits, provision_search, provision_warnings
from trials import labels, notifications, rules, selectors, services
from trials.choices import ApplicationStatus, Purpose, Stage, TrialCategory
from trials.models import Application
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

WARNING_TITLES = {
    "sector_trial_provision": gettext_lazy("The act has its own trial provision"),
    **{kind.value: kind.label for kind in LimitKind},
}


# Helpers -----------------------------------------------------------------------------------


def describe_event(event, *, stage: str = "") -> dict | None:
    """An audit event in words for the applicant's history (``trials.labels``): what
    happened to the application; internal steps of the case handling (assessments, each
    ministry's consultation answer, journal entries) are left out (None), and a reason is
    shown only where it was written for the applicant."""
    meaning = labels.AUDIT_ACTIONS.get(event.action)
    if meaning is None or meaning.applicant is None:
        return None
    data = event.data or {}
    values = {
        "source": data.get("source", ""),
        "provision": data.get("provision", ""),
        "name": data.get("name", ""),
    }
    text = str(meaning.applicant)
    if "%(" in text:
        text = text % values
    if event.actor_id is None:
        who = _("The system")
    else:
        who = event.actor.get_full_name() or event.actor.get_username()
    return {
        "at": event.created_at,
        "text": text,
        "from_state": labels.state_label(event.from_state, stage=stage) if event.from_state else "",
        "to_state": labels.state_label(event.to_state, stage=stage) if event.to_state else "",
        "who": who,
        "reason": event.reason if meaning.applicant_reason else "",
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
    meaning, next_step = labels.applicant_explanation(application)
    events = audit_events_for(application).order_by("created_at", "id")
    organisations = _applicant_organisations(request.user)
    information_requests = list(application.information_requests.all())
    context = {
        "application": application,
        "actions": actions,
        "can_edit": selectors.user_can_edit(request.user, application),
        "status_meaning": meaning,
        "status_next": next_step,
        "timeline": [
            item
            for item in (describe_event(event, stage=application.stage) for event in events)
            if item is not None
        ],
        "open_request": next((r for r in information_requests if not r.is_answered), None),
        "answered_requests": [r for r in information_requests if r.is_answered],
        "copy_form": CopyForm(organisations=organisations) if organisations.exists() else None,
        "can_continue_as_final": selectors.user_is_applicant_for(
            request.user, application, lead_only=True
        )
        and rules.may_continue_as_final(application),
        "first_step": FIRST_STEP,
        "letters": list(selectors.letters_for_user(request.user, application)),
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
    """The provision picker and the details, in one form so nothing typed is lost (a GET
    shows it; a POST is one action of ``ExemptionPicker``)."""
    acts = list(act_list())
    if request.method == "POST":
        return ExemptionPicker(request, application, exemption, acts).respond()
    state = {"resolved": None, "results": None, "suggestions": [], "show_keep": False}
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


class ExemptionPicker:
    """One POST of the exemption form: one method per action.

    Actions: ``resolve`` a typed citation (or a chosen suggestion), ``search`` an act's
    sections, ``choose`` a section found, ``change`` the provision, ``save``. Pressing Enter
    sends ``auto``, which picks the action that fits what was filled in. Every action but a
    successful save shows the form again with what was typed.
    """

    def __init__(self, request, application: Application, exemption, acts: list):
        self.request = request
        self.application = application
        self.exemption = exemption
        self.acts = acts
        self.data = request.POST.copy()
        self.form = ExemptionForm(self.data, acts=acts)
        self.form.is_valid()
        self.cleaned = self.form.cleaned_data
        self.provision = self.cleaned.get("provision")
        self.citation = (self.cleaned.get("citation") or "").strip()
        self.suggestion = (self.cleaned.get("suggestion") or "").strip()
        self.state = {"resolved": None, "results": None, "suggestions": [], "show_keep": False}
        self.errors: list[tuple[str | None, str]] = []
        self.service_error = None

    def respond(self):
        handlers = {
            "change": self.change,
            "resolve": self.resolve,
            "search": self.search_again,
            "choose": self.choose,
        }
        response = handlers.get(self.action(), self.save)()
        return response or self.render()

    def action(self) -> str:
        action = self.data.get("action") or "auto"
        query = (self.cleaned.get("q") or "").strip()
        if action == "auto":
            if self.provision is not None:
                action = "save"
            elif self.suggestion or self.citation:
                action = "resolve"
            elif self.cleaned.get("act") or self.cleaned.get("q"):
                action = "search"
            else:
                action = "save"
        if action == "resolve" and not (self.suggestion or self.citation) and query:
            action = "search"
        return action

    def _forget_provision(self) -> None:
        self.data["provision"] = ""
        self.provision = None

    def _citation_problem(self, text: str, exc: CitationError, message: str) -> None:
        self.errors.append(("citation", message))
        self.state["suggestions"] = _citation_suggestions(text, exc)
        self.state["show_keep"] = True

    def search(self) -> None:
        act = self.form.chosen_act()
        query = (self.cleaned.get("q") or "").strip()
        if act is None and not query:
            self.errors.append(("q", _("Choose an act, or write what to search for.")))
            return
        results = list(provision_search(act=act, query=query)[: MAX_SEARCH_RESULTS + 1])
        self.state["results"] = attach_limits(results[:MAX_SEARCH_RESULTS])
        self.state["more_results"] = len(results) > MAX_SEARCH_RESULTS

    def change(self) -> None:
        self._forget_provision()

    def search_again(self) -> None:
        self._forget_provision()
        self.search()

    def choose(self) -> None:
        if self.provision is None:
            self.errors.append(("provision", _("Choose one of the sections found.")))
            self.search()

    def resolve(self) -> None:
        text = self.suggestion or self.citation
        self.data["suggestion"] = ""
        if not text:
            self.errors.append(
                ("citation", _("Write a citation, for example “opplæringslova § 13-1”."))
            )
            return
        self.data["citation"] = text
        try:
            parsed = parse_citation(text)
        except CitationError as exc:
            self._citation_problem(text, exc, exc.message)
            self._forget_provision()
            return
        self.provision = parsed.provision
        self.data["provision"] = str(self.provision.pk)
        if parsed.subsection and not self.data.get("subsection"):
            self.data["subsection"] = str(parsed.subsection)

    def _provision_to_save(self) -> dict:
        """The provision, or the citation as typed when allowed; else an error is noted."""
        citation = self.citation
        if self.provision is None and self.suggestion:
            citation = self.suggestion
            self.data["citation"], self.data["suggestion"] = self.suggestion, ""
        if self.provision is not None:
            return {"provision": self.provision}
        if not citation:
            self.errors.append(
                (
                    "citation",
                    _("Choose the provision: write the citation, or search an act for it."),
                )
            )
            return {}
        try:
            parse_citation(citation)
        except CitationError as exc:
            if self.cleaned.get("keep_citation"):
                return {"citation_text": citation}
            message = _(
                "%(problem)s Correct the citation, choose a suggestion, or "
                "tick “Save the citation as I wrote it”."
            ) % {"problem": exc.message}
            self._citation_problem(citation, exc, message)
            return {}
        return {"citation_text": citation}

    def save(self):
        kwargs = self._provision_to_save()
        if self.errors or not self.form.is_valid():
            return None
        try:
            if self.exemption is None:
                services.exemption_request_create(
                    actor=self.request.user,
                    application=self.application,
                    **kwargs,
                    **self.form.details(),
                )
            else:
                services.exemption_request_update(
                    actor=self.request.user, request=self.exemption, **kwargs, **self.form.details()
                )
        except ValidationError as exc:
            self.service_error = exc
            return None
        messages.success(self.request, _("The exemption request is saved."))
        return redirect(_step_url(self.application, "unntak"))

    def render(self):
        form = ExemptionForm(self.data, acts=self.acts)
        form.is_valid()
        for name, message in self.errors:
            form.add_error(name, message)
        provision = self.provision
        if self.service_error is not None:
            # Without a chosen provision the typed citation is what the error is about.
            form.add_service_errors(
                self.service_error, {} if provision else {"provision": "citation"}
            )
        if provision is None and self.data.get("provision"):
            provision = form.cleaned_data.get("provision")
        self.state["resolved"] = provision
        if provision is None and self.exemption is not None and not self.exemption.is_resolved:
            self.state["show_keep"] = True
        # The page reloaded for an action inside the provision picker (find, search, choose,
        # change): focus goes back there, not to the top of the page (WCAG 2.4.3).
        self.state["return_focus"] = (
            self.action() in ("resolve", "search", "choose", "change") and not self.errors
        )
        return _render_exemption(self.request, self.application, self.exemption, form, self.state)


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


@login_required
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for_user(request.user, pk)
    return file_response(selectors.attachment_file(attachment))


@login_required
@require_http_methods(["GET", "POST"])
def attachment_delete(request, pk: int):
    attachment = selectors.attachment_for_user(request.user, pk)
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
