"""The ministry's case handling: registration through consultation to a four-eyes decision.

The viewflow process (workflows/) decides *when* each step happens and who must do it; these
services do the steps: they check the actor's role, move the application's legal status
(django-fsm-2 is its only writer), journal every letter and write the audit trail, all in one
transaction, and send email after commit.
"""

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from casework import prepared
from casework.background import enqueue
from casework.choices import EntryType, OrganisationKind, Role, ScreeningBasis
from casework.models import CaseFile, Organisation
from casework.selectors import user_has_role
from casework.services import (
    audit_record,
    casefile_close,
    casefile_open,
    journal_entry_create,
    journal_numbers_reserved,
)
from casework.storage import removed_on_error
from casework.transactions import held, hold, service_atomic
from legal.models import Provision
from legal.selectors import limits_for_provision
from trials.choices import (
    ApplicationStatus,
    Assessment,
    ConsultationStatus,
    ExemptionStatus,
    Outcome,
    Position,
    ProposalStatus,
    Stage,
)
from trials.exceptions import ConflictError
from trials.journal import application_case, journal_title, letter_entry, letter_language
from trials.letters import context_refs
from trials.models import (
    Application,
    Consultation,
    ConsultationAnswer,
    DecisionProposal,
    ExemptionRequest,
    InterimReply,
    Trial,
)
from trials.rules import MAX_PERIOD_MONTHS
from trials.selectors import DECIDING_MINISTRY, exemption_requests_read, is_ministry_officer
from trials.services.applications import _save_transition, applicant_email_queue
from trials.services.search import search_document_refresh
from trials.uploads import check_upload

DEFAULT_CONSULTATION_DAYS = 21


def deciding_ministry() -> Organisation:
    return Organisation.objects.active().get(
        kind=OrganisationKind.DEPARTEMENT, code=DECIDING_MINISTRY
    )


def _require_role(actor, role: Role, message: str, organisation: Organisation | None = None):
    if not user_has_role(actor, role, organisation=organisation):
        raise PermissionDenied(message)


def _require_officer(actor) -> None:
    if not is_ministry_officer(actor):
        raise PermissionDenied(_("Only a case officer at the ministry can do this."))


def _lock(application: Application) -> Application:
    return _lock_pk(application.pk)


def _lock_pk(pk) -> Application:
    """The application locked for this transaction: the one the caller's unit of work holds
    (``workflows.case.services`` locks it with the case process), or read under a lock."""
    held_application = held((Application, pk))
    if held_application is not None:
        return held_application
    return Application.objects.select_related("lead_organisation").select_for_update().get(pk=pk)


def _move(
    application: Application,
    method,
    *,
    actor,
    action: str,
    fields=(),
    reason="",
    unless=None,
    **kw,
):
    """Fire one transition, save it (409 on a concurrent change) and audit it. ``unless``: an
    expression (an ``Exists``) that, true, refuses the move (409), checked by the UPDATE."""
    if not can_proceed(method):
        raise ConflictError(
            _("The application is %(status)s; this step is not possible now.")
            % {"status": application.get_status_display().lower()}
        )
    from_state = application.status
    method(**kw)
    _save_transition(application, list(fields), from_state=from_state, unless=unless)
    audit_record(
        actor=actor,
        action=action,
        target=application,
        organisation=application.lead_organisation,
        from_state=from_state,
        to_state=application.status,
        reason=reason,
    )


def _case(application: Application) -> CaseFile:
    return application_case(application)


def _email(application: Application, template: str, **extra) -> None:
    applicant_email_queue(application, template, **extra)


@service_atomic
def application_register(*, actor, application: Application, language: str = "") -> CaseFile:
    """Open the case file, journal the application (I) and send a receipt (U)."""
    _require_officer(actor)
    application = _lock(application)
    _move(
        application,
        application.register,
        actor=actor,
        action="application.registered",
        fields=["registered_at"],
        at=timezone.now(),
    )
    case = casefile_open(
        actor=actor,
        subject=application,
        organisation=application.lead_organisation,
        title=journal_title(
            gettext_lazy("Application for a trial under forsøksloven – %(title)s"),
            title=application.title,
        ),
    )
    _registration_journal(actor, application, case, language)
    _email(application, "registered", case_number=case.number)
    return case


