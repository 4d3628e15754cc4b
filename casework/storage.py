"""Saving documents to the storage (a local folder, or S3-compatible object storage): a
storage that fails becomes a clear error for the person uploading, and no file is left behind
by a change that did not go through."""

import contextlib
import logging
import threading

from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
_frames = threading.local()


class DocumentNotStored(ValidationError):
    """The storage refused or failed to take the file; nothing was saved."""

    def __init__(self):
        super().__init__(
            _(
                "The document could not be stored just now, so nothing was saved. "
                "Try again in a few minutes."
            ),
            code="storage",
        )


def _stack() -> list[list[FieldFile]]:
    if not hasattr(_frames, "stack"):
        _frames.stack = []
    return _frames.stack


def store(field_file: FieldFile, name: str, content) -> None:
    """``field_file.save(name, content, save=False)``; a storage error becomes
    ``DocumentNotStored``. Inside ``removed_on_error`` the file is removed again when the
    change fails later."""
    try:
        field_file.save(name, content, save=False)
    except OSError as error:
        logger.error("document storage failed for %s: %s", name, error)
        raise DocumentNotStored() from error
    for frame in _stack():
        frame.append(field_file)


@contextlib.contextmanager
def removed_on_error():
    """Files stored within are deleted again if the block raises (the transaction that was
    to record them rolls back), so nothing is half-saved."""
    frame: list[FieldFile] = []
    _stack().append(frame)
    try:
        yield
    except BaseException:
        for stored in frame:
            with contextlib.suppress(OSError):
                stored.storage.delete(stored.name)
        raise
    finally:
        _stack().pop()  # this frame: frames nest
