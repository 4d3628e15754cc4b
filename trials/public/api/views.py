"""The public read API: applications, the exemption register and the public journal.

No login (``authentication_classes = []``), throttled per client address, paginated, and
every answer carries its licence (NLOD 2.0) in a ``license`` field and a ``Link`` header.
What may be shown comes only from ``trials.public.selectors``; these views filter, page and
describe.
"""

from functools import partial

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from casework.caching import FastAnswer, RememberingPaginator, version_cached
from casework.choices import EntryType
from casework.journal.forms import BASIS_CHOICES, JournalNumberField, JournalPeriodCheck
from casework.models import JournalEntry, Organisation
from casework.ratelimit import count_hit
from casework.selectors import public_journal, public_journal_entries
from trials.api.serializers import StatusLabelField
from trials.choices import ApplicationStatus, PublicExemptionState, Stage
from trials.models import Application
from trials.public.opendata import LICENSE, licensed
from trials.public.register.selectors import (
    ApplicationFilter,
    ExemptionFilter,
    api_applications,
    optional_url,
    register_exemptions,
    register_rows,
)
from trials.public.selectors import is_decided, public_outcome, public_version

LICENSE_TEXT = (
    "Open data under the Norwegian Licence for Open Government Data (NLOD 2.0), "
    f"{LICENSE['url']}: free to copy, use and share, with attribution to "
    "Kommunal- og distriktsdepartementet."
)
NO_AUTH = (
    "No authentication: the endpoint is open to everyone and throttled per client address "
    "(HTTP 429 with `Retry-After` when exceeded; `X-RateLimit-Limit` and "
    "`X-RateLimit-Remaining` tell how much is left)."
)


# --- plumbing shared by the public endpoints -------------------------------------------------


