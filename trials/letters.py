"""Letters the ministry sends: rendered from templates in the recipient's written language
(bokmål or nynorsk, språklova), as HTML for the page and as PDF/A-2b for the journal and the
archive (trials.pdfa)."""

import datetime
import io
from dataclasses import asdict, dataclass, field
from xml.sax.saxutils import escape

from django.apps import apps
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from trials.pdfa import ArchivalCanvas, make_archival, register_fonts

SENDER_CODE = "KDD"
SENDER_ADDRESS = ["Postboks 8112 Dep", "0032 Oslo"]


@dataclass
class Party:
    """A name and its address lines, as in a letterhead or an address block."""

    name: str
    address: list[str] = field(default_factory=list)


@dataclass
class Head:
    """What a ministry's letter has around its text, every label in the letter's language."""

    sender: Party
    recipients: list[Party]
    their_reference: str
    our_reference: str
    date: str
    signatures: list[tuple[str, str]]  # (name, title)
    copies: list[str]
    labels: dict[str, str]


@dataclass
class Letter:
    title: str
    language: str
    paragraphs: list[tuple[str, str]]  # (style, text): style is "h1", "h2" or "p"
    head: Head | None = None

    def as_data(self) -> dict:
        """The letter as JSON, stored with its journal document when the PDF is drawn: the
        page shows what the PDF shows (``from_data``), whatever changes later."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "Letter":
        head = data.get("head")
        if head is not None:
            head = Head(
                **{
                    **head,
                    "sender": Party(**head["sender"]),
                    "recipients": [Party(**party) for party in head["recipients"]],
                    "signatures": [tuple(signature) for signature in head["signatures"]],
                }
            )
        return cls(
            title=data["title"],
            language=data["language"],
            paragraphs=[tuple(paragraph) for paragraph in data["paragraphs"]],
            head=head,
        )

    def as_pdf(self) -> bytes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            title=self.title,
            author=self.head.sender.name if self.head else "Kommunal- og distriktsdepartementet",
            lang=self.language,
            leftMargin=2.5 * cm,
            rightMargin=2.5 * cm,
            topMargin=2 * cm,
            bottomMargin=2 * cm,
        )
        register_fonts()
        styles = _pdf_styles()
        story = _pdf_head(self.head, styles) if self.head else []
        for style, text in self.paragraphs:
            for line in text.split("\n\n"):
                story.append(Paragraph(_pdf_text(line), styles[style]))
            story.append(Spacer(1, 0.2 * cm))
        if self.head:
            story += _pdf_foot(self.head, styles)
        document.build(
            story,
            onFirstPage=lambda canvas, doc: make_archival(canvas, language=self.language),
            canvasmaker=ArchivalCanvas,
        )
        return buffer.getvalue()


# Table's own default font is Helvetica, which PDF/A forbids leaving unembedded.
TABLE_STYLE = TableStyle(
    [("FONTNAME", (0, 0), (-1, -1), "Vera"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
)


def _pdf_text(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _pdf_styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName="Vera-Bold", fontSize=15),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Vera-Bold", fontSize=12),
        "p": ParagraphStyle("p", parent=base["BodyText"], fontName="Vera"),
        "sender": ParagraphStyle("sender", parent=base["BodyText"], fontName="Vera-Bold"),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName="Vera", fontSize=8),
    }


def _pdf_head(head: Head, styles) -> list:
    """Letterhead, address block and the references, as ministries lay them out."""
    story = [
        Paragraph(_pdf_text(head.sender.name), styles["sender"]),
        Paragraph(_pdf_text("\n".join(head.sender.address)), styles["small"]),
        Spacer(1, 0.8 * cm),
    ]
    for recipient in head.recipients:
        lines = "\n".join([recipient.name, *recipient.address])
        story.append(Paragraph(_pdf_text(lines), styles["p"]))
    labels = head.labels
    refs = [
        [labels["their_reference"], labels["our_reference"], labels["date"]],
        [head.their_reference, head.our_reference, head.date],
    ]
    table = Table(
        [
            [Paragraph(_pdf_text(cell), styles["small" if row == 0 else "p"]) for cell in cells]
            for row, cells in enumerate(refs)
        ],
        colWidths=[5.3 * cm, 5.3 * cm, 5.3 * cm],
    )
    table.setStyle(TABLE_STYLE)
    return [*story, Spacer(1, 0.6 * cm), table, Spacer(1, 0.6 * cm)]


def _pdf_foot(head: Head, styles) -> list:
    labels = head.labels
    story = [Paragraph(_pdf_text(labels["regards"]), styles["p"]), Spacer(1, 0.3 * cm)]
    if head.signatures:
        cells = [
            Paragraph(_pdf_text(f"{name}\n{title}"), styles["p"]) for name, title in head.signatures
        ]
        story.append(
            Table([cells], colWidths=[7.5 * cm] * len(cells), hAlign="LEFT", style=TABLE_STYLE)
        )
        story.append(Paragraph(_pdf_text(labels["approved"]), styles["small"]))
    if head.copies:
        story += [
            Spacer(1, 0.4 * cm),
            Paragraph(_pdf_text(labels["copies"]), styles["sender"]),
            Paragraph(_pdf_text("\n".join(head.copies)), styles["p"]),
        ]
    return story


def render_letter(template: str, context: dict, *, language: str) -> Letter:
    """Render ``trials/letters/<template>.txt`` in ``language``, with its head and foot
    (``letter_head``): the one source of both the page and the PDF.

    The template writes one block per paragraph separated by blank lines; a line starting
    with ``# `` is the title, ``## `` a heading.
    """
    context = {"today": timezone.localdate(), **context}  # the caller's "today" wins
    with translation.override(language):
        text = render_to_string(f"trials/letters/{template}.txt", context, using="text")
        head = letter_head(template, context)
    paragraphs: list[tuple[str, str]] = []
    title = ""
    for block in (b.strip() for b in text.split("\n\n")):
        if not block:
            continue
        if block.startswith("# "):
            title = block[2:].strip()
            paragraphs.append(("h1", title))
        elif block.startswith("## "):
            paragraphs.append(("h2", block[3:].strip()))
        else:
            paragraphs.append(("p", block))
    return Letter(title=title, language=language, paragraphs=paragraphs, head=head)


def letter_name(organisation) -> str:
    """The organisation as a letter addresses it, in the active language: "Lillehammer
    kommune", "Vestland fylkeskommune", a ministry by its name; parallel names after it."""
    from casework.choices import OrganisationKind

    language = (translation.get_language() or "nb")[:2]
    base = {"nn": organisation.name_nn, "en": organisation.name_en}.get(language)
    base = base or organisation.name
    if organisation.kind == OrganisationKind.KOMMUNE:
        base = _("%(name)s Municipality") % {"name": base}
    elif organisation.kind == OrganisationKind.FYLKESKOMMUNE:
        base = _("%(name)s County Municipality") % {"name": base}
    return " – ".join([base, *organisation.parallel_names])


