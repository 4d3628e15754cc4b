"""What the domain's states and audit actions are called: one table each, read by the
applicant portal, the officers' workspace, the public pages and timeline, the public and the
authenticated API, so no two faces name the same thing differently.

A preliminary application's outcome reads "taken forward" / "not taken forward" everywhere
(taken forward is not approval: a final application follows).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casework.choices import CaseStatus
from trials.choices import (
    ApplicationStatus,
    ConsultationStatus,
    ExemptionStatus,
    ExtensionStatus,
    Stage,
)

# --- statuses -------------------------------------------------------------------------------

PRELIMINARY_OUTCOMES = {
    ApplicationStatus.APPROVED: pgettext_lazy("application status", "Taken forward"),
    ApplicationStatus.REJECTED: pgettext_lazy("application status", "Not taken forward"),
}


def status_label(application) -> str:
    """The application's status in words; a preliminary one is "taken forward" or not."""
    return state_label(application.status, stage=application.stage)


def state_label(value: str, *, stage: str = "") -> str:
    """A state as stored in the audit trail, in words: an application's (stage-aware when
    ``stage`` is given), an exemption request's, a consultation's or a case file's."""
    if stage == Stage.PRELIMINARY and value in PRELIMINARY_OUTCOMES:
        return str(PRELIMINARY_OUTCOMES[value])
    for choices in (ApplicationStatus, ExemptionStatus, ConsultationStatus, CaseStatus):
        try:
            return str(choices(value).label)
        except ValueError:
            continue
    return value


# --- what a status means and what happens next, for the applicant and for the public ------

APPLICANT_EXPLANATIONS = {
    ApplicationStatus.DRAFT: (
        _(
            "The application is a draft. Only your organisation can see it, and the ministry "
            "has not received it."
        ),
        _("Fill in every step and submit the application. You can save and come back at any time."),
    ),
    ApplicationStatus.SUBMITTED: (
        _("The ministry has received the application."),
        _(
            "The ministry registers the application in its records and checks that it is "
            "complete. You will be told if more information is needed."
        ),
    ),
    ApplicationStatus.REGISTERED: (
        _("The application is registered with a case number at the ministry."),
        _(
            "A case officer checks that the application is complete and then assesses each "
            "requested exemption."
        ),
    ),
    ApplicationStatus.UNDER_REVIEW: (
        _("A case officer at the ministry is assessing the application."),
        _(
            "Each requested exemption is assessed against forsøksloven. The ministries that "
            "own the acts concerned will be consulted. If the case takes more than a month, "
            "you will get a preliminary answer saying why and when to expect a decision."
        ),
    ),
    ApplicationStatus.AWAITING_APPLICANT: (
        _("The ministry needs more information from you before it can go on."),
        _(
            "Answer the request for information below by the date given. The case continues "
            "when the ministry has your answer."
        ),
    ),
    ApplicationStatus.IN_CONSULTATION: (
        _("The ministries that own the acts concerned have been asked for their views."),
        _(
            "When the ministries have answered, the case officer completes the assessment "
            "and proposes a decision."
        ),
    ),
    ApplicationStatus.DECISION_PROPOSED: (
        _("The case officer has proposed a decision."),
        _(
            "A second person at the ministry reviews the proposal before the decision is made "
            "and sent to you."
        ),
    ),
    ApplicationStatus.APPROVED: (
        _("The ministry has approved the application, fully or in part."),
        _(
            "The decision letter gives the reasons for each exemption. An approved trial is "
            "given as a regulation with its period and must be evaluated."
        ),
    ),
    ApplicationStatus.REJECTED: (
        _("The ministry has rejected the application."),
        _("The decision letter gives the reasons. You can start a new application from this one."),
    ),
    ApplicationStatus.WITHDRAWN: (
        _("The application was withdrawn and will not be handled."),
        _("You can start a new application from this one."),
    ),
}
APPLICANT_PRELIMINARY_EXPLANATIONS = {
    ApplicationStatus.APPROVED: (
        _("The ministry has taken the preliminary application forward."),
        _(
            "Taken forward is not approval: submit a final application adopted by the council, "
            "with the proposed local regulation. Start it from this application."
        ),
    ),
    ApplicationStatus.REJECTED: (
        _("The ministry has not taken the preliminary application forward."),
        _(
            "The letter from the ministry gives the reasons. You can start a new application "
            "from this one."
        ),
    ),
}

