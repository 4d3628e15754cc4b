"""Statistics of applications and exemptions for the public (/statistikk/).

Only what ``trials.public.selectors`` lets through is counted: submitted applications, and outcomes
once decided. Counting is done by the database (a fixed number of grouped queries, however
much data there is); processing times are computed in Python from the decided applications.

Processing time (saksbehandlingstid) of one application: the number of calendar days from
the date it was registered (``registered_at``) to the date of the decision (``decided_at``),
both taken in Norwegian time. Median: the middle value, or the mean of the two middle values
when the count is even. 90th percentile: the nearest-rank value, i.e. the smallest time
within which at least 90 % of the applications were decided (sorted times, element number
ceil(0.9 × n)).
"""

import datetime
import math
import statistics as pystatistics
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, When
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.choices import EntryType, LanguageForm, OrganisationKind
from casework.models import JournalDocument, Organisation
from trials.choices import (
    DECIDED_STATUSES,
    ApplicationStatus,
    ExtensionStatus,
    Outcome,
    PublicExemptionState,
    Stage,
    TrialStatus,
)
from trials.models import ExemptionRequest
from trials.public.selectors import (
    public_applications,
    public_exemptions,
    public_trials,
    trials_in_force,
)

PROCESSING_BUCKETS = [(0, 30), (31, 60), (61, 90), (91, 180), (181, 365), (366, None)]


@dataclass
class Figure:
    """One row of a statistics table: a category, its count and (optionally) a machine key."""

    label: str
    value: int | float
    key: str = ""

    def as_row(self) -> tuple:
        return (self.label, self.value, self.key)


@dataclass
class ProcessingTime:
    count: int
    median: float | None
    p90: int | None
    shortest: int | None
    longest: int | None
    buckets: list[Figure]


def median(values: list[int]) -> float | None:
    return float(pystatistics.median(values)) if values else None


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of values ≤ it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def processing_days(registered_at: datetime.datetime, decided_at: datetime.datetime) -> int:
    return (timezone.localdate(decided_at) - timezone.localdate(registered_at)).days


def processing_time(days: list[int]) -> ProcessingTime:
    buckets = []
    for low, high in PROCESSING_BUCKETS:
        count = sum(1 for d in days if d >= low and (high is None or d <= high))
        if high is None:
            label, key = _("%(days)s days or more") % {"days": low}, f"{low}-"
        else:
            label, key = _("%(low)s–%(high)s days") % {"low": low, "high": high}, f"{low}-{high}"
        buckets.append(Figure(label=label, value=count, key=key))
    return ProcessingTime(
        count=len(days),
        median=median(days),
        p90=percentile(days, 0.9),
        shortest=min(days) if days else None,
        longest=max(days) if days else None,
        buckets=buckets,
    )


def _counts_by(applications, field: str) -> dict:
    return dict(applications.values(field).annotate(n=Count("pk")).values_list(field, "n"))


def _by_year(applications) -> list[Figure]:
    return [
        Figure(label=str(row["year"]), value=row["n"], key=str(row["year"]))
        for row in applications.annotate(year=ExtractYear("submitted_at"))
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("year")
    ]


def _by_county(applications) -> list[Figure]:
    """Every county (and any former one with applications), counting each application once,
    under the county of its lead applicant (a county municipality: itself)."""
    county_of_lead = Case(
        When(
            lead_organisation__kind=OrganisationKind.FYLKESKOMMUNE,
            then=F("lead_organisation_id"),
        ),
        default=F("lead_organisation__county_id"),
        output_field=IntegerField(),
    )
    county_counts = dict(
        applications.annotate(county_id=county_of_lead)
        .values("county_id")
        .annotate(n=Count("pk"))
        .values_list("county_id", "n")
    )
    counties = Organisation.objects.filter(
        Q(kind=OrganisationKind.FYLKESKOMMUNE, active=True)
        | Q(pk__in=[pk for pk in county_counts if pk is not None])
    )
    return [
        Figure(label=county.display_name, value=county_counts.get(county.pk, 0), key=county.number)
        for county in counties.order_by("number", "name")
    ]


def _processing_days(applications) -> list[int]:
    return [
        processing_days(registered, decided_at)
        for registered, decided_at in applications.filter(
            status__in=DECIDED_STATUSES,
            registered_at__isnull=False,
            decided_at__isnull=False,
        ).values_list("registered_at", "decided_at")
    ]


def _outcomes(applications, by_status: dict) -> list[Figure]:
    """Approved in full, approved in part (at least one exemption refused), rejected."""
    partly = (
        applications.filter(
            status=ApplicationStatus.APPROVED,
            exemption_requests__outcome=Outcome.REFUSED,
        )
        .values("pk")
        .distinct()
        .count()
    )
    approved = by_status.get(ApplicationStatus.APPROVED, 0)
    return [
        Figure(label=_("Approved in full"), value=approved - partly, key="approved"),
        Figure(label=_("Approved in part"), value=partly, key="approved_in_part"),
        Figure(
            label=_("Rejected"),
            value=by_status.get(ApplicationStatus.REJECTED, 0),
            key="rejected",
        ),
    ]


