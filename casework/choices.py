from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    KOMMUNE = "kommune", _("Municipality (kommune)")
    FYLKESKOMMUNE = "fylkeskommune", _("County municipality (fylkeskommune)")
    DEPARTEMENT = "departement", _("Ministry (departement)")
    OTHER = "other", _("Other")


class LanguageForm(models.TextChoices):
    """Written standard the organisation has chosen (målform)."""

    BOKMAL = "nb", _("Bokmål")
    NYNORSK = "nn", _("Nynorsk")
    NEUTRAL = "", _("Neutral (no choice)")


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    CASE_OFFICER = "case_officer", _("Case officer")
    APPROVER = "approver", _("Approver")
    CONSULTEE = "consultee", _("Consultee")
    ADMINISTRATOR = "administrator", _("Administrator")
