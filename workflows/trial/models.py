"""The follow-up process of a trial in force (viewflow process row)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from trials.models import Trial


class TrialProcess(Process):
    """The timers watching one trial in force: its end, expiry warnings, report deadlines.

    The trial's status and dates live in trials' tables; the process only knows which trial
    it watches.
    """

    trial = models.OneToOneField(
        Trial,
        verbose_name=_("trial"),
        on_delete=models.PROTECT,
        related_name="process",
    )

    class Meta:
        verbose_name = _("trial follow-up process")
        verbose_name_plural = _("trial follow-up processes")

    def __str__(self) -> str:
        return str(self.trial)

    def is_running(self) -> bool:
        return self.trial.status == "in_force"