def application_statistics() -> dict:
    applications = public_applications().prefetch_related(None).order_by()
    by_status = _counts_by(applications, "status")
    by_stage = _counts_by(applications, "stage")
    return {
        "total": sum(by_status.values()),
        "by_status": [
            Figure(label=str(label), value=by_status.get(value, 0), key=value)
            for value, label in ApplicationStatus.choices
            if value != ApplicationStatus.DRAFT
        ],
        "by_year": _by_year(applications),
        "by_stage": [
            Figure(label=str(label), value=by_stage.get(value, 0), key=value)
            for value, label in Stage.choices
        ],
        "by_county": _by_county(applications),
        "outcomes": _outcomes(applications, by_status),
        "processing": processing_time(_processing_days(applications)),
        "letters": letter_statistics(),
    }


def letter_forms_by_year() -> dict[int, dict[str, int]]:
    """Letters KDD sent (the main documents of outgoing journal entries) by journal year and
    the written form they were recorded in: {year: {"nb": n, "nn": n}}."""
    rows = (
        JournalDocument.objects.filter(
            entry__entry_type=EntryType.OUTGOING,
            is_main=True,
            language__in=[LanguageForm.BOKMAL, LanguageForm.NYNORSK],
        )
        .order_by()
        .values("entry__journal_year", "language")
        .annotate(n=Count("pk"))
    )
    years: dict[int, dict[str, int]] = {}
    for row in rows:
        years.setdefault(row["entry__journal_year"], {"nb": 0, "nn": 0})[row["language"]] = row["n"]
    return dict(sorted(years.items()))


def letter_statistics() -> dict:
    """The share of nynorsk in the letters KDD sent, per year (språklova § 13 asks a state
    body for at least 25 % of each form): a percentage with one decimal."""
    years = letter_forms_by_year()
    share, counts = [], []
    for year, forms in years.items():
        total = forms["nb"] + forms["nn"]
        share.append(Figure(str(year), round(100 * forms["nn"] / total, 1), str(year)))
        counts += [
            Figure(f"{year} – {_('Bokmål')}", forms["nb"], f"{year}-nb"),
            Figure(f"{year} – {_('Nynorsk')}", forms["nn"], f"{year}-nn"),
        ]
    return {"nynorsk_share": share, "by_form": counts}


def _by_act_and_ministry(exemptions) -> tuple[list[Figure], list[Figure]]:
    """Requested exemptions by act, and by the ministry owning the act (most first); one
    row for those whose provision is not yet identified."""
    by_act_rows = list(
        exemptions.values(
            "provision__act__lovdata_id",
            "provision__act__short_title",
            "provision__act__ministry_id",
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "provision__act__short_title")
    )
    ministries = {
        ministry.pk: ministry
        for ministry in Organisation.objects.filter(
            pk__in={row["provision__act__ministry_id"] for row in by_act_rows} - {None}
        )
    }
    by_act = []
    ministry_counts: dict[int | None, int] = {}
    for row in by_act_rows:
        ministry_id = row["provision__act__ministry_id"]
        ministry_counts[ministry_id] = ministry_counts.get(ministry_id, 0) + row["n"]
        title = row["provision__act__short_title"]
        by_act.append(
            Figure(
                label=title[:1].upper() + title[1:] if title else _("Provision not yet identified"),
                value=row["n"],
                key=row["provision__act__lovdata_id"] or "",
            )
        )
    by_ministry = sorted(
        (
            Figure(
                label=ministries[pk].display_name if pk else _("Provision not yet identified"),
                value=count,
                key=ministries[pk].code if pk else "",
            )
            for pk, count in ministry_counts.items()
        ),
        key=lambda figure: (-figure.value, figure.label),
    )
    return by_act, by_ministry


DECIDED_EXEMPTION_STATES = (
    PublicExemptionState.GRANTED,
    PublicExemptionState.GRANTED_WITH_CONDITIONS,
    PublicExemptionState.REFUSED,
)


def exemption_statistics(today: datetime.date | None = None) -> dict:
    exemptions = public_exemptions(today).order_by()
    by_act, by_ministry = _by_act_and_ministry(exemptions)
    state_rows = list(
        exemptions.values("public_state").annotate(
            n=Count("pk"), live=Count("pk", filter=Q(in_force=True))
        )
    )
    states = {row["public_state"]: row["n"] for row in state_rows}

    def figures(chosen) -> list[Figure]:
        return [
            Figure(label=str(state.label), value=states.get(state.value, 0), key=state.value)
            for state in chosen
        ]

    return {
        "total": sum(states.values()),
        "by_act": by_act,
        "by_ministry": by_ministry,
        "outcomes": figures(DECIDED_EXEMPTION_STATES),
        "states": figures(PublicExemptionState),
        "in_force": sum(row["live"] for row in state_rows),
    }


