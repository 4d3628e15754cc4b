"""The exemption register (unntaksregisteret): which provisions are waived where.

Reads for the register pages, their exports, the public API and the law register's counts.
Everything starts from ``trials.public.selectors`` (what the public may see); this module
only filters, groups and counts it.
"""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from casework.choices import OrganisationKind
from casework.models import Organisation
from legal.citations import CitationError, parse_citation
from legal.models import LegalAct, Provision
from trials.choices import ApplicationStatus, PublicExemptionState, Stage, TrialStatus
from trials.models import Application, Call, ExemptionRequest
from trials.public.selectors import (
    YEARS,
    is_decided,
    public_applications,
    public_exemptions,
    public_outcome,
    public_trials,
    text_match,
)

GRANTED_STATES = {PublicExemptionState.GRANTED, PublicExemptionState.GRANTED_WITH_CONDITIONS}

STATE_EXPLANATIONS = {
    PublicExemptionState.PENDING: _(
        "The ministry has not decided yet. Its assessment is not public before the decision."
    ),
    PublicExemptionState.GRANTED: _(
        "The applicant may deviate from the provision during the trial, as described in the "
        "application."
    ),
    PublicExemptionState.GRANTED_WITH_CONDITIONS: _(
        "Granted on the conditions the ministry set; they are shown with the decision."
    ),
    PublicExemptionState.REFUSED: _(
        "The provision continues to apply. The reasons are given with the decision."
    ),
    PublicExemptionState.CLOSED: _(
        "The application was rejected as a whole (for example because the applicant did not "
        "answer a request for information) without a decision on this exemption."
    ),
    PublicExemptionState.WITHDRAWN: _("The applicant withdrew the request before the decision."),
}
# Designsystemet's data-color of the ds-tag that shows each state.
STATE_TAGS = {
    PublicExemptionState.PENDING: "info",
    PublicExemptionState.GRANTED: "success",
    PublicExemptionState.GRANTED_WITH_CONDITIONS: "success",
    PublicExemptionState.REFUSED: "danger",
    PublicExemptionState.CLOSED: "danger",
    PublicExemptionState.WITHDRAWN: "neutral",
}


def optional_url(name: str, *args) -> str | None:
    """The path of a named URL, or None while the page is not there (built by others)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def organisation_url(organisation: Organisation) -> str | None:
    if not organisation.number or organisation.kind not in (
        OrganisationKind.KOMMUNE,
        OrganisationKind.FYLKESKOMMUNE,
    ):
        return None
    return optional_url("public:municipality", organisation.number)


# --- filters (shared by the pages, the exports and the API) ---------------------------------


def _applications_in_county(county: Organisation) -> QuerySet[Application]:
    """Applications with an applicant in ``county``: the county itself or one of its
    municipalities, as lead or co-applicant."""
    return Application.objects.filter(
        Q(lead_organisation=county)
        | Q(lead_organisation__county=county)
        | Q(co_applicants=county)
        | Q(co_applicants__county=county)
    ).values("pk")


class ByCodeFilter(filters.ModelChoiceFilter):
    """An object chosen by its public code (Lovdata id, ministry code, official number).

    Always used with a filter method whose value is type-hinted with the model: the
    OpenAPI schema then shows a string parameter with the filter's help text.
    """


class CitationField(forms.CharField):
    """A citation as people write it (``oppl. § 14-2``), cleaned to the provision it names."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_citation(value).provision
        except CitationError as exc:
            raise ValidationError(str(exc)) from exc


class CitationFilter(filters.CharFilter):
    field_class = CitationField


class ExemptionFilter(filters.FilterSet):
    act = ByCodeFilter(
        method="filter_act",
        to_field_name="lovdata_id",
        queryset=LegalAct.objects.all(),
        label=_("Act or regulation"),
        help_text="Lovdata id of the act, e.g. LOV-2023-06-09-30.",
    )
    ministry = ByCodeFilter(
        method="filter_ministry",
        to_field_name="code",
        queryset=Organisation.objects.ministries().active(),
        label=_("Owning ministry"),
        help_text="Code of the ministry owning the act, e.g. KD.",
    )
    outcome = filters.ChoiceFilter(
        field_name="public_state",
        choices=PublicExemptionState.choices,
        label=_("Outcome"),
        help_text="Outcome as the public sees it; `pending` until the decision.",
    )
    in_force = filters.BooleanFilter(
        field_name="in_force",
        label=_("Only exemptions in force today"),
        help_text="true: only exemptions that are part of a trial running today.",
    )
    county = ByCodeFilter(
        method="filter_county",
        to_field_name="number",
        queryset=Organisation.objects.counties().active(),
        label=_("County"),
        help_text="County number (two digits, e.g. 34): applicants in that county.",
    )
    citation = CitationFilter(
        method="filter_citation",
        label=_("Section"),
        help_text="A citation as people write it, e.g. `oppl. § 14-2`.",
    )

    class Meta:
        model = ExemptionRequest
        fields: list[str] = []

    def filter_act(self, queryset, name, value: LegalAct):
        return queryset.filter(provision__act=value)

    def filter_ministry(self, queryset, name, value: Organisation):
        return queryset.filter(provision__act__ministry=value)

    def filter_county(self, queryset, name, value: Organisation):
        return queryset.filter(application__in=_applications_in_county(value))

    def filter_citation(self, queryset, name, value: Provision):
        return queryset.filter(provision=value)