def _party(organisation) -> Party:
    """An organisation in the active language, with its postal address."""
    return Party(letter_name(organisation), organisation.postal_address_lines)


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def _signatures(context: dict) -> list[tuple[str, str]]:
    """The approver (when the letter was approved) and the case officer, by name and title."""
    signatures = []
    if context.get("approver") is not None:
        signatures.append((_person(context["approver"]), str(_("approver"))))
    if context.get("officer") is not None:
        signatures.append((_person(context["officer"]), str(_("case officer"))))
    return signatures


def letter_head(template: str, context: dict) -> Head:
    """Letterhead, address block, references, signatures and copies of a letter, in the
    active language: to every applicant of the application (a joint one has several), or to
    the consulted ministry; a consultation answer comes from that ministry to KDD."""
    from casework.models import Organisation

    application = context["application"]
    kdd = Organisation.objects.filter(kind="departement", code=SENDER_CODE).first()
    ministry = Party(
        kdd.display_name
        if kdd
        else str(_("Ministry of Local Government and Regional Development")),
        SENDER_ADDRESS,
    )
    consultation = context.get("consultation")
    case = context.get("case")
    if template == "consultation_answer":
        sender, recipients = _party(consultation.ministry), [ministry]
    elif template == "consultation":
        sender, recipients = ministry, [_party(consultation.ministry)]
    else:
        sender, recipients = ministry, [_party(o) for o in application.applicant_organisations]
    if case is None:
        from casework.selectors import case_for

        case = case_for(application)
    return Head(
        sender=sender,
        recipients=recipients,
        their_reference=application.reference,
        our_reference=case.number if case is not None else "",
        date=date_format(context["today"], "j. F Y"),
        signatures=_signatures(context),
        copies=[m.display_name for m in context.get("copies") or []],
        labels={
            "their_reference": str(_("Your ref.")),
            "our_reference": str(_("Our ref.")),
            "date": str(_("Date")),
            "regards": str(_("Kind regards")),
            "approved": str(
                _("The document is approved electronically and has no handwritten signatures.")
            ),
            "copies": str(_("Copy to")),
        },
    )


def context_refs(context: dict) -> dict:
    """A letter's context as JSON for its task: model objects (and lists of them) by their
    key, dates as ISO strings; ``context_load`` reads them back in the worker."""
    refs = {}
    for name, value in context.items():
        if isinstance(value, models.Model):
            refs[name] = {"model": value._meta.label, "pk": value.pk}
        elif isinstance(value, list | tuple) and value and isinstance(value[0], models.Model):
            refs[name] = {"model": value[0]._meta.label, "pks": [item.pk for item in value]}
        elif isinstance(value, datetime.date):
            refs[name] = {"date": value.isoformat()}
        else:
            refs[name] = {"value": value}
    return refs


def context_load(refs: dict) -> dict:
    context = {}
    for name, ref in refs.items():
        if "pk" in ref:
            context[name] = apps.get_model(ref["model"])._default_manager.get(pk=ref["pk"])
        elif "pks" in ref:
            found = apps.get_model(ref["model"])._default_manager.in_bulk(ref["pks"])
            context[name] = [found[pk] for pk in ref["pks"] if pk in found]
        elif "date" in ref:
            context[name] = datetime.date.fromisoformat(ref["date"])
        else:
            context[name] = ref["value"]
    return context
