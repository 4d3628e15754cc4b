"""Reads of the law register for pages and the API."""

from dataclasses import dataclass
from itertools import groupby

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from casework.models import Organisation
from legal.citations import CitationError, parse_citation
from legal.models import LegalAct, Provision, ReferenceDataVersion, ScopeLimit


def act_list(*, query: str = "") -> QuerySet[LegalAct]:
    acts = LegalAct.objects.select_related("ministry").annotate(provision_count=Count("provisions"))
    if query:
        acts = acts.filter(
            Q(short_title__icontains=query)
            | Q(title__icontains=query)
            | Q(lovdata_id__iexact=query)
            | Q(aliases__icontains=query)
            | Q(ministry__name__icontains=query)
            | Q(ministry__code__iexact=query)
        )
    return acts.order_by("ministry__name", "short_title")


@dataclass
class MinistryActs:
    ministry: Organisation
    acts: list[LegalAct]


def acts_by_ministry(*, query: str = "") -> list[MinistryActs]:
    acts = act_list(query=query)
    return [
        MinistryActs(ministry=ministry, acts=list(group))
        for ministry, group in groupby(acts, key=lambda act: act.ministry)
    ]


def act_get(lovdata_id: str) -> LegalAct:
    return LegalAct.objects.select_related("ministry").get(lovdata_id__iexact=lovdata_id)


def act_provisions(act: LegalAct) -> list[Provision]:
    """The act's sections, each with ``limits``: the § 4 limits that cover it."""
    provisions = list(act.provisions.all())
    for provision in provisions:
        provision.act = act
    return attach_limits(provisions)


def attach_limits(provisions: list[Provision]) -> list[Provision]:
    """Set ``provision.limits`` on each provision with one query for all of them."""
    act_ids = {provision.act_id for provision in provisions}
    limits = list(ScopeLimit.objects.filter(act_id__in=act_ids).select_related("provision"))
    for provision in provisions:
        provision.limits = [limit for limit in limits if limit_covers(limit, provision)]
    return provisions


def limit_covers(limit: ScopeLimit, provision: Provision) -> bool:
    if limit.act_id != provision.act_id:
        return False
    if limit.provision_id is not None:
        return limit.provision_id == provision.pk
    return not limit.chapter or limit.chapter == provision.chapter


def limits_for_provision(provision: Provision) -> list[ScopeLimit]:
    limits = ScopeLimit.objects.filter(act_id=provision.act_id).filter(
        Q(provision=provision)
        | Q(provision__isnull=True, chapter="")
        | Q(provision__isnull=True, chapter=provision.chapter)
    )
    return list(limits)


@dataclass
class ProvisionWarning:
    """Something an applicant or officer should know before asking to waive a provision."""

    kind: str
    text: str


def provision_warnings(provision: Provision) -> list[ProvisionWarning]:
    """The § 4 limits covering ``provision`` and its act's own trial provision. Uses
    ``provision.limits`` when ``attach_limits`` has set it (many provisions, one query)."""
    limits = getattr(provision, "limits", None)
    if limits is None:
        limits = limits_for_provision(provision)
    warnings = [ProvisionWarning(kind=limit.kind, text=limit.reason) for limit in limits]
    act = provision.act
    if act.has_sector_trial_provision:
        warnings.append(
            ProvisionWarning(
                kind="sector_trial_provision",
                text=_(
                    "%(act)s has its own trial provision (%(section)s). A trial that "
                    "deviates from this act may have to be approved under that provision "
                    "instead of forsøksloven."
                )
                % {"act": act.short_title, "section": act.own_trial_provision},
            )
        )
    return warnings


def provision_search(*, act: LegalAct | None = None, query: str = "") -> QuerySet[Provision]:
    """Sections matching ``query``: a citation when it parses, else words in the heading."""
    provisions = Provision.objects.select_related("act")
    if act is not None:
        provisions = provisions.filter(act=act)
    query = query.strip()
    if not query:
        return provisions.order_by("act__short_title", "order")
    try:
        citation = parse_citation(query)
    except CitationError:
        citation = None
    if citation is not None and (act is None or citation.act == act):
        return provisions.filter(pk=citation.provision.pk)
    if act is not None and query.lstrip("§ ").strip():
        number = query.replace("§", "").replace(" ", "").lower()
        exact = provisions.filter(section_number=number)
        if exact.exists():
            return exact
    return provisions.filter(
        Q(heading__icontains=query) | Q(chapter_heading__icontains=query)
    ).order_by("act__short_title", "order")


def reference_data_version() -> int:
    """The law register's data version (``legal.services.reference_data_changed``): one
    read of one row."""
    return ReferenceDataVersion.objects.filter(pk=1).values_list("number", flat=True).first() or 0
