"""Tasks of the trials domain, run by the worker: the letters' PDFs, the prepared
downloads of the public side."""

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from django.utils import translation
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
            letter=letter.as_data(),
        )
    except (OSError, DocumentNotStored) as error:
        args = (document_id, template, context, language)
        if retry_later(letter_render, *args, attempt=attempt) is None:
            raise LetterNotStored(f"journal document {document_id}: {error}") from error
        return "retry"
    return "stored"


@task()
def downloads_prepare() -> int:
    """Prepare again every download of the public side asked for so far (the full exports
    of /soknader/, /unntak/ and /statistikk/ and any filtered one), for the data as they
    are now (``trials.public.opendata.prepared_download``). Queued on commit when the data
    change; returns how many were prepared."""
    from trials.public.opendata import PREPARE_QUEUED, prepared_addresses

    cache.delete(PREPARE_QUEUED)  # a change from now on queues the next run
    count = 0
    for scheme, host, path, language in prepared_addresses().values():
        request = RequestFactory().get(path, HTTP_HOST=host, secure=scheme == "https")
        request.user = AnonymousUser()
        request.preparing_download = True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            continue
        with translation.override(language):
            response = match.func(request, *match.args, **match.kwargs)
        count += response.status_code == 200
    return count
