from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casework.choices import OrganisationKind
from casework.importing import UnicodeJSONEncoder
from casework.models import Organisation
from legal.choices import LIMIT_EXPLANATIONS, ActKind, LimitKind

LOVDATA_ID_RE = r"^(LOV|FOR)-\d{4}-\d{2}-\d{2}(-\d+)?$"
LOVDATA_BASE = "https://lovdata.no/dokument"


def section_number(label: str) -> str:
    """``§ 14 a`` → ``14a``: the comparable core of a section label."""
    return label.replace("§", "").replace(" ", "").lower()


class LegalActQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(in_force=True)


class LegalAct(models.Model):
    """An act (lov) or regulation (forskrift) as published by Lovdata."""

    lovdata_id = models.CharField(
        _("Lovdata id"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(LOVDATA_ID_RE, _("Expected e.g. LOV-2023-06-09-30."))],
        help_text=_("For example LOV-2023-06-09-30 or FOR-2011-08-22-894."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ActKind.choices)
    short_title = models.CharField(_("short title"), max_length=120)
    title = models.CharField(_("full title"), max_length=300)
    aliases = models.JSONField(
        _("abbreviations"),
        default=list,
        encoder=UnicodeJSONEncoder,
        blank=True,
        help_text=_("Other names and abbreviations people write, e.g. oppl., pbl."),
    )
    ministry = models.ForeignKey(
        Organisation,
        verbose_name=_("owning ministry"),
        on_delete=models.PROTECT,
        related_name="legal_acts",
        limit_choices_to={"kind": OrganisationKind.DEPARTEMENT},
    )
    own_trial_provision = models.CharField(
        _("own trial provision"),
        max_length=20,
        blank=True,
        help_text=_("The act's own section allowing trials, e.g. § 29-3; empty if none."),
    )
    in_force = models.BooleanField(_("in force"), default=True)

    objects = LegalActQuerySet.as_manager()

    class Meta:
        verbose_name = _("act or regulation")
        verbose_name_plural = _("acts and regulations")
        ordering = ["short_title"]

    def __str__(self) -> str:
        return self.short_title

    @property
    def lovdata_url(self) -> str:
        prefix, rest = self.lovdata_id.split("-", 1)
        if prefix == "LOV":
            return f"{LOVDATA_BASE}/NL/lov/{rest}"
        return f"{LOVDATA_BASE}/SF/forskrift/{rest}"

    @property
    def is_trial_act(self) -> bool:
        """Forsøksloven itself: its trial section is the general authority, not a sector one."""
        return self.lovdata_id == "LOV-1992-06-26-87"

    @property
    def has_sector_trial_provision(self) -> bool:
        return bool(self.own_trial_provision) and not self.is_trial_act


class Provision(models.Model):
    """A section (paragraf) of an act; subsections (ledd) are given in citations."""

    act = models.ForeignKey(
        LegalAct, verbose_name=_("act"), on_delete=models.CASCADE, related_name="provisions"
    )
    chapter = models.CharField(_("chapter"), max_length=40, blank=True)
    chapter_heading = models.CharField(_("chapter heading"), max_length=300, blank=True)
    section = models.CharField(_("section"), max_length=20, help_text=_("For example § 3-1."))
    section_number = models.CharField(_("section number"), max_length=20, editable=False)
    heading = models.CharField(_("heading"), max_length=300, blank=True)
    order = models.PositiveIntegerField(_("order"))
    citation_key = models.CharField(
        _("citation key"),
        max_length=80,
        unique=True,
        editable=False,
        help_text=_("Stable key, e.g. LOV-2023-06-09-30/§3-1."),
    )
    repealed = models.BooleanField(_("repealed"), default=False)

    class Meta:
        verbose_name = _("provision")
        verbose_name_plural = _("provisions")
        ordering = ["act", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["act", "section_number"], name="provision_unique_section"
            )
        ]

    def __str__(self) -> str:
        return f"{self.act.short_title} {self.section}"

    @staticmethod
    def key_for(lovdata_id: str, section: str) -> str:
        return f"{lovdata_id}/§{section_number(section)}"

    @property
    def lovdata_url(self) -> str:
        return f"{self.act.lovdata_url}/§{section_number(self.section)}"

    @property
    def chapter_title(self) -> str:
        return " ".join(part for part in (self.chapter, self.chapter_heading) if part)

    @property
    def label(self) -> str:
        """``opplæringslova § 13-1 Heading``: how the provision is shown in lists."""
        text = f"{self.act.short_title} {self.section}"
        return f"{text} {self.heading}" if self.heading else text


class ScopeLimit(models.Model):
    """A limit forsøksloven § 4 sets on trials, recorded on a whole act, a chapter or a section.

    Used to warn applicants and to pre-fill case officers' assessments; it never blocks
    an application by itself, since the ministry decides.
    """

    act = models.ForeignKey(
        LegalAct, verbose_name=_("act"), on_delete=models.CASCADE, related_name="scope_limits"
    )
    chapter = models.CharField(
        _("chapter"), max_length=40, blank=True, help_text=_("Whole chapter, e.g. Kapittel 5.")
    )
    provision = models.ForeignKey(
        Provision,
        verbose_name=_("provision"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scope_limits",
    )
    kind = models.CharField(_("kind of limit"), max_length=20, choices=LimitKind.choices)
    note = models.TextField(_("note"), blank=True, help_text=_("Why this limit applies here."))
    note_nn = models.TextField(_("note (nynorsk)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    source = models.CharField(_("source"), max_length=200, default="forsøksloven § 4")

    class Meta:
        verbose_name = _("forsøksloven § 4 limit")
        verbose_name_plural = _("forsøksloven § 4 limits")
        constraints = [
            models.UniqueConstraint(
                fields=["act", "provision", "kind"],
                condition=Q(provision__isnull=False),
                name="scopelimit_unique_provision",
            ),
            models.UniqueConstraint(
                fields=["act", "chapter", "kind"],
                condition=Q(provision__isnull=True),
                name="scopelimit_unique_act_or_chapter",
            ),
            models.CheckConstraint(
                condition=Q(provision__isnull=True) | Q(chapter=""),
                name="scopelimit_chapter_or_provision",
            ),
        ]

    def __str__(self) -> str:
        where = self.provision.section if self.provision else (self.chapter or "")
        return f"{self.act.short_title} {where} – {self.get_kind_display()}".strip()

    @property
    def explanation(self) -> str:
        return str(LIMIT_EXPLANATIONS[LimitKind(self.kind)])

    @property
    def localised_note(self) -> str:
        """The note in the active language, bokmål where it has no translation."""
        language = (get_language() or "nb")[:2]
        return {"nn": self.note_nn, "en": self.note_en}.get(language) or self.note

    @property
    def reason(self) -> str:
        """What users see: the general rule, then what is particular to this act or section."""
        return f"{self.explanation} {self.localised_note}".strip()


class ReferenceDataVersion(models.Model):
    """One row: its number goes up whenever the law register's data change (through
    ``legal.services.reference_data_changed``), so the register's pages know when what they
    show may have changed (their validator, ``legal.selectors.reference_data_version``)."""

    number = models.PositiveBigIntegerField(_("number"), default=0)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reference data version")
        verbose_name_plural = _("reference data versions")

    def __str__(self) -> str:
        return str(self.number)
