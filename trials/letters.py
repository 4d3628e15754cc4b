"""Letters the ministry sends: rendered from templates in the recipient's written language
(bokmål or nynorsk, språklova), as HTML for the page and as PDF/A-2b for the journal and the
archive (trials.pdfa)."""

import datetime
import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.apps import apps
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from trials.pdfa import ArchivalCanvas, make_archival, register_fonts


@dataclass
class Letter:
    title: str
    language: str
    paragraphs: list[tuple[str, str]]  # (style, text): style is "h1", "h2" or "p"

    def as_pdf(self) -> bytes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            title=self.title,
            author="Kommunal- og distriktsdepartementet",
            lang=self.language,
            leftMargin=2.5 * cm,
            rightMargin=2.5 * cm,
            topMargin=2 * cm,
            bottomMargin=2 * cm,
        )
        register_fonts()
        styles = getSampleStyleSheet()
        style_map = {
            "h1": ParagraphStyle("h1", parent=styles["Heading1"], fontName="Vera-Bold"),
            "h2": ParagraphStyle("h2", parent=styles["Heading2"], fontName="Vera-Bold"),
            "p": ParagraphStyle("p", parent=styles["BodyText"], fontName="Vera"),
        }
        story = []
        for style, text in self.paragraphs:
            for line in text.split("\n\n"):
                story.append(Paragraph(escape(line).replace("\n", "<br/>"), style_map[style]))
            story.append(Spacer(1, 0.2 * cm))
        document.build(
            story,
            onFirstPage=lambda canvas, doc: make_archival(canvas, language=self.language),
            canvasmaker=ArchivalCanvas,
        )
        return buffer.getvalue()


def render_letter(template: str, context: dict, *, language: str) -> Letter:
    """Render ``trials/letters/<template>.txt`` in ``language``.

    The template writes one block per paragraph separated by blank lines; a line starting
    with ``# `` is the title, ``## `` a heading.
    """
    with translation.override(language):
        text = render_to_string(
            f"trials/letters/{template}.txt",
            {"today": timezone.localdate(), **context},  # the caller's "today" wins
            using="text",
        )
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
    return Letter(title=title, language=language, paragraphs=paragraphs)


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
