"""The case process of an application (viewflow proxy of its Process row)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from trials.models import Application, Extension


class CaseProcess(Process):
    """The running case-handling process of one application, or of an application for
    extension of its trial (the same steps, ``extension`` set).

    The legal facts live in trials' tables (assessments, consultations, proposals); the
    process only knows which application (and extension) it drives and which officer owns
    the case. An application has one case process of its own and one per extension.
    """

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="case_processes",
    )
    extension = models.OneToOneField(
        Extension,
        verbose_name=_("application for extension"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_process",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who registered the case; later officer tasks are assigned to them."),
    )

    class Meta:
        verbose_name = _("case process")
        verbose_name_plural = _("case processes")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(extension__isnull=True),
                name="caseprocess_one_per_application",
            )
        ]
        permissions = [
            ("handle_case", _("Can handle cases (case officer)")),
            ("approve_decision", _("Can approve decisions (approver)")),
            ("answer_consultation", _("Can answer consultations (line ministry)")),
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} {self.application.title}"

    def audit_subject(self):
        """Where the process's own events (a timer firing) go in the history."""
        return self.application

    # Branch conditions, named so the flow reads like the business process.

    def is_extension(self) -> bool:
        return self.extension_id is not None

    def is_proposed_at_start(self) -> bool:
        """An extension KDD proposed on its own initiative: its case starts at the approval."""
        return self.is_extension() and self.extension.on_own_initiative

    def is_complete(self) -> bool:
        return self.application.status == "under_review"

    def is_decided(self) -> bool:
        if self.is_extension():
            return self.extension.status != "requested"
        return self.application.status in ("approved", "rejected")
