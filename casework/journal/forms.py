"""Forms of the public journal and of access requests. They check what was typed; the
selectors read and the services write."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from casework import selectors
from casework.choices import EntryType, ScreeningBasis
from casework.forms import SummaryForm

NUMBER = re.compile(r"^\s*(\d{4})\s*/\s*(\d{1,6})(?:\s*-\s*(\d{1,5}))?\s*$")
NUMBER_HELP = _("For example 2026/000123 (a case) or 2026/000123-4 (a document in the case).")


def parse_number(value: str) -> tuple[int, int, int | None] | None:
    """``2026/000123`` → (2026, 123, None); ``2026/123-4`` → (2026, 123, 4); else None."""
    match = NUMBER.match(value or "")
    if match is None:
        return None
    year, sequence, number = match.groups()
    return int(year), int(sequence), int(number) if number else None


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class JournalNumberField(forms.CharField):
    """A case number (2026/000123) or a document number (2026/000123-4), as the journal
    page and the public API read it: cleans to (year, sequence, number in the case or None),
    or None when empty."""

    default_error_messages = {
        "invalid": _(
            "Write a case number like 2026/000123 or a document number like 2026/000123-4."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        parsed = parse_number(text)
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


# Screening filter of the journal page and the public API: public, screened, or one basis.
BASIS_CHOICES = [
    (selectors.PUBLIC_ONLY, _("Public only")),
    (selectors.SCREENED_ONLY, _("Screened only")),
    *[(value, label) for value, label in ScreeningBasis.choices if value],
]


class JournalPeriodCheck(forms.Form):
    """The journal filters' one cross-field rule: the period does not end before it starts
    (the page and the public API's ``JournalFilter`` both build on it)."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return cleaned


class JournalFilterForm(JournalPeriodCheck, SummaryForm):
    date_from = forms.DateField(label=_("Journal date from"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("Journal date to"), required=False, widget=_date_input())
    number = JournalNumberField(
        label=_("Case or document number"), required=False, help_text=NUMBER_HELP
    )
    entry_type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types")), *EntryType.choices],
    )
    basis = forms.ChoiceField(
        label=_("Screening"),
        required=False,
        choices=[("", _("Public and screened")), *BASIS_CHOICES],
    )

    def filters(self) -> dict:
        """Keyword arguments for ``selectors.public_journal`` from the valid fields."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "number": data.get("number"),
            "entry_type": data.get("entry_type", ""),
            "basis": data.get("basis", ""),
        }


class AccessRequestForm(SummaryForm):
    document = forms.CharField(
        label=_("Document number"),
        max_length=30,
        help_text=_("As shown in the public journal, for example 2026/000123-4."),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send the answer here. It is never published."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=200,
        help_text=_("Optional: you need not say who you are."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=4000,
        help_text=_("Optional: which parts of the document you want, or anything we should know."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    entry = None

    def clean_document(self):
        value = self.cleaned_data["document"].strip()
        parsed = parse_number(value)
        if parsed is None or parsed[2] is None:
            raise ValidationError(
                _("Write the document number as shown in the journal, like 2026/000123-4.")
            )
        self.entry = selectors.journal_entry_by_document_number(*parsed)
        if self.entry is None:
            raise ValidationError(_("There is no document with this number in the journal."))
        return value
