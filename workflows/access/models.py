from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from casework.models import AccessRequest


class AccessRequestProcess(Process):
    """The running process of one access request (innsynskrav).

    The request, its decision and legal basis live in casework's ``AccessRequest``; the
    process only knows which request it drives.
    """

    access_request = models.OneToOneField(
        AccessRequest,
        verbose_name=_("access request"),
        on_delete=models.PROTECT,
        related_name="process",
    )

    class Meta:
        verbose_name = _("access request process")
        verbose_name_plural = _("access request processes")

    def __str__(self) -> str:
        return str(self.access_request)

    def is_decided(self) -> bool:
        return self.access_request.is_decided
