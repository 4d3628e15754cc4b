import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from casework.choices import OrganisationKind
from casework.models import Organisation, Screened
from legal.models import Provision
from trials.choices import (
    WITHDRAWABLE_STATUSES,
    ApplicationStatus,
    Assessment,
    AttachmentKind,
    ExemptionStatus,
    Outcome,
    Purpose,
    ScreeningBasis,
    Stage,
)
from trials.rules import (
    MAX_PERIOD_MONTHS,
    MIN_PERIOD_MONTHS,
    period_help_text_lazy,
    period_range_message_lazy,
)

LOCAL_GOVERNMENT = {"kind__in": [OrganisationKind.KOMMUNE, OrganisationKind.FYLKESKOMMUNE]}


class Call(models.Model):
    """A call for applications (søknadsrunde) published by KDD."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opens_on = models.DateField(_("opening date"))
    closes_on = models.DateField(_("closing date"))
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="calls",
        limit_choices_to={"kind": OrganisationKind.DEPARTEMENT},
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")
        ordering = ["-opens_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="call_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.opens_on <= on <= self.closes_on


class Application(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """An application (søknad) for a trial under forsøksloven.

    The status is the legal status everyone sees. Only the transitions below move it, and
    only ``trials.services`` calls them (with audit and notifications).
    """

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    call = models.ForeignKey(
        Call,
        verbose_name=_("call for applications"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        help_text=_("Leave empty for an application outside any call."),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    preliminary = models.ForeignKey(
        "self",
        verbose_name=_("preliminary application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="final_applications",
        help_text=_("For a final application: the preliminary application it continues."),
    )
    based_on_trial = models.ForeignKey(
        "trials.Trial",
        verbose_name=_("builds on the trial"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followers",
        help_text=_("The public trial whose exemptions this application started from."),
    )
    title = models.CharField(_("title of the trial"), max_length=200)
    summary = models.TextField(
        _("summary"), blank=True, help_text=_("A few sentences for the public status page.")
    )
    description = models.TextField(_("description of the trial"), blank=True)
    categories = models.JSONField(
        _("what the trial covers (forsøksloven § 3)"), default=list, blank=True
    )
    expected_effects = models.TextField(_("expected effects"), blank=True)
    effect_measurement = models.TextField(_("how the effects will be measured"), blank=True)
    affected_services = models.TextField(_("services affected"), blank=True)
    affected_citizens = models.TextField(_("citizens affected"), blank=True)
    involvement = models.TextField(
        _("involvement of employee representatives and users"), blank=True
    )
    requested_start = models.DateField(_("requested start date"), null=True, blank=True)
    period_months = models.PositiveSmallIntegerField(
        _("period (months)"), null=True, blank=True, help_text=period_help_text_lazy()
    )
    lead_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("lead applicant"),
        on_delete=models.PROTECT,
        related_name="led_applications",
        limit_choices_to=LOCAL_GOVERNMENT,
    )
    co_applicants = models.ManyToManyField(
        Organisation,
        verbose_name=_("co-applicants"),
        blank=True,
        related_name="joint_applications",
        limit_choices_to=LOCAL_GOVERNMENT,
    )
    status = FSMField(
        _("status"),
        max_length=30,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_summary = models.TextField(_("decision and reasons"), blank=True)
    # Kept by trials.services.search: the text /soknader/'s words are looked for in.
    search_document = models.TextField(_("search document"), blank=True, editable=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "stage"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_months__isnull=True)
                | models.Q(
                    period_months__gte=MIN_PERIOD_MONTHS, period_months__lte=MAX_PERIOD_MONTHS
                ),
                name="application_period_within_law",
                violation_error_message=period_range_message_lazy(),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def applicant_organisations(self) -> list[Organisation]:
        return [self.lead_organisation, *self.co_applicants.all()]

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT

    @property
    def is_joint(self) -> bool:
        return self.co_applicants.exists()

    # Transitions: they only move the state and set fields that belong to the move.

    @transition(field=status, source=ApplicationStatus.DRAFT, target=ApplicationStatus.SUBMITTED)
    def submit(self, *, at):
        self.submitted_at = at

    @transition(field=status, source=WITHDRAWABLE_STATUSES, target=ApplicationStatus.WITHDRAWN)
    def withdraw(self, *, reason: str):
        self.withdrawn_reason = reason

    @transition(
        field=status,
        source=[ApplicationStatus.REGISTERED, ApplicationStatus.UNDER_REVIEW],
        target=ApplicationStatus.AWAITING_APPLICANT,
    )
    def request_information(self):
        pass

    @transition(
        field=status,
        source=ApplicationStatus.AWAITING_APPLICANT,
        target=ApplicationStatus.UNDER_REVIEW,
    )
    def continue_without_answer(self):
        pass

    @transition(
        field=status, source=ApplicationStatus.SUBMITTED, target=ApplicationStatus.REGISTERED
    )
    def register(self, *, at):
        self.registered_at = at

    @transition(
        field=status, source=ApplicationStatus.REGISTERED, target=ApplicationStatus.UNDER_REVIEW
    )
    def accept_as_complete(self):
        pass

    @transition(
        field=status,
        source=ApplicationStatus.UNDER_REVIEW,
        target=ApplicationStatus.IN_CONSULTATION,
    )
    def start_consultation(self):
        pass

    @transition(
        field=status,
        source=ApplicationStatus.IN_CONSULTATION,
        target=ApplicationStatus.UNDER_REVIEW,
    )
    def end_consultation(self):
        pass

    @transition(
        field=status,
        source=ApplicationStatus.UNDER_REVIEW,
        target=ApplicationStatus.DECISION_PROPOSED,
    )
    def propose_decision(self):
        pass

    @transition(
        field=status,
        source=ApplicationStatus.DECISION_PROPOSED,
        target=ApplicationStatus.UNDER_REVIEW,
    )
    def return_proposal(self):
        pass

    @transition(
        field=status, source=ApplicationStatus.DECISION_PROPOSED, target=ApplicationStatus.APPROVED
    )
    def approve(self, *, at, summary: str):
        self.decided_at = at
        self.decision_summary = summary

    @transition(
        field=status, source=ApplicationStatus.DECISION_PROPOSED, target=ApplicationStatus.REJECTED
    )
    def reject(self, *, at, summary: str):
        self.decided_at = at
        self.decision_summary = summary

    @transition(
        field=status,
        source=ApplicationStatus.AWAITING_APPLICANT,
        target=ApplicationStatus.REJECTED,
    )
    def close_without_answer(self, *, at, summary: str):
        self.decided_at = at
        self.decision_summary = summary

    @transition(
        field=status,
        source=ApplicationStatus.AWAITING_APPLICANT,
        target=ApplicationStatus.UNDER_REVIEW,
    )
    def answer_request(self):
        pass


class ApplicationPurpose(models.Model):
    """One forsøksloven § 1 purpose the trial serves, with the applicant's justification."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="purposes",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    justification = models.TextField(_("justification"))

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "purpose"], name="purpose_unique_per_application"
            )
        ]

    def __str__(self) -> str:
        return self.get_purpose_display()


