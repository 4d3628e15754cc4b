"""The trials API (/api/v1/trials/): a trial after the decision, for the municipalities
running it and KDD's officers. Thin: ``trials.selectors`` decides what a user sees (another
organisation's trial is 404), ``required_roles`` turns away the wrong role (403) before any
work, ``trials.services`` does every change (409 when it races another)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from casework.choices import Role, ScreeningBasis
from trials import selectors, services
from trials.api.permissions import APPLICANT, HasRoleForAction
from trials.api.views import AUTHENTICATION, CONFLICT, ERRORS
from trials.choices import ObligationKind
from trials.models import Extension, Report, Trial
from trials.rules import MAX_EXTENSION_MONTHS

OFFICER = frozenset({Role.CASE_OFFICER.value})


class RegulationSerializer(serializers.Serializer):
    for_id = serializers.CharField()
    title = serializers.CharField()
    adopted_on = serializers.DateField()
    in_force_from = serializers.DateField()
    in_force_to = serializers.DateField()
    lovdata_url = serializers.URLField()


class ObligationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_on = serializers.DateField()
    fulfilled_at = serializers.DateTimeField(read_only=True)


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    obligation = serializers.IntegerField(source="obligation_id", allow_null=True)
    title = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    response = serializers.CharField()
    attachments = serializers.SerializerMethodField()

    def get_attachments(self, report) -> list[str]:
        return [a.original_name for a in report.attachments.all()]


class EvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    evaluator = serializers.CharField()
    conclusion = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class ExtensionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    months = serializers.IntegerField(allow_null=True)
    reform_reference = serializers.CharField()
    reform_date = serializers.DateField(allow_null=True)
    justification = serializers.CharField()
    reasons = serializers.CharField()
    previous_ends_on = serializers.DateField(allow_null=True)
    new_ends_on = serializers.DateField(allow_null=True)
    on_own_initiative = serializers.BooleanField(
        help_text="Proposed by KDD without an application from the municipality."
    )
    phase = serializers.SerializerMethodField(
        help_text="Where it is in its case: applied, registered, under_review, "
        "in_consultation, decision_proposed, granted or refused."
    )

    def get_phase(self, extension) -> str:
        return selectors.extension_phase(extension)


class TrialListSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="application.reference")
    title = serializers.CharField(source="application.title")
    lead_organisation = serializers.CharField(source="application.lead_organisation.number")

    class Meta:
        model = Trial
        fields = ["id", "reference", "title", "lead_organisation", "status"]
        fields += ["starts_on", "ends_on"]


class TrialSerializer(TrialListSerializer):
    regulations = RegulationSerializer(many=True)
    obligations = ObligationSerializer(many=True)
    reports = ReportSerializer(many=True)
    evaluations = EvaluationSerializer(many=True)
    extensions = ExtensionSerializer(many=True)
    actions = serializers.SerializerMethodField()
    officer = serializers.SerializerMethodField()

    class Meta(TrialListSerializer.Meta):
        fields = [
            *TrialListSerializer.Meta.fields,
            "period_ends_on",
            "closed_on",
            "closure_reason",
            "law_reference",
            "law_date",
            "regulations",
            "obligations",
            "reports",
            "evaluations",
            "extensions",
            "officer",
            "actions",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"username": {"type": "string"}, "name": {"type": "string"}},
        }
    )
    def get_officer(self, trial) -> dict | None:
        """KDD's case officer following the trial up."""
        officer = trial.officer
        if officer is None:
            return None
        return {"username": officer.get_username(), "name": officer.get_full_name()}

    def get_actions(self, trial) -> list[str]:
        return selectors.trial_actions(self.context["request"].user, trial)


class RegulationInSerializer(RegulationSerializer):
    text = serializers.FileField(help_text="The regulation's text (PDF, Word or OpenDocument).")


class ReportInSerializer(serializers.Serializer):
    title = serializers.CharField()
    text = serializers.CharField()
    obligation = serializers.IntegerField(required=False, allow_null=True)
    screening_basis = serializers.ChoiceField(
        choices=ScreeningBasis.choices, required=False, allow_blank=True, default=""
    )
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ResponseInSerializer(serializers.Serializer):
    response = serializers.CharField(required=False, allow_blank=True, default="")


class EvaluationInSerializer(serializers.Serializer):
    evaluator = serializers.CharField()
    conclusion = serializers.CharField()
    screening_basis = serializers.ChoiceField(
        choices=ScreeningBasis.choices, required=False, allow_blank=True, default=""
    )
    document = serializers.FileField(required=False, allow_null=True)


