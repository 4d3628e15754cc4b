"""An application for extension of a trial, handled as a case with an application's steps.

The case process (``workflows.case``, with ``CaseProcess.extension`` set) runs the same nodes
as for an application; these are the writes of its steps: registration (the incoming journal
entry), the assessment of the terms (``trials.rules.extension_problems``), the consultation of
the line ministries owning the acts of the trial's granted exemptions, the proposal, and the
approval by another person (four eyes) that decides it through the one function that moves
the end date (``trials.services.trials._decide``). Each step is audited on the trial.
"""

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.choices import EntryType
from casework.services import audit_record, journal_entry_create
from casework.transactions import service_atomic
from trials import hooks
from trials.choices import ExtensionStatus, ProposalStatus
from trials.exceptions import ConflictError
from trials.journal import application_case, journal_title, letter_entry
from trials.models import Consultation, DecisionProposal, Extension, Trial
from trials.services.casehandling import (
    DECIDING_MINISTRY,
    DEFAULT_CONSULTATION_DAYS,
    _check_reviewer,
)
from trials.services.trials import (
    _decide,
    _extension_terms,
    _lock,
    _new_extension,
    _require_officer,
    _required,
)


def _open(extension: Extension) -> tuple[Trial, Extension]:
    """The trial and the extension, both locked; 409 once the extension is decided."""
    trial = _lock(extension.trial)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionStatus.REQUESTED:
        raise ConflictError(_("The application for extension has already been decided."))
    return trial, extension


# The case's steps as the audit trail names them (from, to): the extension's own status stays
# "requested" until the approval decides it.
STEPS = {
    "trial.extension_initiated": ("", "assessed"),
    "trial.extension_registered": ("requested", "registered"),
    "trial.extension_assessed": ("registered", "assessed"),
    "trial.extension_proposed": ("assessed", "proposed"),
    "trial.extension_proposal_returned": ("proposed", "assessed"),
}


def _audit(actor, trial: Trial, extension: Extension, action: str, reason: str = "", **data):
    from_state, to_state = STEPS[action]
    audit_record(
        actor=actor,
        action=action,
        target=trial,
        organisation=trial.application.lead_organisation,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data={"extension": extension.pk, **data},
    )


@service_atomic
def trial_extend(
    *,
    actor,
    trial: Trial,
    reasons: str,
    months: int | None = None,
    reform_reference: str = "",
    reform_date: datetime.date | None = None,
) -> Extension:
    """KDD proposes to extend a trial on its own initiative (no application from the
    municipality). An extension is a decision, so it is decided as an application for one
    is: ``actor``'s proposal, within the limits of forsøksloven § 3, waits for the approval
    of another person at KDD (four eyes: ``extension_proposal_approve``) in the extension's
    case, which ``hooks.on_extension_initiated`` starts at that approval. Nothing moves
    before it."""
    _require_officer(actor)
    reasons = _required(reasons, "reasons", _("Give the reasons for the decision."))
    trial = _lock(trial)
    extension = _new_extension(
        trial,
        months,
        reform_reference,
        reform_date,
        waiting=_("An application for extension is waiting: decide it instead."),
        assessed_by=actor,
        assessed_at=timezone.now(),
        assessment_note=reasons,
    )
    terms = {"months": months} if months is not None else {"reform_date": str(reform_date)}
    _audit(actor, trial, extension, "trial.extension_initiated", reason=reasons, **terms)
    extension_propose(actor=actor, extension=extension, grant=True, reasons=reasons)
    hooks.run(hooks.on_extension_initiated, extension, actor)
    return extension


@service_atomic
def extension_register(*, actor, extension: Extension) -> Extension:
    """Journal the application for extension (I) in the application's case file."""
    _require_officer(actor)
    trial, extension = _open(extension)
    if extension.registered_at is not None:
        raise ConflictError(_("The application for extension is already registered."))
    application = trial.application
    extension.application_entry = journal_entry_create(
        actor=actor,
        case=application_case(application),
        entry_type=EntryType.INCOMING,
        title=journal_title(
            gettext_lazy("Application for extension of the trial – %(title)s"),
            title=application.title,
        ),
        correspondent=application.lead_organisation,
        document_date=timezone.localdate(extension.requested_at or timezone.now()),
        documents=[{"title": _("Application for extension"), "source": extension}],
    )
    extension.registered_at = timezone.now()
    extension.save(update_fields=["application_entry", "registered_at"])
    _audit(actor, trial, extension, "trial.extension_registered")
    return extension


