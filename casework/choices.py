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


class CaseStatus(models.TextChoices):
    """Noark 5 saksstatus (the subset used here)."""

    UNDER_TREATMENT = "B", _("Under treatment (B)")
    CLOSED = "A", _("Closed (A)")


class EntryType(models.TextChoices):
    """Noark 5 journalposttype."""

    INCOMING = "I", _("Incoming document (I)")
    OUTGOING = "U", _("Outgoing document (U)")
    INTERNAL_FOLLOW_UP = "N", _("Internal note with follow-up (N)")
    INTERNAL = "X", _("Internal note without follow-up (X)")


class EntryStatus(models.TextChoices):
    """Noark 5 journalstatus."""

    JOURNALED = "J", _("Journaled (J)")
    FINALISED = "F", _("Finalised (F)")
    APPROVED = "G", _("Approved by the manager (G)")
    EXPEDITED = "E", _("Expedited (E)")
    ARCHIVED = "A", _("Archived (A)")


class ScreeningBasis(models.TextChoices):
    """Legal basis in offentleglova for withholding a document from the public."""

    NONE = "", _("Public")
    OFFL_13 = "offl_13", _("Offentleglova § 13 (duty of confidentiality)")
    OFFL_14 = "offl_14", _("Offentleglova § 14 (internal document)")
    OFFL_15 = "offl_15", _("Offentleglova § 15 (obtained for internal preparation)")
    OFFL_23 = "offl_23", _("Offentleglova § 23 (negotiating position of the public)")
    OFFL_26 = "offl_26", _("Offentleglova § 26 (personal data)")


class AccessRequestStatus(models.TextChoices):
    """Where an access request (innsynskrav) stands."""

    RECEIVED = "received", _("Received")
    GRANTED = "granted", _("Access granted")
    REFUSED = "refused", _("Access refused")


class MailStatus(models.TextChoices):
    """Where one outgoing mail of the outbox stands."""

    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (no recipient)")
