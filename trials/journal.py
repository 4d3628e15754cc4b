"""Journaling the letters and documents of an application's case (offentleglova § 10).

Journal titles are written in bokmål whatever language the officer's screen is in: the
public journal is one list, in the ministry's own language.
"""

from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.translation import gettext as _

from casework.choices import EntryType
from casework.models import CaseFile, JournalEntry
from casework.selectors import case_for
from casework.services import journal_entry_create
from trials.exceptions import ConflictError
from trials.letters import render_letter

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
    """Render a letter and journal it as an outgoing entry with its PDF as main document.

    ``case`` is the application's case file when the caller already has it.
    """
    language = language or recipient.letter_language
    letter = render_letter(template, {"application": application, **context}, language=language)
    return journal_entry_create(
        actor=actor,
        case=case if case is not None else application_case(application),
        entry_type=EntryType.OUTGOING,
        title=title,
        correspondent=recipient,
        documents=[
            {
                "title": letter.title or title,
                "file": ContentFile(letter.as_pdf()),
                "filename": f"{template}.pdf",
                "content_type": "application/pdf",
                "is_main": True,
            }
        ],
    )