@service_atomic
def extension_assess(
    *,
    actor,
    extension: Extension,
    months: int | None = None,
    reform_reference: str = "",
    reform_date: datetime.date | None = None,
    note: str = "",
) -> Extension:
    """The officer's assessment: the terms the extension can have (by months, or until a
    named reform), within forsøksloven § 3 (``trials.rules.extension_problems``)."""
    _require_officer(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Give your assessment of the application.")})
    trial, extension = _open(extension)
    _extension_terms(trial, months, reform_reference, reform_date)
    extension.months = months
    extension.reform_reference = (reform_reference or "").strip() if months is None else ""
    extension.reform_date = reform_date if months is None else None
    extension.assessment_note = note
    extension.assessed_by = actor
    extension.assessed_at = timezone.now()
    extension.save(
        update_fields=[
            "months",
            "reform_reference",
            "reform_date",
            "assessment_note",
            "assessed_by",
            "assessed_at",
        ]
    )
    terms = {"months": months} if months is not None else {"reform_date": str(reform_date)}
    _audit(actor, trial, extension, "trial.extension_assessed", reason=note, **terms)
    return extension


def extension_consultations_needed(trial: Trial) -> dict:
    """The line ministries owning the acts of the trial's granted exemptions (not the
    deciding ministry), each with those exemptions."""
    by_ministry = defaultdict(list)
    for exemption in trial.exemptions.select_related("provision__act__ministry"):
        if exemption.provision_id is None:
            continue
        ministry = exemption.provision.act.ministry
        if ministry.code != DECIDING_MINISTRY:
            by_ministry[ministry].append(exemption)
    return dict(sorted(by_ministry.items(), key=lambda item: item[0].name))


@service_atomic
def extension_consultations_start(
    *, actor, extension: Extension, due_date: datetime.date | None = None, message: str = ""
) -> list[Consultation]:
    """Consult every line ministry whose act the trial deviates from (may be none)."""
    _require_officer(actor)
    trial, extension = _open(extension)
    if extension.assessed_at is None:
        raise ValidationError(_("Assess the application before the consultation."))
    if due_date is not None and due_date <= timezone.localdate():
        raise ValidationError({"consultation_due_date": _("The deadline must lie in the future.")})
    due_date = due_date or timezone.localdate() + datetime.timedelta(days=DEFAULT_CONSULTATION_DAYS)
    application = trial.application
    case = application_case(application)
    consultations = []
    for ministry, exemptions in extension_consultations_needed(trial).items():
        consultation = Consultation.objects.create(
            application=application,
            extension=extension,
            ministry=ministry,
            due_date=due_date,
            sent_by=actor,
            message=(message or "").strip(),
        )
        consultation.exemptions.add(*exemptions)
        consultation.letter = letter_entry(
            actor=actor,
            application=application,
            template="consultation",
            context={"consultation": consultation, "exemptions": exemptions},
            title=journal_title(
                gettext_lazy("Consultation on extension of the trial – %(title)s"),
                title=application.title,
            ),
            recipient=ministry,
            language="nb",
            case=case,
        )
        consultation.save(update_fields=["letter"])
        audit_record(
            actor=actor,
            action="consultation.sent",
            target=trial,
            organisation=ministry,
            data={
                "consultation": consultation.pk,
                "extension": extension.pk,
                "due_date": due_date.isoformat(),
            },
        )
        consultations.append(consultation)
    return consultations


@service_atomic
def extension_propose(
    *, actor, extension: Extension, grant: bool, reasons: str
) -> DecisionProposal:
    """Propose to grant (on the assessed terms) or refuse; another person approves it."""
    _require_officer(actor)
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError({"reasons": _("Give the reasons for the decision.")})
    trial, extension = _open(extension)
    if extension.assessed_at is None:
        raise ConflictError(_("Assess the application before proposing a decision."))
    if grant:
        _extension_terms(trial, extension.months, extension.reform_reference, extension.reform_date)
    if extension.proposals.filter(status=ProposalStatus.PENDING).exists():
        raise ConflictError(_("A proposal is already waiting for approval."))
    proposal = DecisionProposal.objects.create(
        application=trial.application,
        extension=extension,
        summary=reasons,
        outcomes={"grant": bool(grant)},
        proposed_by=actor,
    )
    _audit(
        actor,
        trial,
        extension,
        "trial.extension_proposed",
        reason=reasons,
        proposal=proposal.pk,
        grant=bool(grant),
    )
    return proposal


def _reviewed(actor, proposal: DecisionProposal, status: str, comment: str) -> None:
    proposal.status = status
    proposal.reviewed_by = actor
    proposal.reviewed_at = timezone.now()
    proposal.review_comment = comment
    proposal.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])


def _lock_extension_proposal(proposal: DecisionProposal) -> DecisionProposal:
    proposal = DecisionProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.extension_id is None:
        raise PermissionDenied(_("This proposal is not on an application for extension."))
    return proposal


@service_atomic
def extension_proposal_approve(
    *, actor, proposal: DecisionProposal, comment: str = ""
) -> Extension:
    """A leader who did not propose it approves: the extension is decided, the end date moves
    (never past the legal maximum) and the decision letter is journaled and sent."""
    proposal = _lock_extension_proposal(proposal)
    _check_reviewer(actor, proposal)
    trial, extension = _open(proposal.extension)
    _reviewed(actor, proposal, ProposalStatus.APPROVED, (comment or "").strip())
    return _decide(
        actor=actor,
        trial=trial,
        extension=extension,
        grant=proposal.grants_extension,
        reasons=proposal.summary,
    )


@service_atomic
def extension_proposal_return(*, actor, proposal: DecisionProposal, comment: str):
    """The leader sends the proposal back to the case officer with what should change."""
    proposal = _lock_extension_proposal(proposal)
    _check_reviewer(actor, proposal)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what should be changed.")})
    trial, extension = _open(proposal.extension)
    _reviewed(actor, proposal, ProposalStatus.RETURNED, comment)
    _audit(actor, trial, extension, "trial.extension_proposal_returned", reason=comment)
    return proposal