PUBLIC_EXPLANATIONS = {
    ApplicationStatus.SUBMITTED: (
        _("The application has been sent to the ministry."),
        _("The ministry registers it and checks that it is complete."),
    ),
    ApplicationStatus.REGISTERED: (
        _("The ministry has registered the application and given it a case number."),
        _("The ministry checks that the application is complete."),
    ),
    ApplicationStatus.UNDER_REVIEW: (
        _("The ministry is assessing the application and each requested exemption."),
        _("The ministries that own the acts concerned may be consulted before a decision."),
    ),
    ApplicationStatus.AWAITING_APPLICANT: (
        _("The ministry has asked the applicant for more information."),
        _("The case continues when the applicant answers or the deadline passes."),
    ),
    ApplicationStatus.IN_CONSULTATION: (
        _("The ministries that own the acts concerned have been asked for their views."),
        _("When they have answered, the ministry proposes a decision."),
    ),
    ApplicationStatus.DECISION_PROPOSED: (
        _("A decision has been proposed and awaits approval by a second person."),
        _("The decision is sent to the applicant and published here."),
    ),
    ApplicationStatus.APPROVED: (
        _("The ministry has approved the trial, fully or in part."),
        _("The trial is given as a regulation for a limited period and evaluated."),
    ),
    ApplicationStatus.REJECTED: (
        _("The ministry has rejected the application."),
        _("The reasons are given in the decision."),
    ),
    ApplicationStatus.WITHDRAWN: (
        _("The applicant withdrew the application."),
        _("The case is closed."),
    ),
}

PUBLIC_PRELIMINARY_EXPLANATIONS = {
    ApplicationStatus.APPROVED: (
        _("The ministry has taken the preliminary application forward."),
        _(
            "Taken forward is not approval: the applicant may now submit a final application "
            "adopted by the council."
        ),
    ),
    ApplicationStatus.REJECTED: (
        _("The ministry has not taken the preliminary application forward."),
        _("The reasons are given in the decision."),
    ),
}


def applicant_explanation(application) -> tuple[str, str]:
    """(what the status means, what the applicant can do next), for the portal."""
    if application.stage == Stage.PRELIMINARY and application.status in PRELIMINARY_OUTCOMES:
        return APPLICANT_PRELIMINARY_EXPLANATIONS[application.status]
    return APPLICANT_EXPLANATIONS[ApplicationStatus(application.status)]


def public_explanation(application) -> tuple[str, str]:
    """(what the status means, what happens next) in plain language, for the public page."""
    if application.stage == Stage.PRELIMINARY and application.status in PRELIMINARY_OUTCOMES:
        meaning, next_step = PUBLIC_PRELIMINARY_EXPLANATIONS[application.status]
    else:
        meaning, next_step = PUBLIC_EXPLANATIONS.get(application.status, ("", ""))
    return str(meaning), str(next_step)


# --- an extension as it moves through its case ----------------------------------------------

