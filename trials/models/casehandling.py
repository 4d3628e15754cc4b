"""What the ministry's case handling records: assessments, consultations, proposals,
decisions, interim replies and the resulting trial. Legally significant, so real tables;
the viewflow process only points at them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.choices import OrganisationKind
from casework.models import JournalEntry, Organisation
from trials.choices import ConsultationStatus, Position, ProposalStatus
from trials.models.applications import Application, ExemptionRequest


class Consultation(models.Model):
    """A consultation (høring) of one line ministry on the exemptions under its acts."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    extension = models.ForeignKey(
        "trials.Extension",
        verbose_name=_("application for extension"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        help_text=_("Set when the consultation is on an application for extension."),
    )
    ministry = models.ForeignKey(
        Organisation,
        verbose_name=_("ministry"),
        on_delete=models.PROTECT,
        related_name="consultations",
        limit_choices_to={"kind": OrganisationKind.DEPARTEMENT},
    )
    exemptions = models.ManyToManyField(
        ExemptionRequest, verbose_name=_("exemptions"), related_name="consultations"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ConsultationStatus.choices,
        default=ConsultationStatus.OPEN,
    )
    message = models.TextField(_("letter text"), blank=True)
    due_date = models.DateField(_("answer by"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    letter = models.ForeignKey(
        JournalEntry,
        verbose_name=_("letter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    statement = models.TextField(_("overall statement"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("answer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["application", "ministry__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "ministry"],
                condition=Q(status="open"),
                name="consultation_one_open_per_ministry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} – {self.ministry}"

    @property
    def is_open(self) -> bool:
        return self.status == ConsultationStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()


class ConsultationAnswer(models.Model):
    """A line ministry's position on one exemption."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    exemption = models.ForeignKey(
        ExemptionRequest,
        verbose_name=_("exemption"),
        on_delete=models.PROTECT,
        related_name="consultation_answers",
    )
    position = models.CharField(_("position"), max_length=30, choices=Position.choices)
    statement = models.TextField(_("statement"), blank=True)

    class Meta:
        verbose_name = _("consultation answer")
        verbose_name_plural = _("consultation answers")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "exemption"], name="consultation_answer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exemption} – {self.get_position_display()}"


class DecisionProposal(models.Model):
    """The case officer's proposed decision; a different person approves it (four eyes)."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    extension = models.ForeignKey(
        "trials.Extension",
        verbose_name=_("application for extension"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        help_text=_("Set when the proposal decides an application for extension."),
    )
    summary = models.TextField(_("summary and reasons"))
    letter_language = models.CharField(
        _("written form of the decision letter"),
        max_length=2,
        blank=True,
        help_text=_("Bokmål or nynorsk: the recipient's recorded form or the officer's choice."),
    )
    outcomes = models.JSONField(
        _("proposed outcome per exemption"),
        default=dict,
        help_text=_("{exemption id: {outcome, reasons, conditions}} as proposed."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PENDING,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("comments"), blank=True)

    class Meta:
        verbose_name = _("decision proposal")
        verbose_name_plural = _("decision proposals")
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("proposed_by")),
                name="proposal_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="pending"),
                name="proposal_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} {self.proposed_at:%Y-%m-%d}"

    @property
    def grants_extension(self) -> bool:
        """An extension proposal: whether it proposes to grant (``outcomes["grant"]``)."""
        return bool(self.outcomes.get("grant"))


class InterimReply(models.Model):
    """A foreløpig svar (forvaltningsloven § 11 a): why it takes time and when to expect it."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="interim_replies",
    )
    reason = models.TextField(_("why the case takes time"))
    expected_decision = models.DateField(_("decision expected by"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("journal entry"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("interim reply")
        verbose_name_plural = _("interim replies")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.application.reference} {self.sent_at:%Y-%m-%d}"
