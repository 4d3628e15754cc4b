"""Forms of the people pages: the role choices come from the domain (what the organisation
may have, and what this administrator may give), never from the form."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from casework.choices import Role
from casework.forms import SummaryForm
from casework.models import POSTAL_PLACE_MAX, POSTAL_STREET_MAX, POSTCODE_PATTERN


def _role_choices(roles) -> list[tuple[str, str]]:
    return [(Role(role).value, Role(role).label) for role in roles]


class InvitationForm(SummaryForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class RoleGiveForm(SummaryForm):
    user = forms.TypedChoiceField(label=_("Person"), coerce=int)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)
        self.fields["user"].choices = [
            (entry["user"].pk, entry["user"].get_full_name() or entry["user"].get_username())
            for entry in people
        ]


class AnsattportenForm(SummaryForm):
    role = forms.ChoiceField(
        label=_("Role given by a login through Ansattporten"),
        required=False,
        help_text=_(
            "Anyone Ansattporten says acts for this organisation gets this role when they log "
            "in. Choose none to give access only by invitation."
        ),
    )

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            ("", _("None: by invitation only")),
            *_role_choices([role for role in roles if role != Role.ADMINISTRATOR]),
        ]


class OrganisationSearchForm(forms.Form):
    q = forms.CharField(label=_("Search for an organisation"), required=False, max_length=100)


LANGUAGE_FORM_CHOICES = [
    ("nb", _("Bokmål")),
    ("nn", _("Nynorsk")),
    ("neutral", _("Neutral: no choice made")),
]


def language_form_value(choice: str) -> str:
    """The stored value of a choice: "neutral" is stored as no form ("")."""
    return "" if choice == "neutral" else choice


class LanguageFormForm(SummaryForm):
    """The written form the organisation has chosen (språklova § 11)."""

    language_form = forms.ChoiceField(
        label=_("Written language form (målform)"),
        choices=LANGUAGE_FORM_CHOICES,
        widget=forms.RadioSelect,
        help_text=_(
            "The form the organisation has decided to use under språklova § 11. Letters from "
            "the ministry are written in it; for a neutral organisation the case officer "
            "chooses for each letter."
        ),
        error_messages={"required": _("Choose bokmål, nynorsk or neutral.")},
    )
    reason = forms.CharField(
        label=_("Reason or decision (optional)"),
        required=False,
        max_length=300,
        help_text=_("For example the council's decision and its date."),
    )


class PostalAddressForm(SummaryForm):
    """The address letters to the organisation go to (their address block); the rules are
    the domain's (``casework.models``), checked again by the service."""

    street = forms.CharField(
        label=_("Street address or PO box"),
        max_length=POSTAL_STREET_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
        help_text=_("For example “Postboks 986” or “Kirkegata 2”. One line per line."),
        error_messages={"required": _("Give the street address or PO box.")},
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=4,
        validators=[
            RegexValidator(POSTCODE_PATTERN, _("A Norwegian postcode has four digits, e.g. 2609."))
        ],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code", "size": 4}
        ),
        help_text=_("Four digits."),
        error_messages={"required": _("A Norwegian postcode has four digits, e.g. 2609.")},
    )
    place = forms.CharField(
        label=_("Place (poststed)"),
        max_length=POSTAL_PLACE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        error_messages={"required": _("Give the place (poststed).")},
    )
