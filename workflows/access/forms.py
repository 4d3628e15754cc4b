"""The officer's form for deciding an access request. It checks what was chosen; the rules
(a refusal needs its legal basis and reasons) are the service's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.choices import ScreeningBasis
from casework.forms import SummaryForm
from casework.selectors import journal_document_file, journal_document_releasable
from workflows.access.services import GRANT, REFUSE


def _document_label(document) -> str:
    basis = getattr(document.source, "screening_basis", "") if document.source_type_id else ""
    if basis:
        return _("%(title)s (screened: %(basis)s)") % {
            "title": document.title,
            "basis": ScreeningBasis(basis).label,
        }
    return document.title


class AccessDecisionForm(SummaryForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(GRANT, _("Grant access")), (REFUSE, _("Refuse access"))],
        widget=forms.RadioSelect,
    )
    documents = forms.MultipleChoiceField(
        label=_("Documents to send when access is granted"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Documents screened on their own are not chosen beforehand. Leave out what the "
            "requester shall not have (partial access)."
        ),
    )
    basis = forms.ChoiceField(
        label=_("Legal basis for a refusal"),
        required=False,
        choices=[("", _("Choose the provision")), *[c for c in ScreeningBasis.choices if c[0]]],
        help_text=_("Required when you refuse (offentleglova § 31)."),
    )
    reason = forms.CharField(
        label=_("Reasons to the requester"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required when you refuse. Sent to the requester by email."),
    )

    def __init__(self, *args, entry, **kwargs):
        # Only documents with a stored file can be sent.
        self.documents_of_entry = [
            d
            for d in entry.documents.prefetch_related("source")
            if journal_document_file(d) is not None
        ]
        kwargs.setdefault(
            "initial",
            {
                "documents": [
                    str(d.pk) for d in self.documents_of_entry if journal_document_releasable(d)
                ]
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = [
            (str(document.pk), _document_label(document)) for document in self.documents_of_entry
        ]
        if not self.documents_of_entry:
            del self.fields["documents"]

    def payload(self) -> dict:
        data = self.cleaned_data
        payload = {
            "decision": data["decision"],
            "basis": data.get("basis", ""),
            "reason": data.get("reason", ""),
        }
        if "documents" in self.fields:
            payload["documents"] = [int(pk) for pk in data.get("documents", [])]
        return payload
