"""The search form of /forsok/: the same fields and checks as /soknader/ where they mean
the same (county, municipality, ministry, act), all in GET parameters."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trials.public.forms import PublicSearchForm
from trials.public.trials.selectors import PUBLIC_STATUSES, TrialSearch

STATUS_CHOICES = [("", pgettext_lazy("trial status", "All"))] + [
    (status.value, status.label) for status in PUBLIC_STATUSES
]


class TrialSearchForm(PublicSearchForm):
    FILTERS = ("status", "county", "municipality", "ministry", "act", "year")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("stage", "call", "sort"):
            del self.fields[name]
        self.fields["status"] = forms.ChoiceField(
            label=_("Status"), choices=STATUS_CHOICES, required=False
        )
        self.fields["year"].label = _("Year the trial starts")
        self.fields["q"].help_text = _("Searches the trials' titles, summaries and descriptions.")
        self.fields["ministry"].help_text = _(
            "The ministry that owns an act the trial deviates from."
        )
        self.order_fields(["q", "status", "county", "municipality", "ministry", "act", "year"])

    def search(self) -> TrialSearch:
        self.is_valid()
        values = {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if value not in (None, "")
        }
        return TrialSearch(
            q=values.get("q", "").strip(),
            status=values.get("status", ""),
            county=values.get("county", ""),
            municipality=values.get("municipality", ""),
            ministry=values.get("ministry", ""),
            act=values.get("act", "").upper(),
            year=values.get("year"),
        )
