"""Every write to applications goes through these functions (STYLE.md: services).

Each checks that the acting user may do it, runs in one transaction, writes its audit event
there, and queues email as tasks in the same transaction (``applicant_email_queue``) so nothing
is announced that was rolled back and nothing is lost that was committed.
"""

import datetime
import uuid
from collections.abc import Iterable
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from casework.choices import EntryType, Role
from casework.models import Organisation
from casework.prepared import PreparedQuery
from casework.selectors import user_has_role
from casework.services import (
    audit_changes,
    audit_record,
    journal_entry_create,
    mail_enqueue,
    sequence_next,
)
from casework.storage import DocumentNotStored, removed_on_error, store
from casework.transactions import service_atomic
from legal.citations import CitationError, parse_citation
from legal.models import Provision
from trials import hooks
from trials.choices import (
    DECIDED_STATUSES,
    ApplicationStatus,
    AttachmentKind,
    Outcome,
    Purpose,
    Stage,
)
from trials.exceptions import ConflictError
from trials.journal import application_case, journal_title, letter_entry
from trials.models import (
    Application,
    ApplicationPurpose,
    Attachment,
    Call,
    ContactPerson,
    ExemptionRequest,
    InformationRequest,
)
from trials.rules import (
    co_applicants_problem,
    may_continue_as_final,
    period_range_message,
    period_within_law,
    submission_problems,
)
from trials.selectors import (
    applications_for_user,
    is_ministry_officer,
    user_can_edit,
    user_is_applicant_for,
)
from trials.services.search import search_document, search_document_refresh
from trials.uploads import check_upload

APPLICATION_FIELDS = {
    "title",
    "summary",
    "description",
    "categories",
    "expected_effects",
    "effect_measurement",
    "affected_services",
    "affected_citizens",
    "involvement",
    "requested_start",
    "period_months",
    "call",
    "stage",
    "preliminary",
}
EXEMPTION_FIELDS = {
    "current_rule",
    "proposed_arrangement",
    "justification",
    "consequences",
    "subsection",
}
DEFAULT_ANSWER_DAYS = 14


def applicant_email_queue(application: Application, template: str, **extra) -> None:
    """Queue ``trials/email/<template>.txt`` to the applicant's contacts, in this transaction
    (rendered and sent by the mail task, recorded in the application's history)."""
    event = "-".join(str(value) for value in extra.values()) or uuid.uuid4().hex
    mail_enqueue(
        key=f"application/{application.pk}/{template}/{event}",
        renderer="trials.notifications.applicant_email",
        params={"application_id": application.pk, "template": template, "extra": extra},
        target=application,
        organisation=application.lead_organisation,
    )


def _require_editor(actor, application: Application) -> None:
    if not user_can_edit(actor, application):
        if not application.is_draft:
            raise PermissionDenied(_("Only a draft can be changed."))
        raise PermissionDenied(_("Only the lead applicant can change the draft."))


def _save_transition(
    application: Application, fields: list[str], *, from_state: str = "", unless=None
) -> None:
    """Save a transition fired on ``application`` (ConflictError when its status changed
    since it was read). ``unless`` (with the status ``from_state`` it was fired from): an
    expression on the row (an ``Exists``) that, true, refuses it as well, the condition of
    the same UPDATE instead of a read before it."""
    if unless is None:
        try:
            application.save(update_fields=[*fields, "status", "updated_at"])
        except ConcurrentTransition as exc:
            raise ConflictError() from exc
        return
    application.updated_at = timezone.now()  # what save() sets (auto_now)
    names = [*fields, "status", "updated_at"]
    moved = (
        Application.objects.filter(pk=application.pk, status=from_state)
        .exclude(unless)
        .update(**{name: getattr(application, name) for name in names})
    )
    if not moved:
        raise ConflictError()
    application._update_initial_state()  # what django-fsm's save() records


def _search_refresh(application: Application) -> None:
    """Keep the search document (``trials.services.search``) of a public application; a
    draft gets its document when it is submitted."""
    if application.submitted_at is not None:
        search_document_refresh(application)


