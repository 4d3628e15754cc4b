"""The one response the workspace sends a stored document with, for its pages and its API:
never cached, never sniffed, 404 when the file is gone from storage."""

from django.http import FileResponse, Http404

from casework.selectors import DocumentFile


def private_file_response(found: DocumentFile, *, as_attachment: bool = True) -> FileResponse:
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
    response["Cache-Control"] = "private, no-store"
    return response