def trial_statistics(today: datetime.date | None = None) -> dict:
    """Trials by their real status (in force today is the status and the period), extended
    ones, and the trials in force today by the ministry owning an act they deviate from and
    by act: a fixed number of grouped queries."""
    today = today or timezone.localdate()
    trials = public_trials().order_by()
    in_force = trials_in_force(today)
    by_status = {row["status"]: row["n"] for row in trials.values("status").annotate(n=Count("pk"))}
    extended = trials.filter(extensions__status=ExtensionStatus.GRANTED).distinct().count()
    status_figures = [
        Figure(str(_("In force today")), in_force.count(), "in_force_today"),
        Figure(str(_("Extended")), extended, "extended"),
        *(
            Figure(str(status.label), by_status.get(status.value, 0), status.value)
            for status in TrialStatus
        ),
    ]
    granted = ExemptionRequest.objects.filter(trials__in=in_force).order_by()

    def grouped(key: str, label: str) -> list[Figure]:
        rows = granted.values(key, label).annotate(n=Count("trials", distinct=True))
        return sorted(
            (Figure(row[label], row["n"], row[key]) for row in rows if row[key]),
            key=lambda figure: (-figure.value, figure.label),
        )

    return {
        "in_force": status_figures[0].value,
        "by_status": status_figures,
        "in_force_by_ministry": grouped(
            "provision__act__ministry__code", "provision__act__ministry__name"
        ),
        "in_force_by_act": grouped("provision__act__lovdata_id", "provision__act__short_title"),
    }


# --- the tables of /statistikk/: one list drives the page, the CSV and the JSON --------------


@dataclass(frozen=True)
class TableSpec:
    """One table: its name in the downloads, its title, where its figures come from (the
    results of ``application_statistics`` and ``exemption_statistics``) and, when the page
    draws it, the chart's key in the template, its slug and its column headers."""

    name: str
    title: str
    figures: Callable[[dict, dict], list[Figure]]
    chart: str = ""
    slug: str = ""
    category: str = ""
    unit: str = ""
    note: str = ""


APPLICATIONS = gettext_lazy("Applications")
EXEMPTIONS = gettext_lazy("Requested exemptions")