def _check_applicant_fields(values: dict) -> None:
    errors = {}
    categories = values.get("categories")
    if categories is not None:
        valid = {"a", "b", "c", "d"}
        if not isinstance(categories, list) or not set(categories) <= valid:
            errors["categories"] = _("Choose one or more of the categories a, b, c and d.")
    period = values.get("period_months")
    if period is not None and not period_within_law(period):
        errors["period_months"] = period_range_message()
    call = values.get("call")
    if call is not None:
        if not call.is_open():
            errors["call"] = _("The call for applications is not open.")
        elif values.get("stage") and values["stage"] != call.stage:
            errors["stage"] = _("This call is for %(stage)s.") % {
                "stage": call.get_stage_display().lower()
            }
    preliminary = values.get("preliminary")
    if preliminary is not None and (
        preliminary.stage != Stage.PRELIMINARY or preliminary.status != ApplicationStatus.APPROVED
    ):
        errors["preliminary"] = _(
            "A final application can only continue a preliminary application taken forward."
        )
    elif preliminary is not None and not may_continue_as_final(
        preliminary, ignoring=values.get("_application")
    ):
        errors["preliminary"] = _(
            "A final application continuing this preliminary application already exists."
        )
    if errors:
        raise ValidationError(errors)


@service_atomic
def application_create(
    *,
    actor,
    lead_organisation: Organisation,
    title: str,
    stage: str = Stage.PRELIMINARY,
    call: Call | None = None,
    purposes: dict[str, str] | None = None,
    co_applicants: Iterable[Organisation] | None = None,
    **fields,
) -> Application:
    """Start a draft for ``lead_organisation``; the actor must be one of its applicants.

    ``purposes`` and ``co_applicants`` may be given at once (see ``application_save_draft``).
    """
    if not user_has_role(actor, Role.APPLICANT, organisation=lead_organisation):
        raise PermissionDenied(_("You cannot apply on behalf of this organisation."))
    unknown = set(fields) - APPLICATION_FIELDS
    if unknown:
        raise TypeError(f"Unknown application fields: {sorted(unknown)}")
    _check_applicant_fields({"call": call, "stage": stage, **fields})
    now = timezone.now()
    year = timezone.localdate(now).year  # the Norwegian calendar year, not UTC's
    number = sequence_next(name="application", year=year)
    application = Application.objects.create(
        reference=f"FRI-{year}-{number:04d}",
        lead_organisation=lead_organisation,
        title=title,
        stage=stage,
        call=call,
        created_by=actor,
        created_at=now,
        **fields,
    )
    audit_record(
        actor=actor,
        action="application.created",
        target=application,
        organisation=lead_organisation,
        to_state=application.status,
    )
    _save_draft_lists(
        actor=actor, application=application, purposes=purposes, co_applicants=co_applicants
    )
    return application


@service_atomic
def application_save_draft(
    *,
    actor,
    application: Application,
    purposes: dict[str, str] | None = None,
    co_applicants: Iterable[Organisation] | None = None,
    **fields,
) -> Application:
    """Save what one portal step or one API request gives for a draft, all or nothing: its
    fields, its § 1 purposes ({purpose: justification}) and its co-applicants. A list given
    replaces the old one; only what changed is written and audited.
    """
    application_update(actor=actor, application=application, **fields)
    _save_draft_lists(
        actor=actor, application=application, purposes=purposes, co_applicants=co_applicants
    )
    return application


def _save_draft_lists(
    *,
    actor,
    application: Application,
    purposes: dict[str, str] | None,
    co_applicants: Iterable[Organisation] | None,
) -> None:
    if purposes is not None:
        current = {p.purpose: p.justification for p in application.purposes.all()}
        if purposes != current:
            application_set_purposes(actor=actor, application=application, purposes=purposes)
    if co_applicants is not None:
        co_applicants = list(co_applicants)
        chosen = {o.pk for o in co_applicants} - {application.lead_organisation_id}
        if chosen != set(application.co_applicants.values_list("pk", flat=True)):
            application_set_co_applicants(
                actor=actor, application=application, organisations=co_applicants
            )


