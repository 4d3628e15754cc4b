"""Forms of the applicant portal. They check what was typed; the services decide and save."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Organisation
from legal.models import Provision
from trials.choices import AttachmentKind, Purpose, ScreeningBasis, Stage, TrialCategory
from trials.models import Application, Call
from trials.rules import (
    MAX_PERIOD_MONTHS,
    MIN_PERIOD_MONTHS,
    period_help_text_lazy,
    period_range_message_lazy,
)


class PortalForm(forms.Form):
    """A form whose errors can be listed in an error summary that links to the fields.

    Django 5.2 already marks fields with errors ``aria-invalid`` and points
    ``aria-describedby`` at ``<id>_helptext`` and ``<id>_error``; the field template
    (``includes/field.html``) renders elements with those ids.
    """

    # Errors of these fields link to another element (e.g. a hidden field's visible part).
    error_anchors: dict[str, str] = {}

    def add_service_errors(self, exc: ValidationError, field_map: dict | None = None) -> None:
        """Put the errors a service raised on the fields they concern (else on the form)."""
        field_map = field_map or {}
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.add_error(None, message)
            return
        for key, errors in exc.message_dict.items():
            name = field_map.get(key, key)
            for message in errors:
                self.add_error(name if name in self.fields else None, message)

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor id, message) for every error, in the order the fields appear."""
        summary = [("", str(message)) for message in self.non_field_errors()]
        for name in self.fields:
            if name not in self.errors:
                continue
            bound = self[name]
            anchor = self.error_anchors.get(name) or bound.auto_id
            if bound.use_fieldset and name not in self.error_anchors:
                anchor = f"{bound.auto_id}_0"
            summary.extend((anchor, str(message)) for message in self.errors[name])
        return summary


def _textarea(rows: int = 5) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def open_calls():
    today = timezone.localdate()
    return Call.objects.filter(opens_on__lte=today, closes_on__gte=today).order_by("closes_on")


class CallStageMixin:
    """Checks shared by the new-application form and step 1: call, stage and preliminary."""

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        call = cleaned.get("call")
        preliminary = cleaned.get("preliminary")
        if call is not None and stage and call.stage != stage:
            self.add_error(
                "call",
                _("This call is for %(stage)s. Choose the stage the call asks for, or no call.")
                % {"stage": Stage(call.stage).label.lower()},
            )
        if preliminary is not None and stage == Stage.PRELIMINARY:
            self.add_error(
                "preliminary",
                _("Only a final application continues a preliminary application."),
            )
        return cleaned


class ApplicationCreateForm(CallStageMixin, PortalForm):
    lead_organisation = forms.ModelChoiceField(
        label=_("Lead applicant"),
        queryset=Organisation.objects.none(),
        help_text=_("The municipality or county municipality that applies and leads the trial."),
        error_messages={"required": _("Choose the organisation that applies.")},
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=Stage.choices,
        initial=Stage.PRELIMINARY,
        widget=forms.RadioSelect,
        help_text=_(
            "A preliminary application needs no council decision. A final application is "
            "adopted by the council and includes the draft local regulation."
        ),
        error_messages={"required": _("Choose the stage of the application.")},
    )
    call = forms.ModelChoiceField(
        label=_("Call for applications"),
        queryset=Call.objects.none(),
        required=False,
        empty_label=_("None – apply outside any call"),
    )
    preliminary = forms.ModelChoiceField(
        label=_("Preliminary application it continues"),
        queryset=Application.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("Only for a final application: the preliminary application taken forward."),
    )
    title = forms.CharField(
        label=_("Title of the trial"),
        max_length=200,
        help_text=_("A short name that says what the trial is about."),
        error_messages={"required": _("Give the trial a title.")},
    )

    def __init__(self, *args, organisations, preliminaries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = organisations
        if len(organisations) == 1:
            self.fields["lead_organisation"].initial = organisations[0].pk
            self.fields["lead_organisation"].empty_label = None
        self.fields["call"].queryset = open_calls()
        self.fields["preliminary"].queryset = preliminaries


class AboutForm(CallStageMixin, PortalForm):
    """Step 1: about the trial."""

    title = forms.CharField(
        label=_("Title of the trial"),
        max_length=200,
        error_messages={"required": _("Give the trial a title.")},
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=_textarea(3),
        help_text=_("A few sentences for the public status page."),
    )
    description = forms.CharField(
        label=_("Description of the trial"),
        required=False,
        widget=_textarea(10),
        help_text=_("What you want to try, why, and how the trial will be organised."),
    )
    requested_start = forms.DateField(
        label=_("Requested start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For example 2027-08-01."),
        error_messages={"invalid": _("Write the date as year-month-day, e.g. 2027-08-01.")},
    )
    period_months = forms.IntegerField(
        label=_("Period (months)"),
        required=False,
        min_value=MIN_PERIOD_MONTHS,
        max_value=MAX_PERIOD_MONTHS,
        help_text=period_help_text_lazy(),
        error_messages={
            "invalid": _("Write the period as a whole number of months."),
            "min_value": period_range_message_lazy(),
            "max_value": period_range_message_lazy(),
        },
    )
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices, widget=forms.RadioSelect)
    call = forms.ModelChoiceField(
        label=_("Call for applications"),
        queryset=Call.objects.none(),
        required=False,
        empty_label=_("None – apply outside any call"),
    )
    preliminary = forms.ModelChoiceField(
        label=_("Preliminary application it continues"),
        queryset=Application.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("Only for a final application: the preliminary application taken forward."),
    )

    def __init__(self, *args, application, preliminaries, **kwargs):
        super().__init__(*args, **kwargs)
        calls = open_calls()
        if application.call_id:
            calls = Call.objects.filter(Q(pk__in=calls.values("pk")) | Q(pk=application.call_id))
        self.fields["call"].queryset = calls.order_by("closes_on")
        self.fields["preliminary"].queryset = preliminaries