# (label, what it means for the municipality, what happens next, tag colour). The phase is
# derived from the extension's case (``trials.selectors.extension_phase``); KDD's assessment
# and the content of a proposal stay internal until the decision, as for an application.
EXTENSION_PHASES = {
    "applied": (
        ExtensionStatus.REQUESTED.label,
        _("The ministry has received the application for extension."),
        _("The ministry registers it in the trial's case file."),
        "info",
    ),
    "registered": (
        ApplicationStatus.REGISTERED.label,
        _("The application for extension is registered in the trial's case file."),
        _("A case officer assesses the terms within the limits of forsøksloven § 3."),
        "info",
    ),
    "under_review": (
        ApplicationStatus.UNDER_REVIEW.label,
        _("A case officer at the ministry is assessing the extension."),
        _(
            "The ministries that own the acts the trial deviates from may be consulted before "
            "a decision is proposed."
        ),
        "info",
    ),
    "in_consultation": (
        ApplicationStatus.IN_CONSULTATION.label,
        _("The ministries that own the acts concerned have been asked for their views."),
        _("When they have answered, the case officer proposes a decision."),
        "info",
    ),
    "decision_proposed": (
        ApplicationStatus.DECISION_PROPOSED.label,
        _("The case officer has proposed a decision."),
        _(
            "A second person at the ministry reviews the proposal before the decision is made "
            "and sent to you."
        ),
        "info",
    ),
    "granted": (
        ExtensionStatus.GRANTED.label,
        _("The ministry has extended the trial."),
        _("The decision letter gives the new end date and the reasons."),
        "success",
    ),
    "refused": (
        ExtensionStatus.REFUSED.label,
        _("The ministry has refused the extension."),
        _("The decision letter gives the reasons. The trial ends on its end date."),
        "danger",
    ),
}


def extension_phase_label(phase: str) -> str:
    return str(EXTENSION_PHASES[phase][0])


# --- audit actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditAction:
    """What an audit action means, for each reader.

    ``label``: the officers' history (every step, internal ones included) and the workspace
    API; ``preliminary``: the same for a preliminary application where it differs;
    ``applicant``: the applicant's history (None: an internal step the applicant does not
    see), with the reason only when ``applicant_reason`` (it was written for the applicant);
    ``public``: the public timeline.
    """

    label: str
    applicant: str | None = None
    applicant_reason: bool = False
    public: str | None = None
    preliminary: str | None = None