@service_atomic
def application_update(*, actor, application: Application, **fields) -> Application:
    """Change fields of a draft (only the lead applicant)."""
    _require_editor(actor, application)
    unknown = set(fields) - APPLICATION_FIELDS
    if unknown:
        raise TypeError(f"Unknown application fields: {sorted(unknown)}")
    changed = [name for name, value in fields.items() if getattr(application, name) != value]
    # The call is checked only when it changes: a draft may outlive its call's deadline.
    _check_applicant_fields(
        {
            "stage": fields.get("stage", application.stage),
            "_application": application,
            **{name: fields[name] for name in changed},
        }
    )
    before = {name: getattr(application, name) for name in changed}
    for name in changed:
        setattr(application, name, fields[name])
    if changed:
        application.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action="application.updated",
            target=application,
            organisation=application.lead_organisation,
            data={
                "model": Application._meta.label_lower,
                "fields": sorted(changed),
                "changes": audit_changes(before, {name: fields[name] for name in changed}),
            },
        )
        _search_refresh(application)
    return application


@service_atomic
def application_set_co_applicants(
    *, actor, application: Application, organisations: Iterable[Organisation]
) -> None:
    _require_editor(actor, application)
    organisations = list(
        {o.pk: o for o in organisations if o.pk != application.lead_organisation_id}.values()
    )
    if any(not o.is_local_government for o in organisations):
        raise ValidationError(
            {"co_applicants": _("Co-applicants must be municipalities or counties.")}
        )
    too_many = co_applicants_problem(len(organisations))
    if too_many:
        raise ValidationError({"co_applicants": too_many})
    before = sorted(application.co_applicants.values_list("number", flat=True))
    application.co_applicants.set(organisations)
    after = sorted(o.number for o in organisations)
    audit_record(
        actor=actor,
        action="application.co_applicants_set",
        target=application,
        organisation=application.lead_organisation,
        data={
            "co_applicants": after,
            "changes": audit_changes({"co_applicants": before}, {"co_applicants": after}),
        },
    )
    _search_refresh(application)


@service_atomic
def application_set_purposes(*, actor, application: Application, purposes: dict[str, str]) -> None:
    """Replace the § 1 purposes: {purpose: justification}; each needs a justification."""
    _require_editor(actor, application)
    errors = {}
    for purpose, justification in purposes.items():
        if purpose not in Purpose.values:
            errors[purpose] = _("Unknown purpose.")
        elif not (justification or "").strip():
            errors[purpose] = _("Say how the trial serves this purpose.")
    if errors:
        raise ValidationError(errors)
    before = dict(application.purposes.values_list("purpose", "justification"))
    application.purposes.all().delete()
    ApplicationPurpose.objects.bulk_create(
        ApplicationPurpose(application=application, purpose=p, justification=j.strip())
        for p, j in purposes.items()
    )
    audit_record(
        actor=actor,
        action="application.purposes_set",
        target=application,
        organisation=application.lead_organisation,
        data={
            "purposes": sorted(purposes),
            "changes": audit_changes(
                {"purposes": before},
                {"purposes": {p: (j or "").strip() for p, j in purposes.items()}},
            ),
        },
    )


@service_atomic
def contact_add(*, actor, application: Application, organisation: Organisation, **fields):
    _require_editor(actor, application)
    if organisation not in application.applicant_organisations:
        raise ValidationError({"organisation": _("Choose one of the applicant organisations.")})
    contact = ContactPerson(application=application, organisation=organisation, **fields)
    contact.full_clean()
    contact.save()
    audit_record(
        actor=actor,
        action="contact.added",
        target=application,
        organisation=application.lead_organisation,
        data={"contact_id": contact.pk},
    )
    return contact


@service_atomic
def contact_remove(*, actor, contact: ContactPerson) -> None:
    application = contact.application
    _require_editor(actor, application)
    audit_record(
        actor=actor,
        action="contact.removed",
        target=application,
        organisation=application.lead_organisation,
        data={"contact_id": contact.pk},
    )
    contact.delete()


