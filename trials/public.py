"""What the public may see: the one place that decides (DESIGN.md § 7, issue "never public").

Public pages, feeds, exports and the public API read applications only through these
selectors. Never public: drafts (applications never submitted), contact persons and staff
names, e-mail addresses and phone numbers, internal notes, assessments and proposals before
the decision, and screened documents.
"""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from trials.choices import DECIDED_STATUSES, ApplicationStatus
from trials.models import Application, Attachment, Consultation, ExemptionRequest

STATUS_EXPLANATIONS = {
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


def public_applications() -> QuerySet[Application]:
    """Every application from submission on (a draft never appears, even once withdrawn)."""
    return (
        Application.objects.filter(submitted_at__isnull=False)
        .select_related("lead_organisation__county", "call")
        .prefetch_related("co_applicants")
    )


def public_application_detail(reference: str) -> Application:
    """One public application with what its page shows; raises Application.DoesNotExist."""
    return public_applications().prefetch_related(
        "purposes",
        Prefetch(
            "exemption_requests",
            queryset=ExemptionRequest.objects.select_related("provision__act__ministry"),
        ),
        Prefetch(
            "attachments",
            queryset=Attachment.objects.filter(screening_basis="").select_related(
                "organisation"
            ),
            to_attr="public_attachments",
        ),
        Prefetch(
            "consultations",
            queryset=Consultation.objects.select_related("ministry"),
        ),
    ).get(reference=reference)


def is_decided(application: Application) -> bool:
    return application.status in DECIDED_STATUSES


def status_explanation(application: Application) -> tuple[str, str]:
    """(what the status means, what happens next) in plain language."""
    meaning, next_step = STATUS_EXPLANATIONS.get(application.status, ("", ""))
    return str(meaning), str(next_step)


def public_outcome(exemption: ExemptionRequest, application: Application) -> dict:
    """The outcome of one exemption as the public may see it: only after the decision."""
    if not is_decided(application):
        return {"outcome": "", "reasons": "", "conditions": ""}
    return {
        "outcome": exemption.outcome,
        "reasons": exemption.outcome_reasons,
        "conditions": exemption.conditions,
    }
