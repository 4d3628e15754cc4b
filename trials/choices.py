from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Re-exported: attachments are screened on the same offentleglova bases as journal documents.
from casework.choices import ScreeningBasis as ScreeningBasis


class Stage(models.TextChoices):
    PRELIMINARY = "preliminary", _("Preliminary application (forhåndssøknad)")
    FINAL = "final", _("Final application (endelig søknad)")


class ApplicationStatus(models.TextChoices):
    """The legal status everyone sees (DESIGN.md § 4); django-fsm-2 owns it."""

    DRAFT = "draft", pgettext_lazy("application status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("application status", "Submitted")
    REGISTERED = "registered", pgettext_lazy("application status", "Registered")
    UNDER_REVIEW = "under_review", pgettext_lazy("application status", "Under review")
    AWAITING_APPLICANT = (
        "awaiting_applicant",
        pgettext_lazy("application status", "Awaiting more information from the applicant"),
    )
    IN_CONSULTATION = (
        "in_consultation",
        pgettext_lazy("application status", "In consultation with ministries"),
    )
    DECISION_PROPOSED = (
        "decision_proposed",
        pgettext_lazy("application status", "Decision proposed"),
    )
    APPROVED = "approved", pgettext_lazy("application status", "Approved")
    REJECTED = "rejected", pgettext_lazy("application status", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("application status", "Withdrawn")


DECIDED_STATUSES = {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}
CLOSED_STATUSES = DECIDED_STATUSES | {ApplicationStatus.WITHDRAWN}
WITHDRAWABLE_STATUSES = [
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.REGISTERED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.AWAITING_APPLICANT,
    ApplicationStatus.IN_CONSULTATION,
    ApplicationStatus.DECISION_PROPOSED,
]


class TrialCategory(models.TextChoices):
    """What a trial may cover, forsøksloven § 3 first paragraph (a)-(d)."""

    A = "a", _("(a) Organisation of work and ways of solving tasks")
    B = "b", _("(b) Division of tasks between state, county and municipality")
    C = "c", _("(c) Exemptions from state control over counties and municipalities")
    D = "d", _("(d) A single regional body (enhetsfylke)")


class Purpose(models.TextChoices):
    """The purposes of forsøksloven § 1 a trial must serve."""

    EFFICIENT_ORGANISATION = "efficient", _("Functional and efficient organisation and operation")
    DIVISION_OF_TASKS = "division", _("A sensible division of tasks between bodies and levels")
    BETTER_SERVICES = "services", _("Better services to citizens")
    RESOURCES = "resources", _("Best use of resources")
    DEMOCRACY = "democracy", _("Good democratic governance")


class ExemptionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ASSESSED = "assessed", _("Assessed")
    GRANTED = "granted", _("Granted")
    GRANTED_WITH_CONDITIONS = "granted_with_conditions", _("Granted with conditions")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AttachmentKind(models.TextChoices):
    COUNCIL_DECISION = "council_decision", _("Council decision (kommunestyre/fylkesting)")
    DRAFT_REGULATION = "draft_regulation", _("Draft local regulation")
    ANSWER = "answer", _("Attachment to an answer")
    OTHER = "other", _("Other")


class Assessment(models.TextChoices):
    """The case officer's legal assessment of one requested exemption."""

    WITHIN_SCOPE = "within_scope", _("Within the scope of forsøksloven")
    OUTSIDE_LIMITS = "outside_limits", _("Outside the limits of forsøksloven § 4")
    NOT_NEEDED = "not_needed", _("Not needed: current law already allows it")
    SECTOR_PROVISION = (
        "sector_provision",
        _("To be handled under the sector act's own trial provision"),
    )


class Outcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    GRANTED_WITH_CONDITIONS = "granted_with_conditions", _("Granted with conditions")
    REFUSED = "refused", _("Refused")


class Position(models.TextChoices):
    """A line ministry's position on one exemption in a consultation."""

    SUPPORTS = "supports", _("Supports")
    SUPPORTS_WITH_CONDITIONS = "supports_with_conditions", _("Supports with conditions")
    OPPOSES = "opposes", _("Opposes")
    NO_VIEW = "no_view", _("No view")


class ConsultationStatus(models.TextChoices):
    OPEN = "open", _("Awaiting answer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed without answer")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned with comments")


class PublicExemptionState(models.TextChoices):
    """What the public may know about one requested exemption (the exemption register).

    Derived from the application's status and the decided outcome, never from the
    assessment: before the decision every live request is simply awaiting it.
    """

    PENDING = "pending", _("Awaiting decision")
    GRANTED = "granted", _("Granted")
    GRANTED_WITH_CONDITIONS = "granted_with_conditions", _("Granted with conditions")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", _("Closed without a decision on the exemption")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TrialStatus(models.TextChoices):
    """The legal status of a trial (DESIGN.md § 4); django-fsm-2 owns it."""

    APPROVED = "approved", pgettext_lazy("trial status", "Approved, not yet in force")
    IN_FORCE = "in_force", pgettext_lazy("trial status", "In force")
    ENDED = "ended", pgettext_lazy("trial status", "Ended")
    MADE_PERMANENT = "made_permanent", pgettext_lazy("trial status", "Made permanent")
    STOPPED = "stopped", pgettext_lazy("trial status", "Stopped early")


CLOSED_TRIAL_STATUSES = [TrialStatus.ENDED, TrialStatus.MADE_PERMANENT, TrialStatus.STOPPED]


class ObligationKind(models.TextChoices):
    """What the municipality must deliver while the trial runs."""

    ANNUAL_REPORT = "annual_report", _("Annual report")
    FINAL_REPORT = "final_report", _("Final report")
    EVALUATION = "evaluation", _("Final evaluation")
    OTHER = "other", _("Other report")


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    MORE_REQUESTED = "more_requested", _("More information requested")


class ExtensionStatus(models.TextChoices):
    REQUESTED = "requested", _("Applied for")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class TrialNoticeKind(models.TextChoices):
    """What the follow-up timers have sent, so each is sent once."""

    EXPIRY_WARNING = "expiry_warning", _("Expiry warning")
    REPORT_REMINDER = "report_reminder", _("Report reminder")
    REPORT_OVERDUE = "report_overdue", _("Report overdue")
