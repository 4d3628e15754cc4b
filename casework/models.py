import hashlib
import re

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casework.choices import (
    AccessRequestStatus,
    CaseStatus,
    EntryStatus,
    EntryType,
    LanguageForm,
    MailStatus,
    OrganisationKind,
    Role,
    ScreeningBasis,
)


class OrganisationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def municipalities(self):
        return self.filter(kind=OrganisationKind.KOMMUNE)

    def counties(self):
        return self.filter(kind=OrganisationKind.FYLKESKOMMUNE)

    def ministries(self):
        return self.filter(kind=OrganisationKind.DEPARTEMENT)

    def local_governments(self):
        return self.filter(kind__in=[OrganisationKind.KOMMUNE, OrganisationKind.FYLKESKOMMUNE])


# A Norwegian postal address as a letter's address block has it: street or PO box, then
# postcode (four digits) and place (the Posten standard). The one home of these rules: the
# portal's form and the service read them from here.
POSTCODE_PATTERN = r"^\d{4}$"
POSTAL_STREET_MAX = 200
POSTAL_PLACE_MAX = 100
_POSTCODE_LINE = re.compile(r"^(\d{4})\s+(.+)$")


def postal_address_compose(street: str, postcode: str, place: str) -> str:
    """The stored address: the street lines, then "postcode PLACE" (one line each)."""
    lines = [line.strip() for line in street.splitlines() if line.strip()]
    return "\n".join([*lines, f"{postcode.strip()} {place.strip()}"])


def postal_address_parts(address: str) -> tuple[str, str, str]:
    """(street, postcode, place) of a stored address; a last line that is no "postcode
    place" leaves postcode and place empty (an address typed in the admin)."""
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    if lines and (match := _POSTCODE_LINE.match(lines[-1])):
        return "\n".join(lines[:-1]), match.group(1), match.group(2)
    return "\n".join(lines), "", ""


class Organisation(models.Model):
    """A municipality, county municipality, ministry or other body.

    Municipalities merge and split: an organisation is never deleted, it is closed with
    ``valid_to`` and ``active=False`` and a new row takes over the number.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    number = models.CharField(
        _("official number"),
        max_length=4,
        blank=True,
        help_text=_("Kommunenummer (4 digits) or fylkesnummer (2 digits)."),
        validators=[RegexValidator(r"^\d{2}(\d{2})?$", _("Two or four digits."))],
    )
    code = models.CharField(
        _("short code"),
        max_length=10,
        blank=True,
        help_text=_("Abbreviation used for ministries, e.g. KDD."),
    )
    organisation_number = models.CharField(
        _("organisation number"),
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^\d{9}$", _("Nine digits."))],
        help_text=_("From the Central Coordinating Register for Legal Entities."),
    )
    name = models.CharField(_("name"), max_length=200)
    parallel_names = models.JSONField(
        _("parallel official names"),
        default=list,
        blank=True,
        help_text=_("Official Sami or Kven names used alongside the Norwegian name."),
    )
    name_nn = models.CharField(_("name (nynorsk)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    county = models.ForeignKey(
        "self",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="municipalities",
        limit_choices_to={"kind": OrganisationKind.FYLKESKOMMUNE},
    )
    language_form = models.CharField(
        _("written language form"),
        max_length=2,
        choices=LanguageForm.choices,
        blank=True,
        help_text=_("Målform: letters to this organisation are written in it."),
    )
    email = models.EmailField(_("official email address"), blank=True)
    postal_address = models.TextField(
        _("postal address"),
        blank=True,
        help_text=_("As it stands in a letter's address block, one line per line."),
    )
    ansattporten_role = models.CharField(
        _("role given by Ansattporten"),
        max_length=20,
        choices=Role.choices,
        blank=True,
        help_text=_(
            "When set, a person Ansattporten says acts for this organisation (by its "
            "organisation number) gets this role on login. Empty: only by invitation."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "number", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "number"],
                condition=Q(active=True) & ~Q(number=""),
                name="organisation_unique_active_number",
            ),
            models.UniqueConstraint(
                fields=["kind", "code"],
                condition=Q(active=True) & ~Q(code=""),
                name="organisation_unique_active_code",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="organisation_valid_period",
            ),
            # Logging in never makes anyone an administrator.
            models.CheckConstraint(
                condition=~Q(ansattporten_role=Role.ADMINISTRATOR),
                name="organisation_login_role_not_administrator",
            ),
        ]
        indexes = [models.Index(fields=["kind", "active"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the current UI language where we have one, with parallel names."""
        language = (get_language() or "nb")[:2]
        base = {"nn": self.name_nn, "en": self.name_en}.get(language) or self.name
        if self.parallel_names:
            return " – ".join([base, *self.parallel_names])
        return base

    @property
    def postal_address_lines(self) -> list[str]:
        """The postal address as a letter's address block prints it; [] when none is
        recorded (the case officer is told before a letter goes out)."""
        return [line.strip() for line in self.postal_address.splitlines() if line.strip()]

    @property
    def is_local_government(self) -> bool:
        return self.kind in (OrganisationKind.KOMMUNE, OrganisationKind.FYLKESKOMMUNE)

    @property
    def letter_language(self) -> str:
        """The written form letters to this organisation must be in (språklova § 11): its
        recorded målform, or "" when it is neutral or has recorded none. A neutral recipient's
        letters are written in the form the case officer chooses (``trials.journal``)."""
        return self.language_form

    @property
    def is_language_neutral(self) -> bool:
        return self.language_form == LanguageForm.NEUTRAL


