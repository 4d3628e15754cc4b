"""Shapes of the applications API: input serializers only validate and resolve references,
output serializers only describe. Every write goes through ``trials.services`` in the views.

Organisations are identified by their official number (kommunenummer, four digits, or
fylkesnummer, two digits), calls by id, applications by reference (``FRI-2025-0001``) and
provisions by citation key (``LOV-2023-06-09-30/§13-1``).
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.models import Organisation
from legal.models import Provision
from legal.selectors import provision_warnings
from trials import labels, selectors
from trials.choices import AttachmentKind, Purpose, ScreeningBasis, Stage, TrialCategory
from trials.models import (
    Application,
    ApplicationPurpose,
    Attachment,
    Call,
    ContactPerson,
    ExemptionRequest,
    InformationRequest,
)
from trials.rules import (
    MAX_CO_APPLICANTS,
    MAX_PERIOD_MONTHS,
    MIN_PERIOD_MONTHS,
    period_range_message_lazy,
)


class LocalGovernmentField(serializers.SlugRelatedField):
    """A municipality or county municipality by its official number, e.g. ``"3405"``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Organisation.objects.active().local_governments())
        super().__init__(slug_field="number", **kwargs)


class ApplicationReferenceField(serializers.SlugRelatedField):
    """An application the requesting user may see, by reference number."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="reference", queryset=Application.objects.none(), **kwargs)

    def get_queryset(self):
        return selectors.applications_for_user(self.context["request"].user)


# --- output ---------------------------------------------------------------------------------


class OrganisationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["number", "name"]


class PurposeSerializer(serializers.ModelSerializer):
    """One forsøksloven § 1 purpose with the applicant's justification (input and output)."""

    purpose = serializers.ChoiceField(choices=Purpose.choices)
    purpose_label = serializers.CharField(source="get_purpose_display", read_only=True)
    justification = serializers.CharField()

    class Meta:
        model = ApplicationPurpose
        fields = ["purpose", "purpose_label", "justification"]


class ContactSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(read_only=True)

    class Meta:
        model = ContactPerson
        fields = ["id", "organisation", "name", "job_title", "email", "phone"]


class ExemptionSummarySerializer(serializers.ModelSerializer):
    provision = serializers.CharField(
        source="provision.citation_key", read_only=True, allow_null=True
    )
    label = serializers.CharField(source="provision_label", read_only=True)
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ExemptionRequest
        fields = ["id", "order", "provision", "label", "is_resolved", "status", "status_label"]


class InformationRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = InformationRequest
        fields = [
            "id",
            "message",
            "due_date",
            "requested_at",
            "is_answered",
            "answer_text",
            "answered_at",
        ]


class AttachmentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(AttachmentKind.values) + "."
    )
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    organisation = OrganisationSummarySerializer(read_only=True, allow_null=True)
    screening_basis = serializers.CharField(
        read_only=True, help_text="Empty when public, else the offentleglova basis."
    )
    is_public = serializers.BooleanField(read_only=True)
    answer = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The request for information it answers."
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "kind",
            "kind_label",
            "organisation",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "screening_basis",
            "is_public",
            "answer",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, attachment) -> str:
        """The API's own download address: it takes the same credentials as this call (an
        API key included), which the portal's session-only page would not."""
        path = reverse(
            "application-attachment-download",
            kwargs={"application_pk": attachment.application_id, "pk": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class StatusLabelField(serializers.CharField):
    """An application's status in words as every face names it (``trials.labels``): a
    preliminary application reads "Taken forward" / "Not taken forward". ``source`` is the
    application ("*" on an application serializer)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, application) -> str:
        return labels.status_label(application)


class ApplicationListSerializer(serializers.ModelSerializer):
    status_label = StatusLabelField()
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    lead_organisation = OrganisationSummarySerializer(read_only=True)
    co_applicants = OrganisationSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "status_label",
            "stage",
            "stage_label",
            "call",
            "lead_organisation",
            "co_applicants",
            "created_at",
            "updated_at",
            "submitted_at",
        ]
        read_only_fields = fields


class ApplicationSerializer(ApplicationListSerializer):
    """The whole application as its applicants (and, once submitted, KDD) see it."""

    preliminary = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=TrialCategory.choices), read_only=True
    )
    purposes = PurposeSerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)
    exemption_requests = ExemptionSummarySerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    information_requests = InformationRequestSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            *ApplicationListSerializer.Meta.fields,
            "preliminary",
            "summary",
            "description",
            "categories",
            "expected_effects",
            "effect_measurement",
            "affected_services",
            "affected_citizens",
            "involvement",
            "requested_start",
            "period_months",
            "withdrawn_reason",
            "purposes",
            "contacts",
            "exemption_requests",
            "attachments",
            "information_requests",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, application) -> list[str]:
        """What the requesting user may do now: ``submit``, ``answer``, ``withdraw``."""
        return selectors.available_actions(self.context["request"].user, application)


class ProvisionWarningSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="A forsøksloven § 4 limit kind, or sector_trial_provision."
    )
    text = serializers.CharField()


class ExemptionRequestSerializer(serializers.ModelSerializer):
    provision = serializers.CharField(
        source="provision.citation_key",
        read_only=True,
        allow_null=True,
        help_text="Citation key of the provision; null while only the typed citation is known.",
    )
    act = serializers.CharField(source="provision.act.lovdata_id", read_only=True, allow_null=True)
    act_short_title = serializers.CharField(
        source="provision.act.short_title", read_only=True, allow_null=True
    )
    section = serializers.CharField(source="provision.section", read_only=True, allow_null=True)
    heading = serializers.CharField(source="provision.heading", read_only=True, allow_null=True)
    lovdata_url = serializers.URLField(
        source="provision.lovdata_url", read_only=True, allow_null=True
    )
    label = serializers.CharField(source="provision_label", read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="requested, assessed, granted, granted_with_conditions, …"
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = ExemptionRequest
        fields = [
            "id",
            "order",
            "provision",
            "act",
            "act_short_title",
            "section",
            "heading",
            "lovdata_url",
            "citation_text",
            "label",
            "is_resolved",
            "subsection",
            "current_rule",
            "proposed_arrangement",
            "justification",
            "consequences",
            "status",
            "status_label",
            "warnings",
        ]
        read_only_fields = fields

    @extend_schema_field(ProvisionWarningSerializer(many=True))
    def get_warnings(self, request):
        if request.provision_id is None:
            return []
        return ProvisionWarningSerializer(provision_warnings(request.provision), many=True).data


# --- input ----------------------------------------------------------------------------------


class ApplicationWriteSerializer(serializers.Serializer):
    """Fields of a draft. Left-out fields keep their value; lists replace the old list."""

    title = serializers.CharField(max_length=200)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    call = serializers.PrimaryKeyRelatedField(
        queryset=Call.objects.all(), required=False, allow_null=True
    )
    preliminary = ApplicationReferenceField(
        required=False,
        allow_null=True,
        help_text="For a final application: reference of the preliminary application.",
    )
    summary = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=TrialCategory.choices), required=False
    )
    expected_effects = serializers.CharField(required=False, allow_blank=True)
    effect_measurement = serializers.CharField(required=False, allow_blank=True)
    affected_services = serializers.CharField(required=False, allow_blank=True)
    affected_citizens = serializers.CharField(required=False, allow_blank=True)
    involvement = serializers.CharField(required=False, allow_blank=True)
    requested_start = serializers.DateField(required=False, allow_null=True)
    period_months = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=MIN_PERIOD_MONTHS,
        max_value=MAX_PERIOD_MONTHS,
        error_messages={
            "min_value": period_range_message_lazy(),
            "max_value": period_range_message_lazy(),
        },
        help_text=f"{MIN_PERIOD_MONTHS} to {MAX_PERIOD_MONTHS} months (forsøksloven § 3).",
    )
    co_applicants = serializers.ListField(
        child=LocalGovernmentField(),
        required=False,
        help_text=(
            "Official numbers of the other municipalities or counties applying jointly "
            f"(at most {MAX_CO_APPLICANTS})."
        ),
    )
    purposes = PurposeSerializer(many=True, required=False)

    def validate_purposes(self, purposes) -> dict[str, str]:
        """The services' shape, {purpose: justification}; each item needs both (a PATCH
        makes the nested fields optional)."""
        if any(not item.get("purpose") or not item.get("justification") for item in purposes):
            raise serializers.ValidationError("Give each purpose with its justification.")
        chosen = [item["purpose"] for item in purposes]
        if len(set(chosen)) != len(chosen):
            raise serializers.ValidationError("Give each purpose once.")
        return {item["purpose"]: item["justification"] for item in purposes}


class ApplicationCreateSerializer(ApplicationWriteSerializer):
    lead_organisation = LocalGovernmentField(
        help_text="Official number of the lead applicant: kommunenummer or fylkesnummer."
    )


class ExemptionRequestWriteSerializer(serializers.Serializer):
    """Give the provision by citation key, or the citation as written (resolved if possible)."""

    provision = serializers.SlugRelatedField(
        slug_field="citation_key",
        queryset=Provision.objects.select_related("act"),
        required=False,
        allow_null=True,
        help_text="Citation key from the law register, e.g. LOV-2023-06-09-30/§13-1.",
    )
    citation = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text=(
            "The citation as written, e.g. 'opplæringslova § 13-1 første ledd'. Resolved "
            "against the law register; kept as written for an officer when not found."
        ),
    )
    subsection = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    current_rule = serializers.CharField(required=False, allow_blank=True)
    proposed_arrangement = serializers.CharField(required=False, allow_blank=True)
    justification = serializers.CharField(required=False, allow_blank=True)
    consequences = serializers.CharField(required=False, allow_blank=True)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, DOCX, ODT, PNG or JPEG; checked by content.")
    kind = serializers.ChoiceField(
        choices=[(k, label) for k, label in AttachmentKind.choices if k != AttachmentKind.ANSWER]
    )
    organisation = LocalGovernmentField(
        required=False,
        allow_null=True,
        help_text="For a council decision: official number of the council's organisation.",
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    screening_basis = serializers.ChoiceField(
        choices=ScreeningBasis.choices, required=False, allow_blank=True
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the application is withdrawn.")


class AnswerSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The answer to the ministry's open request.")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Attachments to the answer."
    )
