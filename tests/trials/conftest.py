"""Fixtures and builders for the trials tests.

Everything is built THROUGH ``trials.services`` (never with ``objects.create``), so a
builder that works is itself evidence that the services accept what a user would enter.
The only shortcut is ``set_status``: the states after submission belong to KDD's
workflow, so tests put an application there with a queryset update.
"""

import datetime
import io
import struct
import zipfile
import zlib
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework.choices import Role
from casework.models import AuditEvent
from legal.models import Provision
from tests.factories import member, ministry, municipality
from trials import services
from trials.choices import AttachmentKind, Purpose, Stage
from trials.models import Application

OPPL_13_1 = "LOV-2023-06-09-30/§13-1"  # opplæringslova § 13-1 Bortvising
OPPL_14_1 = "LOV-2023-06-09-30/§14-1"  # opplæringslova § 14-1 Skolerute


# --- file contents -------------------------------------------------------------------------


def pdf_bytes(text: str = "Vedtak") -> bytes:
    """A small but structurally valid one-page PDF (with a correct xref table)."""
    content = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_bytes() -> bytes:
    """A valid 1×1 pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A JPEG/JFIF header and end marker: enough for a content sniffer."""
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\x00" * 32
        + b"\xff\xd9"
    )


def docx_bytes() -> bytes:
    """A minimal Word document: [Content_Types].xml and word/document.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>Forskrift</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def odt_bytes() -> bytes:
    """A minimal OpenDocument text: an uncompressed ``mimetype`` entry first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
            'office:1.0" office:version="1.2"/>',
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            'manifest:1.0"/>',
        )
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def make_pdf():
    """``make_pdf("vedtak.pdf")``: a fresh upload of a small valid PDF."""

    def build(name: str = "vedtak.pdf", text: str = "Vedtak"):
        return upload(name, pdf_bytes(text), "application/pdf")

    return build


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored files go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- organisations, people, provisions -----------------------------------------------------


def person(organisation, role, username: str, **fields):
    """``tests.factories.member`` with names given: the factory's Faker locale ``nb_NO`` does
    not exist in the installed Faker (its Norwegian locale is ``no_NO``)."""
    fields.setdefault("first_name", "Kari")
    fields.setdefault("last_name", "Nordmann")
    return member(organisation, role, username=username, **fields)


@pytest.fixture
def fast_password_hashing(settings):
    """New test users get a cheap hash (PBKDF2 takes most of a second per user); the other
    hashers stay listed, so passwords hashed before still check."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture
def lillehammer(db, fast_password_hashing):
    return municipality("3405")


@pytest.fixture
def bodo(db, fast_password_hashing):
    return municipality("1804")


@pytest.fixture
def kdd(db, fast_password_hashing):
    return ministry("KDD")


@pytest.fixture
def applicant(lillehammer):
    """An applicant of Lillehammer (the lead organisation in most tests)."""
    return person(lillehammer, Role.APPLICANT, "kari.lillehammer")


@pytest.fixture
def bodo_applicant(bodo):
    return person(bodo, Role.APPLICANT, "ola.bodo", first_name="Ola")


@pytest.fixture
def case_officer(kdd):
    return person(kdd, Role.CASE_OFFICER, "saksbehandler.kdd", first_name="Sara")


@pytest.fixture
def consultee(db, fast_password_hashing):
    return person(ministry("KD"), Role.CONSULTEE, "fagdep.kd", first_name="Per")


@pytest.fixture
def provision(db):
    return Provision.objects.select_related("act").get(citation_key=OPPL_13_1)


@pytest.fixture
def other_provision(db):
    return Provision.objects.select_related("act").get(citation_key=OPPL_14_1)


# --- applications --------------------------------------------------------------------------


@pytest.fixture
def make_draft(applicant, lillehammer):
    """``make_draft(**fields)``: a draft by ``applicant`` for Lillehammer (or as given)."""

    def build(*, actor=None, organisation=None, title="Felles skolerute", **fields):
        return services.application_create(
            actor=actor or applicant,
            lead_organisation=organisation or lillehammer,
            title=title,
            **fields,
        )

    return build


@pytest.fixture
def make_ready(make_draft, applicant, provision, media_root):
    """``make_ready(...)``: a draft that passes every submission rule.

    Title, description, a period of 24 months, a start date 90 days ahead, one exemption
    request against opplæringslova § 13-1 with what shall apply instead and why, purposes,
    and a contact person per applicant organisation. ``co_applicants`` adds organisations;
    ``stage=Stage.FINAL`` also attaches every council decision and the draft regulation.
    """

    def build(
        *,
        actor=None,
        organisation=None,
        co_applicants=(),
        stage=Stage.PRELIMINARY,
        title="Felles skolerute for ungdomsskolane",
        **fields,
    ):
        actor = actor or applicant
        values = {
            "description": "Skolane prøver ut ei ny ordning for bortvising.",
            "period_months": 24,
            "requested_start": timezone.localdate() + datetime.timedelta(days=90),
            **fields,
        }
        application = make_draft(
            actor=actor, organisation=organisation, title=title, stage=stage, **values
        )
        if co_applicants:
            services.application_set_co_applicants(
                actor=actor, application=application, organisations=co_applicants
            )
        services.exemption_request_create(
            actor=actor,
            application=application,
            provision=provision,
            current_rule="Eleven kan visast bort for inntil tre dagar.",
            proposed_arrangement="Rektor kan i staden vedta ein tilpassa skuledag.",
            justification="Bortvising fører til fråvær utan læring.",
        )
        services.application_set_purposes(
            actor=actor,
            application=application,
            purposes={Purpose.BETTER_SERVICES: "Elevane får betre oppfølging."},
        )
        for organisation_ in application.applicant_organisations:
            services.contact_add(
                actor=actor,
                application=application,
                organisation=organisation_,
                name=f"Kontakt {organisation_.name}",
                email=f"kontakt@{organisation_.number}.kommune.example",
            )
        if stage == Stage.FINAL:
            for organisation_ in application.applicant_organisations:
                services.attachment_add(
                    actor=actor,
                    application=application,
                    uploaded_file=upload(
                        f"vedtak-{organisation_.number}.pdf", pdf_bytes(), "application/pdf"
                    ),
                    kind=AttachmentKind.COUNCIL_DECISION,
                    organisation=organisation_,
                )
            services.attachment_add(
                actor=actor,
                application=application,
                uploaded_file=upload("forskrift.pdf", pdf_bytes("Forskrift"), "application/pdf"),
                kind=AttachmentKind.DRAFT_REGULATION,
            )
        return application

    return build


@pytest.fixture
def set_status():
    """Put an application in a state only KDD's workflow reaches (queryset update)."""

    def apply(application: Application, status: str) -> Application:
        Application.objects.filter(pk=application.pk).update(status=status)
        return Application.objects.get(pk=application.pk)

    return apply


@pytest.fixture
def bring_under_review(case_officer):
    """``bring_under_review(submitted)``: KDD registers the application (opening its case
    file) and accepts it as complete, through the services; returns it fresh."""

    def apply(application: Application) -> Application:
        services.application_register(actor=case_officer, application=application)
        services.application_accept_as_complete(actor=case_officer, application=application)
        return Application.objects.get(pk=application.pk)

    return apply


@pytest.fixture
def expect_audit():
    """``with expect_audit("application.created"): ...``: exactly these new audit rows."""

    @contextmanager
    def check(*actions: str):
        before = AuditEvent.objects.count()
        last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        yield
        new = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id"))
        assert [event.action for event in new] == list(actions)
        assert AuditEvent.objects.count() - before == len(actions)

    return check