def _registration_journal(actor, application: Application, case: CaseFile, language: str) -> None:
    """Journal the application (I) with its attachments, screened (offentleglova § 13) if
    any of them is not public, and the receipt (U) in ``language``, under two numbers."""
    lead = application.lead_organisation
    attachments = list(application.attachments.all())
    documents = [{"title": application.title, "source": application, "is_main": True}]
    documents += [
        {"title": a.original_name, "source": a, "content_type": a.content_type}
        for a in attachments
        if a.answer_id is None
    ]
    language = letter_language(lead, language)  # refused before any number is taken
    with journal_numbers_reserved(2):  # the application (I) and the receipt (U)
        journal_entry_create(
            actor=actor,
            case=case,
            entry_type=EntryType.INCOMING,
            title=journal_title(
                gettext_lazy("Application for a trial – %(title)s"), title=application.title
            ),
            correspondent=lead,
            document_date=timezone.localdate(application.submitted_at),
            documents=documents,
            screening_basis=(
                ScreeningBasis.NONE
                if all(a.is_public for a in attachments)
                else ScreeningBasis.OFFL_13
            ),
        )
        letter_entry(
            actor=actor,
            application=application,
            template="receipt",
            context={"case": case},
            title=journal_title(
                gettext_lazy("Receipt for application – %(title)s"), title=application.title
            ),
            recipient=lead,
            language=language,
            case=case,
        )


@service_atomic
def application_accept_as_complete(*, actor, application: Application) -> Application:
    _require_officer(actor)
    application = _lock(application)
    _move(
        application,
        application.accept_as_complete,
        actor=actor,
        action="application.complete",
    )
    return application


@service_atomic
def information_request_extend(*, actor, application: Application, due_date: datetime.date):
    _require_officer(actor)
    if due_date <= timezone.localdate():
        raise ValidationError({"due_date": _("The new deadline must lie in the future.")})
    request = application.information_requests.filter(answered_at__isnull=True).first()
    if request is None:
        raise ConflictError(_("The ministry is not waiting for an answer."))
    old = request.due_date
    request.due_date = due_date
    request.save(update_fields=["due_date"])
    audit_record(
        actor=actor,
        action="information_request.extended",
        target=application,
        organisation=application.lead_organisation,
        data={"from": old.isoformat(), "to": due_date.isoformat()},
    )
    _email(application, "information_requested")
    return request


@service_atomic
def application_continue_without_answer(*, actor, application: Application, reason: str = ""):
    """The deadline passed without an answer; the officer goes on with what the case holds."""
    _require_officer(actor)
    application = _lock(application)
    _move(
        application,
        application.continue_without_answer,
        actor=actor,
        action="application.continued_without_answer",
        reason=reason,
    )
    return application


