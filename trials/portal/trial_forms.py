"""Forms of the municipalities' trial pages. They check what was typed; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms import SummaryForm
from trials.choices import ScreeningBasis
from trials.rules import MAX_EXTENSION_MONTHS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class ReportForm(SummaryForm):
    obligation = forms.TypedChoiceField(
        label=_("The report answers"), required=False, coerce=int, empty_value=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 10}))
    files = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, Word or OpenDocument files, or images."),
    )
    screening_basis = forms.ChoiceField(
        label=_("Screening"),
        required=False,
        choices=ScreeningBasis.choices,
        help_text=_("Reports are public documents unless a basis for screening applies."),
    )

    def __init__(self, *args, obligations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["obligation"].choices = [("", _("No particular obligation"))] + [
            (o.pk, f"{o.get_kind_display()} – {o.due_on:%d.%m.%Y}") for o in obligations
        ]


class ExtensionTermsForm(SummaryForm):
    months = forms.IntegerField(
        label=_("Extend by (months)"),
        required=False,
        min_value=1,
        max_value=MAX_EXTENSION_MONTHS,
        help_text=_("At most two years in all. Leave empty to extend until a reform."),
    )
    reform_reference = forms.CharField(
        label=_("Or until the reform"),
        required=False,
        max_length=300,
        help_text=_("The planned or decided reform, with its reference (e.g. a Prop. or law)."),
    )
    reform_date = forms.DateField(
        label=_("The reform takes effect on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ExtensionApplyForm(ExtensionTermsForm):
    justification = forms.CharField(
        label=_("Why should the trial go on?"), widget=forms.Textarea(attrs={"rows": 6})
    )
