"""/api/v1/public/trials/: the public register of trials as an API (list, detail, filters);
the same records as the CSV/JSON of /forsok/, unauthenticated and throttled."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from trials.choices import TrialStatus
from trials.public.api.views import PublicAPIMixin
from trials.public.trials import selectors
from trials.public.trials.forms import TrialSearchForm
from trials.public.trials.views import trial_record


class PublicTrialSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="The application's reference.")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=TrialStatus.choices)
    lead_organisation_number = serializers.CharField()
    lead_organisation = serializers.CharField()
    co_applicants = serializers.ListField(child=serializers.CharField())
    county = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="The first day the trial no longer applies.")
    in_force_today = serializers.BooleanField()
    extended = serializers.BooleanField()
    regulation = serializers.ListField(child=serializers.CharField(), help_text="FOR-ids.")
    acts = serializers.ListField(child=serializers.CharField(), help_text="Lovdata ids.")
    exemptions = serializers.ListField(child=serializers.CharField(), help_text="Citation keys.")
    url = serializers.URLField()

    def to_representation(self, trial):
        request = self.context["request"]
        base_url = request.build_absolute_uri("/").rstrip("/")
        record = trial_record(trial, base_url, timezone.localdate())
        return super().to_representation({**record, **self.more_fields(trial)})

    def more_fields(self, trial) -> dict:
        return {}


class PublicReportSerializer(serializers.Serializer):
    title = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    text = serializers.CharField(allow_null=True, help_text="Null when the report is screened.")
    screening_basis = serializers.CharField()


class PublicEvaluationSerializer(serializers.Serializer):
    evaluator = serializers.CharField()
    conclusion = serializers.CharField(allow_null=True, help_text="Null when screened.")
    screening_basis = serializers.CharField()


class PublicExtensionSerializer(serializers.Serializer):
    status = serializers.CharField()
    months = serializers.IntegerField(allow_null=True)
    reform_reference = serializers.CharField()
    reform_date = serializers.DateField(allow_null=True)
    new_ends_on = serializers.DateField(allow_null=True)


class PublicTrialDetailSerializer(PublicTrialSerializer):
    closed_on = serializers.DateField(allow_null=True)
    law_reference = serializers.CharField()
    law_date = serializers.DateField(allow_null=True)
    extensions = PublicExtensionSerializer(many=True)
    reports = PublicReportSerializer(many=True)
    evaluations = PublicEvaluationSerializer(many=True)

    def more_fields(self, trial) -> dict:
        return {
            "closed_on": trial.closed_on,
            "law_reference": trial.law_reference,
            "law_date": trial.law_date,
            "extensions": [
                {
                    "status": e.status,
                    "months": e.months,
                    "reform_reference": e.reform_reference,
                    "reform_date": e.reform_date,
                    "new_ends_on": e.new_ends_on,
                }
                for e in trial.extensions.all()
            ],
            "reports": [
                {
                    "title": r.title,
                    "submitted_at": r.submitted_at,
                    "text": r.text if r.is_public else None,
                    "screening_basis": r.screening_basis,
                }
                for r in trial.reports.all()
            ],
            "evaluations": [
                {
                    "evaluator": e.evaluator,
                    "conclusion": e.conclusion if e.is_public else None,
                    "screening_basis": e.screening_basis,
                }
                for e in trial.evaluations.all()
            ],
        }


FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Search words (Norwegian stemming)."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in TrialStatus]),
    OpenApiParameter("county", OpenApiTypes.STR, description="Fylkesnummer, two digits."),
    OpenApiParameter("municipality", OpenApiTypes.STR, description="Kommunenummer."),
    OpenApiParameter("act", OpenApiTypes.STR, description="Lovdata id of an act deviated from."),
    OpenApiParameter("ministry", OpenApiTypes.STR, description="Code of the owning ministry."),
    OpenApiParameter("year", OpenApiTypes.INT, description="The year the trial starts."),
]


@extend_schema_view(
    list=extend_schema(
        summary="The register of trials",
        description="Every approved trial with its status, period, regulation and the acts "
        "it deviates from; newest first. No authentication; NLOD 2.0.",
        parameters=FILTERS,
    ),
    retrieve=extend_schema(
        summary="One trial",
        description="With its extensions, and its reports and evaluations (text withheld "
        "when screened).",
    ),
)
class PublicTrialViewSet(PublicAPIMixin, viewsets.ReadOnlyModelViewSet):
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.public_trial_rows().prefetch_related(
                "extensions", "reports", "evaluations"
            )
        return selectors.public_trial_search(TrialSearchForm(self.request.query_params).search())

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PublicTrialDetailSerializer
        return PublicTrialSerializer
