"""The trial after the decision: its regulation, follow-up, extensions and end.

The trial's status is its legal status (what the public sees): django-fsm-2 owns it and only
``trials.services.trials`` fires the transitions below, with audit and journal.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from casework.models import JournalEntry, Screened
from trials.choices import (
    ExtensionStatus,
    ObligationKind,
    ReportStatus,
    ScreeningBasis,
    TrialNoticeKind,
    TrialStatus,
)
from trials.models.applications import Application, ExemptionRequest
from trials.rules import FOR_ID_PATTERN, MAX_EXTENSION_MONTHS


def trial_document_path(instance, filename: str) -> str:
    """A server-generated name; the user's file name is kept in ``original_name``."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"trials/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Trial(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """An approved trial (forsøk): the granted exemptions, the period and what follows.

    ``ends_on`` is the first day the trial no longer applies (it runs until the day before);
    ``period_ends_on`` is the end of the period first set by the regulation, from which the
    two years of extension are counted.
    """

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="trial",
    )
    exemptions = models.ManyToManyField(
        ExemptionRequest, verbose_name=_("granted exemptions"), related_name="trials"
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=TrialStatus.choices,
        default=TrialStatus.APPROVED,
        protected=True,
        db_index=True,
    )
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    period_ends_on = models.DateField(
        _("end of the original period"),
        null=True,
        blank=True,
        help_text=_("Set when the trial comes into force; extensions are counted from it."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case officer following up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_on = models.DateField(_("ended on"), null=True, blank=True)
    closure_reason = models.TextField(_("reasons"), blank=True)
    stopped_at_request = models.BooleanField(
        _("stopped at the municipality's request"), default=False
    )
    law_reference = models.CharField(
        _("law change that makes it permanent"),
        max_length=200,
        blank=True,
        help_text=_("For example LOV-2029-06-20-55 or Prop. 120 L (2028–2029)."),
    )
    law_date = models.DateField(_("law change in force from"), null=True, blank=True)

    class Meta:
        verbose_name = _("trial")
        verbose_name_plural = _("trials")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="trial_period"),
            models.CheckConstraint(
                condition=~Q(status="made_permanent")
                | (~Q(law_reference="") & Q(law_date__isnull=False)),
                name="trial_permanent_names_the_law",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.application.title} ({self.starts_on:%Y}–{self.ends_on:%Y})"

    def in_force_on(self, day) -> bool:
        return self.status == TrialStatus.IN_FORCE and self.starts_on <= day < self.ends_on

    @property
    def is_closed(self) -> bool:
        return self.status in (TrialStatus.ENDED, TrialStatus.MADE_PERMANENT, TrialStatus.STOPPED)

    # Transitions: they only move the state and set fields that belong to the move.

    @transition(field=status, source=TrialStatus.APPROVED, target=TrialStatus.IN_FORCE)
    def enter_into_force(self, *, starts_on, ends_on, officer):
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.period_ends_on = ends_on
        self.officer = officer

    @transition(field=status, source=TrialStatus.IN_FORCE, target=TrialStatus.IN_FORCE)
    def extend(self, *, ends_on):
        self.ends_on = ends_on

    @transition(field=status, source=TrialStatus.IN_FORCE, target=TrialStatus.ENDED)
    def end(self, *, on, reasons: str):
        self.closed_on = on
        self.closure_reason = reasons

    @transition(
        field=status,
        source=[TrialStatus.APPROVED, TrialStatus.IN_FORCE],
        target=TrialStatus.STOPPED,
    )
    def stop(self, *, on, reasons: str, at_request: bool):
        self.closed_on = on
        self.closure_reason = reasons
        self.stopped_at_request = at_request

    @transition(
        field=status,
        source=[TrialStatus.IN_FORCE, TrialStatus.ENDED],
        target=TrialStatus.MADE_PERMANENT,
    )
    def make_permanent(self, *, on, reasons: str, law_reference: str, law_date):
        self.closed_on = self.closed_on or on
        self.closure_reason = reasons
        self.law_reference = law_reference
        self.law_date = law_date


class Regulation(models.Model):
    """The regulation on the trial (forskrift om forsøk), published in Lovdata."""

    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.PROTECT, related_name="regulations"
    )
    for_id = models.CharField(
        _("regulation id"),
        max_length=24,
        unique=True,
        validators=[RegexValidator(FOR_ID_PATTERN)],
        help_text=_("Lovdata's id, FOR-YYYY-MM-DD-NNNN."),
    )
    title = models.CharField(_("title"), max_length=300)
    adopted_on = models.DateField(_("adopted on"))
    in_force_from = models.DateField(_("in force from"))
    in_force_to = models.DateField(
        _("in force until"), help_text=_("The first day it no longer applies.")
    )
    file = models.FileField(
        _("text of the regulation"), upload_to=trial_document_path, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    lovdata_url = models.URLField(_("address at Lovdata"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("journal entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("regulation on a trial")
        verbose_name_plural = _("regulations on trials")
        ordering = ["trial", "adopted_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(in_force_to__gt=F("in_force_from")), name="regulation_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.for_id} {self.title}"


class Extension(models.Model):
    """An extension (forlengelse): applied for by the municipality, decided by KDD.

    By a number of months (at most two years in all), or until a named reform takes effect.
    """

    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.PROTECT, related_name="extensions"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ExtensionStatus.choices,
        default=ExtensionStatus.REQUESTED,
    )
    months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)
    reform_reference = models.CharField(
        _("reform"),
        max_length=300,
        blank=True,
        help_text=_("The planned or decided reform, with its reference (e.g. a Prop. or law)."),
    )
    reform_date = models.DateField(_("reform takes effect on"), null=True, blank=True)
    justification = models.TextField(_("justification"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied for by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("applied for at"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    assessment_note = models.TextField(
        _("assessment"),
        blank=True,
        help_text=_("The case officer's assessment of the terms (internal until decided)."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reasons = models.TextField(_("reasons for the decision"), blank=True)
    previous_ends_on = models.DateField(_("end date before"), null=True, blank=True)
    new_ends_on = models.DateField(_("new end date"), null=True, blank=True)
    application_entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    letter = models.ForeignKey(
        JournalEntry,
        verbose_name=_("decision letter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["trial", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(months__isnull=False, reform_reference="", reform_date__isnull=True)
                    | (Q(months__isnull=True, reform_date__isnull=False) & ~Q(reform_reference=""))
                ),
                name="extension_months_or_named_reform",
            ),
            models.CheckConstraint(
                condition=Q(months__isnull=True) | Q(months__lte=MAX_EXTENSION_MONTHS),
                name="extension_at_most_two_years",
            ),
            models.UniqueConstraint(
                fields=["trial"], condition=Q(status="requested"), name="extension_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trial}: {self.months or self.reform_reference}"

    @property
    def until_reform(self) -> bool:
        return self.months is None

    @property
    def on_own_initiative(self) -> bool:
        """Proposed by KDD without an application from the municipality
        (``trials.services.trial_extend``)."""
        return self.requested_at is None

    @property
    def asked_ends_on(self):
        """The end date the extension's terms give the trial (its end date now plus the
        months, or the reform's date); the new end date once granted."""
        from trials.rules import extended_end

        return self.new_ends_on or extended_end(self.trial.ends_on, self.months, self.reform_date)


