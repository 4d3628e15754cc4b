"""The one response every page and API endpoint sends a stored file with.

Who may download what is decided before this, by one selector per question:
``casework.selectors.document_for_user`` (a journal document) and
``trials.selectors.attachment_for_user`` (an application's attachment).
"""

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control

from casework.selectors import DocumentFile

PUBLIC_MAX_AGE = 300


def file_response(
    found: DocumentFile, *, as_attachment: bool = True, public: bool = False
) -> FileResponse:
    """``found`` as a download: never sniffed, 404 when the file is gone from storage.

    A private file is never cached; a public one (the public journal's) may be cached for a
    few minutes and opens sandboxed, so a document cannot run script on the site's origin.
    """
    try:
        opened = found.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        opened,
        as_attachment=as_attachment,
        filename=found.filename,
        content_type=found.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    if public:
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        response["Cache-Control"] = "private, no-store"
    return response