# --- rows ------------------------------------------------------------------------------------


@dataclass
class Applicant:
    name: str
    number: str
    kind: str
    county: str
    url: str | None


@dataclass
class TrialPeriod:
    starts_on: datetime.date
    ends_on: datetime.date
    in_force: bool
    upcoming: bool
    status_label: str = ""


@dataclass
class RegisterRow:
    """One requested exemption as the register shows and exports it."""

    exemption: ExemptionRequest
    applicants: list[Applicant]
    application_url: str | None
    state: str
    reasons: str
    conditions: str
    in_force: bool
    trials: list[TrialPeriod]

    @property
    def application(self) -> Application:
        return self.exemption.application

    @property
    def provision(self) -> Provision | None:
        return self.exemption.provision

    @property
    def act(self) -> LegalAct | None:
        return self.provision.act if self.provision else None

    @property
    def state_label(self) -> str:
        return str(PublicExemptionState(self.state).label)

    @property
    def state_tag(self) -> str:
        return STATE_TAGS[PublicExemptionState(self.state)]

    @property
    def decided_on(self) -> datetime.date | None:
        application = self.application
        if not is_decided(application) or application.decided_at is None:
            return None
        return timezone.localdate(application.decided_at)

    @property
    def submitted_on(self) -> datetime.date:
        return timezone.localdate(self.application.submitted_at)

    @property
    def current_trial(self) -> TrialPeriod | None:
        return self.trials[0] if self.trials else None

    # Flat values for the exports and the API (documented in docs/open-data.md).

    @property
    def section(self) -> str:
        return self.provision.section if self.provision else self.exemption.citation_text

    @property
    def section_number(self) -> str:
        return self.provision.section_number if self.provision else ""

    @property
    def section_heading(self) -> str:
        return self.provision.heading if self.provision else ""

    @property
    def citation_key(self) -> str | None:
        return self.provision.citation_key if self.provision else None

    @property
    def lovdata_url(self) -> str | None:
        return self.provision.lovdata_url if self.provision else None

    @property
    def act_lovdata_id(self) -> str | None:
        return self.act.lovdata_id if self.act else None

    @property
    def act_title(self) -> str | None:
        return self.act.short_title if self.act else None

    @property
    def ministry_code(self) -> str | None:
        return self.act.ministry.code if self.act else None

    @property
    def ministry_name(self) -> str | None:
        return self.act.ministry.name if self.act else None

    @property
    def applicant_names(self) -> list[str]:
        return [applicant.name for applicant in self.applicants]

    @property
    def applicant_numbers(self) -> list[str]:
        return [applicant.number for applicant in self.applicants]

    @property
    def counties(self) -> list[str]:
        return list(dict.fromkeys(a.county for a in self.applicants if a.county))

    @property
    def trial_starts_on(self) -> datetime.date | None:
        return self.current_trial.starts_on if self.current_trial else None

    @property
    def trial_ends_on(self) -> datetime.date | None:
        return self.current_trial.ends_on if self.current_trial else None


def register_exemptions(today: datetime.date | None = None) -> QuerySet[ExemptionRequest]:
    """The register's queryset: public exemptions in act, section and submission order."""
    today = today or timezone.localdate()
    return (
        public_exemptions(today)
        .prefetch_related(
            Prefetch(
                "application__co_applicants",
                queryset=Organisation.objects.select_related("county"),
            ),
            Prefetch(
                "trials",
                queryset=public_trials().order_by("-starts_on"),
                to_attr="public_trials",
            ),
        )
        .order_by(
            "provision__act__ministry__name",
            "provision__act__short_title",
            "provision__order",
            "citation_text",
            "application__submitted_at",
            "pk",
        )
    )