class PurposesForm(PortalForm):
    """Step 2: what the trial covers (§ 3), the § 1 purposes it serves, and its effects."""

    categories = forms.MultipleChoiceField(
        label=_("What the trial covers (forsøksloven § 3)"),
        choices=TrialCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every category that fits."),
    )
    expected_effects = forms.CharField(
        label=_("Expected effects"), required=False, widget=_textarea()
    )
    effect_measurement = forms.CharField(
        label=_("How the effects will be measured"), required=False, widget=_textarea()
    )
    affected_services = forms.CharField(
        label=_("Services affected"), required=False, widget=_textarea(3)
    )
    affected_citizens = forms.CharField(
        label=_("Citizens affected"), required=False, widget=_textarea(3)
    )
    involvement = forms.CharField(
        label=_("Involvement of employee representatives and users"),
        required=False,
        widget=_textarea(),
    )

    TEXT_FIELDS = (
        "expected_effects",
        "effect_measurement",
        "affected_services",
        "affected_citizens",
        "involvement",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for purpose in Purpose:
            self.fields[f"purpose_{purpose.value}"] = forms.BooleanField(
                label=purpose.label, required=False
            )
            self.fields[f"justification_{purpose.value}"] = forms.CharField(
                label=_("How the trial serves this purpose"),
                required=False,
                widget=_textarea(3),
            )

    @property
    def purpose_rows(self) -> list[tuple]:
        return [
            (purpose, self[f"purpose_{purpose.value}"], self[f"justification_{purpose.value}"])
            for purpose in Purpose
        ]

    @property
    def text_fields(self) -> list:
        return [self[name] for name in self.TEXT_FIELDS]

    def clean(self):
        cleaned = super().clean()
        for purpose in Purpose:
            chosen = cleaned.get(f"purpose_{purpose.value}")
            text = (cleaned.get(f"justification_{purpose.value}") or "").strip()
            if chosen and not text:
                self.add_error(
                    f"justification_{purpose.value}",
                    _("Say how the trial serves the purpose “%(purpose)s”.")
                    % {"purpose": purpose.label},
                )
            elif text and not chosen:
                self.add_error(
                    f"purpose_{purpose.value}",
                    _(
                        "You wrote how the trial serves “%(purpose)s” but did not choose it. "
                        "Choose the purpose or remove the text."
                    )
                    % {"purpose": purpose.label},
                )
        return cleaned

    def purposes(self) -> dict[str, str]:
        return {
            purpose.value: self.cleaned_data[f"justification_{purpose.value}"].strip()
            for purpose in Purpose
            if self.cleaned_data.get(f"purpose_{purpose.value}")
        }

    def application_fields(self) -> dict:
        fields = {name: self.cleaned_data[name].strip() for name in self.TEXT_FIELDS}
        fields["categories"] = sorted(self.cleaned_data["categories"])
        return fields


class ExemptionForm(PortalForm):
    """One exemption request: the provision (typed, or found by search) and the details.

    The picker fields (citation, act, q, provision) travel with the details in one POST
    form, so nothing typed is lost while the applicant resolves or searches.
    """

    citation = forms.CharField(
        label=_("Citation"),
        required=False,
        max_length=300,
        help_text=_("For example “opplæringslova § 13-1” or “barnehageloven § 7 andre ledd”."),
    )
    suggestion = forms.CharField(required=False, max_length=300)
    keep_citation = forms.BooleanField(
        label=_("Save the citation as I wrote it; the ministry will find the provision"),
        required=False,
    )
    act = forms.ChoiceField(label=_("Act or regulation"), required=False)
    q = forms.CharField(
        label=_("Section number or words in the heading"),
        required=False,
        max_length=200,
        help_text=_("For example “13-1” or “bortvising”. Leave empty to list every section."),
    )
    provision = forms.ModelChoiceField(
        queryset=Provision.objects.select_related("act"), required=False
    )
    subsection = forms.IntegerField(
        label=_("Subsection (ledd)"),
        required=False,
        min_value=1,
        max_value=99,
        help_text=_("Only if the exemption concerns one subsection: its number."),
        error_messages={
            "invalid": _("Write the subsection as a number, e.g. 2 for the second subsection."),
            "min_value": _("Write the subsection as a number, e.g. 2 for the second subsection."),
            "max_value": _("Write the subsection as a number, e.g. 2 for the second subsection."),
        },
    )
    current_rule = forms.CharField(
        label=_("What the rule requires today"), required=False, widget=_textarea()
    )
    proposed_arrangement = forms.CharField(
        label=_("What shall apply instead during the trial"),
        required=False,
        widget=_textarea(),
    )
    justification = forms.CharField(
        label=_("Justification"),
        required=False,
        widget=_textarea(),
        help_text=_("Why the exemption is needed for the trial."),
    )
    consequences = forms.CharField(
        label=_("Consequences for individuals' rights and legal safeguards"),
        required=False,
        widget=_textarea(),
        help_text=_("Forsøksloven § 4 does not allow trials that weaken individuals' rights."),
    )

    error_anchors = {"provision": "provision-picker", "suggestion": "id_citation"}
    DETAIL_FIELDS = ("current_rule", "proposed_arrangement", "justification", "consequences")

    def __init__(self, *args, acts, **kwargs):
        super().__init__(*args, **kwargs)
        self.acts = {str(act.pk): act for act in acts}
        grouped: dict[str, list] = {}
        for act in acts:
            grouped.setdefault(act.ministry.display_name, []).append(
                (str(act.pk), act.short_title[:1].upper() + act.short_title[1:])
            )
        self.fields["act"].choices = [("", _("All acts and regulations")), *grouped.items()]

    @property
    def detail_fields(self) -> list:
        return [self[name] for name in self.DETAIL_FIELDS]

    def chosen_act(self):
        return self.acts.get(self.cleaned_data.get("act") or "")

    def details(self) -> dict:
        fields = {name: self.cleaned_data[name].strip() for name in self.DETAIL_FIELDS}
        fields["subsection"] = self.cleaned_data.get("subsection")
        return fields


class AttachmentForm(PortalForm):
    file = forms.FileField(
        label=_("File"),
        required=False,
        allow_empty_file=True,  # the upload check names the empty file in its message
        help_text=_("PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of document"),
        choices=[
            (value, label)
            for value, label in AttachmentKind.choices
            if value != AttachmentKind.ANSWER
        ],
        initial=AttachmentKind.OTHER,
    )
    organisation = forms.ModelChoiceField(
        label=_("Council that adopted the decision"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Not a council decision"),
        help_text=_("For a council decision: the municipality or county council that made it."),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    screening_basis = forms.ChoiceField(
        label=_("Ask for the document to be screened"),
        required=False,
        choices=[("", _("No, the document can be public")), *ScreeningBasis.choices[1:]],
        help_text=_(
            "If the document holds what the law lets the ministry keep from the public, say "
            "on which basis. The ministry decides; the title stays in the public journal."
        ),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=[organisation.pk for organisation in organisations]
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == AttachmentKind.COUNCIL_DECISION and not cleaned.get(
            "organisation"
        ):
            self.add_error("organisation", _("Say which applicant's council made the decision."))
        return cleaned


_SEPARATORS = re.compile(r"[,;\n]+")


def parse_organisations(text: str, *, exclude=None) -> list[Organisation]:
    """Municipalities and counties from numbers (3405, 34) or names, separated by commas."""
    found: list[Organisation] = []
    problems = []
    local = Organisation.objects.active().local_governments()
    for token in (part.strip() for part in _SEPARATORS.split(text or "")):
        if not token:
            continue
        if token.isdigit():
            matches = list(local.filter(number=token))
        else:
            matches = list(
                local.filter(
                    Q(name__iexact=token) | Q(name_nn__iexact=token) | Q(name_en__iexact=token)
                )
            )
        if not matches:
            problems.append(
                _("No municipality or county has the number or name “%(value)s”.")
                % {"value": token}
            )
        elif len(matches) > 1:
            problems.append(
                _("“%(value)s” fits several: write the number instead (%(choices)s).")
                % {
                    "value": token,
                    "choices": ", ".join(f"{o.number} {o.display_name}" for o in matches),
                }
            )
        elif matches[0] not in found and matches[0] != exclude:
            found.append(matches[0])
    if problems:
        raise ValidationError(problems)
    return found


class ContactsForm(PortalForm):
    """Step 5: co-applicants, and (optionally) a new contact person."""

    co_applicants = forms.CharField(
        label=_("Co-applicants"),
        required=False,
        widget=_textarea(2),
        help_text=_(
            "For a joint application: the other municipalities or county municipalities, by "
            "number or name, separated by commas. For example “3407, 3411” or “Gjøvik, Hamar”."
        ),
    )
    contact_organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    contact_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    contact_job_title = forms.CharField(label=_("Job title"), required=False, max_length=200)
    contact_email = forms.EmailField(
        label=_("Email"),
        required=False,
        error_messages={"invalid": _("Write an email address like name@kommune.no.")},
    )
    contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=30)

    CONTACT_FIELDS = ("name", "job_title", "email", "phone")

    def __init__(self, *args, application, require_contact: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.require_contact = require_contact
        organisations = application.applicant_organisations
        self.fields["contact_organisation"].queryset = Organisation.objects.filter(
            pk__in=[organisation.pk for organisation in organisations]
        )
        self.fields["contact_organisation"].initial = application.lead_organisation_id
        self.fields["contact_organisation"].empty_label = None
        for name in ("name", "job_title", "email", "phone"):
            self.fields[f"contact_{name}"].widget.attrs["autocomplete"] = "off"

    @property
    def contact_fields(self) -> list:
        return [self["contact_organisation"]] + [
            self[f"contact_{name}"] for name in self.CONTACT_FIELDS
        ]

    def clean_co_applicants(self):
        return parse_organisations(
            self.cleaned_data["co_applicants"], exclude=self.application.lead_organisation
        )

    def has_contact(self) -> bool:
        return any((self.data.get(f"contact_{name}") or "").strip() for name in self.CONTACT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.has_contact() or self.require_contact:
            if not (cleaned.get("contact_name") or "").strip():
                self.add_error("contact_name", _("Give the contact person's name."))
            if not cleaned.get("contact_email") and "contact_email" not in self.errors:
                self.add_error("contact_email", _("Give the contact person's email address."))
        return cleaned

    def contact(self) -> dict:
        return {
            name: (self.cleaned_data.get(f"contact_{name}") or "").strip()
            for name in self.CONTACT_FIELDS
        }


class WithdrawForm(PortalForm):
    reason = forms.CharField(
        label=_("Why is the application withdrawn?"),
        widget=_textarea(),
        help_text=_("The reason is recorded in the case and shown in its history."),
        error_messages={"required": _("Say why the application is withdrawn.")},
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class AnswerForm(PortalForm):
    text = forms.CharField(
        label=_("Your answer"),
        widget=_textarea(10),
        error_messages={"required": _("Write your answer.")},
    )
    files = MultipleFileField(
        label=_("Attachments"),
        required=False,
        allow_empty_file=True,
        help_text=_(
            "You can choose several files. PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG."
        ),
    )


class CopyForm(PortalForm):
    lead_organisation = forms.ModelChoiceField(
        label=_("Lead applicant of the new application"),
        queryset=Organisation.objects.none(),
        error_messages={"required": _("Choose the organisation that applies.")},
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = organisations
        if len(organisations) == 1:
            self.fields["lead_organisation"].initial = organisations[0].pk
            self.fields["lead_organisation"].empty_label = None