class ContactPerson(models.Model):
    """Someone the ministry may contact about the application; gets its emails. Never public."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ExemptionRequest(models.Model):
    """A request to waive one provision during the trial (søknad om unntak)."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="exemption_requests",
    )
    provision = models.ForeignKey(
        Provision,
        verbose_name=_("provision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exemption_requests",
    )
    citation_text = models.CharField(
        _("citation as written"),
        max_length=300,
        blank=True,
        help_text=_(
            "When the provision could not be found in the register; an officer resolves it."
        ),
    )
    subsection = models.PositiveSmallIntegerField(_("subsection (ledd)"), null=True, blank=True)
    current_rule = models.TextField(_("what the rule requires today"), blank=True)
    proposed_arrangement = models.TextField(
        _("what shall apply instead during the trial"), blank=True
    )
    justification = models.TextField(_("justification"), blank=True)
    consequences = models.TextField(
        _("consequences for individuals' rights and legal safeguards"), blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=30,
        choices=ExemptionStatus.choices,
        default=ExemptionStatus.REQUESTED,
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    assessment = models.CharField(
        _("assessment"), max_length=30, choices=Assessment.choices, blank=True
    )
    assessment_note = models.TextField(_("assessment note"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    outcome_reasons = models.TextField(_("reasons"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)

    class Meta:
        verbose_name = _("exemption request")
        verbose_name_plural = _("exemption requests")
        ordering = ["application", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(provision__isnull=False) | ~models.Q(citation_text=""),
                name="exemption_has_provision_or_citation",
            )
        ]

    def __str__(self) -> str:
        return self.provision_label

    @property
    def provision_label(self) -> str:
        if self.provision_id is None:
            return self.citation_text
        label = f"{self.provision.act.short_title} {self.provision.section}"
        if self.subsection:
            label += f" ({self.subsection}. ledd)"
        return label

    @property
    def is_resolved(self) -> bool:
        return self.provision_id is not None


def attachment_path(instance, filename: str) -> str:
    """A server-generated name; the user's file name is kept only in ``original_name``."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(Screened, models.Model):
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=AttachmentKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For a council decision: the council that adopted it."),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    screening_basis = models.CharField(
        _("screening"),
        max_length=20,
        choices=ScreeningBasis.choices,
        blank=True,
        help_text=_("Empty when the document is public; else the offentleglova basis."),
    )
    answer = models.ForeignKey(
        "InformationRequest",
        verbose_name=_("answer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class InformationRequest(models.Model):
    """The ministry's request for more information, and the applicant's answer."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="information_requests",
    )
    message = models.TextField(_("what the ministry asks for"))
    due_date = models.DateField(_("answer by"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    answer_text = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.application.reference} {self.requested_at:%Y-%m-%d}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
