"""Journaling the letters and documents of an application's case (offentleglova § 10).

Journal titles are written in bokmål whatever language the officer's screen is in: the
public journal is one list, in the ministry's own language.
"""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.background import enqueue
from casework.choices import EntryType
from casework.models import CaseFile, JournalEntry
from casework.selectors import case_for
from casework.services import journal_entry_create
from trials.exceptions import ConflictError
from trials.letters import context_refs

JOURNAL_LANGUAGE = "nb"


class NotRegistered(ConflictError):
    pass


def journal_title(message, **params) -> str:
    """``message`` (a lazy translation) in the journal's language, formatted with params."""
    with translation.override(JOURNAL_LANGUAGE):
        return str(message) % params if params else str(message)


def application_case(application) -> CaseFile:
    case = case_for(application)
    if case is None:
        raise NotRegistered(_("The application has not been registered yet."))
    return case


def letter_entry(
    *, actor, application, template, context, title, recipient, language=None, case=None
) -> JournalEntry:
    """Journal a letter as an outgoing entry now, and render its PDF (the entry's main
    document) in a task queued in the same transaction: the letter is dated today, whenever
    the worker renders it.

    ``case`` is the application's case file when the caller already has it.
    """
    from trials.tasks import letter_render

    language = language or recipient.letter_language
    entry = journal_entry_create(
        actor=actor,
        case=case if case is not None else application_case(application),
        entry_type=EntryType.OUTGOING,
        title=title,
        correspondent=recipient,
        documents=[{"title": title, "content_type": "application/pdf", "is_main": True}],
    )
    refs = context_refs({"application": application, "today": timezone.localdate(), **context})
    enqueue(letter_render, entry.created_documents[0].pk, template, refs, language)
    return entry
