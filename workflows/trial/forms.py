"""Forms of KDD's trial pages. They check what was typed; trials.services decide and save."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from casework.choices import Role
from casework.forms import SummaryForm
from trials.choices import ObligationKind, ScreeningBasis
from trials.portal.trial_forms import ExtensionTermsForm

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class RegulationForm(SummaryForm):
    for_id = forms.CharField(
        label=_("Regulation id"), max_length=24, help_text=_("Lovdata's id, FOR-YYYY-MM-DD-NNNN.")
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    adopted_on = forms.DateField(label=_("Adopted on"), **DATE)
    in_force_from = forms.DateField(label=_("In force from"), **DATE)
    in_force_to = forms.DateField(
        label=_("In force until"), help_text=_("The first day it no longer applies."), **DATE
    )
    lovdata_url = forms.URLField(
        label=_("Address at Lovdata"), max_length=300, assume_scheme="https"
    )
    text = forms.FileField(label=_("Text of the regulation"))


class ObligationForm(SummaryForm):
    kind = forms.ChoiceField(label=_("What must be delivered"), choices=ObligationKind.choices)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    due_on = forms.DateField(label=_("Due date"), **DATE)


class EvaluationForm(SummaryForm):
    evaluator = forms.CharField(label=_("Evaluated by"), max_length=200)
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 6}))
    document = forms.FileField(label=_("Evaluation report"), required=False)
    screening_basis = forms.ChoiceField(
        label=_("Screening"), required=False, choices=ScreeningBasis.choices
    )


class ExtendForm(ExtensionTermsForm):
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}))


class DecideExtensionForm(SummaryForm):
    grant = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Grant the extension")), ("0", _("Refuse the extension"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}))


class StopForm(SummaryForm):
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}))
    at_request = forms.BooleanField(label=_("The municipality asked for it"), required=False)


class EndForm(SummaryForm):
    reason = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PermanentForm(SummaryForm):
    law_reference = forms.CharField(
        label=_("The law change"),
        max_length=200,
        help_text=_("For example LOV-2029-06-20-55 or Prop. 120 L (2028–2029)."),
    )
    law_date = forms.DateField(label=_("In force from"), **DATE)
    reasons = forms.CharField(
        label=_("Reasons"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ReportResponseForm(SummaryForm):
    decision = forms.ChoiceField(
        label=_("Answer"),
        choices=[("acknowledge", _("Acknowledge the report")), ("more", _("Ask for more"))],
        widget=forms.RadioSelect,
    )
    response = forms.CharField(
        label=_("Message to the municipality"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you ask for more."),
    )


class FollowedUpForm(SummaryForm):
    note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


def follow_up_officers():
    """KDD's active case officers: who may follow up a trial."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role=Role.CASE_OFFICER,
            memberships__organisation__code="KDD",
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class OfficerForm(SummaryForm):
    officer = forms.ModelChoiceField(
        label=_("Case officer following up"), queryset=follow_up_officers(), empty_label=None
    )
    reason = forms.CharField(
        label=_("Why (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