def _resolve_provision(provision: Provision | None, citation_text: str):
    """The provision given, or the one a typed citation resolves to (else kept as typed)."""
    if provision is not None:
        return provision, "", None
    text = (citation_text or "").strip()
    if not text:
        raise ValidationError(
            {"provision": _("Choose the provision, or write the citation as you know it.")}
        )
    try:
        citation = parse_citation(text)
    except CitationError:
        return None, text, None
    return citation.provision, "", citation.subsection


def _refuse_duplicate(application, provision_id, subsection, exclude=None) -> None:
    """One request per provision (and subsection) in an application."""
    others = application.exemption_requests.filter(provision_id=provision_id, subsection=subsection)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise ValidationError(
            {"provision": _("The application already asks for an exemption from this provision.")}
        )


@service_atomic
def exemption_request_create(
    *,
    actor,
    application: Application,
    provision: Provision | None = None,
    citation_text: str = "",
    **fields,
) -> ExemptionRequest:
    """Add a request; a citation the register cannot resolve is kept for an officer."""
    _require_editor(actor, application)
    unknown = set(fields) - EXEMPTION_FIELDS
    if unknown:
        raise TypeError(f"Unknown exemption fields: {sorted(unknown)}")
    provision, citation_text, subsection = _resolve_provision(provision, citation_text)
    if subsection and not fields.get("subsection"):
        fields["subsection"] = subsection
    if provision is not None:
        _refuse_duplicate(application, provision.pk, fields.get("subsection"))
    order = application.exemption_requests.count() + 1
    request = ExemptionRequest.objects.create(
        application=application,
        provision=provision,
        citation_text=citation_text,
        order=order,
        **fields,
    )
    audit_record(
        actor=actor,
        action="exemption_request.created",
        target=application,
        organisation=application.lead_organisation,
        data={"exemption_request": request.pk, "provision": request.provision_label},
    )
    _search_refresh(application)
    return request


@service_atomic
def exemption_request_update(
    *,
    actor,
    request: ExemptionRequest,
    provision: Provision | None = None,
    citation_text: str | None = None,
    **fields,
) -> ExemptionRequest:
    application = request.application
    _require_editor(actor, application)
    unknown = set(fields) - EXEMPTION_FIELDS
    if unknown:
        raise TypeError(f"Unknown exemption fields: {sorted(unknown)}")
    if provision is not None or citation_text:
        request.provision, request.citation_text, subsection = _resolve_provision(
            provision, citation_text or ""
        )
        if subsection and not fields.get("subsection"):
            fields["subsection"] = subsection
    if request.provision_id is not None:
        _refuse_duplicate(
            application,
            request.provision_id,
            fields.get("subsection", request.subsection),
            exclude=request,
        )
    before = {name: getattr(request, name) for name in fields}
    for name, value in fields.items():
        setattr(request, name, value)
    request.save()
    audit_record(
        actor=actor,
        action="exemption_request.updated",
        target=application,
        organisation=application.lead_organisation,
        data={
            "model": ExemptionRequest._meta.label_lower,
            "exemption_request": request.pk,
            "provision": request.provision_label,
            "fields": sorted(fields),
            "changes": audit_changes(before, fields),
        },
    )
    _search_refresh(application)
    return request


@service_atomic
def exemption_request_delete(*, actor, request: ExemptionRequest) -> None:
    application = request.application
    _require_editor(actor, application)
    audit_record(
        actor=actor,
        action="exemption_request.deleted",
        target=application,
        organisation=application.lead_organisation,
        data={"exemption_request": request.pk, "provision": request.provision_label},
    )
    request.delete()
    _search_refresh(application)


