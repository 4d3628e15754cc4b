"""Who may see and do what with applications: the one place that decides.

Every page and every API view gets applications through ``applications_for_user`` or
``application_get_for_user``; nothing else filters applications for permissions.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from casework.choices import EntryType, Role
from casework.models import AuditEvent, CaseFile, JournalDocument, Membership
from casework.prepared import PreparedQuery
from casework.selectors import (
    DocumentFile,
    case_for,
    journal_document_file,
    organisations_for_user,
    user_has_role_in,
)
from legal.selectors import provision_warnings
from trials.choices import (
    WITHDRAWABLE_STATUSES,
    ApplicationStatus,
    ConsultationStatus,
    ExtensionStatus,
    ProposalStatus,
    TrialStatus,
)
from trials.models import (
    Application,
    Attachment,
    Consultation,
    DecisionProposal,
    Evaluation,
    ExemptionRequest,
    Extension,
    Regulation,
    Report,
    Trial,
)

KDD_ROLES = (Role.CASE_OFFICER, Role.APPROVER)
DECIDING_MINISTRY = "KDD"  # forsøksloven §§ 3, 5-7 are delegated to KDD (FOR-1992-12-11-1050)


def is_ministry_officer(user, role: str = Role.CASE_OFFICER) -> bool:
    """Has ``user`` ``role`` at the deciding ministry (KDD)?"""
    return user_has_role_in(user, role, organisation_code=DECIDING_MINISTRY)


def is_kdd_leader(user) -> bool:
    """KDD's leaders: an approver or an administrator at KDD (the team view, reassigning
    tasks and a trial's follow-up)."""
    return is_ministry_officer(user, Role.APPROVER) or is_ministry_officer(user, Role.ADMINISTRATOR)


def _applicant_org_ids(user):
    return organisations_for_user(user, role=Role.APPLICANT).values("pk")


def applications_for_user(user) -> QuerySet[Application]:
    """Applications ``user`` may see.

    Applicants see their organisations' applications, as lead or co-applicant, drafts
    included. KDD case officers and approvers see every application once it is submitted.
    Nobody else sees anything here (the public pages have their own selectors).
    """
    if not user.is_authenticated:
        return Application.objects.none()
    visible = Q(lead_organisation__in=_applicant_org_ids(user)) | Q(
        co_applicants__in=_applicant_org_ids(user)
    )
    if Membership.objects.filter(user=user, role__in=KDD_ROLES).exists():
        visible |= Q(submitted_at__isnull=False)
    ids = Application.objects.filter(visible).values("pk")
    return (
        Application.objects.filter(pk__in=ids)
        .select_related("lead_organisation", "call", "preliminary")
        .prefetch_related("co_applicants")
    )


