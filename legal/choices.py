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
        "Forsøksloven § 4 does not allow trials that deviate from the Local Government "
        "Act's basic rules on how municipalities and county municipalities are organised. "
        "A request for an exemption from this provision will normally be refused."
    ),
    LimitKind.PROCEDURE: _(
        "Forsøksloven § 4 does not allow trials that deviate from the procedural rules of "
        "the Public Administration Act (forvaltningsloven). A request for an exemption from "
        "this provision will normally be refused."
    ),
    LimitKind.INDIVIDUAL_RIGHTS: _(
        "This provision gives individuals rights or legal safeguards. Trials under "
        "forsøksloven may not weaken the legal protection of individuals, so an exemption "
        "will normally be refused or need strict conditions."
    ),
}
