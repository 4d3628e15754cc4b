"""Forms of the steps whose work differs in the case of an application for extension
(``workflows.case.extension``); the consultation steps use the application's forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from trials.portal.trial_forms import ExtensionTermsForm
from trials.services import DEFAULT_CONSULTATION_DAYS
from workflows.case.forms import (
    ApproveForm,
    RegisterForm,
    TaskForm,
    _date_field,
    _future,
    _textarea,
)


class ExtensionAssessForm(TaskForm):
    """The terms the extension can have (the municipality's, or changed), the assessment,
    and the consultation of the ministries owning the trial's acts."""

    months = ExtensionTermsForm.base_fields["months"]
    reform_reference = ExtensionTermsForm.base_fields["reform_reference"]
    reform_date = ExtensionTermsForm.base_fields["reform_date"]
    note = forms.CharField(label=_("Your assessment"), required=False, widget=_textarea(6))
    consultation_due_date = _date_field(
        _("The ministries answer by"),
        days=DEFAULT_CONSULTATION_DAYS,
        help_text=_("The ministries owning the acts the trial deviates from are consulted."),
    )
    consultation_message = forms.CharField(
        label=_("Message to the ministries"), required=False, widget=_textarea(4)
    )
    skip_consultation = forms.BooleanField(
        label=_("Do not consult the ministries on this extension"), required=False
    )

    def __init__(self, *args, extension=None, **kwargs):
        super().__init__(*args, **kwargs)
        if extension is not None and not self.is_bound:
            self.initial.update(
                months=extension.months,
                reform_reference=extension.reform_reference,
                reform_date=extension.reform_date,
            )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("skip_consultation"):
            _future(self, "consultation_due_date", _("The deadline must lie in the future."))
        return cleaned

    def payload(self) -> dict:
        return dict(self.cleaned_data)


class ExtensionProposeForm(TaskForm):
    decision = forms.ChoiceField(
        label=_("Proposed decision"),
        required=False,
        choices=[
            ("grant", _("Grant the extension on the assessed terms")),
            ("refuse", _("Refuse the extension")),
        ],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label=_("Reasons"), required=False, widget=_textarea(6))

    def payload(self) -> dict:
        return dict(self.cleaned_data)


EXTENSION_STEP_FORMS = {
    "register": RegisterForm,
    "assess": ExtensionAssessForm,
    "propose": ExtensionProposeForm,
    "approve": ApproveForm,
}