class FollowUpObligation(models.Model):
    """Something the municipality must deliver by a date (a yearly report, the evaluation)."""

    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.CASCADE, related_name="obligations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ObligationKind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    due_on = models.DateField(_("due date"))
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up obligation")
        verbose_name_plural = _("follow-up obligations")
        ordering = ["trial", "due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"

    @property
    def is_fulfilled(self) -> bool:
        return self.fulfilled_at is not None


class Report(Screened, models.Model):
    """A report from the municipality on its trial: public unless screened."""

    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.PROTECT, related_name="reports"
    )
    obligation = models.ForeignKey(
        FollowUpObligation,
        verbose_name=_("obligation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("report"))
    screening_basis = models.CharField(
        _("screening"), max_length=20, choices=ScreeningBasis.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    response = models.TextField(_("the ministry's response"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("journal entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report on a trial")
        verbose_name_plural = _("reports on trials")
        ordering = ["trial", "submitted_at", "pk"]

    def __str__(self) -> str:
        return self.title


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=trial_document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")
        ordering = ["report", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Evaluation(Screened, models.Model):
    """An evaluation of the trial recorded by KDD: who evaluated, the report, the conclusion."""

    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.PROTECT, related_name="evaluations"
    )
    evaluator = models.CharField(
        _("evaluated by"), max_length=200, help_text=_("The researchers or body that evaluated.")
    )
    conclusion = models.TextField(_("conclusion"))
    file = models.FileField(
        _("evaluation report"), upload_to=trial_document_path, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    screening_basis = models.CharField(
        _("screening"), max_length=20, choices=ScreeningBasis.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("journal entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["trial", "recorded_at", "pk"]

    def __str__(self) -> str:
        return self.evaluator


class TrialNotice(models.Model):
    """A warning or reminder the follow-up timers sent, so that none is sent twice."""

    trial = models.ForeignKey(
        Trial, verbose_name=_("trial"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TrialNoticeKind.choices)
    obligation = models.ForeignKey(
        FollowUpObligation,
        verbose_name=_("obligation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
    )
    about = models.DateField(
        _("about the date"), help_text=_("The end date or due date the notice is about.")
    )
    months_before = models.PositiveSmallIntegerField(_("months before"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up notice")
        verbose_name_plural = _("follow-up notices")
        ordering = ["trial", "sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "kind", "about", "months_before"],
                condition=Q(obligation__isnull=True),
                name="trialnotice_once_per_trial",
            ),
            models.UniqueConstraint(
                fields=["obligation", "kind", "about"],
                condition=Q(obligation__isnull=False),
                name="trialnotice_once_per_obligation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trial_id} {self.kind} {self.about}"