class ExtensionTermsSerializer(serializers.Serializer):
    months = serializers.IntegerField(
        required=False, allow_null=True, help_text=f"At most {MAX_EXTENSION_MONTHS} in all."
    )
    reform_reference = serializers.CharField(required=False, allow_blank=True, default="")
    reform_date = serializers.DateField(required=False, allow_null=True)


class ExtensionApplySerializer(ExtensionTermsSerializer):
    justification = serializers.CharField()


class ExtendSerializer(ExtensionTermsSerializer):
    reasons = serializers.CharField()


class DecideSerializer(serializers.Serializer):
    grant = serializers.BooleanField()
    reasons = serializers.CharField()


class OfficerSerializer(serializers.Serializer):
    username = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="The case officer at KDD who follows the trial up from now.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class StopSerializer(serializers.Serializer):
    reasons = serializers.CharField()
    at_request = serializers.BooleanField(required=False, default=False)


class EndSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PermanentSerializer(serializers.Serializer):
    law_reference = serializers.CharField()
    law_date = serializers.DateField()
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


def _responses(ok=200):
    return {ok: TrialSerializer, **ERRORS, **CONFLICT}


def _post(summary: str, description: str, request):
    return extend_schema(
        summary=summary, description=description, request=request, responses=_responses()
    )


