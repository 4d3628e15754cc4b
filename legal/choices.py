from django.db import models
from django.utils.translation import gettext_lazy as _


class ActKind(models.TextChoices):
    LOV = "lov", _("Act (lov)")
    FORSKRIFT = "forskrift", _("Regulation (forskrift)")


class LimitKind(models.TextChoices):
    """Why forsøksloven § 4 (or practice under it) rules out a trial."""

    ORGANISATION = "organisation", _("Basic organisation rules of the Local Government Act")
    PROCEDURE = "procedure", _("Procedural rules of the Public Administration Act")
    INDIVIDUAL_RIGHTS = "individual_rights", _("Rights and legal safeguards of individuals")


LIMIT_EXPLANATIONS = {
    LimitKind.ORGANISATION: _(
        "Forsøksloven § 4 first paragraph (a) does not allow trials that deviate from the "
        "Local Government Act's basic rules on how municipalities and county municipalities "
        "organise their activities. A request for an exemption from this provision will "
        "normally be refused."
    ),
    LimitKind.PROCEDURE: _(
        "Forsøksloven § 4 first paragraph (b) does not allow trials that deviate from the "
        "procedural rules of the Public Administration Act (forvaltningsloven). A request "
        "for an exemption from this provision will normally be refused."
    ),
    LimitKind.INDIVIDUAL_RIGHTS: _(
        "Forsøksloven § 4 does not allow a trial that restricts rights or extends duties "
        "individuals have under current law, nor one that deviates from procedural rules "
        "given for individuals' legal safeguards unless the proposed procedure protects them "
        "at least as well. An exemption from this provision will normally be refused or need "
        "strict conditions."
    ),
}
