"""Builders for the journal tests: case files and journal entries made through the
casework services (an organisation stands in as each case's subject: casework knows no
trial), and applications with attachments through the trials services."""

import datetime
import itertools

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from casework.choices import EntryType, OrganisationKind
from casework.models import Organisation
from casework.services import casefile_open, journal_entry_create
from tests.files import pdf_bytes, upload
from trials import services as trials
from trials.choices import AttachmentKind

SECRET_EMAIL = "innsyn.hemmeleg@example.org"
SECRET_NAME = "Hemmeleg Innsynskrevjar"


@pytest.fixture
def make_case(db, media_root):
    """``make_case(title=...)``: a new case file about a fresh municipality."""
    subjects = itertools.count()
    municipalities = list(
        Organisation.objects.filter(kind=OrganisationKind.KOMMUNE).order_by("number")[:300]
    )

    def build(title="Søknad om forsøk med felles skolerute", organisation=None, **kwargs):
        subject = municipalities[next(subjects)]
        return casefile_open(
            actor=None,
            subject=subject,
            organisation=organisation or subject,
            title=title,
            **kwargs,
        )

    return build


@pytest.fixture
def make_entry(make_case):
    """``make_entry(title=..., screening_basis=..., files=1, ...)``: a journal entry with
    ``files`` PDF documents of its own, in ``case`` or a new case."""

    def build(
        *,
        case=None,
        title="Søknad om forsøk",
        entry_type=EntryType.INCOMING,
        files=1,
        documents=(),
        correspondent=None,
        **kwargs,
    ):
        case = case or make_case()
        specs = [
            {
                "title": f"{title} – dokument {index + 1}",
                "file": ContentFile(pdf_bytes(title)),
                "filename": f"dokument-{index + 1}.pdf",
                "content_type": "application/pdf",
            }
            for index in range(files)
        ]
        return journal_entry_create(
            actor=None,
            case=case,
            entry_type=entry_type,
            title=title,
            correspondent=correspondent if correspondent is not None else case.organisation,
            documents=[*specs, *documents],
            **kwargs,
        )

    return build


@pytest.fixture
def application_with_attachments(make_ready, applicant):
    """An application with a public and a screened (offentleglova § 13) attachment."""
    application = make_ready()
    public = trials.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("plan for forsøket.pdf", pdf_bytes("Plan"), "application/pdf"),
        kind=AttachmentKind.OTHER,
    )
    screened = trials.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("helseopplysningar.pdf", pdf_bytes("Helse"), "application/pdf"),
        kind=AttachmentKind.OTHER,
        screening_basis="offl_13",
    )
    return application, public, screened


@pytest.fixture
def at():
    """``with at(2026, 3, 6, 10): ...``: the clock at that local time (Europe/Oslo)."""

    def travel(*parts):
        moment = datetime.datetime(*parts, tzinfo=timezone.get_current_timezone())
        return time_machine.travel(moment, tick=False)

    return travel