def application_get_for_user(user, pk) -> Application:
    """One application ``user`` may see, with what its pages need; 404 otherwise."""
    try:
        return (
            applications_for_user(user)
            .prefetch_related(
                "purposes",
                "contacts__organisation",
                Prefetch(
                    "exemption_requests",
                    queryset=ExemptionRequest.objects.select_related("provision__act"),
                ),
                Prefetch(
                    "attachments",
                    queryset=Attachment.objects.select_related("organisation", "uploaded_by"),
                ),
                "information_requests",
            )
            .get(pk=pk)
        )
    except (Application.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def user_is_applicant_for(user, application: Application, *, lead_only: bool = False) -> bool:
    """Has ``user`` the applicant role in the lead (or, unless lead_only, any) organisation?"""
    org_ids = set(_APPLICANT_ORGANISATION_IDS.all(user.pk)) if user.is_authenticated else set()
    if application.lead_organisation_id in org_ids:
        return True
    if lead_only:
        return False
    return any(org.pk in org_ids for org in application.co_applicants.all())


_APPLICANT_ORGANISATION_IDS = PreparedQuery(  # at every applicant's write: compiled once
    lambda user_id: Membership.objects.filter(user_id=user_id, role=Role.APPLICANT).values_list(
        "organisation_id", flat=True
    )
)


def user_can_edit(user, application: Application) -> bool:
    return application.is_draft and user_is_applicant_for(user, application, lead_only=True)


def available_actions(user, application: Application) -> list[str]:
    """The transitions ``user`` may make on ``application`` now (shown in pages and the API)."""
    actions = []
    if not user_is_applicant_for(user, application, lead_only=True):
        return actions
    status = application.status
    if status == ApplicationStatus.DRAFT:
        actions.append("submit")
    if status == ApplicationStatus.AWAITING_APPLICANT:
        actions.append("answer")
    if status in WITHDRAWABLE_STATUSES:
        actions.append("withdraw")
    return actions


def attachments_for_user(user) -> QuerySet[Attachment]:
    """Attachments ``user`` may download: those of the applications they may see
    (``applications_for_user``). Line ministries see an application's attachments only as
    the journal documents of its case (``casework.selectors.document_for_user``)."""
    return Attachment.objects.filter(application__in=applications_for_user(user).values("pk"))


def attachment_for_user(user, pk) -> Attachment:
    """The attachment ``pk`` if ``user`` may download it; 404 otherwise. The one answer for
    every page and API endpoint that serves an attachment."""
    try:
        return (
            attachments_for_user(user)
            .select_related("application__lead_organisation")
            .get(pk=int(pk))
        )
    except (Attachment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def attachment_file(attachment: Attachment) -> DocumentFile:
    """What ``casework.downloads.file_response`` sends for an attachment."""
    return DocumentFile(attachment.file, attachment.original_name, attachment.content_type)


def letters_for_user(user, application: Application) -> QuerySet[JournalDocument]:
    """The letters KDD sent ``application``'s applicants that ``user`` may read as a party
    (forvaltningsloven § 18): the main documents of the case's outgoing entries addressed to
    one of its applicant organisations, for a member with the applicant role in one of them,
    screened or not (the letter was sent to them; ``casework.selectors.document_for_user``
    asks ``user_may_read_letter``). Oldest first."""
    if not user.is_authenticated or not user_is_applicant_for(user, application):
        return JournalDocument.objects.none()
    case = case_for(application)
    if case is None:
        return JournalDocument.objects.none()
    recipients = [organisation.pk for organisation in application.applicant_organisations]
    return (
        JournalDocument.objects.filter(
            entry__case=case,
            entry__entry_type=EntryType.OUTGOING,
            entry__correspondent__in=recipients,
            is_main=True,
        )
        .exclude(file="")
        .select_related("entry")
        .order_by("entry__number_in_case", "pk")
    )


def user_may_read_letter(user, document: JournalDocument) -> bool:
    """May ``user`` read ``document`` as a letter sent to them (``letters_for_user``)?
    Registered as a ``casework.hooks.document_readers`` reader."""
    case: CaseFile = document.entry.case
    if case.content_type_id != ContentType.objects.get_for_model(Application).pk:
        return False
    application = Application.objects.filter(pk=case.object_id).first()
    if application is None:
        return False
    return letters_for_user(user, application).filter(pk=document.pk).exists()


def exemption_requests_read(application: Application, *, ministry: bool = False) -> list:
    """``application.exemption_requests`` with their provision and act (and the act's
    ministry), in their order, each knowing its application as the related manager's do.
    Read at the assessment and the decision of every case: compiled once
    (``casework.prepared``)."""
    exemptions = (_EXEMPTIONS_WITH_MINISTRY if ministry else _EXEMPTIONS).all(application.pk)
    for exemption in exemptions:
        exemption.application = application
    return exemptions


def _exemptions_query(related: str) -> PreparedQuery:
    return PreparedQuery(
        lambda application_id: ExemptionRequest.objects.filter(
            application_id=application_id
        ).select_related(related)
    )


_EXEMPTIONS = _exemptions_query("provision__act")
_EXEMPTIONS_WITH_MINISTRY = _exemptions_query("provision__act__ministry")


def exemption_warnings(application: Application) -> list[tuple[ExemptionRequest, list]]:
    """Each resolved request with the § 4 and sector trial-provision warnings it raises."""
    result = []
    for request in application.exemption_requests.all():
        if request.provision_id is not None:
            warnings = provision_warnings(request.provision)
            if warnings:
                result.append((request, warnings))
    return result


def open_information_request(application: Application):
    return application.information_requests.filter(answered_at__isnull=True).first()


def decided_public_applications() -> QuerySet[Application]:
    """Applications anyone may build on: decided (approved or rejected)."""
    return Application.objects.filter(
        status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED]
    ).select_related("lead_organisation")


# --- trials after the decision ------------------------------------------------------------------


def trials_for_user(user) -> QuerySet:
    """Trials ``user`` may see and act on: applicants their organisations' trials (lead or
    co-applicant), KDD's case officers, approvers and administrators every trial."""
    if not user.is_authenticated:
        return Trial.objects.none()
    if Membership.objects.filter(user=user, role__in=KDD_ROLES).exists() or is_kdd_leader(user):
        visible = Q()
    else:
        orgs = _applicant_org_ids(user)
        visible = Q(application__lead_organisation__in=orgs) | Q(
            application__co_applicants__in=orgs
        )
    ids = Trial.objects.filter(visible).values("pk")
    return (
        Trial.objects.filter(pk__in=ids)
        .select_related("application__lead_organisation", "officer")
        .order_by("-starts_on", "-pk")
    )


def trials_to_follow_up() -> QuerySet:
    """Trials in force with the officer following each up (the leaders' team view)."""
    return (
        Trial.objects.filter(status=TrialStatus.IN_FORCE)
        .select_related("application__lead_organisation", "officer")
        .order_by("ends_on", "pk")
    )


def trial_get_for_user(user, pk):
    """One trial ``user`` may see, with what its pages need; 404 otherwise."""
    try:
        return (
            trials_for_user(user)
            .prefetch_related(
                "application__co_applicants",
                Prefetch(
                    "regulations",
                    queryset=Regulation.objects.select_related("entry").prefetch_related(
                        "entry__documents"
                    ),
                ),
                "obligations",
                Prefetch(
                    "reports",
                    queryset=Report.objects.select_related(
                        "submitted_by", "obligation", "entry"
                    ).prefetch_related("attachments", "entry__documents"),
                ),
                Prefetch(
                    "evaluations",
                    queryset=Evaluation.objects.select_related("entry").prefetch_related(
                        "entry__documents"
                    ),
                ),
                Prefetch("extensions", queryset=extensions_with_phase()),
                Prefetch(
                    "exemptions", queryset=ExemptionRequest.objects.select_related("provision__act")
                ),
            )
            .get(pk=pk)
        )
    except (Trial.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def trial_actions(user, trial) -> list[str]:
    """What ``user`` may do with ``trial`` now (pages and the API show the same)."""
    actions = []
    open_extension = any(e.status == ExtensionStatus.REQUESTED for e in trial.extensions.all())
    if is_ministry_officer(user):
        if trial.status == TrialStatus.APPROVED:
            actions += ["regulation", "stop"]
        if trial.status == TrialStatus.IN_FORCE:
            actions += ["obligation", "evaluation", "stop", "make_permanent"]
            actions += ["decide_extension"] if open_extension else ["extend"]
            if trial.ends_on <= timezone.localdate():
                actions.append("end")
        if trial.status == TrialStatus.ENDED:
            actions += ["evaluation", "make_permanent"]
        if trial.status in (TrialStatus.STOPPED, TrialStatus.MADE_PERMANENT):
            actions.append("evaluation")
    elif is_ministry_officer(user, Role.APPROVER):
        if trial.status == TrialStatus.IN_FORCE and open_extension:
            actions.append("decide_extension")  # approve the proposal (four eyes)
    elif trial.status == TrialStatus.IN_FORCE and user_is_applicant_for(user, trial.application):
        actions.append("report")
        if not open_extension:
            actions.append("apply_extension")
    if is_kdd_leader(user) and trial.status in (TrialStatus.IN_FORCE, TrialStatus.ENDED):
        actions.append("officer")
    return actions


def extensions_with_phase() -> QuerySet:
    """Extensions with what ``extension_phase`` reads, for a prefetch (one query)."""
    return Extension.objects.select_related("letter__case").annotate(
        has_pending_proposal=Exists(
            DecisionProposal.objects.filter(extension=OuterRef("pk"), status=ProposalStatus.PENDING)
        ),
        has_open_consultation=Exists(
            Consultation.objects.filter(extension=OuterRef("pk"), status=ConsultationStatus.OPEN)
        ),
    )


def extension_phase(extension) -> str:
    """Where an extension is in its case, as the municipality and KDD see it
    (``trials.labels.EXTENSION_PHASES``): applied for, registered, under review, in
    consultation, decision proposed, then granted or refused. A returned proposal is under
    review again."""
    if extension.status != ExtensionStatus.REQUESTED:
        return extension.status
    pending = getattr(extension, "has_pending_proposal", None)
    if pending is None:
        pending = extension.proposals.filter(status=ProposalStatus.PENDING).exists()
    if pending:
        return "decision_proposed"
    consulting = getattr(extension, "has_open_consultation", None)
    if consulting is None:
        consulting = extension.consultations.filter(status=ConsultationStatus.OPEN).exists()
    if consulting:
        return "in_consultation"
    if extension.assessed_at is not None:
        return "under_review"
    if extension.registered_at is not None:
        return "registered"
    return "applied"


def letter_document(entry) -> DocumentFile | None:
    """The stored file of a letter's journal entry (its main document), or None while the
    letter is still being produced."""
    document = entry.documents.filter(is_main=True).order_by("pk").first()
    return journal_document_file(document) if document is not None else None


def extension_rows(trial) -> list:
    """The trial's extensions (prefetched with ``extensions_with_phase``), each with
    ``phase``, ``phase_label``, ``phase_meaning``, ``phase_next`` and ``phase_color``."""
    from trials.labels import EXTENSION_PHASES

    extensions = list(trial.extensions.all())
    for extension in extensions:
        extension.phase = extension_phase(extension)
        label, meaning, next_step, color = EXTENSION_PHASES[extension.phase]
        extension.phase_label, extension.phase_meaning = str(label), str(meaning)
        extension.phase_next, extension.phase_color = str(next_step), color
    return extensions


TRIAL_EVENTS = {
    "trial.created": gettext_lazy("Trial approved"),
    "trial.in_force": gettext_lazy("Regulation recorded: the trial is in force"),
    "trial.obligation_set": gettext_lazy("Follow-up obligation set"),
    "trial.report_submitted": gettext_lazy("Report submitted"),
    "trial.report_acknowledged": gettext_lazy("Report acknowledged"),
    "trial.report_more_requested": gettext_lazy("More asked for in a report"),
    "trial.evaluation_recorded": gettext_lazy("Evaluation recorded"),
    "trial.extension_applied": gettext_lazy("Extension applied for"),
    "trial.extended": gettext_lazy("Trial extended"),
    "trial.extension_refused": gettext_lazy("Extension refused"),
    "trial.expiry_warning_sent": gettext_lazy("Expiry warning sent"),
    "trial.report_reminder_sent": gettext_lazy("Report reminder sent"),
    "trial.report_overdue": gettext_lazy("Report overdue"),
    "trial.overdue_report_followed_up": gettext_lazy("Overdue report followed up"),
    "trial.officer_reassigned": gettext_lazy("Follow-up given to another case officer"),
    "trial.extension_registered": gettext_lazy("Application for extension registered"),
    "trial.extension_assessed": gettext_lazy("Application for extension assessed"),
    "trial.extension_proposed": gettext_lazy("Decision on the extension proposed"),
    "trial.extension_proposal_returned": gettext_lazy("Proposal on the extension returned"),
    "trial.extension_initiated": gettext_lazy("Extension proposed on KDD's own initiative"),
    "consultation.sent": gettext_lazy("Consultation letter sent"),
    "consultation.answered": gettext_lazy("Consultation answered"),
    "regulation.recorded": gettext_lazy("Regulation recorded"),
    "trial.ended": gettext_lazy("Trial ended"),
    "trial.stopped": gettext_lazy("Trial stopped early"),
    "trial.made_permanent": gettext_lazy("Arrangement made permanent"),
    "timer.fired": gettext_lazy("Follow-up date reached"),
}
PUBLIC_TRIAL_EVENTS = {
    "trial.created",
    "trial.in_force",
    "trial.report_submitted",
    "trial.evaluation_recorded",
    "trial.extension_applied",
    "trial.extended",
    "trial.extension_refused",
    "trial.ended",
    "trial.stopped",
    "trial.made_permanent",
}


# The municipality's view of its trial's history follows the rule of the application's
# (``trials.labels.AUDIT_ACTIONS``' ``applicant``): KDD's assessment is internal preparation
# until the decision and is left out, and a step written for KDD is shown without its reason
# (a proposal's reasons reach the municipality in the decision letter).
APPLICANT_HIDDEN_TRIAL_EVENTS = {"trial.extension_assessed", "trial.extension_initiated"}
APPLICANT_NO_REASON_TRIAL_EVENTS = {
    "trial.extension_proposed",
    "trial.extension_proposal_returned",
    "trial.officer_reassigned",
}


def trial_history(trial, *, public: bool = False, applicant: bool = False) -> list[dict]:
    """The trial's audit trail in words, newest first; ``public``: only the legal steps,
    without names or internal reasons; ``applicant``: the municipality's view, without
    KDD's internal work on an extension before it is decided."""
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Trial), object_id=str(trial.pk)
    ).select_related("actor")
    if public:
        events = events.filter(action__in=PUBLIC_TRIAL_EVENTS)
    elif applicant:
        events = events.exclude(action__in=APPLICANT_HIDDEN_TRIAL_EVENTS)
    return [
        {
            "at": event.created_at,
            "label": TRIAL_EVENTS.get(event.action, event.action),
            "actor": ""
            if public
            else (event.actor.get_full_name() or event.actor.username)
            if event.actor
            else "",
            "reason": ""
            if public or (applicant and event.action in APPLICANT_NO_REASON_TRIAL_EVENTS)
            else event.reason,
        }
        for event in events.order_by("-created_at", "-id")[:100]
    ]
