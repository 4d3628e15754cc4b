"""trials.uploads: accepted by content (magic bytes), never by name alone; stored safely."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.files import docx_bytes, jpeg_bytes, odt_bytes, pdf_bytes, png_bytes, upload
from trials import services
from trials.choices import AttachmentKind
from trials.models import Attachment
from trials.uploads import check_upload, safe_filename

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused(uploaded) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        check_upload(uploaded)
    return exc.value


# --- accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("vedtak.pdf", pdf_bytes(), "application/pdf"),
        ("kart.png", png_bytes(), "image/png"),
        ("foto.jpg", jpeg_bytes(), "image/jpeg"),
        ("foto.JPEG", jpeg_bytes(), "image/jpeg"),
        ("forskrift.docx", docx_bytes(), DOCX),
        ("forskrift.odt", odt_bytes(), ODT),
    ],
)
def test_accepted_files(name, content, content_type):
    # The browser's claimed type is ignored: only the content counts.
    uploaded = upload(name, content, "application/octet-stream")
    checked = check_upload(uploaded)
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.original_name == name
    assert uploaded.tell() == 0  # rewound for storing


def test_a_file_of_exactly_the_limit_is_accepted(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    content = pdf_bytes()
    content += b"%" * (1000 - len(content))
    assert check_upload(upload("vedtak.pdf", content)).size == 1000


# --- refused -------------------------------------------------------------------------------


def test_a_renamed_executable_is_refused():
    error = refused(upload("report.pdf", EXECUTABLE, "application/pdf"))
    assert error.code == "file_type"
    assert error.messages == [
        "“report.pdf” is not a file type we accept. "
        "Upload PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG."
    ]


def test_content_that_does_not_match_the_name_is_refused():
    error = refused(upload("x.pdf", png_bytes(), "application/pdf"))
    assert error.code == "mismatch"
    assert error.messages == [
        "The content of “x.pdf” does not match its file name. "
        "Upload PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG."
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("vedtak.docx", pdf_bytes()),
        ("vedtak.odt", docx_bytes()),
        ("vedtak.docx", odt_bytes()),
        ("vedtak", pdf_bytes()),
        ("kart.jpg", png_bytes()),
    ],
)
def test_other_mismatches_are_refused(name, content):
    assert refused(upload(name, content)).code == "mismatch"


def test_an_empty_file_is_refused():
    error = refused(upload("tom.pdf", b""))
    assert error.code == "empty"
    assert error.messages == ["The file “tom.pdf” is empty."]


def test_an_oversize_file_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    content = pdf_bytes()
    content += b"%" * (1001 - len(content))
    error = refused(upload("stor.pdf", content))
    assert error.code == "too_large"
    assert "“stor.pdf”" in error.messages[0]
    assert "1000" in error.messages[0] or "1,000" in error.messages[0]


def test_a_zip_that_is_neither_docx_nor_odt_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a document")
        archive.writestr("[Content_Types].xml", "<Types/>")  # but no word/ part
    error = refused(upload("x.docx", buffer.getvalue()))
    assert error.code == "file_type"


def test_an_odt_lookalike_with_another_mimetype_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert refused(upload("x.odt", buffer.getvalue())).code == "file_type"


def test_a_broken_zip_is_refused():
    assert refused(upload("x.docx", b"PK\x03\x04" + b"\x00" * 100)).code == "file_type"


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"<html><body>%PDF-1.4</body></html>",
        b"  %PDF-1.4 leading spaces",
    ],
)
def test_html_named_pdf_is_refused(content):
    assert refused(upload("x.pdf", content, "application/pdf")).code == "file_type"


# --- file names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\evil\\a.pdf", "a.pdf"),
        ("/var/www/a.pdf", "a.pdf"),
        ('"quoted".pdf', "quoted.pdf"),
        ('a"b<c>d|e:f*g?h.pdf', "abcdefgh.pdf"),
        ("line\nbreak\r.pdf", "linebreak.pdf"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("  rom.pdf  ", "rom.pdf"),
        ("Vedtak i kommunestyret – Bodø.pdf", "Vedtak i kommunestyret – Bodø.pdf"),
        ("", "dokument"),
        ('"', "dokument"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["../", "a\\.."])
def test_safe_filename_never_returns_a_path_part(name):
    """A lone ".." is a path part, not a file name; it must not survive as one."""
    assert safe_filename(name) not in {"..", "."}


def test_safe_filename_keeps_at_most_200_characters():
    assert len(safe_filename("a" * 300 + ".pdf")) == 200


def test_check_upload_reports_the_safe_name():
    checked = check_upload(upload("../../tmp/vedtak.pdf", pdf_bytes()))
    assert checked.original_name == "vedtak.pdf"


# --- storing -------------------------------------------------------------------------------


def test_attachment_add_stores_under_a_server_generated_name(
    make_draft, applicant, media_root, expect_audit
):
    application = make_draft()
    content = pdf_bytes("Kommunestyrevedtak")
    with expect_audit("attachment.added"):
        attachment = services.attachment_add(
            actor=applicant,
            application=application,
            uploaded_file=upload("../../Vedtak kommunestyret.PDF", content, "text/html"),
            kind=AttachmentKind.OTHER,
            description="Vedtaket",
        )
    attachment = Attachment.objects.get(pk=attachment.pk)
    stored = Path(attachment.file.name)
    assert "Vedtak" not in attachment.file.name
    assert ".." not in attachment.file.name
    assert stored.parts[0] == "attachments"
    assert stored.suffix == ".pdf"
    assert len(stored.stem) == 32  # a uuid4 hex
    assert attachment.original_name == "Vedtak kommunestyret.PDF"
    assert attachment.content_type == "application/pdf"  # sniffed, not the claimed text/html
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == applicant
    assert attachment.description == "Vedtaket"
    path = Path(attachment.file.path)
    assert path.is_relative_to(media_root)
    assert path.read_bytes() == content


def test_two_uploads_with_the_same_name_get_different_files(make_draft, applicant, media_root):
    application = make_draft()
    names = {
        services.attachment_add(
            actor=applicant,
            application=application,
            uploaded_file=upload("vedtak.pdf", pdf_bytes(text)),
            kind=AttachmentKind.OTHER,
        ).file.name
        for text in ("Ett", "To")
    }
    assert len(names) == 2


def test_attachment_add_refuses_a_bad_file_and_stores_nothing(
    make_draft, applicant, media_root, expect_audit
):
    application = make_draft()
    with expect_audit(), pytest.raises(ValidationError) as exc:
        services.attachment_add(
            actor=applicant,
            application=application,
            uploaded_file=upload("report.pdf", EXECUTABLE),
            kind=AttachmentKind.OTHER,
        )
    assert "file" in exc.value.message_dict
    assert not Attachment.objects.exists()
    assert not any(p.is_file() for p in Path(media_root).rglob("*"))


def test_attachment_add_refuses_an_unknown_kind(make_draft, applicant, media_root):
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(
            actor=applicant,
            application=make_draft(),
            uploaded_file=upload("vedtak.pdf", pdf_bytes()),
            kind="virus",
        )
    assert "kind" in exc.value.message_dict


def test_only_the_lead_applicant_can_attach_to_a_draft(
    make_draft, applicant, bodo, bodo_applicant, media_root
):
    application = make_draft()
    services.application_set_co_applicants(
        actor=applicant, application=application, organisations=[bodo]
    )
    with pytest.raises(PermissionDenied):
        services.attachment_add(
            actor=bodo_applicant,
            application=application,
            uploaded_file=upload("vedtak.pdf", pdf_bytes()),
            kind=AttachmentKind.OTHER,
        )
    assert not Attachment.objects.exists()