@service_atomic
def attachment_add(
    *,
    actor,
    application: Application,
    uploaded_file,
    kind: str,
    organisation: Organisation | None = None,
    description: str = "",
    screening_basis: str = "",
    answer: InformationRequest | None = None,
) -> Attachment:
    """Store a checked upload under a server-generated name."""
    _require_attacher(actor, application, answer)
    _check_attachment_kind(application, kind, organisation)
    try:
        checked = check_upload(uploaded_file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    attachment = Attachment(
        application=application,
        kind=kind,
        organisation=organisation,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        description=description,
        uploaded_by=actor,
        screening_basis=screening_basis,
        answer=answer,
    )
    _attachment_store(actor, attachment, uploaded_file)
    return attachment


def _require_attacher(actor, application: Application, answer: InformationRequest | None) -> None:
    """Files go into the draft (its editors) or into an open answer to an information
    request of this application (the lead applicant)."""
    if answer is None:
        _require_editor(actor, application)
    elif (
        not user_is_applicant_for(actor, application, lead_only=True)
        or answer.application_id != application.pk
        or answer.is_answered
    ):
        raise PermissionDenied(_("Only the lead applicant can attach files to an open answer."))


def _check_attachment_kind(application: Application, kind: str, organisation) -> None:
    """A known kind; a council decision names the applicant whose council made it."""
    if kind not in AttachmentKind.values:
        raise ValidationError({"kind": _("Choose what kind of document this is.")})
    if kind == AttachmentKind.COUNCIL_DECISION and (
        organisation is None or organisation not in application.applicant_organisations
    ):
        raise ValidationError(
            {"organisation": _("Say which applicant's council made the decision.")}
        )


def _attachment_store(actor, attachment: Attachment, uploaded_file) -> None:
    """Store the file, save the attachment and audit it; the stored file is deleted again
    if saving or auditing fails (``removed_on_error``)."""
    application = attachment.application
    with removed_on_error():
        try:
            store(attachment.file, attachment.original_name, uploaded_file)
        except DocumentNotStored as exc:
            raise ValidationError({"file": exc.messages}) from exc
        attachment.save()
        audit_record(
            actor=actor,
            action="attachment.added",
            target=application,
            organisation=application.lead_organisation,
            data={
                "attachment": attachment.pk,
                "kind": attachment.kind,
                "name": attachment.original_name,
                "sha256": attachment.sha256,
            },
        )


@service_atomic
def attachment_delete(*, actor, attachment: Attachment) -> None:
    application = attachment.application
    _require_editor(actor, application)
    audit_record(
        actor=actor,
        action="attachment.deleted",
        target=application,
        organisation=application.lead_organisation,
        data={
            "attachment": attachment.pk,
            "name": attachment.original_name,
            "sha256": attachment.sha256,
        },
    )
    transaction.on_commit(partial(attachment.file.storage.delete, attachment.file.name))
    attachment.delete()


_SUBMITTED = PreparedQuery(  # compiled once (casework.prepared)
    lambda pk: (
        Application.objects.select_for_update(of=("self",))
        .select_related("lead_organisation")
        .prefetch_related(  # what submission_problems and the search document read
            "co_applicants",
            Prefetch(
                "exemption_requests",
                queryset=ExemptionRequest.objects.select_related("provision__act"),
            ),
        )
        .filter(pk=pk)
        .order_by()
    )  # as get()
)


@service_atomic
def application_submit(*, actor, application: Application) -> Application:
    """Submit a draft; refused with every reason listed when it is not ready."""
    if not user_is_applicant_for(actor, application, lead_only=True):
        raise PermissionDenied(_("Only the lead applicant can submit the application."))
    application = _SUBMITTED.get(application.pk)
    if not can_proceed(application.submit):
        raise ConflictError(_("The application has already been submitted."))
    problems = submission_problems(application)
    if problems:
        raise ValidationError([ValidationError(p, code="not_ready") for p in problems])
    from_state = application.status
    application.submit(at=timezone.now())
    fields = ["submitted_at"]
    document = search_document(application)  # from what was read above, in the same UPDATE
    if document != application.search_document:
        application.search_document = document
        fields.append("search_document")
    _save_transition(application, fields)
    audit_record(
        actor=actor,
        action="application.submitted",
        target=application,
        organisation=application.lead_organisation,
        from_state=from_state,
        to_state=application.status,
    )
    hooks.run(hooks.on_submitted, application, actor)
    applicant_email_queue(application, "submitted")
    return application


@service_atomic
def application_withdraw(*, actor, application: Application, reason: str) -> Application:
    if not user_is_applicant_for(actor, application, lead_only=True):
        raise PermissionDenied(_("Only the lead applicant can withdraw the application."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the application is withdrawn.")})
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not can_proceed(application.withdraw):
        raise ConflictError(_("The application can no longer be withdrawn."))
    from_state = application.status
    application.withdraw(reason=reason.strip())
    _save_transition(application, ["withdrawn_reason"])
    application.exemption_requests.update(status="withdrawn")
    audit_record(
        actor=actor,
        action="application.withdrawn",
        target=application,
        organisation=application.lead_organisation,
        from_state=from_state,
        to_state=application.status,
        reason=reason.strip(),
    )
    hooks.run(hooks.on_withdrawn, application, actor)
    applicant_email_queue(application, "withdrawn")
    return application


@service_atomic
def application_request_information(
    *,
    actor,
    application: Application,
    message: str,
    due_date: datetime.date | None = None,
    language: str = "",
) -> InformationRequest:
    """A KDD case officer asks the applicant for more information (under review → awaiting)."""
    if not is_ministry_officer(actor):
        raise PermissionDenied(_("Only a case officer can ask for more information."))
    if not (message or "").strip():
        raise ValidationError({"message": _("Say what information is needed.")})
    if due_date is not None and due_date <= timezone.localdate():
        raise ValidationError({"due_date": _("The deadline must lie in the future.")})
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not can_proceed(application.request_information):
        raise ConflictError(_("The application is not under review."))
    due_date = due_date or timezone.localdate() + datetime.timedelta(days=DEFAULT_ANSWER_DAYS)
    from_state = application.status
    application.request_information()
    _save_transition(application, [])
    request = InformationRequest.objects.create(
        application=application, message=message.strip(), due_date=due_date, requested_by=actor
    )
    letter_entry(
        actor=actor,
        application=application,
        template="information_request",
        context={"request": request},
        title=journal_title(
            gettext_lazy("Request for more information – %(title)s"), title=application.title
        ),
        recipient=application.lead_organisation,
        language=language,
    )
    audit_record(
        actor=actor,
        action="application.information_requested",
        target=application,
        organisation=application.lead_organisation,
        from_state=from_state,
        to_state=application.status,
        reason=message.strip(),
        data={"due_date": due_date.isoformat(), "information_request": request.pk},
    )
    applicant_email_queue(application, "information_requested", information_request_id=request.pk)
    return request


@service_atomic
@removed_on_error()
def application_answer(
    *, actor, application: Application, text: str, files: Iterable = ()
) -> InformationRequest:
    """The applicant answers the open request for information (awaiting → under review)."""
    if not user_is_applicant_for(actor, application, lead_only=True):
        raise PermissionDenied(_("Only the lead applicant can answer."))
    if not (text or "").strip():
        raise ValidationError({"text": _("Write your answer.")})
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not can_proceed(application.answer_request):
        raise ConflictError(_("The ministry is not waiting for an answer."))
    request = application.information_requests.filter(answered_at__isnull=True).first()
    if request is None:
        raise ConflictError(_("The ministry is not waiting for an answer."))
    for uploaded in files:
        attachment_add(
            actor=actor,
            application=application,
            uploaded_file=uploaded,
            kind=AttachmentKind.ANSWER,
            answer=request,
        )
    from_state = application.status
    application.answer_request()
    _save_transition(application, [])
    request.answer_text = text.strip()
    request.answered_by = actor
    request.answered_at = timezone.now()
    request.save(update_fields=["answer_text", "answered_by", "answered_at"])
    journal_entry_create(
        actor=actor,
        case=application_case(application),
        entry_type=EntryType.INCOMING,
        title=journal_title(
            gettext_lazy("Answer to request for more information – %(title)s"),
            title=application.title,
        ),
        correspondent=application.lead_organisation,
        documents=[
            {"title": a.original_name, "source": a, "content_type": a.content_type}
            for a in request.attachments.all()
        ],
    )
    audit_record(
        actor=actor,
        action="application.answered",
        target=application,
        organisation=application.lead_organisation,
        from_state=from_state,
        to_state=application.status,
        data={"information_request": request.pk},
    )
    hooks.run(hooks.on_answered, application, actor)
    applicant_email_queue(application, "answered")
    return request


def _copy_exemption_requests(requests, *, to: Application, renumber: bool = False) -> None:
    """What the applicant wrote for each request, without its assessment or outcome;
    ``renumber``: ordered 0, 1, 2 ... as ``requests`` come instead of keeping each one's order."""
    for number, request in enumerate(requests):
        ExemptionRequest.objects.create(
            application=to,
            provision=request.provision,
            citation_text=request.citation_text,
            subsection=request.subsection,
            current_rule=request.current_rule,
            proposed_arrangement=request.proposed_arrangement,
            justification=request.justification,
            consequences=request.consequences,
            order=number if renumber else request.order,
        )


def _copy_purposes(source: Application, *, to: Application) -> None:
    """The purposes of ``source`` with their justifications (one query, one insert)."""
    ApplicationPurpose.objects.bulk_create(
        ApplicationPurpose(application=to, purpose=p.purpose, justification=p.justification)
        for p in source.purposes.all()
    )


@service_atomic
def application_copy(
    *,
    actor,
    source: Application,
    lead_organisation: Organisation,
    title: str | None = None,
    as_final: bool = False,
) -> Application:
    """A new draft with the exemption requests of ``source`` (own or decided public ones).

    ``as_final`` starts the final application that continues a preliminary application
    taken forward: same applicants, stage final, linked to the preliminary one.
    """
    may_copy = (
        source.status in DECIDED_STATUSES
        or applications_for_user(actor).filter(pk=source.pk).exists()
    )
    if not may_copy:
        raise PermissionDenied(_("You cannot copy this application."))
    extra = {}
    if as_final:
        if not user_is_applicant_for(actor, source, lead_only=True):
            raise PermissionDenied(_("Only the lead applicant can continue the application."))
        if not may_continue_as_final(source):
            raise ValidationError(
                _("A final application continuing this preliminary application already exists.")
            )
        extra = {"preliminary": source}
        lead_organisation = source.lead_organisation
    copy = application_create(
        actor=actor,
        lead_organisation=lead_organisation,
        title=title or source.title,
        stage=Stage.FINAL if as_final else source.stage,
        summary=source.summary,
        description=source.description,
        categories=list(source.categories),
        **extra,
    )
    if as_final:
        copy.co_applicants.set(source.co_applicants.all())
        _copy_purposes(source, to=copy)
    requests = source.exemption_requests.all()
    if as_final:  # only what was taken forward
        requests = requests.exclude(outcome=Outcome.REFUSED)
    _copy_exemption_requests(requests, to=copy)
    audit_record(
        actor=actor,
        action="application.copied",
        target=copy,
        organisation=lead_organisation,
        data={"source": source.reference, "as_final": as_final},
    )
    return copy


@service_atomic
def call_create(
    *,
    actor,
    title: str,
    description: str,
    opens_on: datetime.date,
    closes_on: datetime.date,
    stage: str,
    owner: Organisation,
) -> Call:
    """Publish a call for applications (KDD case officers and administrators)."""
    if not (
        user_has_role(actor, Role.CASE_OFFICER, organisation=owner)
        or user_has_role(actor, Role.ADMINISTRATOR, organisation=owner)
    ):
        raise PermissionDenied(_("Only the ministry's case officers can publish a call."))
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("The closing date must be after the opening date.")})
    call = Call.objects.create(
        title=title,
        description=description,
        opens_on=opens_on,
        closes_on=closes_on,
        stage=stage,
        owner=owner,
    )
    audit_record(actor=actor, action="call.created", target=call, organisation=owner)
    return call