TABLES = (
    TableSpec(
        "applications_by_status",
        gettext_lazy("Applications by status"),
        lambda applications, exemptions, trials: applications["by_status"],
        chart="by_status",
        slug="status",
        category=gettext_lazy("Status"),
        unit=APPLICATIONS,
    ),
    TableSpec(
        "applications_by_year",
        gettext_lazy("Applications by year of submission"),
        lambda applications, exemptions, trials: applications["by_year"],
        chart="by_year",
        slug="year",
        category=gettext_lazy("Year"),
        unit=APPLICATIONS,
    ),
    TableSpec(
        "applications_by_stage",
        gettext_lazy("Applications by stage"),
        lambda applications, exemptions, trials: applications["by_stage"],
        chart="by_stage",
        slug="stage",
        category=gettext_lazy("Stage"),
        unit=APPLICATIONS,
    ),
    TableSpec(
        "applications_by_county",
        gettext_lazy("Applications by county of the lead applicant"),
        lambda applications, exemptions, trials: applications["by_county"],
        chart="by_county",
        slug="county",
        category=gettext_lazy("County"),
        unit=APPLICATIONS,
        note=gettext_lazy(
            "A joint application is counted once, under the county of the lead applicant; "
            "an application from a county municipality under that county."
        ),
    ),
    TableSpec(
        "exemptions_by_ministry",
        gettext_lazy("Requested exemptions by the ministry owning the act"),
        lambda applications, exemptions, trials: exemptions["by_ministry"],
        chart="by_ministry",
        slug="ministry",
        category=gettext_lazy("Ministry"),
        unit=EXEMPTIONS,
    ),
    TableSpec(
        "exemptions_by_act",
        gettext_lazy("Requested exemptions by act"),
        lambda applications, exemptions, trials: exemptions["by_act"],
        chart="by_act",
        slug="act",
        category=gettext_lazy("Act or regulation"),
        unit=EXEMPTIONS,
    ),
    TableSpec(
        "exemption_outcomes",
        gettext_lazy("Decided exemptions by outcome"),
        lambda applications, exemptions, trials: exemptions["outcomes"],
        chart="exemption_outcomes",
        slug="exemption-outcomes",
        category=gettext_lazy("Outcome"),
        unit=gettext_lazy("Exemptions"),
    ),
    TableSpec(
        "exemption_states",
        gettext_lazy("All requested exemptions by state"),
        lambda applications, exemptions, trials: exemptions["states"],
    ),
    TableSpec(
        "application_outcomes",
        gettext_lazy("Decided applications by outcome"),
        lambda applications, exemptions, trials: applications["outcomes"],
        chart="application_outcomes",
        slug="application-outcomes",
        category=gettext_lazy("Outcome"),
        unit=APPLICATIONS,
        note=gettext_lazy(
            "Approved in part: approved, with at least one requested exemption refused. "
            "For a preliminary application, approved means taken forward to a final "
            "application."
        ),
    ),
    TableSpec(
        "trials_by_status",
        gettext_lazy("Trials by status"),
        lambda applications, exemptions, trials: trials["by_status"],
        category=gettext_lazy("Status"),
        unit=gettext_lazy("Trials"),
    ),
    TableSpec(
        "trials_in_force_by_ministry",
        gettext_lazy("Trials in force today by the ministry owning an act they deviate from"),
        lambda applications, exemptions, trials: trials["in_force_by_ministry"],
        category=gettext_lazy("Ministry"),
        unit=gettext_lazy("Trials"),
    ),
    TableSpec(
        "trials_in_force_by_act",
        gettext_lazy("Trials in force today by act"),
        lambda applications, exemptions, trials: trials["in_force_by_act"],
        category=gettext_lazy("Act or regulation"),
        unit=gettext_lazy("Trials"),
    ),
    TableSpec(
        "letters_nynorsk_share",
        gettext_lazy("Share of nynorsk in the letters the ministry sent, by year"),
        lambda applications, exemptions, trials: applications["letters"]["nynorsk_share"],
        category=gettext_lazy("Year"),
        unit=gettext_lazy("Per cent nynorsk"),
        note=gettext_lazy(
            "Språklova § 13: a state body shall use at least 25 % of each written form. "
            "Letters are counted in the form they were written in."
        ),
    ),
    TableSpec(
        "letters_by_written_form",
        gettext_lazy("Letters the ministry sent, by year and written form"),
        lambda applications, exemptions, trials: applications["letters"]["by_form"],
        category=gettext_lazy("Year and written form"),
        unit=gettext_lazy("Letters"),
    ),
    TableSpec(
        "processing_time",
        gettext_lazy("Decided applications by processing time"),
        lambda applications, exemptions, trials: applications["processing"].buckets,
        chart="processing",
        slug="processing",
        category=gettext_lazy("Processing time"),
        unit=gettext_lazy("Decided applications"),
    ),
)


@dataclass
class Table:
    spec: TableSpec
    figures: list[Figure]


@dataclass
class Statistics:
    """Everything /statistikk/ shows, in the form every format reads."""

    applications: dict
    exemptions: dict
    trials: dict
    tables: list[Table]

    @property
    def processing(self) -> ProcessingTime:
        return self.applications["processing"]

    @property
    def key_figures(self) -> dict:
        return {
            "applications": self.applications["total"],
            "exemption_requests": self.exemptions["total"],
            "exemptions_in_force_today": self.exemptions["in_force"],
            "trials_in_force_today": self.trials["in_force"],
            "decided_applications": self.processing.count,
            "processing_days_median": self.processing.median,
            "processing_days_p90": self.processing.p90,
        }

    def as_json(self) -> dict:
        return {
            "key_figures": self.key_figures,
            "tables": {
                table.spec.name: {
                    "title": str(table.spec.title),
                    "rows": [
                        {"key": figure.key, "label": str(figure.label), "value": figure.value}
                        for figure in table.figures
                    ],
                }
                for table in self.tables
            },
        }

    def csv_rows(self) -> list[list]:
        """``table``, ``key``, ``label``, ``value``: the key figures first."""
        rows = [["key_figures", name, name, value] for name, value in self.key_figures.items()]
        rows += [
            [table.spec.name, figure.key, str(figure.label), figure.value]
            for table in self.tables
            for figure in table.figures
        ]
        return rows


CSV_COLUMNS = ["table", "key", "label", "value"]


def statistics_figures(today: datetime.date | None = None) -> tuple[dict, dict, dict]:
    """The counted figures (of applications, of exemptions, of trials) every table is made
    from: what may be kept per version of the data (``casework.caching.version_cached``)."""
    return application_statistics(), exemption_statistics(today), trial_statistics(today)


def public_statistics(
    today: datetime.date | None = None, figures: tuple[dict, dict, dict] | None = None
) -> Statistics:
    applications, exemptions, trials = figures if figures is not None else statistics_figures(today)
    tables = [Table(spec, spec.figures(applications, exemptions, trials)) for spec in TABLES]
    return Statistics(
        applications=applications, exemptions=exemptions, trials=trials, tables=tables
    )