def _applicant(organisation: Organisation) -> Applicant:
    county = organisation.county if organisation.county_id else None
    if organisation.kind == OrganisationKind.FYLKESKOMMUNE:
        county = organisation
    return Applicant(
        name=organisation.display_name,
        number=organisation.number,
        kind=organisation.kind,
        county=county.display_name if county else "",
        url=organisation_url(organisation),
    )


def register_row(exemption: ExemptionRequest, today: datetime.date) -> RegisterRow:
    application = exemption.application
    outcome = public_outcome(exemption, application)
    trials = [
        TrialPeriod(
            starts_on=trial.starts_on,
            ends_on=trial.ends_on,
            in_force=trial.in_force_on(today),
            upcoming=trial.status in (TrialStatus.APPROVED, TrialStatus.IN_FORCE)
            and today < trial.starts_on,
            status_label=trial.get_status_display(),
        )
        for trial in getattr(exemption, "public_trials", [])
    ]
    return RegisterRow(
        exemption=exemption,
        applicants=[_applicant(org) for org in application.applicant_organisations],
        application_url=optional_url("public:application_detail", application.reference),
        state=exemption.public_state,
        reasons=outcome["reasons"],
        conditions=outcome["conditions"],
        in_force=exemption.in_force,
        trials=trials,
    )


def register_rows(
    queryset: QuerySet[ExemptionRequest], today: datetime.date | None = None
) -> list[RegisterRow]:
    today = today or timezone.localdate()
    return [register_row(exemption, today) for exemption in queryset]


# --- grouping and summaries ------------------------------------------------------------------


@dataclass
class Summary:
    requests: int = 0
    pending: int = 0
    granted: int = 0
    with_conditions: int = 0
    refused: int = 0
    withdrawn: int = 0
    in_force: int = 0

    def add(self, row: RegisterRow) -> None:
        self.requests += 1
        if row.state == PublicExemptionState.PENDING:
            self.pending += 1
        elif row.state in GRANTED_STATES:
            self.granted += 1
            if row.state == PublicExemptionState.GRANTED_WITH_CONDITIONS:
                self.with_conditions += 1
        elif row.state in (PublicExemptionState.REFUSED, PublicExemptionState.CLOSED):
            self.refused += 1
        elif row.state == PublicExemptionState.WITHDRAWN:
            self.withdrawn += 1
        if row.in_force:
            self.in_force += 1


@dataclass
class SectionGroup:
    provision: Provision | None
    label: str
    rows: list[RegisterRow] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    partial: bool = False  # some of its rows are on another page

    @property
    def anchor(self) -> str:
        return self.provision.section_number if self.provision else "unresolved"


@dataclass
class ActGroup:
    act: LegalAct
    sections: list[SectionGroup] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


@dataclass
class MinistryGroup:
    ministry: Organisation
    acts: list[ActGroup] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


@dataclass
class Register:
    ministries: list[MinistryGroup]
    unresolved: SectionGroup
    summary: Summary

    @property
    def acts(self) -> list[ActGroup]:
        return [act for group in self.ministries for act in group.acts]


def _section_group(
    ministries: list[MinistryGroup], provision: Provision
) -> tuple[MinistryGroup, ActGroup, SectionGroup]:
    """The groups ``provision`` belongs to, the last of each level, started when it is new
    (provisions come in register order)."""
    act = provision.act
    if not ministries or ministries[-1].ministry.pk != act.ministry_id:
        ministries.append(MinistryGroup(ministry=act.ministry))
    ministry = ministries[-1]
    if not ministry.acts or ministry.acts[-1].act.pk != act.pk:
        ministry.acts.append(ActGroup(act=act))
    act_group = ministry.acts[-1]
    if not act_group.sections or act_group.sections[-1].provision.pk != provision.pk:
        label = f"{provision.section} {provision.heading}".strip()
        act_group.sections.append(SectionGroup(provision=provision, label=label))
    return ministry, act_group, act_group.sections[-1]


def register_group(rows: list[RegisterRow]) -> Register:
    """Group rows (in ``register_exemptions`` order) by ministry, act and section."""
    ministries: list[MinistryGroup] = []
    unresolved = SectionGroup(provision=None, label=str(_("Provision not yet identified")))
    total = Summary()
    for row in rows:
        total.add(row)
        provision = row.provision
        if provision is None:
            unresolved.rows.append(row)
            unresolved.summary.add(row)
            continue
        ministry, act_group, section = _section_group(ministries, provision)
        for summary in (ministry.summary, act_group.summary, section.summary):
            summary.add(row)
        section.rows.append(row)
    return Register(ministries=ministries, unresolved=unresolved, summary=total)


