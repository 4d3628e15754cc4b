"""What the public may see of trials (/forsok/ and /api/v1/public/trials/): every trial from
the decision that creates it, with its regulation, extensions, and its reports and
evaluations (a screened one named but not shown). The search runs a fixed number of queries
whatever the number of trials."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import ExtractYear

from casework.choices import OrganisationKind
from casework.models import Organisation
from legal.models import LegalAct
from trials.choices import ExtensionStatus, TrialStatus
from trials.models import (
    Application,
    Evaluation,
    ExemptionRequest,
    Extension,
    Regulation,
    Report,
    Trial,
)
from trials.public.selectors import public_trials, text_match

PUBLIC_STATUSES = [
    TrialStatus.APPROVED,
    TrialStatus.IN_FORCE,
    TrialStatus.ENDED,
    TrialStatus.MADE_PERMANENT,
    TrialStatus.STOPPED,
]


@dataclass(frozen=True)
class TrialSearch:
    """What a visitor asked for on /forsok/; every part optional."""

    q: str = ""
    status: str = ""
    county: str = ""  # fylkesnummer
    municipality: str = ""  # kommunenummer: lead applicant or co-applicant
    act: str = ""  # Lovdata id of an act a granted exemption deviates from
    ministry: str = ""  # code of the ministry owning such an act
    year: int | None = None  # the year the trial starts


def _granted(exemptions) -> Q:
    through = Trial.exemptions.through
    return Q(pk__in=through.objects.filter(exemptionrequest__in=exemptions).values("trial_id"))


def _run_by(organisations) -> Q:
    through = Application.co_applicants.through
    return Q(application__lead_organisation__in=organisations) | Q(
        application__in=through.objects.filter(organisation__in=organisations).values(
            "application_id"
        )
    )


def public_trial_rows() -> QuerySet[Trial]:
    """Trials with what a list row shows, prefetched in a fixed number of queries."""
    return (
        public_trials()
        .select_related("application__lead_organisation__county")
        .prefetch_related(
            "application__co_applicants",
            "regulations",
            Prefetch(
                "exemptions",
                queryset=ExemptionRequest.objects.select_related("provision__act__ministry"),
            ),
        )
        .annotate(
            granted_extensions=Count(
                "extensions", filter=Q(extensions__status=ExtensionStatus.GRANTED), distinct=True
            )
        )
    )


def public_trial_search(search: TrialSearch) -> QuerySet[Trial]:
    trials = public_trial_rows()
    if search.q.strip():
        trials = trials.filter(application__in=Application.objects.filter(text_match(search.q)))
    if search.status:
        trials = trials.filter(status=search.status)
    if search.county:
        trials = trials.filter(
            _run_by(
                Organisation.objects.filter(
                    kind__in=[OrganisationKind.KOMMUNE, OrganisationKind.FYLKESKOMMUNE],
                    number__startswith=search.county,
                )
            )
        )
    if search.municipality:
        trials = trials.filter(
            _run_by(
                Organisation.objects.filter(
                    kind=OrganisationKind.KOMMUNE, number=search.municipality
                )
            )
        )
    if search.act:
        trials = trials.filter(
            _granted(ExemptionRequest.objects.filter(provision__act__lovdata_id=search.act))
        )
    if search.ministry:
        trials = trials.filter(
            _granted(
                ExemptionRequest.objects.filter(provision__act__ministry__code=search.ministry)
            )
        )
    if search.year:
        trials = trials.filter(starts_on__year=search.year)
    return trials.order_by("-starts_on", "-pk")


def public_trial_options() -> dict[str, list]:
    """What the filters offer: the counties, and the municipalities, acts, ministries and
    years that occur among trials."""
    trials = public_trials()
    granted = ExemptionRequest.objects.filter(trials__in=trials)
    through = Application.co_applicants.through
    applications = Application.objects.filter(trial__in=trials)
    return {
        "counties": list(Organisation.objects.active().counties().order_by("number")),
        "municipalities": list(
            Organisation.objects.municipalities()
            .filter(
                Q(pk__in=applications.values("lead_organisation_id"))
                | Q(
                    pk__in=through.objects.filter(application__in=applications).values(
                        "organisation_id"
                    )
                )
            )
            .order_by("name")
        ),
        "acts": list(
            LegalAct.objects.filter(provisions__exemption_requests__in=granted)
            .distinct()
            .order_by("short_title")
        ),
        "ministries": list(
            Organisation.objects.filter(legal_acts__provisions__exemption_requests__in=granted)
            .distinct()
            .order_by("name")
        ),
        "years": sorted(
            set(
                trials.annotate(year=ExtractYear("starts_on"))
                .values_list("year", flat=True)
                .distinct()
            ),
            reverse=True,
        ),
    }


def public_trial_page(pk) -> Trial:
    """One trial with everything its public page shows; Trial.DoesNotExist otherwise."""
    return (
        public_trials()
        .select_related("application__lead_organisation")
        .prefetch_related(
            "application__co_applicants",
            Prefetch(
                "regulations",
                queryset=Regulation.objects.select_related("entry").prefetch_related(
                    "entry__documents"
                ),
            ),
            Prefetch("extensions", queryset=Extension.objects.exclude(status="requested")),
            Prefetch(
                "reports",
                queryset=Report.objects.prefetch_related(
                    "attachments", "entry__documents"
                ).select_related("entry"),
            ),
            Prefetch(
                "evaluations",
                queryset=Evaluation.objects.select_related("entry").prefetch_related(
                    "entry__documents"
                ),
            ),
            Prefetch(
                "exemptions",
                queryset=ExemptionRequest.objects.select_related("provision__act__ministry"),
            ),
            Prefetch(
                "followers",
                queryset=Application.objects.filter(submitted_at__isnull=False).select_related(
                    "lead_organisation"
                ),
            ),
        )
        .get(pk=pk)
    )


def public_trials_changed_since(limit: int = 50) -> QuerySet[Trial]:
    return public_trial_rows().order_by("-created_at", "-pk")[:limit]


def in_force_today(trial: Trial, today: datetime.date) -> bool:
    return trial.in_force_on(today)