@extend_schema_view(
    list=extend_schema(
        summary="List my trials",
        description=(
            "Municipalities see the trials of their organisations (as lead or co-applicant); "
            "KDD's case officers and approvers see every trial."
        ),
        responses={200: TrialListSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One trial",
        description="Regulation, period, obligations, reports, evaluations, extensions and "
        "the actions the user may take now.",
        responses={200: TrialSerializer, 404: OpenApiResponse(description="No such trial.")},
    ),
)
class TrialViewSet(viewsets.GenericViewSet):
    queryset = Trial.objects.none()
    serializer_class = TrialSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, HasRoleForAction]
    parser_classes = [JSONParser, MultiPartParser]
    required_roles = {
        "regulation": OFFICER,
        "obligations": OFFICER,
        "acknowledge": OFFICER,
        "request_more": OFFICER,
        "evaluations": OFFICER,
        "decide_extension": OFFICER | {Role.APPROVER.value},
        "extend": OFFICER,
        "stop": OFFICER,
        "end": OFFICER,
        "make_permanent": OFFICER,
        "reports": APPLICANT,
        "extensions": APPLICANT,
    }

    def get_queryset(self):
        return selectors.trials_for_user(self.request.user)

    def get_object(self) -> Trial:
        trial = selectors.trial_get_for_user(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, trial)
        return trial

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _detail(self, trial, code=status.HTTP_200_OK) -> Response:
        fresh = selectors.trial_get_for_user(self.request.user, trial.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        data = TrialListSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @_post(
        "Record the regulation",
        "KDD's case officer records the regulation on the trial (multipart, with its text): "
        "the trial comes into force for the regulation's period (at most 48 months).",
        RegulationInSerializer,
    )
    @action(detail=True, methods=["post"])
    def regulation(self, request, pk=None):
        trial = self.get_object()
        data = self._input(RegulationInSerializer)
        services.regulation_record(actor=request.user, trial=trial, **data)
        return self._detail(trial, status.HTTP_201_CREATED)

    @_post(
        "Set a follow-up obligation",
        "A report or evaluation due by a date.",
        ObligationSerializer,
    )
    @action(detail=True, methods=["post"])
    def obligations(self, request, pk=None):
        trial = self.get_object()
        data = self._input(ObligationSerializer)
        services.obligation_add(actor=request.user, trial=trial, **data)
        return self._detail(trial, status.HTTP_201_CREATED)

    @_post(
        "Submit a report",
        "The municipality reports on its trial (multipart for attachments in `files`); only "
        "while the trial is in force (else 409).",
        ReportInSerializer,
    )
    @action(detail=True, methods=["post"])
    def reports(self, request, pk=None):
        trial = self.get_object()
        data = self._input(ReportInSerializer)
        obligation = None
        obligation_pk = data.pop("obligation", None)
        if obligation_pk:
            obligation = trial.obligations.filter(pk=obligation_pk).first()
            if obligation is None:
                raise Http404
        data.pop("files", None)
        files = request.FILES.getlist("files")
        services.report_submit(
            actor=request.user, trial=trial, obligation=obligation, files=files, **data
        )
        return self._detail(trial, status.HTTP_201_CREATED)

    def _report(self, trial, report_pk) -> Report:
        report = trial.reports.filter(pk=report_pk).first()
        if report is None:
            raise Http404
        return report

    @_post("Acknowledge a report", "The obligation it answers is fulfilled.", ResponseInSerializer)
    @action(detail=True, methods=["post"], url_path=r"reports/(?P<report_pk>\d+)/acknowledge")
    def acknowledge(self, request, pk=None, report_pk=None):
        trial = self.get_object()
        data = self._input(ResponseInSerializer)
        services.report_acknowledge(
            actor=request.user, report=self._report(trial, report_pk), **data
        )
        return self._detail(trial)

    @_post("Ask for more in a report", "Say what the report lacks.", ResponseInSerializer)
    @action(detail=True, methods=["post"], url_path=r"reports/(?P<report_pk>\d+)/request-more")
    def request_more(self, request, pk=None, report_pk=None):
        trial = self.get_object()
        data = self._input(ResponseInSerializer)
        services.report_request_more(
            actor=request.user, report=self._report(trial, report_pk), **data
        )
        return self._detail(trial)

    @_post(
        "Record an evaluation",
        "Who evaluated, the conclusion, and the report (multipart `document`).",
        EvaluationInSerializer,
    )
    @action(detail=True, methods=["post"])
    def evaluations(self, request, pk=None):
        trial = self.get_object()
        data = self._input(EvaluationInSerializer)
        services.evaluation_record(actor=request.user, trial=trial, **data)
        return self._detail(trial, status.HTTP_201_CREATED)

    @_post(
        "Apply for an extension",
        "By `months` (at most 24 in all) or until a named reform (`reform_reference` and "
        "`reform_date`), with the justification.",
        ExtensionApplySerializer,
    )
    @action(detail=True, methods=["post"])
    def extensions(self, request, pk=None):
        trial = self.get_object()
        data = self._input(ExtensionApplySerializer)
        services.extension_apply(actor=request.user, trial=trial, **data)
        return self._detail(trial, status.HTTP_201_CREATED)

    @_post(
        "Decide an application for extension",
        "Grant or refuse, with reasons. An application for extension is a case with the steps "
        "of an application (see the tasks API; its tasks carry `extension`), decided with four "
        "eyes: this does the decisive step the user may do now. A case officer's call, with "
        "the propose task open, is the proposal; an approver who did not propose it then "
        "approves it with the same `grant` (the end date moves and the letter is sent), or "
        "returns it with `reasons` when `grant` differs. 409 while the case is at another "
        "step; 403 for the proposer's own approval.",
        DecideSerializer,
    )
    @action(detail=True, methods=["post"], url_path=r"extensions/(?P<extension_pk>\d+)/decide")
    def decide_extension(self, request, pk=None, extension_pk=None):
        trial = self.get_object()
        extension = Extension.objects.filter(trial=trial, pk=extension_pk).first()
        if extension is None:
            raise Http404
        data = self._input(DecideSerializer)
        services.extension_decide(actor=request.user, extension=extension, **data)
        return self._detail(trial)

    @_post(
        "Propose to extend the trial",
        "KDD extends on its own initiative, within the limits. An extension is a decision: "
        "this is the case officer's proposal (the extension is `requested`), which another "
        "person at KDD approves or returns in the extension's case (its `approve` task in the "
        "tasks API, or `extensions/{id}/decide`); the end date moves at the approval.",
        ExtendSerializer,
    )
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        trial = self.get_object()
        services.trial_extend(actor=request.user, trial=trial, **self._input(ExtendSerializer))
        return self._detail(trial)

    @_post(
        "Give the follow-up to another case officer",
        "A KDD leader (approver or administrator) gives the trial's follow-up, with its open "
        "follow-up tasks, to another case officer at KDD; audited. 403 for any other role, "
        "404 for a trial the user cannot see.",
        OfficerSerializer,
    )
    @action(detail=True, methods=["post"])
    def officer(self, request, pk=None):
        trial = self.get_object()
        data = self._input(OfficerSerializer)
        try:
            services.trial_officer_reassign(
                actor=request.user, trial=trial, officer=data["username"], reason=data["reason"]
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"username": exc.messages}) from exc
        return self._detail(trial)

    @_post(
        "Stop the trial early",
        "With reasons; `at_request` when the municipality asked.",
        StopSerializer,
    )
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        trial = self.get_object()
        services.trial_stop(actor=request.user, trial=trial, **self._input(StopSerializer))
        return self._detail(trial)

    @_post(
        "Record that the trial ended",
        "Only on or after its end date (else 409).",
        EndSerializer,
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        trial = self.get_object()
        services.trial_end(actor=request.user, trial=trial, **self._input(EndSerializer))
        return self._detail(trial)

    @_post(
        "Record that the arrangement is made permanent",
        "The law change that does it: its reference and the date it takes effect.",
        PermanentSerializer,
    )
    @action(detail=True, methods=["post"], url_path="make-permanent")
    def make_permanent(self, request, pk=None):
        trial = self.get_object()
        services.trial_make_permanent(
            actor=request.user, trial=trial, **self._input(PermanentSerializer)
        )
        return self._detail(trial)