REGISTER_PAGE_SIZE = 100


def _summary_counts() -> dict:
    """The Summary fields as aggregates over ``public_exemptions`` annotations."""
    state = "public_state"
    return {
        "requests": Count("pk"),
        "pending": Count("pk", filter=Q(**{state: PublicExemptionState.PENDING})),
        "granted": Count("pk", filter=Q(**{f"{state}__in": GRANTED_STATES})),
        "with_conditions": Count(
            "pk", filter=Q(**{state: PublicExemptionState.GRANTED_WITH_CONDITIONS})
        ),
        "refused": Count(
            "pk",
            filter=Q(
                **{f"{state}__in": [PublicExemptionState.REFUSED, PublicExemptionState.CLOSED]}
            ),
        ),
        "withdrawn": Count("pk", filter=Q(**{state: PublicExemptionState.WITHDRAWN})),
        "in_force": Count("pk", filter=Q(in_force=True)),
    }


def _add_summary(total: Summary, part: Summary) -> None:
    for name in Summary.__dataclass_fields__:
        setattr(total, name, getattr(total, name) + getattr(part, name))


def register_summary(queryset: QuerySet[ExemptionRequest]) -> Register:
    """The register's groups and figures without its rows, counted in the database: a fixed
    number of queries and work in proportion to the sections asked about, not the requests."""
    counts = {
        row.pop("provision_id"): Summary(**row)
        for row in queryset.order_by().values("provision_id").annotate(**_summary_counts())
    }
    unresolved = SectionGroup(
        provision=None,
        label=str(_("Provision not yet identified")),
        summary=counts.pop(None, Summary()),
    )
    provisions = Provision.objects.filter(pk__in=counts).select_related("act__ministry")
    provisions = provisions.order_by("act__ministry__name", "act__short_title", "order", "pk")
    ministries: list[MinistryGroup] = []
    total = Summary()
    _add_summary(total, unresolved.summary)
    acts: dict[int, LegalAct] = {}
    for provision in provisions:
        # One act (and ministry) object for all its provisions, not a copy per provision:
        # the register is kept in the cache, and pickled and read back a third the size.
        provision.act = acts.setdefault(provision.act_id, provision.act)
        ministry, act_group, section = _section_group(ministries, provision)
        section.summary = counts[provision.pk]
        for summary in (ministry.summary, act_group.summary, total):
            _add_summary(summary, section.summary)
    return Register(ministries=ministries, unresolved=unresolved, summary=total)


