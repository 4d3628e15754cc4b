"""The search form of /soknader/: everything in GET parameters, so a search is a shareable URL.

Values are checked for their form (a kommunenummer has four digits), not against the options
shown: a shared link to a municipality without applications gives no results rather than
silently showing everything.
"""

import re

from django import forms
from django.core.validators import RegexValidator
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from legal.models import LOVDATA_ID_RE
from trials.choices import ApplicationStatus, Stage
from trials.public.selectors import YEARS, ApplicationSearch

SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("title", _("Title (A–Å)")),
    ("decided", _("Recently decided")),
]
STATUS_CHOICES = [
    ("", pgettext_lazy("application status", "All")),
    *[(value, label) for value, label in ApplicationStatus.choices if value != "draft"],
]
STAGE_CHOICES = [("", pgettext_lazy("stage", "All")), *Stage.choices]


def _attributes(attrs: dict) -> str:
    """HTML attributes as django/forms/widgets/attrs.html writes them."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False and value is not None
    )


class QuickSelect(forms.Select):
    """``forms.Select`` with the markup of Django's select and option templates written in
    Python: a filter with hundreds of options (every municipality) costs one string join,
    not a template rendering per option."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attributes(widget["attrs"])]
        parts.append(">")
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        mark_safe(_attributes(option["attrs"])),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class FilterSelect(QuickSelect):
    """A select whose options come from the data; a requested value missing among them (a
    shared link) is still shown as chosen."""

    def optgroups(self, name, value, attrs=None):
        known = {str(choice_value) for choice_value, _label in self.choices}
        missing = [v for v in value if v not in (None, "") and str(v) not in known]
        if missing:
            self.choices = [*self.choices, *[(v, v) for v in missing]]
        return super().optgroups(name, value, attrs)


class PublicSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search words"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_(
            "Searches titles, summaries and descriptions, the provisions and acts "
            "exemptions are requested from, and the applicants' names."
        ),
    )
    county = forms.CharField(
        label=_("County"),
        required=False,
        validators=[RegexValidator(r"^\d{2}$", _("A county number has two digits."))],
        widget=FilterSelect,
    )
    municipality = forms.CharField(
        label=_("Municipality"),
        required=False,
        validators=[RegexValidator(r"^\d{4}$", _("A municipality number has four digits."))],
        widget=FilterSelect,
        help_text=_("Lead applicant or co-applicant."),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=STATUS_CHOICES, required=False, widget=QuickSelect
    )
    stage = forms.ChoiceField(
        label=_("Stage"), choices=STAGE_CHOICES, required=False, widget=QuickSelect
    )
    call = forms.CharField(
        label=_("Call for applications"),
        required=False,
        validators=[RegexValidator(r"^(none|\d{1,9})$", _("Choose a call from the list."))],
        widget=FilterSelect,
    )
    ministry = forms.CharField(
        label=_("Ministry"),
        required=False,
        validators=[RegexValidator(r"^[A-ZÆØÅ]{2,10}$", _("Choose a ministry from the list."))],
        widget=FilterSelect,
        help_text=_("The ministry that owns an act an exemption is requested from."),
    )
    act = forms.CharField(
        label=_("Act or regulation"),
        required=False,
        validators=[
            RegexValidator(LOVDATA_ID_RE, _("Choose an act from the list."), flags=re.IGNORECASE)
        ],
        widget=FilterSelect,
    )
    year = forms.IntegerField(
        label=_("Year submitted"),
        required=False,
        min_value=YEARS.start,
        max_value=YEARS.stop - 1,
        widget=FilterSelect,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"), choices=SORT_CHOICES, required=False, widget=QuickSelect
    )

    FILTERS = ("county", "municipality", "status", "stage", "call", "ministry", "act", "year")

    def set_options(self, options: dict[str, list]) -> None:
        """Fill the selects from ``trials.public.selectors.public_search_options()`` (or, for
        a form without the call, ``trials.public.trials.selectors.public_trial_options()``)."""
        self.fields["county"].widget.choices = [
            ("", _("All counties")),
            *[(county.number, county.display_name) for county in options["counties"]],
        ]
        self.fields["municipality"].widget.choices = [
            ("", _("All municipalities")),
            *[(m.number, m.display_name) for m in options["municipalities"]],
        ]
        if "call" in self.fields:
            self.fields["call"].widget.choices = [
                ("", _("All")),
                ("none", _("Outside any call")),
                *[(str(call.pk), call.title) for call in options["calls"]],
            ]
        self.fields["ministry"].widget.choices = [
            ("", _("All ministries")),
            *[(m.code, m.display_name) for m in options["ministries"]],
        ]
        self.fields["act"].widget.choices = [
            ("", _("All acts")),
            *[(act.lovdata_id, capfirst(act.short_title)) for act in options["acts"]],
        ]
        self.fields["year"].widget.choices = [
            ("", _("All years")),
            *[(year, str(year)) for year in options["years"]],
        ]

    def search(self) -> ApplicationSearch:
        """The search asked for; a value that is not valid is left out (and shown as an
        error next to its field)."""
        self.is_valid()
        values = {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if value not in (None, "")
        }
        return ApplicationSearch(
            q=values.get("q", "").strip(),
            county=values.get("county", ""),
            municipality=values.get("municipality", ""),
            status=values.get("status", ""),
            stage=values.get("stage", ""),
            call=values.get("call", ""),
            ministry=values.get("ministry", ""),
            act=values.get("act", "").upper(),
            year=values.get("year"),
            sort=values.get("sort") or "newest",
        )

    @property
    def active_filters(self) -> list[str]:
        """The names of the filters in use (to open the filter panel and count them)."""
        data = getattr(self, "cleaned_data", {})
        return [name for name in self.FILTERS if data.get(name) not in (None, "")]