class Membership(models.Model):
    """A user's role in an organisation; the role's Django group carries the permissions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class AuditEventQuerySet(models.QuerySet):
    """Refuses bulk changes: the audit trail is append-only."""

    def update(self, **kwargs):
        raise AuditTrailImmutable(_("Audit events cannot be changed."))

    def delete(self):
        raise AuditTrailImmutable(_("Audit events cannot be deleted."))


class AuditTrailImmutable(Exception):
    pass


class AuditEvent(models.Model):
    """Who did what to which object, when, from which state to which, and why.

    Written only by ``casework.services.audit_record``; never updated or deleted. On
    PostgreSQL a trigger refuses UPDATE and DELETE as well (migration 0002).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted on its own (timers, imports)."),
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    action = models.CharField(_("action"), max_length=64)
    from_state = models.CharField(_("from state"), max_length=40, blank=True)
    to_state = models.CharField(_("to state"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailImmutable(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable(_("Audit events cannot be deleted."))


class Sequence(models.Model):
    """Gapless counters per name and year (application references, case and journal numbers).

    Incremented only by ``casework.services.sequence_next`` under a row lock, in the caller's
    transaction: a rolled-back transaction gives its number back.
    """

    name = models.CharField(_("name"), max_length=40)
    year = models.PositiveIntegerField(_("year"))
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="sequence_unique_name_year")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}: {self.last_value}"


class CaseFile(models.Model):
    """A case (sak) in the ministry's records, numbered Noark-style ``YYYY/NNNNNN``.

    casework knows no trial: the case points at what it is about through a generic relation.
    """

    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    title = models.CharField(_("title"), max_length=300)
    public_title = models.CharField(
        _("public title"),
        max_length=300,
        help_text=_("The title with screened words replaced by asterisks."),
    )
    status = models.CharField(
        _("case status"),
        max_length=1,
        choices=CaseStatus.choices,
        default=CaseStatus.UNDER_TREATMENT,
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT
    )
    object_id = models.CharField(_("object id"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("party"),
        on_delete=models.PROTECT,
        related_name="case_files",
        help_text=_("The organisation the case is about, e.g. the applicant."),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case file")
        verbose_name_plural = _("case files")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="casefile_unique_number"),
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="casefile_one_per_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"{self.year}/{self.sequence:06d}"


class Screened:
    """A record or document with a ``screening_basis`` (offentleglova): public when it has
    none. The one home of that rule for attachments, reports, evaluations and journal entries."""

    @property
    def is_public(self) -> bool:
        return not self.screening_basis


class NumberInCaseField(models.PositiveIntegerField):
    """A journal entry's number within its case, read back from the INSERT (``RETURNING``):
    ``casework.services.journal_entry_create`` lets the INSERT itself take the next one
    (the case file's row locked) instead of reading the last one first."""

    db_returning = True


class JournalEntry(Screened, models.Model):
    """A registry entry (journalpost): every document in or out of a case, letters included.

    Numbered per year (``journal_year``/``journal_sequence``, gapless) and within the case.
    """

    case = models.ForeignKey(
        CaseFile, verbose_name=_("case"), on_delete=models.PROTECT, related_name="entries"
    )
    journal_year = models.PositiveIntegerField(_("journal year"))
    journal_sequence = models.PositiveIntegerField(_("journal sequence number"))
    number_in_case = NumberInCaseField(_("document number in the case"))
    entry_type = models.CharField(_("type"), max_length=1, choices=EntryType.choices)
    document_date = models.DateField(_("document date"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    title = models.CharField(_("title"), max_length=300)
    screened_words = models.JSONField(
        _("screened words"),
        default=list,
        blank=True,
        help_text=_("Words of the title hidden in the public journal."),
    )
    public_title = models.CharField(_("public title"), max_length=300)
    correspondent = models.ForeignKey(
        Organisation,
        verbose_name=_("sender or recipient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    correspondent_name = models.CharField(
        _("sender or recipient (name)"), max_length=200, blank=True
    )
    screening_basis = models.CharField(
        _("screening"), max_length=20, choices=ScreeningBasis.choices, blank=True
    )
    screening_changed_at = models.DateTimeField(
        _("screening changed"),
        null=True,
        blank=True,
        help_text=_(
            "When an officer last set or lifted the screening (the public validators read it)."
        ),
    )
    status = models.CharField(
        _("journal status"),
        max_length=1,
        choices=EntryStatus.choices,
        default=EntryStatus.JOURNALED,
    )
    access_postponed = models.BooleanField(
        _("access postponed until the case is closed"),
        default=False,
        help_text=_(
            "Listed in the public journal, but the document is released only when the case "
            "is decided and closed (offentleglova § 5), e.g. a line ministry's consultation "
            "answer."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["case", "number_in_case"]
        constraints = [
            models.UniqueConstraint(
                fields=["journal_year", "journal_sequence"], name="journalentry_unique_number"
            ),
            models.UniqueConstraint(
                fields=["case", "number_in_case"], name="journalentry_unique_in_case"
            ),
        ]
        # The public journal lists the newest first and filters by journal date; its
        # validator reads the newest screening change (``public_journal_stamp``).
        indexes = [
            models.Index(fields=["-registered_at", "-id"], name="journalentry_registered"),
            models.Index(
                fields=["screening_changed_at"],
                name="journalentry_screening_changed",
                condition=models.Q(screening_changed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journal_number} {self.title}"

    @property
    def journal_number(self) -> str:
        return f"{self.journal_year}/{self.journal_sequence:06d}"

    @property
    def document_number(self) -> str:
        """Noark's ``2026/000123-4``: case number and number within the case."""
        return f"{self.case.number}-{self.number_in_case}"

    @property
    def is_postponed(self) -> bool:
        """Access is postponed and the case is not yet closed."""
        return self.access_postponed and self.case.status != CaseStatus.CLOSED

    @property
    def is_public(self) -> bool:
        """Anyone may read the document now: not screened, and not postponed."""
        return super().is_public and not self.is_postponed


class JournalDocument(models.Model):
    """A file registered on a journal entry (the letter itself, or an attachment)."""

    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("journal entry"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(_("file"), upload_to="journal/%Y/%m/", max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    # A document may already be stored elsewhere (an application's attachment): link it.
    source_type = models.ForeignKey(
        ContentType,
        verbose_name=_("source type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    is_main = models.BooleanField(_("main document"), default=False)
    language = models.CharField(
        _("written language form"),
        max_length=2,
        choices=LanguageForm.choices,
        blank=True,
        help_text=_("For a letter the ministry wrote: the written form it is in (språklova)."),
    )
    letter = models.JSONField(
        _("letter as rendered"),
        default=dict,
        blank=True,
        help_text=_(
            "For a letter rendered from a template: its text, head and foot as drawn in the "
            "PDF, from which its web page is shown. Empty for every other document."
        ),
    )

    class Meta:
        verbose_name = _("journal document")
        verbose_name_plural = _("journal documents")
        ordering = ["entry", "-is_main", "pk"]

    def __str__(self) -> str:
        return self.title


class AccessRequest(models.Model):
    """An access request (innsynskrav, offentleglova § 28) for one entry of the public journal.

    Anyone may ask, without giving a reason or a name; the email address is needed only to
    answer. The requester's email and name are personal data: they are shown to case
    officers only, never on a public page, in the journal or in the audit trail.
    """

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, help_text=_("INN-YYYY-NNNN.")
    )
    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("journal entry"),
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    email = models.EmailField(_("email address"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        default="nb",
        help_text=_("The language of the request form; answers are written in it."),
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    due_date = models.DateField(
        _("answer due"), help_text=_("Three working days after the request (offentleglova § 29).")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AccessRequestStatus.choices,
        default=AccessRequestStatus.RECEIVED,
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
    decision = models.TextField(
        _("decision text"), blank=True, help_text=_("The reasons given to the requester.")
    )
    refusal_basis = models.CharField(
        _("legal basis for refusal"),
        max_length=20,
        choices=ScreeningBasis.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=AccessRequestStatus.REFUSED) | ~Q(refusal_basis=""),
                name="accessrequest_refusal_has_basis",
            ),
            models.CheckConstraint(
                condition=Q(status=AccessRequestStatus.RECEIVED) | Q(decided_at__isnull=False),
                name="accessrequest_decision_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_decided(self) -> bool:
        return self.status != AccessRequestStatus.RECEIVED


class ApiKey(models.Model):
    """A user's key for the REST API (``Authorization: Token <key>``).

    Only the SHA-256 digest of the key is stored, so a copy of the database does not hand out
    working credentials: the key itself is shown once, when it is created
    (``casework.services.api_token_create``). The key is 256 random bits, so a plain fast
    hash is enough; a password hash would only slow down every API request.
    """

    PREFIX_LENGTH = 8

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_key",
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=PREFIX_LENGTH,
        help_text=_("The first characters of the key, so its owner can recognise it."),
    )
    digest = models.CharField(
        _("digest"),
        max_length=64,
        unique=True,
        help_text=_("SHA-256 of the key, in hexadecimal; the key itself is not stored."),
    )
    created = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(
        _("last used"),
        null=True,
        blank=True,
        help_text=_("Updated at most once an hour."),
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_for(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class ExternalIdentity(models.Model):
    """A login at an OIDC provider, linked to one account by the provider's subject (sub).

    A national identity number (pid) is never stored: at most its keyed digest
    (``casework.identity.providers.pid_digest``), so the same person coming through
    ID-porten and Ansattporten reaches one account.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="external_identities",
    )
    provider = models.CharField(_("login provider"), max_length=20)
    subject = models.CharField(_("subject identifier"), max_length=255)
    pid_digest = models.CharField(
        _("identity number digest"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Keyed digest of the national identity number; the number is not stored."),
    )
    created_at = models.DateTimeField(_("first login"), default=timezone.now)
    last_login_at = models.DateTimeField(_("last login"), default=timezone.now)
    last_acr = models.CharField(_("last level of assurance"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("external login")
        verbose_name_plural = _("external logins")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="externalidentity_unique_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.user}"


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None):
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now or timezone.now(),
        )


class Invitation(models.Model):
    """An organisation's administrator invites someone by email to a role.

    The link in the email carries a random token of which only the SHA-256 digest is
    stored; whoever opens it and logs in accepts it, once, before it expires.
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    email = models.EmailField(_("email address"))
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email} – {self.organisation} ({self.get_role_display()})"

    @staticmethod
    def digest_for(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_pending(self, now=None) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > (now or timezone.now())
        )


class OutgoingMail(models.Model):
    """One mail the system has to send: the outbox row written in the same transaction as
    the change that causes it, next to the task that sends it.

    The task (``casework.tasks.mail_deliver``) renders the message with ``renderer`` (a
    dotted path to a function taking ``params``) and marks the row sent, so a task run twice
    sends one mail; ``key`` is unique, so one event queues one mail. ``target`` is the object
    whose history records the mail (the application, the case file, the access request).
    """

    key = models.CharField(_("key"), max_length=200, unique=True)
    renderer = models.CharField(_("renderer"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    secret_params = models.BooleanField(
        _("secret parameters"),
        default=False,
        help_text=_("The parameters hold a secret (an invitation's link): emptied once sent."),
    )
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.subject or self.key

    @property
    def message_id(self) -> str:
        """The same Message-ID for every attempt, so a receiving system can drop a copy."""
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:32]
        return f"<{digest}@frikommune>"


class MailPreference(models.Model):
    """How a person gets the mails about work waiting for them: one by one, or gathered in a
    daily digest (``manage.py send_digests``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="mail_preference",
    )
    daily_digest = models.BooleanField(
        _("daily digest"),
        default=False,
        help_text=_("Gather the mails about new work in one mail a day instead of one by one."),
    )

    class Meta:
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")

    def __str__(self) -> str:
        return str(self.user)


class DigestItem(models.Model):
    """A mail held back for a person's daily digest; ``sent_at`` once it went out."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="digest_items",
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    # the event it tells of, for this person (unique when set: held twice, kept once)
    key = models.CharField(_("key"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest item")
        verbose_name_plural = _("digest items")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="digest_item_key_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="digest_item_unsent",
                condition=Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.subject