class PublicRateThrottle(AnonRateThrottle):
    """AnonRateThrottle reading the rate at request time (``DEFAULT_THROTTLE_RATES["anon"]``),
    so operators and tests can change it without a restart.

    The client is the address DRF takes from ``NUM_PROXIES`` (``TRUSTED_PROXY_COUNT``), never an
    ``X-Forwarded-For`` the client wrote itself. Requests are counted per fixed window with one
    atomic increment in the default cache (Redis in production), so every worker and host
    shares one count and concurrent requests cannot overwrite each other's, as DRF's
    read-modify-write history list can.
    """

    count = 0

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = int(self.timer() // self.duration)
        self.window_end = (window + 1) * self.duration
        self.key = f"{key}:{window}"
        counted = getattr(getattr(request, "_request", request), "public_throttle_counted", None)
        if counted is not None and counted[0] == self.key:
            self.count = counted[1]  # the early path (fast_gate) counted this request already
        else:
            # Kept for two windows, so it cannot expire between add() and incr() in its window.
            self.count = count_hit(self.key, timeout=2 * self.duration, backend=self.cache)
        return self.count <= self.num_requests

    def wait(self):
        return max(1, self.window_end - self.timer())

    @property
    def remaining(self) -> int:
        return max(0, self.num_requests - self.count)


class LicensedPagination(PageNumberPagination):
    """Pages of 50 (``page_size`` up to 500), each with the licence of the data."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "license": LICENSE,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["license"] = {
            "type": "object",
            "description": "The licence of the data: NLOD 2.0.",
            "properties": {
                "name": {"type": "string", "example": LICENSE["name"]},
                "url": {"type": "string", "format": "uri", "example": LICENSE["url"]},
            },
            "example": LICENSE,
        }
        paginated["required"] = [*paginated.get("required", []), "license"]
        return paginated


def _data_version(request) -> str:
    """The version of the public data (and today's date, for what is in force), read once
    per request."""
    if not hasattr(request, "public_data_version"):
        request.public_data_version = f"{public_version()}-{timezone.localdate().isoformat()}"
    return request.public_data_version


class RememberingPagination(LicensedPagination):
    """Which rows a page holds, and the count, kept per version of the public data and of
    the filters asked (``casework.caching.RememberingPaginator``): a list sorts or counts
    every matching row once per version, not once per request."""

    def paginate_queryset(self, queryset, request, view=None):
        version = _data_version(request)
        params = request.query_params.copy()
        params.pop(self.page_query_param, None)
        prefix = f"api|{request.path}|{params.urlencode()}"

        def remember(key, compute):
            return version_cached(f"{prefix}|{key}", version, compute)

        self.django_paginator_class = partial(RememberingPaginator, remember=remember)
        return super().paginate_queryset(queryset, request, view)


class PublicAPIMixin:
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    pagination_class = LicensedPagination
    filter_backends = [filters.DjangoFilterBackend]

    def get_throttles(self):
        self._public_throttles = super().get_throttles()
        return self._public_throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = licensed(super().finalize_response(request, response, *args, **kwargs))
        if getattr(request._request, "fast_api_candidate", False):
            _keep_for_early_path(request._request, response)
        return rate_limit_headers(response, getattr(self, "_public_throttles", []))


def rate_limit_headers(response, throttles):
    """What is left of each throttle's limit, on every answer of the public API."""
    for throttle in throttles:
        if getattr(throttle, "rate", None):
            response["X-RateLimit-Limit"] = str(throttle.num_requests)
            response["X-RateLimit-Remaining"] = str(throttle.remaining)
    return response


FAST_KIND = "public-api"


def _keep_for_early_path(request, response) -> None:
    """A list's JSON answer, as the view made it, for the early path
    (``casework.fastpath``, which keeps it per version of the data, address, language and
    Accept header); each request's own part, the throttle, is ``fast_gate``'s."""
    renderer = getattr(response, "accepted_renderer", None)
    if response.status_code != 200 or renderer is None or renderer.format != "json":
        return  # the browsable API's page carries a CSRF token: never kept
    response.render()
    if response.cookies:
        return
    headers = list(response.items())
    request.fast_answer = FastAnswer(FAST_KIND, response.status_code, headers, response.content)


def fast_gate(request, response):
    """The early path's answer to one request of a kept list: counted by the throttle as the
    view counts it, with the same headers, or None (throttled: the view answers the 429,
    without counting the request again)."""
    throttle = PublicRateThrottle()
    if not throttle.allow_request(Request(request), None):
        request.public_throttle_counted = (throttle.key, throttle.count)
        return None
    return rate_limit_headers(response, [throttle])


class VersionCachedListMixin:
    """A list's data (the page of results, its count and links) computed once per version of
    the public data, the address asked (scheme, host, path and query: the links are absolute)
    and the language, and kept in the shared cache: filters, sorting and serialising run
    when something public changes, not on every request. The throttle and the licence
    headers still answer each request; bad input is still a 400 (it is never kept)."""

    def list(self, request, *args, **kwargs):
        request._request.fast_api_candidate = True  # its JSON may be served early
        key = "|".join(
            (
                "api-list",
                get_language() or "",
                request.scheme,
                request.get_host(),
                request.get_full_path(),
            )
        )
        data = version_cached(
            key,
            _data_version(request),
            lambda: super(VersionCachedListMixin, self).list(request, *args, **kwargs).data,
        )
        return Response(data)


# --- serializers -----------------------------------------------------------------------------


class LicenseSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.URLField()


class PublicOrganisationSerializer(serializers.ModelSerializer):
    county = serializers.CharField(
        source="county.number",
        allow_null=True,
        default=None,
        help_text="Fylkesnummer of the county a municipality lies in.",
    )

    class Meta:
        model = Organisation
        fields = ["number", "name", "kind", "county"]


class PublicCallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class PublicApplicationExemptionSerializer(serializers.Serializer):
    """One requested exemption inside an application."""

    id = serializers.IntegerField()
    act = serializers.CharField(source="provision.act.lovdata_id", allow_null=True, default=None)
    section = serializers.CharField(source="provision.section", allow_null=True, default=None)
    citation_key = serializers.CharField(
        source="provision.citation_key", allow_null=True, default=None
    )
    label = serializers.CharField(source="provision_label")
    subsection = serializers.IntegerField(allow_null=True)
    proposed_arrangement = serializers.CharField()
    state = serializers.ChoiceField(
        source="public_state",
        choices=PublicExemptionState.choices,
        help_text="pending until the decision, then the outcome.",
    )
    outcome_reasons = serializers.SerializerMethodField()
    conditions = serializers.SerializerMethodField()
    in_force_today = serializers.BooleanField(source="in_force")

    def get_outcome_reasons(self, exemption) -> str:
        return public_outcome(exemption, exemption.application)["reasons"]

    def get_conditions(self, exemption) -> str:
        return public_outcome(exemption, exemption.application)["conditions"]


class PublicApplicationSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    status_label = StatusLabelField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    call = PublicCallSerializer(allow_null=True)
    lead_applicant = PublicOrganisationSerializer(source="lead_organisation")
    co_applicants = PublicOrganisationSerializer(source="public_co_applicants", many=True)
    decision_summary = serializers.SerializerMethodField()
    exemptions = PublicApplicationExemptionSerializer(source="public_exemptions", many=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "reference",
            "title",
            "summary",
            "stage",
            "status",
            "status_label",
            "call",
            "lead_applicant",
            "co_applicants",
            "submitted_at",
            "registered_at",
            "decided_at",
            "decision_summary",
            "exemptions",
            "url",
        ]

    def get_decision_summary(self, application) -> str:
        return application.decision_summary if is_decided(application) else ""

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, application):
        path = optional_url("public:application_detail", application.reference)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if path and request else path


class PublicApplicationDetailSerializer(PublicApplicationSerializer):
    license = serializers.SerializerMethodField()

    class Meta(PublicApplicationSerializer.Meta):
        fields = [
            *PublicApplicationSerializer.Meta.fields,
            "description",
            "categories",
            "expected_effects",
            "affected_services",
            "affected_citizens",
            "requested_start",
            "period_months",
            "license",
        ]

    @extend_schema_field(LicenseSerializer)
    def get_license(self, application) -> dict:
        return LICENSE


class PublicExemptionSerializer(serializers.Serializer):
    """One row of the exemption register: the same columns as the page's CSV/JSON export
    (docs/open-data.md)."""

    id = serializers.IntegerField(source="exemption.id")
    act = serializers.CharField(source="act_lovdata_id", allow_null=True)
    act_title = serializers.CharField(allow_null=True)
    ministry = serializers.CharField(source="ministry_code", allow_null=True)
    ministry_name = serializers.CharField(allow_null=True)
    section = serializers.CharField()
    section_heading = serializers.CharField()
    subsection = serializers.IntegerField(source="exemption.subsection", allow_null=True)
    citation_key = serializers.CharField(allow_null=True)
    lovdata_url = serializers.URLField(allow_null=True)
    proposed_arrangement = serializers.CharField(source="exemption.proposed_arrangement")
    application = serializers.CharField(source="application.reference")
    application_title = serializers.CharField(source="application.title")
    application_url = serializers.SerializerMethodField()
    stage = serializers.ChoiceField(source="application.stage", choices=Stage.choices)
    applicants = serializers.ListField(source="applicant_names", child=serializers.CharField())
    applicant_numbers = serializers.ListField(child=serializers.CharField())
    counties = serializers.ListField(child=serializers.CharField())
    submitted_on = serializers.DateField()
    application_status = serializers.CharField(
        source="application.status",
        help_text="Status of the application: " + ", ".join(ApplicationStatus.values) + ".",
    )
    state = serializers.ChoiceField(choices=PublicExemptionState.choices)
    outcome_reasons = serializers.CharField(source="reasons")
    conditions = serializers.CharField()
    decided_on = serializers.DateField(allow_null=True)
    in_force_today = serializers.BooleanField(source="in_force")
    trial_starts_on = serializers.DateField(allow_null=True)
    trial_ends_on = serializers.DateField(allow_null=True)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_application_url(self, row):
        request = self.context.get("request")
        path = row.application_url
        return request.build_absolute_uri(path) if path and request else path


class PublicJournalEntrySerializer(serializers.ModelSerializer):
    journal_number = serializers.CharField(help_text="Journal year and sequence, 2026/000123.")
    case_number = serializers.CharField(source="case.number", help_text="Saksnummer.")
    case_title = serializers.CharField(
        source="case.public_title", help_text="The case's public title."
    )
    document_number = serializers.CharField(help_text="Case number and number in the case.")
    entry_type = serializers.ChoiceField(choices=EntryType.choices)
    entry_type_label = serializers.CharField(source="get_entry_type_display")
    correspondent = serializers.CharField(
        source="correspondent.name",
        allow_null=True,
        default=None,
        help_text="Sender or recipient organisation.",
    )
    screening_basis = serializers.CharField(
        help_text="Empty when the document is public, else the offentleglova basis."
    )
    is_public = serializers.BooleanField(
        help_text="The document may be read now: not screened and access not postponed."
    )
    access_postponed = serializers.BooleanField(
        source="is_postponed",
        help_text="Access is postponed until the case is decided (offentleglova § 5).",
    )

    class Meta:
        model = JournalEntry
        fields = [
            "journal_number",
            "journal_year",
            "journal_sequence",
            "case_number",
            "case_title",
            "number_in_case",
            "document_number",
            "entry_type",
            "entry_type_label",
            "document_date",
            "registered_at",
            "public_title",
            "correspondent",
            "screening_basis",
            "is_public",
            "access_postponed",
        ]


# --- filters of the journal ------------------------------------------------------------------


class JournalNumberFilter(filters.CharFilter):
    field_class = JournalNumberField


class JournalFilter(filters.FilterSet):
    """The journal page's filters under the API's names, read by the same form fields and
    applied by the same selector (``casework.selectors.public_journal``): journal date (the
    day an entry was registered, Norwegian time), case or document number, type and
    screening."""

    date_from = filters.DateFilter(
        label=_("Journal date from"),
        help_text="Entries registered on or after this day (YYYY-MM-DD).",
    )
    date_to = filters.DateFilter(
        label=_("Journal date to"),
        help_text="Entries registered on or before this day (YYYY-MM-DD).",
    )
    case = JournalNumberFilter(
        label=_("Case or document number"),
        help_text="A case number (2026/000123) or a document number (2026/000123-4).",
    )
    type = filters.ChoiceFilter(
        choices=EntryType.choices,
        label=_("Type"),
        help_text="I incoming, U outgoing, N/X internal.",
    )
    basis = filters.ChoiceFilter(
        choices=BASIS_CHOICES,
        label=_("Screening"),
        help_text="`public`, `screened`, or one offentleglova basis.",
    )

    class Meta:
        model = JournalEntry
        fields: list[str] = []
        form = JournalPeriodCheck

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return public_journal(
            queryset,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            number=data.get("case"),
            entry_type=data.get("type") or "",
            basis=data.get("basis") or "",
        )


# --- views -----------------------------------------------------------------------------------


APPLICATION_EXAMPLE = {
    "reference": "FRI-2026-0005",
    "title": "Helsestasjon og skolehelsetjeneste i én tjeneste",
    "summary": "Bodø vil samle helsestasjonen og skolehelsetjenesten.",
    "stage": "final",
    "status": "approved",
    "status_label": "Godkjent",
    "call": {"id": 1, "title": "Invitasjon til forsøk etter forsøksloven 2027"},
    "lead_applicant": {"number": "1804", "name": "Bodø", "kind": "kommune", "county": "18"},
    "co_applicants": [],
    "submitted_at": "2026-03-02T09:15:00+01:00",
    "registered_at": "2026-03-03T10:00:00+01:00",
    "decided_at": "2026-06-20T14:30:00+02:00",
    "decision_summary": "Forsøket fyller vilkårene i forsøksloven §§ 1 og 3.",
    "exemptions": [
        {
            "id": 12,
            "act": "LOV-2011-06-24-30",
            "section": "§ 3-3",
            "citation_key": "LOV-2011-06-24-30/§3-3",
            "label": "helse- og omsorgstjenesteloven § 3-3",
            "subsection": None,
            "proposed_arrangement": "Én felles tjeneste for barn og unge 0–20 år.",
            "state": "granted",
            "outcome_reasons": "",
            "conditions": "",
            "in_force_today": True,
        }
    ],
    "url": "https://frikommune.example/soknader/FRI-2026-0005/",
}

APPLICATION_DETAIL_EXAMPLE = {
    **APPLICATION_EXAMPLE,
    "description": "Helsestasjonen og skolehelsetjenesten får felles leiing og ett team.",
    "categories": ["a"],
    "expected_effects": "Færre overganger for barn og unge.",
    "affected_services": "Helsestasjon og skolehelsetjeneste.",
    "affected_citizens": "Barn og unge 0–20 år.",
    "requested_start": "2026-08-01",
    "period_months": 36,
    "license": LICENSE,
}

EXEMPTION_EXAMPLE = {
    "id": 12,
    "act": "LOV-2023-06-09-30",
    "act_title": "opplæringslova",
    "ministry": "KD",
    "ministry_name": "Kunnskapsdepartementet",
    "section": "§ 14-2",
    "section_heading": "Inndeling av elevar i klassar og grupper",
    "subsection": None,
    "citation_key": "LOV-2023-06-09-30/§14-2",
    "lovdata_url": "https://lovdata.no/dokument/NL/lov/2023-06-09-30/§14-2",
    "proposed_arrangement": "Skolane organiserer elevane i grupper etter fag.",
    "application": "FRI-2026-0001",
    "application_title": "Fleksibel skoledag",
    "application_url": "https://frikommune.example/soknader/FRI-2026-0001/",
    "stage": "preliminary",
    "applicants": ["Lillehammer", "Øyer"],
    "applicant_numbers": ["3405", "3440"],
    "counties": ["Innlandet"],
    "submitted_on": "2026-03-02",
    "application_status": "approved",
    "state": "granted_with_conditions",
    "outcome_reasons": "Forsøket ligg innanfor forsøkslova § 4.",
    "conditions": "Kommunen rapporterer fråvær kvart halvår.",
    "decided_on": "2026-06-20",
    "in_force_today": True,
    "trial_starts_on": "2026-08-01",
    "trial_ends_on": "2030-08-01",
}

JOURNAL_EXAMPLE = {
    "journal_number": "2026/000045",
    "journal_year": 2026,
    "journal_sequence": 45,
    "case_number": "2026/000012",
    "case_title": "Søknad om forsøk etter forsøksloven – Fleksibel skoledag",
    "number_in_case": 3,
    "document_number": "2026/000012-3",
    "entry_type": "U",
    "entry_type_label": "Utgående dokument (U)",
    "document_date": "2026-04-02",
    "registered_at": "2026-04-02T10:12:00+02:00",
    "public_title": "Høring – Fleksibel skoledag",
    "correspondent": "Kunnskapsdepartementet",
    "screening_basis": "",
    "is_public": True,
    "access_postponed": False,
}


@extend_schema_view(
    list=extend_schema(
        summary="List public applications",
        description=(
            "Every application from submission on (drafts never), newest first, with the "
            "exemptions it asks for. Outcomes, reasons and conditions appear only after the "
            f"decision. {NO_AUTH} {LICENSE_TEXT}"
        ),
        examples=[OpenApiExample("An approved application", value=APPLICATION_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="One public application",
        description=f"One application by reference, with its description. {LICENSE_TEXT}",
        examples=[OpenApiExample("An approved application", value=APPLICATION_DETAIL_EXAMPLE)],
    ),
)
class PublicApplicationViewSet(
    PublicAPIMixin, VersionCachedListMixin, viewsets.ReadOnlyModelViewSet
):
    filterset_class = ApplicationFilter
    pagination_class = RememberingPagination
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"

    def get_queryset(self):
        return api_applications(timezone.localdate())

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PublicApplicationDetailSerializer
        return PublicApplicationSerializer


@extend_schema_view(
    list=extend_schema(
        summary="The exemption register",
        description=(
            "Every requested exemption from a submitted application, by act and section: "
            "who asked, the outcome after the decision and whether it is in force today "
            "(part of a trial that started on or before today and ends after today). The "
            "same rows and columns as the CSV/JSON export of /unntak/ (see docs/open-data.md). "
            f"{NO_AUTH} {LICENSE_TEXT}"
        ),
        examples=[OpenApiExample("A granted exemption", value=EXEMPTION_EXAMPLE)],
    )
)
class PublicExemptionViewSet(
    PublicAPIMixin, VersionCachedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    filterset_class = ExemptionFilter
    serializer_class = PublicExemptionSerializer
    pagination_class = RememberingPagination

    def get_queryset(self):
        return register_exemptions(timezone.localdate())

    def paginate_queryset(self, queryset):
        # The register's order sorts every request: see ``RememberingPagination``.
        page = super().paginate_queryset(queryset)
        return register_rows(page) if page is not None else None


@extend_schema_view(
    list=extend_schema(
        summary="The public journal",
        description=(
            "The ministry's public journal (offentleglova § 10), newest first: numbers, "
            "dates, type, the public title (screened words replaced by asterisks), the "
            "sender or recipient organisation and the screening basis. Screened entries are "
            f"listed; their documents are not published. {NO_AUTH} {LICENSE_TEXT}"
        ),
        examples=[OpenApiExample("An outgoing letter", value=JOURNAL_EXAMPLE)],
    )
)
class PublicJournalViewSet(PublicAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    filterset_class = JournalFilter
    serializer_class = PublicJournalEntrySerializer

    def get_queryset(self):
        return public_journal_entries()