AUDIT_ACTIONS = {
    "application.created": AuditAction(
        _("Application started"), applicant=_("Application started")
    ),
    "application.updated": AuditAction(_("Draft changed"), applicant=_("Draft changed")),
    "timer.fired": AuditAction(_("Automatic: a deadline or reminder date was reached")),
    "mail.sent": AuditAction(_("Mail sent")),
    "mail.skipped": AuditAction(_("Mail not sent: no address")),
    "mail.failed": AuditAction(_("Mail could not be sent")),
    "application.co_applicants_set": AuditAction(
        _("Co-applicants changed"), applicant=_("Co-applicants changed")
    ),
    "application.purposes_set": AuditAction(_("Purposes changed"), applicant=_("Purposes changed")),
    "application.copied": AuditAction(
        _("Started as a copy"), applicant=_("Started as a copy of %(source)s")
    ),
    "application.submitted": AuditAction(
        _("Application submitted"),
        applicant=_("Application submitted"),
        public=_("Submitted by %(applicant)s"),
    ),
    "application.registered": AuditAction(
        _("Application registered"),
        applicant=_("Application registered by the ministry"),
        public=_("Registered by the ministry"),
    ),
    "application.complete": AuditAction(
        _("Found complete"), applicant=_("The ministry found the application complete")
    ),
    "application.information_requested": AuditAction(
        _("More information requested"),
        applicant=_("The ministry asked for more information"),
        applicant_reason=True,
        public=_("The ministry asked the applicant for more information"),
    ),
    "information_request.extended": AuditAction(
        _("Deadline for the answer extended"),
        applicant=_("The deadline for answering was extended"),
    ),
    "application.answered": AuditAction(
        _("The applicant answered"),
        applicant=_("The applicant answered the request"),
        public=_("The applicant answered the request"),
    ),
    "application.continued_without_answer": AuditAction(
        _("Continued without the answer"),
        applicant=_("The ministry went on without the answer"),
        applicant_reason=True,
    ),
    "application.closed_without_answer": AuditAction(
        _("Closed without an answer"),
        applicant=_("The ministry closed the case without an answer"),
        applicant_reason=True,
    ),
    "exemption.assessed": AuditAction(_("Exemption assessed")),
    "application.consultation_started": AuditAction(
        _("Consultation started"),
        applicant=_("The ministries that own the acts concerned were consulted"),
    ),
    "consultation.sent": AuditAction(
        _("Consultation letter sent"), public=_("Consultation sent to %(ministry)s")
    ),
    "consultation.answered": AuditAction(
        _("Consultation answered"), public=_("%(ministry)s answered the consultation")
    ),
    "consultation.extended": AuditAction(_("Consultation deadline extended")),
    "consultation.closed": AuditAction(_("Consultation closed without an answer")),
    "application.consultation_finished": AuditAction(
        _("Consultation finished"), applicant=_("The consultation of the ministries is finished")
    ),
    "application.decision_proposed": AuditAction(
        _("Decision proposed"), applicant=_("A decision was proposed")
    ),
    "application.proposal_returned": AuditAction(
        _("Proposal returned"), applicant=_("The proposal was sent back for more assessment")
    ),
    "application.approved": AuditAction(
        _("Decision made: approved"),
        applicant=_("The ministry made its decision"),
        public=_("Decision: %(outcome)s"),
        preliminary=_("Decision made: taken forward"),
    ),
    "application.rejected": AuditAction(
        _("Decision made: rejected"),
        applicant=_("The ministry made its decision"),
        public=_("Decision: %(outcome)s"),
        preliminary=_("Decision made: not taken forward"),
    ),
    "application.interim_reply_sent": AuditAction(
        _("Preliminary answer sent"),
        applicant=_("A preliminary answer was sent"),
        public=_("Preliminary answer sent to the applicant"),
    ),
    "application.withdrawn": AuditAction(
        _("Application withdrawn"),
        applicant=_("Application withdrawn"),
        applicant_reason=True,
        public=_("The applicant withdrew the application"),
    ),
    "trial.created": AuditAction(_("Trial created")),
    "task.claimed": AuditAction(_("Task taken")),
    "task.unassigned": AuditAction(_("Task given back to the queue")),
    "task.reassigned": AuditAction(_("Task given to someone else")),
    "case.opened": AuditAction(_("Case file opened")),
    "case.closed": AuditAction(_("Case file closed")),
    "journal.entry_created": AuditAction(_("Document journaled")),
    "exemption_request.created": AuditAction(
        _("Exemption request added"), applicant=_("Exemption request added: %(provision)s")
    ),
    "exemption_request.updated": AuditAction(
        _("Exemption request changed"), applicant=_("Exemption request changed")
    ),
    "exemption_request.deleted": AuditAction(
        _("Exemption request deleted"), applicant=_("Exemption request deleted: %(provision)s")
    ),
    "attachment.added": AuditAction(_("Attachment added"), applicant=_("Attachment added")),
    "attachment.deleted": AuditAction(
        _("Attachment deleted"), applicant=_("Attachment deleted: %(name)s")
    ),
    "contact.added": AuditAction(_("Contact person added"), applicant=_("Contact person added")),
    "contact.removed": AuditAction(
        _("Contact person removed"), applicant=_("Contact person removed")
    ),
}


def action_label(action: str, *, stage: str = "") -> str:
    """An audit action in words for the officers' history and the workspace API."""
    meaning = AUDIT_ACTIONS.get(action)
    if meaning is None:
        return action
    if stage == Stage.PRELIMINARY and meaning.preliminary is not None:
        return str(meaning.preliminary)
    return str(meaning.label)


def public_event_text(action: str, **values) -> str:
    """An audit action as the public timeline tells it."""
    return str(AUDIT_ACTIONS[action].public) % values