@service_atomic
def application_close_without_answer(
    *, actor, application: Application, reason: str, language: str = ""
):
    """The applicant did not answer in time and the officer closes the case."""
    _require_officer(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the case is closed.")})
    application = _lock(application)
    _move(
        application,
        application.close_without_answer,
        actor=actor,
        action="application.closed_without_answer",
        fields=["decided_at", "decision_summary"],
        reason=reason,
        at=timezone.now(),
        summary=reason.strip(),
    )
    application.exemption_requests.update(
        status=ExemptionStatus.REFUSED, outcome=Outcome.REFUSED, outcome_reasons=reason.strip()
    )
    case = _case(application)
    _decision_letter(actor=actor, application=application, case=case, language=language)
    casefile_close(actor=actor, case=case)
    return application


def assessment_suggestion(exemption: ExemptionRequest) -> str:
    """What the law register suggests: § 4 limits → outside, sector trial act → sector."""
    provision = exemption.provision
    if provision is None:
        return ""
    if limits_for_provision(provision):
        return Assessment.OUTSIDE_LIMITS
    if provision.act.has_sector_trial_provision:
        return Assessment.SECTOR_PROVISION
    return Assessment.WITHIN_SCOPE


@service_atomic
def exemption_assess(
    *,
    actor,
    exemption: ExemptionRequest,
    assessment: str,
    note: str = "",
    provision: Provision | None = None,
) -> ExemptionRequest:
    """Record the legal assessment of one request; an unresolved citation is resolved here."""
    _require_officer(actor)
    application = _assessable(exemption.application_id)
    _assessment_set(actor, exemption, assessment, note, provision)
    exemption.save()
    if provision is not None:  # the document names the provision now resolved
        search_document_refresh(application)
    _assessment_audit(actor, application, exemption)
    return exemption


ASSESSMENT_FIELDS = ["provision", "assessment", "assessment_note", "assessed_by", "assessed_at"]


@service_atomic
def exemptions_assess(
    *, actor, application: Application, assessments: list[tuple[ExemptionRequest, dict]]
) -> list[ExemptionRequest]:
    """``exemption_assess`` for several requests of one application (the assessment step):
    every one is checked first, the refusals together keyed ``<field>_<exemption id>``;
    then all are saved in one UPDATE and each is audited as one at a time would be.
    ``assessments``: (request, {"assessment", "note", "provision"}) pairs."""
    _require_officer(actor)
    application = _assessable(application.pk)
    errors = {}
    for exemption, spec in assessments:
        try:
            _assessment_set(
                actor,
                exemption,
                spec.get("assessment", ""),
                spec.get("note", ""),
                spec.get("provision"),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"{field}_{exemption.pk}"] = messages
    if errors:
        raise ValidationError(errors)
    assessed = [exemption for exemption, _spec in assessments]
    prepared.bulk_update(ExemptionRequest, assessed, [*ASSESSMENT_FIELDS, "status"])
    if any(spec.get("provision") is not None for _exemption, spec in assessments):
        search_document_refresh(application)  # the document names the provisions resolved
    for exemption in assessed:
        _assessment_audit(actor, application, exemption)
    return assessed


def _assessable(application_id: int) -> Application:
    """The application whose requests are assessed (held by the step), under review."""
    application = held((Application, application_id)) or (
        Application.objects.select_related("lead_organisation").get(pk=application_id)
    )
    if application.status != ApplicationStatus.UNDER_REVIEW:
        raise ConflictError(_("Exemptions are assessed while the application is under review."))
    return application


def _assessment_set(actor, exemption, assessment, note, provision) -> None:
    """Check one assessment and set it on ``exemption`` (not saved)."""
    if assessment not in Assessment.values:
        raise ValidationError({"assessment": _("Choose an assessment.")})
    if provision is not None:
        exemption.provision = provision
    if exemption.provision_id is None:
        raise ValidationError(
            {
                "provision": _("Resolve “%(text)s” to a provision in the register first.")
                % {"text": exemption.citation_text}
            }
        )
    if assessment != Assessment.WITHIN_SCOPE and not (note or "").strip():
        raise ValidationError({"note": _("Explain the assessment.")})
    exemption.assessment = assessment
    exemption.assessment_note = (note or "").strip()
    exemption.assessed_by = actor
    exemption.assessed_at = timezone.now()
    exemption.status = ExemptionStatus.ASSESSED


def _assessment_audit(actor, application, exemption) -> None:
    audit_record(
        actor=actor,
        action="exemption.assessed",
        target=application,
        organisation=application.lead_organisation,
        from_state=ExemptionStatus.REQUESTED,
        to_state=ExemptionStatus.ASSESSED,
        reason=exemption.assessment_note,
        data={"exemption": exemption.pk, "assessment": exemption.assessment},
    )


def consultations_needed(application: Application) -> dict[Organisation, list[ExemptionRequest]]:
    """Line ministries owning an act with an in-scope exemption (not the deciding ministry)."""
    by_ministry: dict[Organisation, list[ExemptionRequest]] = defaultdict(list)
    exemptions = held(("exemptions", application.pk))  # the assessment step's, just saved
    if exemptions is not None:
        exemptions = [e for e in exemptions if e.assessment == Assessment.WITHIN_SCOPE]
    else:
        exemptions = application.exemption_requests.filter(
            assessment=Assessment.WITHIN_SCOPE
        ).select_related("provision__act__ministry")
    for exemption in exemptions:
        ministry = exemption.provision.act.ministry
        if ministry.code != DECIDING_MINISTRY:
            by_ministry[ministry].append(exemption)
    return dict(sorted(by_ministry.items(), key=lambda item: item[0].name))


def assessment_complete(application: Application) -> bool:
    counts = application.exemption_requests.order_by().aggregate(
        requests=Count("pk"),
        open=Count(
            "pk", filter=~Q(status__in=[ExemptionStatus.ASSESSED, ExemptionStatus.WITHDRAWN])
        ),
    )
    return counts["requests"] > 0 and counts["open"] == 0


@service_atomic
def consultations_start(
    *,
    actor,
    application: Application,
    due_date: datetime.date | None = None,
    message: str = "",
    language: str = "",
) -> list[Consultation]:
    """Send one consultation letter to each line ministry concerned (may be none)."""
    _require_officer(actor)
    application = _lock(application)
    if not held(("assessment_complete", application.pk)) and not assessment_complete(application):
        raise ValidationError(_("Assess every exemption before the consultation."))
    needed = consultations_needed(application)
    if not needed:
        hold(("consultations_sent", application.pk), [])
        return []
    due_date = due_date or timezone.localdate() + datetime.timedelta(days=DEFAULT_CONSULTATION_DAYS)
    _move(
        application,
        application.start_consultation,
        actor=actor,
        action="application.consultation_started",
    )
    case = _case(application)
    consultations = _consultations_write(actor, application, needed, due_date, message)
    languages = {m: letter_language(m, language) for m in needed}  # refused before numbering
    with journal_numbers_reserved(len(consultations)):
        for consultation, (ministry, exemptions) in zip(consultations, needed.items(), strict=True):
            consultation.letter = _consultation_letter(
                actor, application, case, consultation, ministry, exemptions, languages[ministry]
            )
            audit_record(
                actor=actor,
                action="consultation.sent",
                target=application,
                organisation=ministry,
                data={"consultation": consultation.pk, "due_date": due_date.isoformat()},
            )
    prepared.bulk_update(Consultation, consultations, ["letter"])
    hold(("consultations_sent", application.pk), consultations)  # workflows.case.flows
    return consultations


def _consultations_write(actor, application, needed: dict, due_date, message) -> list:
    """One consultation per ministry ``needed``, with the exemptions it is consulted on."""
    consultations = prepared.bulk_create(
        Consultation,
        [
            Consultation(
                application=application,
                ministry=ministry,
                due_date=due_date,
                sent_by=actor,
                message=message,
            )
            for ministry in needed
        ],
    )
    through = Consultation.exemptions.through
    prepared.bulk_create(  # new consultations: nothing to remove
        through,
        [
            through(consultation=consultation, exemptionrequest=exemption)
            for consultation, exemptions in zip(consultations, needed.values(), strict=True)
            for exemption in exemptions
        ],
    )
    return consultations


def _consultation_letter(actor, application, case, consultation, ministry, exemptions, language):
    return letter_entry(
        actor=actor,
        application=application,
        template="consultation",
        context={"consultation": consultation, "exemptions": exemptions},
        title=journal_title(
            gettext_lazy("Consultation on application for a trial – %(title)s"),
            title=application.title,
        ),
        recipient=ministry,
        language=language,
        case=case,
    )


def _lock_consultation(consultation: Consultation) -> Consultation:
    """The consultation locked, with its application (the caller's unit of work may hold
    both locked already)."""
    held_consultation = held((Consultation, consultation.pk))
    if held_consultation is not None:
        return held_consultation
    return (
        Consultation.objects.select_for_update()
        .select_related("application__lead_organisation", "ministry")
        .get(pk=consultation.pk)
    )


def _check_positions(positions: dict[int, tuple[str, str]], exemption_ids: set[int]) -> None:
    """One position per exemption in the consultation; reasons where it opposes or sets
    conditions."""
    errors = {}
    for exemption_id in exemption_ids:
        position, text = positions.get(exemption_id, ("", ""))
        if position not in Position.values:
            errors[f"position_{exemption_id}"] = _("Choose a position.")
        elif (
            position in (Position.OPPOSES, Position.SUPPORTS_WITH_CONDITIONS)
            and not (text or "").strip()
        ):
            errors[f"statement_{exemption_id}"] = _("Give the reasons or conditions.")
    if set(positions) - exemption_ids:
        errors["positions"] = _("Answer only the exemptions in the consultation.")
    if errors:
        raise ValidationError(errors)


def _journal_consultation_answer(actor, consultation: Consultation, attachment, answers):
    """The ministry's answer as an incoming journal entry, with its letter when attached;
    without one, the answer as a letter from the ministry (PDF/A, rendered by a task queued
    in this transaction), so that the entry always holds what the ministry said."""
    documents = []
    if attachment is None:
        documents.append(
            {
                "title": gettext("Consultation answer"),
                "content_type": "application/pdf",
                "is_main": True,
            }
        )
    else:
        checked = check_upload(attachment)
        documents.append(
            {
                "title": checked.original_name,
                "file": attachment,
                "filename": checked.original_name,
                "content_type": checked.content_type,
            }
        )
    application = consultation.application
    entry = journal_entry_create(
        actor=actor,
        case=_case(application),
        entry_type=EntryType.INCOMING,
        title=journal_title(
            gettext_lazy("Consultation answer from %(ministry)s – %(title)s"),
            ministry=consultation.ministry.name,
            title=application.title,
        ),
        correspondent=consultation.ministry,
        documents=documents,
        # the positions are public only after the decision (DESIGN § 4)
        access_postponed=True,
    )
    if attachment is None:
        from trials.tasks import letter_render  # the task module imports the services

        refs = context_refs(
            {
                "application": application,
                "consultation": consultation,
                "answers": list(answers),
                "answered_by": actor.get_full_name() or actor.get_username(),
                "today": timezone.localdate(),
            }
        )
        enqueue(
            letter_render,
            entry.created_documents[0].pk,
            "consultation_answer",
            refs,
            consultation.ministry.letter_language or "nb",
        )
    return entry


@service_atomic
@removed_on_error()
def consultation_answer(
    *,
    actor,
    consultation: Consultation,
    positions: dict[int, tuple[str, str]],
    statement: str = "",
    attachment=None,
) -> Consultation:
    """A consultee of the consulted ministry answers per exemption."""
    _require_role(
        actor,
        Role.CONSULTEE,
        _("Only staff of the consulted ministry can answer."),
        organisation=consultation.ministry,
    )
    consultation = _lock_consultation(consultation)
    if consultation.status != ConsultationStatus.OPEN:
        raise ConflictError(_("The consultation has already been answered or closed."))
    exemption_ids = {exemption.pk for exemption in consultation.exemptions.all()}
    _check_positions(positions, exemption_ids)
    answers = prepared.bulk_create(
        ConsultationAnswer,
        [
            ConsultationAnswer(
                consultation=consultation,
                exemption_id=exemption_id,
                position=positions[exemption_id][0],
                statement=(positions[exemption_id][1] or "").strip(),
            )
            for exemption_id in sorted(exemption_ids)
        ],
    )
    consultation.statement = (statement or "").strip()
    consultation.answer_entry = _journal_consultation_answer(
        actor, consultation, attachment, answers
    )
    consultation.status = ConsultationStatus.ANSWERED
    consultation.answered_by = actor
    consultation.answered_at = timezone.now()
    consultation.save()
    audit_record(
        actor=actor,
        action="consultation.answered",
        target=consultation.application,
        organisation=consultation.ministry,
        from_state=ConsultationStatus.OPEN,
        to_state=ConsultationStatus.ANSWERED,
        data={"consultation": consultation.pk},
    )
    return consultation


@service_atomic
def consultation_extend(*, actor, consultation: Consultation, due_date: datetime.date):
    _require_officer(actor)
    consultation = _lock_consultation(consultation)
    if consultation.status != ConsultationStatus.OPEN:
        raise ConflictError(_("The consultation has already been answered or closed."))
    if due_date <= timezone.localdate():
        raise ValidationError({"due_date": _("The new deadline must lie in the future.")})
    old = consultation.due_date
    consultation.due_date = due_date
    consultation.save(update_fields=["due_date"])
    audit_record(
        actor=actor,
        action="consultation.extended",
        target=consultation.application,
        organisation=consultation.ministry,
        data={"consultation": consultation.pk, "from": old.isoformat(), "to": due_date.isoformat()},
    )
    return consultation


@service_atomic
def consultation_close(*, actor, consultation: Consultation, reason: str) -> Consultation:
    """Close a consultation the ministry did not answer in time."""
    _require_officer(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the consultation is closed.")})
    consultation = _lock_consultation(consultation)
    if consultation.status != ConsultationStatus.OPEN:
        raise ConflictError(_("The consultation has already been answered or closed."))
    consultation.status = ConsultationStatus.CLOSED
    consultation.closed_reason = reason.strip()
    consultation.save(update_fields=["status", "closed_reason"])
    audit_record(
        actor=actor,
        action="consultation.closed",
        target=consultation.application,
        organisation=consultation.ministry,
        from_state=ConsultationStatus.OPEN,
        to_state=ConsultationStatus.CLOSED,
        reason=reason.strip(),
        data={"consultation": consultation.pk},
    )
    return consultation


@service_atomic
def consultations_finish(*, actor, application: Application) -> Application:
    """All consultations answered or closed: back to review for the proposal (that none is
    open is a condition of the UPDATE that moves it, not read before)."""
    application = _lock(application)
    still_open = application.consultations.filter(status=ConsultationStatus.OPEN)
    try:
        _move(
            application,
            application.end_consultation,
            actor=actor,
            action="application.consultation_finished",
            unless=Exists(still_open),
        )
    except ConflictError:
        if still_open.exists():
            raise ConflictError(_("Some consultations are still open.")) from None
        raise
    return application


@service_atomic
def decision_propose(
    *,
    actor,
    application: Application,
    outcomes: dict[int, dict],
    summary: str,
    language: str = "",
) -> DecisionProposal:
    """Propose an outcome per exemption with reasons, and an overall summary; ``language`` is
    the written form of the decision letter for a neutral applicant (``letter_language``)."""
    _require_officer(actor)
    application = _lock(application)
    exemptions = {
        e.pk: e
        for e in exemption_requests_read(application)
        if e.status != ExemptionStatus.WITHDRAWN
    }
    errors = {}
    if not (summary or "").strip():
        errors["summary"] = _("Summarise the decision and its reasons.")
    clean, outcome_errors = _outcomes_checked(exemptions, outcomes)
    errors.update(outcome_errors)
    try:
        language = letter_language(application.lead_organisation, language)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _move(
        application,
        application.propose_decision,
        actor=actor,
        action="application.decision_proposed",
    )
    proposal = DecisionProposal.objects.create(
        application=application,
        summary=summary.strip(),
        outcomes=clean,
        proposed_by=actor,
        letter_language=language,
    )
    return proposal


def _outcomes_checked(
    exemptions: dict[int, ExemptionRequest], outcomes: dict[int, dict]
) -> tuple[dict[str, dict], dict[str, str]]:
    """The proposed outcome of each exemption, cleaned (keyed by the exemption's id as a
    string), and every problem with them by field: a refusal or conditions need reasons,
    conditions must be stated, and an exemption assessed as outside the limits of
    forsøksloven § 4 can only be refused."""
    clean, errors = {}, {}
    for exemption_id, exemption in exemptions.items():
        spec = outcomes.get(exemption_id) or {}
        outcome = spec.get("outcome", "")
        reasons = (spec.get("reasons") or "").strip()
        conditions = (spec.get("conditions") or "").strip()
        if outcome not in Outcome.values:
            errors[f"outcome_{exemption_id}"] = _("Choose an outcome for %(provision)s.") % {
                "provision": exemption.provision_label
            }
            continue
        if outcome in (Outcome.REFUSED, Outcome.GRANTED_WITH_CONDITIONS) and not reasons:
            errors[f"reasons_{exemption_id}"] = _("Give the reasons for %(provision)s.") % {
                "provision": exemption.provision_label
            }
        if outcome == Outcome.GRANTED_WITH_CONDITIONS and not conditions:
            errors[f"conditions_{exemption_id}"] = _("State the conditions for %(provision)s.") % {
                "provision": exemption.provision_label
            }
        if outcome != Outcome.REFUSED and exemption.assessment == Assessment.OUTSIDE_LIMITS:
            errors[f"outcome_{exemption_id}"] = _(
                "%(provision)s was assessed as outside the limits of forsøksloven § 4 and "
                "cannot be granted."
            ) % {"provision": exemption.provision_label}
        clean[str(exemption_id)] = {
            "outcome": outcome,
            "reasons": reasons,
            "conditions": conditions,
        }
    return clean, errors


def _lock_proposal(proposal: DecisionProposal) -> DecisionProposal:
    """The proposal locked (the caller's unit of work may hold it locked already)."""
    held_proposal = held((DecisionProposal, proposal.pk))
    if held_proposal is not None:
        return held_proposal
    return DecisionProposal.objects.select_for_update().get(pk=proposal.pk)


def _check_reviewer(actor, proposal: DecisionProposal) -> None:
    if not is_ministry_officer(actor, Role.APPROVER):
        raise PermissionDenied(_("Only a leader with the approver role can do this."))
    if proposal.proposed_by_id == actor.pk:
        raise PermissionDenied(_("You cannot approve your own proposal (four-eyes principle)."))
    if proposal.status != ProposalStatus.PENDING:
        raise ConflictError(_("The proposal has already been approved or returned."))


@service_atomic
def proposal_return(*, actor, proposal: DecisionProposal, comment: str) -> DecisionProposal:
    proposal = _lock_proposal(proposal)
    _check_reviewer(actor, proposal)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what should be changed.")})
    application = _lock_pk(proposal.application_id)
    _move(
        application,
        application.return_proposal,
        actor=actor,
        action="application.proposal_returned",
        reason=comment.strip(),
    )
    proposal.status = ProposalStatus.RETURNED
    proposal.reviewed_by = actor
    proposal.reviewed_at = timezone.now()
    proposal.review_comment = comment.strip()
    proposal.save()
    return proposal


@service_atomic
def proposal_approve(*, actor, proposal: DecisionProposal, comment: str = "") -> Application:
    """Approve the proposal: the decision is made, the letter sent, a trial created."""
    proposal = _lock_proposal(proposal)
    _check_reviewer(actor, proposal)
    application = _lock_pk(proposal.application_id)
    now = timezone.now()
    granted = []
    exemptions = exemption_requests_read(application)
    decided = [e for e in exemptions if e.status != ExemptionStatus.WITHDRAWN]
    for exemption in decided:
        spec = proposal.outcomes[str(exemption.pk)]
        exemption.outcome = spec["outcome"]
        exemption.outcome_reasons = spec["reasons"]
        exemption.conditions = spec["conditions"]
        exemption.status = {
            Outcome.GRANTED: ExemptionStatus.GRANTED,
            Outcome.GRANTED_WITH_CONDITIONS: ExemptionStatus.GRANTED_WITH_CONDITIONS,
            Outcome.REFUSED: ExemptionStatus.REFUSED,
        }[Outcome(spec["outcome"])]
        if exemption.outcome != Outcome.REFUSED:
            granted.append(exemption)
    prepared.bulk_update(
        ExemptionRequest, decided, ["outcome", "outcome_reasons", "conditions", "status"]
    )
    method = application.approve if granted else application.reject
    _move(
        application,
        method,
        actor=actor,
        action="application.approved" if granted else "application.rejected",
        fields=["decided_at", "decision_summary"],
        reason=comment,
        at=now,
        summary=proposal.summary,
    )
    proposal.status = ProposalStatus.APPROVED
    proposal.reviewed_by = actor
    proposal.reviewed_at = now
    proposal.review_comment = (comment or "").strip()
    proposal.save()
    trial = None
    if granted and application.stage == Stage.FINAL:
        trial = trial_create(actor=actor, application=application, exemptions=granted)
    case = _case(application)
    _decision_letter(
        actor=actor,
        application=application,
        case=case,
        language=proposal.letter_language,
        proposal=proposal,
        exemptions=exemptions,
        trial=trial,
    )
    casefile_close(actor=actor, case=case)
    return application


def decision_letter_context(
    application: Application, case, proposal=None, actor=None, *, exemptions=None, trial=None
) -> dict:
    """What the decision letter says, for the journal's PDF and the page alike: the officer
    who proposed and the approver who approved it sign it; the consulted ministries get a
    copy. ``exemptions`` (all of the application's, with provision and act) and ``trial``
    when the caller has them (a caller that passes the exemptions passes the trial it
    created, or None for none)."""
    if exemptions is None:
        exemptions = exemption_requests_read(application)
        trial = getattr(application, "trial", None)
    ministries = {
        c.ministry_id: c.ministry for c in application.consultations.select_related("ministry")
    }
    return {
        "exemptions": exemptions,
        "trial": trial,
        "case": case,
        "officer": proposal.proposed_by if proposal is not None else actor,
        "approver": proposal.reviewed_by if proposal is not None else None,
        "copies": sorted(ministries.values(), key=lambda m: m.name),
    }


def _decision_letter(
    *,
    actor,
    application: Application,
    case: CaseFile,
    language: str,
    proposal=None,
    exemptions=None,
    trial=None,
):
    entry = letter_entry(
        actor=actor,
        application=application,
        template="decision",
        context=decision_letter_context(
            application, case, proposal, actor, exemptions=exemptions, trial=trial
        ),
        title=journal_title(
            gettext_lazy("Decision on application for a trial – %(title)s"), title=application.title
        ),
        recipient=application.lead_organisation,
        language=language,
        case=case,
    )
    _email(application, "decided", journal_entry_id=entry.pk)
    return entry


def trial_create(*, actor, application: Application, exemptions: list[ExemptionRequest]) -> Trial:
    """The approved trial: granted exemptions and the period asked for (at most
    ``MAX_PERIOD_MONTHS``)."""
    starts_on = application.requested_start or timezone.localdate()
    months = application.period_months or MAX_PERIOD_MONTHS
    year, month = divmod(starts_on.month - 1 + months, 12)
    ends_on = starts_on.replace(year=starts_on.year + year, month=month + 1, day=1)
    trial = Trial.objects.create(application=application, starts_on=starts_on, ends_on=ends_on)
    trial.exemptions.set(exemptions)
    audit_record(
        actor=actor,
        action="trial.created",
        target=trial,
        organisation=application.lead_organisation,
        data={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )
    return trial


@service_atomic
def interim_reply_send(
    *,
    actor,
    application: Application,
    reason: str,
    expected_decision: datetime.date,
    language: str = "",
) -> InterimReply:
    """Foreløpig svar (forvaltningsloven § 11 a): why it takes time, when to expect it."""
    _require_officer(actor)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = _("Say why the case takes time.")
    if expected_decision <= timezone.localdate():
        errors["expected_decision"] = _("The expected date must lie in the future.")
    if errors:
        raise ValidationError(errors)
    application = _lock(application)
    if application.status in (
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    ):
        raise ConflictError(_("The case has already been decided."))
    entry = letter_entry(
        actor=actor,
        application=application,
        template="interim_reply",
        context={"reason": reason.strip(), "expected_decision": expected_decision},
        title=journal_title(
            gettext_lazy("Preliminary answer – %(title)s"), title=application.title
        ),
        recipient=application.lead_organisation,
        language=language,
    )
    reply = InterimReply.objects.create(
        application=application,
        reason=reason.strip(),
        expected_decision=expected_decision,
        sent_by=actor,
        entry=entry,
    )
    audit_record(
        actor=actor,
        action="application.interim_reply_sent",
        target=application,
        organisation=application.lead_organisation,
        reason=reason.strip(),
        data={"expected_decision": expected_decision.isoformat()},
    )
    _email(application, "interim_reply", interim_reply_id=reply.pk)
    return reply