class _CountedPaginator(Paginator):
    """A paginator told the count (the register's figures already hold it)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def _computed(key: str, compute):
    return compute()


def register_page(
    queryset: QuerySet[ExemptionRequest],
    register: Register,
    *,
    number,
    section: Provision | None = None,
    today: datetime.date | None = None,
    remember=_computed,
) -> tuple[Page, Register]:
    """One page of the register's requests (``register_exemptions`` order), grouped, with the
    figures of the whole result from ``register`` (``register_summary``).

    The page is ``number``; without one, the page where ``section`` starts (on one act's
    register), so that a link to a section lands on it. A section split over two pages keeps
    its full figures on both and is marked ``partial``.

    ``remember(key, compute)`` may keep what costs work in proportion to the register (which
    requests a page holds: sorting every request) for as long as the data is unchanged
    (``casework.caching.version_cached``); the rows themselves are then read by key.
    """
    paginator = _CountedPaginator(queryset, REGISTER_PAGE_SIZE, count=register.summary.requests)
    if not number and section is not None:
        before = remember(
            f"before-{section.pk}",
            lambda: queryset.filter(provision__order__lt=section.order).count(),
        )
        number = before // REGISTER_PAGE_SIZE + 1
    page = paginator.get_page(number)
    listed = page.object_list
    pks = remember(f"page-{page.number}", lambda: list(listed.values_list("pk", flat=True)))
    page.object_list = list(queryset.filter(pk__in=pks))
    shown = register_group(register_rows(page.object_list, today))
    totals = {group.provision.pk: group.summary for act in register.acts for group in act.sections}
    for act in shown.acts:
        for group in act.sections:
            group.partial = len(group.rows) < totals[group.provision.pk].requests
            group.summary = totals[group.provision.pk]
    shown.unresolved.partial = len(shown.unresolved.rows) < register.unresolved.summary.requests
    shown.unresolved.summary = register.unresolved.summary
    return page, shown


def find_section(text: str) -> Provision:
    """The provision a citation names (``oppl. § 14-2``); raises ``CitationError``."""
    return parse_citation(text).provision


# --- the law register's counts (legal.hooks) -------------------------------------------------


def provision_usage(act: LegalAct) -> dict[int, tuple[int, int]]:
    """{provision id: (requests, exemptions in force today)} for one act, in one query."""
    rows = (
        public_exemptions()
        .filter(provision__act=act)
        .order_by()
        .values("provision_id")
        .annotate(requests=Count("pk"), live=Count("pk", filter=Q(in_force=True)))
    )
    return {row["provision_id"]: (row["requests"], row["live"]) for row in rows}


# --- applications (public API) ---------------------------------------------------------------


PUBLIC_STATUSES = [
    (value, label) for value, label in ApplicationStatus.choices if value != ApplicationStatus.DRAFT
]


class ApplicationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=PUBLIC_STATUSES, label=_("Status"), help_text="Status of the application."
    )
    stage = filters.ChoiceFilter(
        choices=Stage.choices, label=_("Stage"), help_text="preliminary or final application."
    )
    call = ByCodeFilter(
        queryset=Call.objects.all(),
        label=_("Call for applications"),
        help_text="Id of the call for applications.",
    )
    county = ByCodeFilter(
        method="filter_county",
        to_field_name="number",
        queryset=Organisation.objects.counties().active(),
        label=_("County"),
        help_text="County number (two digits): applicants in that county.",
    )
    municipality = ByCodeFilter(
        method="filter_municipality",
        to_field_name="number",
        queryset=Organisation.objects.local_governments().active(),
        label=_("Municipality"),
        help_text="Kommunenummer (four digits) or fylkesnummer: lead or co-applicant.",
    )
    ministry = ByCodeFilter(
        method="filter_ministry",
        to_field_name="code",
        queryset=Organisation.objects.ministries().active(),
        label=_("Ministry"),
        help_text="Ministry code: applications asking to deviate from its acts.",
    )
    act = ByCodeFilter(
        method="filter_act",
        to_field_name="lovdata_id",
        queryset=LegalAct.objects.all(),
        label=_("Act or regulation"),
        help_text="Lovdata id: applications asking to deviate from that act.",
    )
    year = filters.NumberFilter(
        method="filter_year",
        label=_("Year"),
        help_text=f"Year of submission ({YEARS.start}-{YEARS.stop - 1}).",
        min_value=YEARS.start,
        max_value=YEARS.stop - 1,
    )
    q = filters.CharFilter(
        method="filter_text",
        label=_("Search"),
        help_text=(
            "Words that must all occur (title, summary, description, provisions, applicants; "
            "Norwegian stemming on PostgreSQL), or the exact reference."
        ),
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def filter_county(self, queryset, name, value: Organisation):
        return queryset.filter(pk__in=_applications_in_county(value))

    def filter_municipality(self, queryset, name, value: Organisation):
        return queryset.filter(
            pk__in=Application.objects.filter(
                Q(lead_organisation=value) | Q(co_applicants=value)
            ).values("pk")
        )

    def filter_ministry(self, queryset, name, value: Organisation):
        return queryset.filter(
            pk__in=ExemptionRequest.objects.filter(provision__act__ministry=value).values(
                "application_id"
            )
        )

    def filter_act(self, queryset, name, value: LegalAct):
        return queryset.filter(
            pk__in=ExemptionRequest.objects.filter(provision__act=value).values("application_id")
        )

    def filter_year(self, queryset, name, value: int):
        return queryset.filter(submitted_at__year=int(value))

    def filter_text(self, queryset, name, value: str):
        value = value.strip()[:200]
        if not value:
            return queryset
        # The same search as /soknader/: every word, Norwegian stemming on PostgreSQL.
        return queryset.filter(text_match(value))


def api_applications(today: datetime.date | None = None) -> QuerySet[Application]:
    """Public applications with their exemptions (annotated as in the register)."""
    today = today or timezone.localdate()
    return (
        public_applications()
        .prefetch_related(
            Prefetch(
                "exemption_requests",
                # Each request's own row, provision and act: its application is the one
                # prefetching it (no second copy of the application, applicant and call per
                # request), and the long texts the list does not show stay in the database.
                queryset=public_exemptions(today)
                .select_related(None)
                .select_related("provision__act")
                .defer("current_rule", "justification", "consequences", "assessment_note")
                .order_by("order", "pk"),
                to_attr="public_exemptions",
            ),
            Prefetch(
                "co_applicants",
                queryset=Organisation.objects.select_related("county"),
                to_attr="public_co_applicants",
            ),
        )
        .order_by("-submitted_at", "-pk")
    )
