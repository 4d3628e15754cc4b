"""Checks on uploaded documents: an allow-list by content (magic bytes), never by name alone."""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

ALLOWED_EXTENSIONS = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.oasis.opendocument.text": {".odt"},
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    sha256: str
    original_name: str


def _sniff(head: bytes, uploaded) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        uploaded.seek(0)
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
                    return "application/vnd.oasis.opendocument.text"
                if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        except (zipfile.BadZipFile, KeyError, OSError):
            return None
    return None


def safe_filename(name: str) -> str:
    """The base name only, without path parts or control characters, at most 200 characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    cleaned = cleaned.strip()[:200]
    return cleaned if cleaned.strip(".") else "dokument"


def check_upload(uploaded) -> CheckedFile:
    """Validate an uploaded file; raise ValidationError with a message the user understands."""
    name = safe_filename(getattr(uploaded, "name", "") or "")
    size = uploaded.size or 0
    limit = settings.UPLOAD_MAX_BYTES
    if size == 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name}, code="empty")
    if size > limit:
        raise ValidationError(
            _("The file “%(name)s” is %(size)s; the largest allowed is %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    content_type = _sniff(head, uploaded)
    allowed = _("PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG")
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not a file type we accept. Upload %(allowed)s.")
            % {"name": name, "allowed": allowed},
            code="file_type",
        )
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS[content_type]:
        raise ValidationError(
            _("The content of “%(name)s” does not match its file name. Upload %(allowed)s.")
            % {"name": name, "allowed": allowed},
            code="mismatch",
        )
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedFile(
        content_type=content_type, size=size, sha256=digest.hexdigest(), original_name=name
    )
