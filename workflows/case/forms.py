"""Forms of the case-handling pages: each turns what was typed into the payload the step's
handler in workflows.case.services expects. The services decide; a form only checks types and
what the page itself needs (a choice between options, a date in the future).

Per-exemption fields are named as the services name their errors (``assessment_12``,
``note_12``, ``position_12``, ``outcome_12``, ``reasons_12`` ...), so a service's
ValidationError lands next to the field it concerns.
"""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.choices import LanguageForm, ScreeningBasis
from legal.citations import CitationError, parse_citation
from trials.choices import Assessment, Outcome, Position
from trials.models import Call
from trials.portal.forms import PortalForm
from trials.services import DEFAULT_ANSWER_DAYS, DEFAULT_CONSULTATION_DAYS
from trials.uploads import check_upload


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _date_field(label, *, days: int | None = None, help_text="") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=(lambda: timezone.localdate() + datetime.timedelta(days=days)) if days else None,
        error_messages={"invalid": _("Write the date as dd.mm.yyyy, e.g. 31.12.2026.")},
    )


def _future(form, name: str, message) -> None:
    value = form.cleaned_data.get(name)
    if value is not None and value <= timezone.localdate():
        form.add_error(name, message)


def _letter_language_field() -> forms.ChoiceField:
    """The written form of the letter the step sends, for a neutral recipient (språklova
    § 11); whether it is needed is ``trials.journal.letter_language``'s answer."""
    return forms.ChoiceField(
        label=_("Written form of the letter"),
        required=False,
        choices=[(LanguageForm.BOKMAL, _("Bokmål")), (LanguageForm.NYNORSK, _("Nynorsk"))],
        widget=forms.RadioSelect,
        help_text=_(
            "The recipient has not chosen bokmål or nynorsk (neutral): choose the form the "
            "letter is written in."
        ),
    )


class TaskForm(PortalForm):
    """The form of one step of the process."""

    # service error key → field name, where they differ
    field_map: dict[str, str] = {}
    # fields whose errors the summary prefixes with the field's label (repeated per exemption)
    labelled: set[str]
    # the step sends a letter: the officer chooses its written form for a neutral recipient
    sends_letter = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.labelled = set()
        if self.sends_letter:
            self.fields["letter_language"] = _letter_language_field()

    def letter_payload(self) -> dict:
        return {"letter_language": self.cleaned_data.get("letter_language", "")}

    def payload(self) -> dict:
        return {}

    def files_payload(self) -> dict | None:
        return None

    def add_service_errors(self, exc, field_map=None) -> None:
        super().add_service_errors(exc, {**self.field_map, **(field_map or {})})

    def error_summary(self) -> list[tuple[str, str]]:
        summary = super().error_summary()
        if not self.labelled:
            return summary
        by_anchor = {}
        for name in self.labelled:
            bound = self[name]
            anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.auto_id
            by_anchor[anchor] = bound.label
        return [
            (anchor, f"{by_anchor[anchor]}: {message}" if anchor in by_anchor else message)
            for anchor, message in summary
        ]


class RegisterForm(TaskForm):
    """Registration needs no input but the receipt's written form for a neutral applicant."""

    sends_letter = True

    def payload(self) -> dict:
        return self.letter_payload()


