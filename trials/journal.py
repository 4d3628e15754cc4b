"""Journaling the letters and documents of an application's case (offentleglova § 10).

Journal titles are written in bokmål whatever language the officer's screen is in: the
public journal is one list, in the ministry's own language.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.background import enqueue
from casework.choices import EntryType, LanguageForm
from casework.models import CaseFile, JournalDocument, JournalEntry, Organisation
from casework.selectors import case_for
from casework.services import journal_entry_create, journal_entry_written
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


LETTER_FORMS = (LanguageForm.BOKMAL, LanguageForm.NYNORSK)


def case_letter_language(case: CaseFile | None, recipient: Organisation) -> str:
    """The written form of the last letter the ministry sent ``recipient`` in ``case`` ("" if
    none): what the officer chose for a neutral recipient before."""
    if case is None:
        return ""
    return (
        JournalDocument.objects.filter(
            entry__case=case,
            entry__entry_type=EntryType.OUTGOING,
            entry__correspondent=recipient,
            is_main=True,
        )
        .exclude(language="")
        .order_by("-entry__number_in_case")
        .values_list("language", flat=True)
        .first()
        or ""
    )


def letter_language(recipient: Organisation, chosen: str = "", *, case=None) -> str:
    """The written form of a letter to ``recipient`` (språklova § 11), the one rule:

    - a recipient that recorded bokmål or nynorsk gets its form, whatever was chosen;
    - for a neutral (or unrecorded) recipient the case officer chooses: ``chosen``;
    - ``case``: a letter produced where there is no form to choose in (a trial's letters)
      follows the form of the last letter to the recipient in the case;
    - nothing chosen for a neutral recipient: a ValidationError on ``letter_language``.
    """
    if recipient.letter_language in LETTER_FORMS:
        return recipient.letter_language
    if chosen in LETTER_FORMS:
        return chosen
    if chosen:
        raise ValidationError({"letter_language": _("Choose bokmål or nynorsk.")})
    earlier = case_letter_language(case, recipient)
    if earlier:
        return earlier
    raise ValidationError(
        {
            "letter_language": _(
                "%(name)s has not chosen bokmål or nynorsk (neutral): choose the written form "
                "of the letter."
            )
            % {"name": recipient.display_name}
        },
        code="letter_language",
    )


def letter_entry(
    *,
    actor,
    application,
    template,
    context,
    title,
    recipient,
    language="",
    case=None,
    follow_case=False,
) -> JournalEntry:
    """Journal a letter as an outgoing entry now, and render its PDF (the entry's main
    document) in a task queued in the same transaction: the letter is dated today, whenever
    the worker renders it. The document records the written form it is in.

    ``language`` is the officer's choice for a neutral recipient (``letter_language``);
    ``follow_case`` lets a letter with no choice follow the case's earlier letters.
    ``case`` is the application's case file when the caller already has it.
    """
    from trials.tasks import letter_render

    case = case if case is not None else application_case(application)
    language = letter_language(recipient, language, case=case if follow_case else None)
    entry = journal_entry_create(
        actor=actor,
        case=case,
        entry_type=EntryType.OUTGOING,
        title=title,
        correspondent=recipient,
        documents=[
            {
                "title": title,
                "content_type": "application/pdf",
                "is_main": True,
                "language": language,
            }
        ],
    )
    officer = actor if actor is not None and actor.is_authenticated else None
    refs = context_refs(
        {
            "application": application,
            "today": timezone.localdate(),
            "case": case,
            "officer": officer,
            **context,
        }
    )
    journal_entry_written(  # an entry of a block of them has its rows at the block's end
        entry,
        lambda: enqueue(letter_render, entry.created_documents[0].pk, template, refs, language),
    )
    return entry
