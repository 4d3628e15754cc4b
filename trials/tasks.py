"""Tasks of the trials domain, run by the worker: the letters' PDFs."""

from django.core.files.base import ContentFile
from django_tasks import task

from casework.background import retry_later
from casework.models import JournalDocument
from casework.services import journal_document_store
from casework.storage import DocumentNotStored
from trials.letters import context_load, render_letter


class LetterNotStored(Exception):
    """The last attempt to store a letter failed: the task ends failed, for the admin."""


@task()
def letter_render(
    document_id: int, template: str, context: dict, language: str, attempt: int = 1
) -> str:
    """Render a journaled letter to PDF and store it as the document's file, once."""
    document = JournalDocument.objects.get(pk=document_id)
    if document.file:
        return "stored"
    letter = render_letter(template, context_load(context), language=language)
    try:
        journal_document_store(
            document=document,
            content=ContentFile(letter.as_pdf()),
            filename=f"{template}.pdf",
            title=letter.title,
        )
    except (OSError, DocumentNotStored) as error:
        args = (document_id, template, context, language)
        if retry_later(letter_render, *args, attempt=attempt) is None:
            raise LetterNotStored(f"journal document {document_id}: {error}") from error
        return "retry"
    return "stored"