class CompletenessForm(TaskForm):
    sends_letter = True
    decision = forms.ChoiceField(
        label=_("Is the application complete?"),
        choices=[
            ("complete", _("Yes, the application is complete")),
            ("request", _("No, ask the applicant for more information")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the application is complete.")},
    )
    message = forms.CharField(
        label=_("What the applicant must send"),
        required=False,
        widget=_textarea(6),
        help_text=_("Only when you ask for more information. The text goes into the letter."),
    )
    due_date = _date_field(
        _("Answer by"),
        days=DEFAULT_ANSWER_DAYS,
        help_text=_("Only when you ask for more information."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "request":
            _future(self, "due_date", _("The deadline must lie in the future."))
        return cleaned

    def payload(self) -> dict:
        if self.cleaned_data["decision"] == "complete":
            return {"complete": True}
        return {
            "complete": False,
            "message": self.cleaned_data["message"],
            "due_date": self.cleaned_data["due_date"],
            **self.letter_payload(),
        }


class AnswerOverdueForm(TaskForm):
    sends_letter = True
    action = forms.ChoiceField(
        label=_("What happens now?"),
        required=False,
        choices=[
            ("continue", _("Continue the case without the answer")),
            ("extend", _("Give the applicant a new deadline")),
            ("close", _("Close the case without an answer")),
        ],
        widget=forms.RadioSelect,
    )
    due_date = _date_field(_("New deadline"), help_text=_("Only when you give a new deadline."))
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=_textarea(),
        help_text=_("Why you continue or close the case. Required when you close it."),
    )

    def payload(self) -> dict:
        return {
            "action": self.cleaned_data["action"],
            "due_date": self.cleaned_data["due_date"],
            "reason": self.cleaned_data["reason"],
            **self.letter_payload(),
        }


class ConsultationOverdueForm(TaskForm):
    action = forms.ChoiceField(
        label=_("What happens now?"),
        required=False,
        choices=[
            ("extend", _("Give the ministry a new deadline")),
            ("close", _("Close the consultation without an answer")),
        ],
        widget=forms.RadioSelect,
    )
    due_date = _date_field(_("New deadline"), help_text=_("Only when you give a new deadline."))
    reason = forms.CharField(
        label=_("Reason for closing"),
        required=False,
        widget=_textarea(),
        help_text=_("Only when you close the consultation."),
    )

    def payload(self) -> dict:
        return dict(self.cleaned_data)


class AssessForm(TaskForm):
    """An assessment and a note per exemption; a citation field for one not yet resolved."""

    sends_letter = True

    def __init__(self, *args, exemptions, suggestions: dict, preliminary: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.exemptions = exemptions
        self.resolved: dict[int, object] = {}
        self.suggestions: dict[int, list[str]] = {}
        for exemption in exemptions:
            pk = exemption.pk
            label = exemption.provision_label
            if not exemption.is_resolved:
                self.fields[f"citation_{pk}"] = forms.CharField(
                    label=_("Provision asked for as “%(text)s”") % {"text": label},
                    initial=exemption.citation_text,
                    required=False,
                    help_text=_(
                        "The applicant's citation was not found in the register. Write it "
                        "so the register knows it, e.g. “opplæringslova § 13-1”."
                    ),
                )
                self.field_map = {**self.field_map, f"provision_{pk}": f"citation_{pk}"}
            self.fields[f"assessment_{pk}"] = forms.ChoiceField(
                label=_("Assessment of %(provision)s") % {"provision": label},
                choices=[("", _("Choose an assessment")), *Assessment.choices],
                required=False,
                initial=exemption.assessment or suggestions.get(pk, ""),
            )
            self.fields[f"note_{pk}"] = forms.CharField(
                label=_("Note on %(provision)s") % {"provision": label},
                required=False,
                widget=_textarea(),
                initial=exemption.assessment_note,
                help_text=_("Required unless the exemption is within the scope of the act."),
            )
            self.labelled |= {f"assessment_{pk}", f"note_{pk}"}
        if preliminary:
            self.fields["skip_consultation"] = forms.BooleanField(
                label=_("Skip the consultation of the line ministries"),
                required=False,
                help_text=_(
                    "For a preliminary application the ministry may decide whether to take it "
                    "forward before it consults the ministries."
                ),
            )
        self.fields["consultation_due_date"] = _date_field(
            _("The ministries answer by"), days=DEFAULT_CONSULTATION_DAYS
        )
        self.fields["consultation_message"] = forms.CharField(
            label=_("Message for the consultation letter"),
            required=False,
            widget=_textarea(6),
            help_text=_(
                "Sent to each line ministry that owns an act with an exemption within scope."
            ),
        )

    def rows(self) -> list[dict]:
        return [
            {
                "exemption": exemption,
                "citation": self[f"citation_{exemption.pk}"]
                if f"citation_{exemption.pk}" in self.fields
                else None,
                "resolved": self.resolved.get(exemption.pk),
                "suggestions": self.suggestions.get(exemption.pk, []),
                "assessment": self[f"assessment_{exemption.pk}"],
                "note": self[f"note_{exemption.pk}"],
            }
            for exemption in self.exemptions
        ]

    def clean(self):
        cleaned = super().clean()
        for exemption in self.exemptions:
            name = f"citation_{exemption.pk}"
            if name not in self.fields:
                continue
            text = (cleaned.get(name) or "").strip()
            if not text:
                self.add_error(name, _("Write the provision the applicant asks to deviate from."))
                continue
            try:
                self.resolved[exemption.pk] = parse_citation(text).provision
            except CitationError as exc:
                self.add_error(name, exc.message)
                self.suggestions[exemption.pk] = exc.suggestions
        _future(self, "consultation_due_date", _("The deadline must lie in the future."))
        return cleaned

    def payload(self) -> dict:
        data = self.cleaned_data
        assessments = {}
        for exemption in self.exemptions:
            pk = exemption.pk
            spec = {"assessment": data.get(f"assessment_{pk}", ""), "note": data.get(f"note_{pk}")}
            if pk in self.resolved:
                spec["provision"] = self.resolved[pk]
            assessments[pk] = spec
        return {
            "assessments": assessments,
            "skip_consultation": bool(data.get("skip_consultation")),
            "consultation_due_date": data.get("consultation_due_date"),
            "consultation_message": data.get("consultation_message", ""),
            **self.letter_payload(),
        }


class ConsultForm(TaskForm):
    """The line ministry's position and statement per exemption, an overall statement and
    an optional document."""

    statement = forms.CharField(label=_("Overall statement"), required=False, widget=_textarea(6))
    attachment = forms.FileField(
        label=_("Attach a document (optional)"),
        required=False,
        help_text=_("PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG."),
    )

    def __init__(self, *args, exemptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.exemptions = exemptions
        fields = {}
        for exemption in exemptions:
            pk = exemption.pk
            label = exemption.provision_label
            fields[f"position_{pk}"] = forms.ChoiceField(
                label=_("Position on %(provision)s") % {"provision": label},
                choices=Position.choices,
                required=False,
                widget=forms.RadioSelect,
            )
            fields[f"statement_{pk}"] = forms.CharField(
                label=_("Statement on %(provision)s") % {"provision": label},
                required=False,
                widget=_textarea(),
                help_text=_("Required when you oppose or support with conditions."),
            )
            self.labelled |= {f"position_{pk}", f"statement_{pk}"}
        self.fields = {**fields, **self.fields}

    def rows(self) -> list[dict]:
        return [
            {
                "exemption": exemption,
                "position": self[f"position_{exemption.pk}"],
                "statement": self[f"statement_{exemption.pk}"],
            }
            for exemption in self.exemptions
        ]

    def clean_attachment(self):
        attachment = self.cleaned_data.get("attachment")
        if attachment:
            check_upload(attachment)
        return attachment

    def payload(self) -> dict:
        data = self.cleaned_data
        return {
            "positions": {
                exemption.pk: {
                    "position": data.get(f"position_{exemption.pk}", ""),
                    "statement": data.get(f"statement_{exemption.pk}", ""),
                }
                for exemption in self.exemptions
            },
            "statement": data.get("statement", ""),
        }

    def files_payload(self) -> dict | None:
        attachment = self.cleaned_data.get("attachment")
        return {"attachment": attachment} if attachment else None


class ProposeForm(TaskForm):
    """An outcome with reasons (and conditions) per exemption, and the overall summary."""

    sends_letter = True

    summary = forms.CharField(
        label=_("Summary of the decision and its reasons"),
        required=False,
        widget=_textarea(8),
        help_text=_("The reasons given in the decision letter (forvaltningsloven §§ 24-25)."),
    )

    def __init__(self, *args, exemptions, previous: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.exemptions = exemptions
        previous = previous or {}
        fields = {}
        for exemption in exemptions:
            pk = exemption.pk
            label = exemption.provision_label
            before = previous.get(str(pk), {})
            fields[f"outcome_{pk}"] = forms.ChoiceField(
                label=_("Outcome for %(provision)s") % {"provision": label},
                choices=Outcome.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=before.get("outcome"),
            )
            fields[f"reasons_{pk}"] = forms.CharField(
                label=_("Reasons for %(provision)s") % {"provision": label},
                required=False,
                widget=_textarea(),
                initial=before.get("reasons", ""),
                help_text=_("Required when refused or granted with conditions."),
            )
            fields[f"conditions_{pk}"] = forms.CharField(
                label=_("Conditions for %(provision)s") % {"provision": label},
                required=False,
                widget=_textarea(3),
                initial=before.get("conditions", ""),
                help_text=_("Only when granted with conditions."),
            )
        self.fields = {**fields, **self.fields}

    def rows(self) -> list[dict]:
        return [
            {
                "exemption": exemption,
                "outcome": self[f"outcome_{exemption.pk}"],
                "reasons": self[f"reasons_{exemption.pk}"],
                "conditions": self[f"conditions_{exemption.pk}"],
            }
            for exemption in self.exemptions
        ]

    def payload(self) -> dict:
        data = self.cleaned_data
        return {
            "outcomes": {
                exemption.pk: {
                    "outcome": data.get(f"outcome_{exemption.pk}", ""),
                    "reasons": data.get(f"reasons_{exemption.pk}", ""),
                    "conditions": data.get(f"conditions_{exemption.pk}", ""),
                }
                for exemption in self.exemptions
            },
            "summary": data.get("summary", ""),
            **self.letter_payload(),
        }


class ApproveForm(TaskForm):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        required=False,
        choices=[
            ("approve", _("Approve the proposal: the decision is made and sent")),
            ("return", _("Return the proposal to the case officer")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=_textarea(5),
        help_text=_("Required when you return the proposal: say what should be changed."),
    )

    def payload(self) -> dict:
        return dict(self.cleaned_data)


class InterimReplyForm(TaskForm):
    sends_letter = True
    reason = forms.CharField(
        label=_("Why the case takes time"), required=False, widget=_textarea(6)
    )
    expected_decision = _date_field(_("A decision is expected by"))

    def payload(self) -> dict:
        return dict(self.cleaned_data)


STEP_FORMS = {
    "register": RegisterForm,
    "check_completeness": CompletenessForm,
    "answer_overdue": AnswerOverdueForm,
    "assess": AssessForm,
    "consult": ConsultForm,
    "consultation_overdue": ConsultationOverdueForm,
    "propose": ProposeForm,
    "approve": ApproveForm,
    "interim_reply": InterimReplyForm,
}


class ReassignForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Give the task to"),
        queryset=None,
        empty_label=_("Choose a person"),
        error_messages={"required": _("Choose who gets the task.")},
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class TaskFilterForm(forms.Form):
    """The inbox's filters (GET)."""

    step = forms.ChoiceField(label=_("Step"), required=False)
    call = forms.ModelChoiceField(
        label=_("Call for applications"),
        queryset=Call.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    municipality = forms.RegexField(
        label=_("Municipality number"),
        regex=r"^\d{2}(\d{2})?$",
        required=False,
        help_text=_("Kommunenummer (4 digits) or fylkesnummer (2 digits)."),
        error_messages={"invalid": _("Write 2 or 4 digits, e.g. 3405.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )
    ministry = forms.ChoiceField(label=_("Ministry"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("due", _("Due date, soonest first")),
            ("-due", _("Due date, latest first")),
            ("created", _("Oldest task first")),
            ("-created", _("Newest task first")),
        ],
    )

    def __init__(self, *args, steps, calls, ministries, **kwargs):
        """Each role gets the filters that mean something to it: ``steps`` None drops the
        step filter (a consultee has one step), ``calls`` None the call filter, and the
        ministry filter goes when there is only one ministry to choose."""
        super().__init__(*args, **kwargs)
        if steps is None:
            del self.fields["step"]
        else:
            self.fields["step"].choices = [("", _("All")), *steps]
        if calls is None:
            del self.fields["call"]
        else:
            self.fields["call"].queryset = calls
        ministries = list(ministries)
        if len(ministries) < 2:
            del self.fields["ministry"]
        else:
            self.fields["ministry"].choices = [
                ("", _("All")),
                *((m.code, f"{m.display_name} ({m.code})") for m in ministries),
            ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "step": data.get("step", ""),
            "call": str(data["call"].pk) if data.get("call") else "",
            "municipality": data["municipality"],
            "ministry": data.get("ministry", ""),
        }

    def ordering(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "due"


class CallBatchForm(PortalForm):
    """Which of the call's preliminary applications to take forward, with common texts."""

    reasons = forms.CharField(
        label=_("Reasons for not taking an application forward"),
        required=False,
        widget=_textarea(6),
        help_text=_("Given for every exemption of the applications not taken forward."),
    )
    summary = forms.CharField(
        label=_("Summary of the decision"),
        widget=_textarea(6),
        error_messages={"required": _("Summarise the decision and its reasons.")},
    )

    def __init__(self, *args, applications, **kwargs):
        super().__init__(*args, **kwargs)
        self.applications = applications
        fields = {}
        for application in applications:
            fields[f"forward_{application.pk}"] = forms.BooleanField(
                label=_("Take %(reference)s forward") % {"reference": application.reference},
                required=False,
            )
        self.fields = {**fields, **self.fields}
        self.fields["letter_language"] = _letter_language_field()
        self.fields["letter_language"].help_text = _(
            "For the applicants that have not chosen bokmål or nynorsk (neutral): the form "
            "their decision letters are written in."
        )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("reasons") or "").strip() and not all(
            cleaned.get(f"forward_{application.pk}") for application in self.applications
        ):
            self.add_error(
                "reasons", _("Give the reasons for not taking the applications forward.")
            )
        return cleaned

    def batch(self) -> dict:
        """The arguments of ``services.call_batch_propose`` besides actor and call."""
        return {
            "forward": {
                application.pk
                for application in self.applications
                if self.cleaned_data.get(f"forward_{application.pk}")
            },
            "reasons": self.cleaned_data["reasons"],
            "summary": self.cleaned_data["summary"],
            "letter_language": self.cleaned_data.get("letter_language", ""),
        }

    def add_batch_errors(self, exc) -> None:
        """The service's refusals, each at the application's box (keyed by its id)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for application_id, errors in exc.error_dict.items():
            name = f"forward_{application_id}"
            for error in errors:
                self.add_error(name if name in self.fields else None, error.messages)


class ScreeningForm(PortalForm):
    """Set or lift the screening of one journal entry (offentleglova), with its reason."""

    basis = forms.ChoiceField(
        label=_("Legal basis"),
        required=False,
        choices=ScreeningBasis.choices,
        help_text=_("Choose “Public” to lift the screening."),
    )
    words = forms.CharField(
        label=_("Words of the title to hide in the public journal"),
        required=False,
        max_length=300,
        help_text=_("Separate them with commas. They show as asterisks in the public title."),
    )
    reason = forms.CharField(
        label=_("Why"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def words_list(self) -> list[str]:
        return [w.strip() for w in self.cleaned_data.get("words", "").split(",") if w.strip()]
