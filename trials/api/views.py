"""The applications API: thin views over ``trials.selectors`` (what a user may see) and
``trials.services`` (every change). Errors are mapped in ``trials.api.exceptions``.
"""

from functools import cached_property

import django_filters
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from casework.api import ID_PATTERN, JSONParser
from casework.authentication import ApiKeyAuthentication
from casework.downloads import file_response
from trials import selectors, services
from trials.api import examples
from trials.api.permissions import APPLICANT, HasRoleForAction
from trials.api.serializers import (
    AnswerSerializer,
    ApplicationCreateSerializer,
    ApplicationListSerializer,
    ApplicationSerializer,
    ApplicationWriteSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ExemptionRequestSerializer,
    ExemptionRequestWriteSerializer,
    WithdrawSerializer,
)
from trials.choices import ApplicationStatus, Stage
from trials.models import Application, Attachment, ExemptionRequest

APPLICATION_PK = OpenApiParameter(
    "application_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Application id."
)


# Token first: a missing or wrong key then gets 401 with "WWW-Authenticate: Token" (the
# first class decides the challenge), which integrations can act on; browsers use the session.
AUTHENTICATION = [ApiKeyAuthentication, SessionAuthentication]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """``{"field": ["message"]}``; errors not tied to a field under ``non_field_errors``."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


ERRORS = {
    400: OpenApiResponse(
        FieldErrorsSerializer,
        description="Invalid input: messages per field, or under non_field_errors.",
        examples=[examples.FIELD_ERRORS],
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not allowed: not logged in, not the lead applicant, or not a draft.",
        examples=[examples.NOT_A_DRAFT],
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such application for this user."),
}
CONFLICT = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="Someone else changed the application in between; reload and retry.",
        examples=[examples.CONFLICT],
    )
}


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    call = django_filters.NumberFilter(field_name="call_id", help_text="Call id.")

    class Meta:
        model = Application
        fields = ["status", "stage", "call"]


@extend_schema_view(
    list=extend_schema(
        summary="List my applications",
        description=(
            "The applications the user may see: applicants see their organisations' "
            "applications (as lead or co-applicant, drafts included); KDD case officers and "
            "approvers see every submitted application."
        ),
        responses={200: ApplicationListSerializer(many=True)},
        examples=[examples.APPLICATION_LIST],
    ),
    create=extend_schema(
        summary="Start a draft application",
        description=(
            "Creates a draft for the lead organisation (given by its official number); the "
            "user must be an applicant of it. `co_applicants` and `purposes` may be given at "
            "once."
        ),
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        examples=[examples.APPLICATION_CREATE, examples.APPLICATION],
    ),
    retrieve=extend_schema(
        summary="One application",
        description="With its exemption requests, attachments, contacts and allowed actions.",
        responses={200: ApplicationSerializer, 404: ERRORS[404]},
        examples=[examples.APPLICATION],
    ),
    update=extend_schema(
        summary="Change a draft",
        description=(
            "Only the lead applicant, only while the application is a draft (else 403). "
            "Fields left out keep their value; `co_applicants` and `purposes` replace the "
            "old lists when given."
        ),
        request=ApplicationWriteSerializer,
        responses={200: ApplicationSerializer, **ERRORS, **CONFLICT},
        examples=[examples.APPLICATION_UPDATE, examples.APPLICATION],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a draft",
        description="As PUT, but `title` may be left out as well.",
        request=ApplicationWriteSerializer,
        responses={200: ApplicationSerializer, **ERRORS, **CONFLICT},
        examples=[examples.APPLICATION_PATCH, examples.APPLICATION],
    ),
)
class ApplicationViewSet(viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN
    queryset = Application.objects.none()
    serializer_class = ApplicationSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, HasRoleForAction]
    required_roles = {
        "create": APPLICANT,
        "update": APPLICANT,
        "partial_update": APPLICANT,
        "submit": APPLICANT,
        "withdraw": APPLICANT,
        "answer": APPLICANT,
    }
    filterset_class = ApplicationFilter

    def get_queryset(self):
        return selectors.applications_for_user(self.request.user)

    def get_object(self) -> Application:
        application = selectors.application_get_for_user(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, application)
        return application

    def detail_response(self, application, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.application_get_for_user(self.request.user, application.pk)
        data = ApplicationSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = ApplicationListSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data.data)

    def create(self, request):
        serializer = ApplicationCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        application = services.application_create(actor=request.user, **serializer.validated_data)
        return self.detail_response(application, status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def update(self, request, pk=None, partial=False):
        application = self.get_object()
        serializer = ApplicationWriteSerializer(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.application_save_draft(
            actor=request.user, application=application, **serializer.validated_data
        )
        return self.detail_response(application)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Submit a draft",
        description=(
            "Moves the draft to *submitted* and emails the contacts. When the application "
            "is not ready, 400 lists every reason under `non_field_errors`. Submitting "
            "twice gives 409."
        ),
        request=None,
        responses={
            200: ApplicationSerializer,
            400: OpenApiResponse(
                FieldErrorsSerializer,
                description="Not ready: every reason under non_field_errors.",
                examples=[examples.NOT_READY],
            ),
            403: ERRORS[403],
            404: ERRORS[404],
            **CONFLICT,
        },
        examples=[examples.APPLICATION_SUBMITTED],
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        application = services.application_submit(actor=request.user, application=self.get_object())
        return self.detail_response(application)

    @extend_schema(
        summary="Withdraw the application",
        description="Possible until the decision; the reason is recorded and shown to KDD.",
        request=WithdrawSerializer,
        responses={200: ApplicationSerializer, **ERRORS, **CONFLICT},
        examples=[examples.WITHDRAW, examples.APPLICATION_WITHDRAWN],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        application = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_withdraw(
            actor=request.user, application=application, **serializer.validated_data
        )
        return self.detail_response(application)

    @extend_schema(
        summary="Answer the ministry's request for information",
        description=(
            "JSON with `text`, or multipart/form-data with `text` and any number of `files`. "
            "Moves the application back to *under review*."
        ),
        request={
            "application/json": AnswerSerializer,
            "multipart/form-data": AnswerSerializer,
        },
        responses={200: ApplicationSerializer, **ERRORS, **CONFLICT},
        examples=[examples.ANSWER, examples.APPLICATION],
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser])
    def answer(self, request, pk=None):
        application = self.get_object()
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.application_answer(
            actor=request.user,
            application=application,
            text=serializer.validated_data["text"],
            files=serializer.validated_data.get("files", []),
        )
        return self.detail_response(application)


class ApplicationChildMixin:
    """For routes under ``applications/{application_pk}/``: the parent, or 404."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, HasRoleForAction]
    required_roles = {
        "create": APPLICANT,
        "update": APPLICANT,
        "partial_update": APPLICANT,
        "destroy": APPLICANT,
    }
    pagination_class = None
    filter_backends: list = []

    @cached_property
    def application(self) -> Application:
        return selectors.application_get_for_user(self.request.user, self.kwargs["application_pk"])

    def get_object(self):
        try:
            obj = self.get_queryset().get(pk=self.kwargs["pk"])
        except (self.queryset.model.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        self.check_object_permissions(self.request, obj)
        return obj


@extend_schema_view(
    list=extend_schema(
        summary="List the exemption requests of an application",
        parameters=[APPLICATION_PK],
        responses={200: ExemptionRequestSerializer(many=True), 404: ERRORS[404]},
        examples=[examples.EXEMPTION_LIST],
    ),
    create=extend_schema(
        summary="Ask for an exemption from a provision",
        description=(
            "Give `provision` (a citation key from the law register) or `citation` (as "
            "written, e.g. `opplæringslova § 13-1`). A citation the register cannot resolve "
            "is kept as written for a case officer. `warnings` tells about forsøksloven § 4 "
            "limits and sector trial provisions."
        ),
        parameters=[APPLICATION_PK],
        request=ExemptionRequestWriteSerializer,
        responses={201: ExemptionRequestSerializer, **ERRORS},
        examples=[
            examples.EXEMPTION_BY_KEY,
            examples.EXEMPTION_BY_CITATION,
            examples.EXEMPTION,
        ],
    ),
    retrieve=extend_schema(
        summary="One exemption request",
        parameters=[APPLICATION_PK],
        responses={200: ExemptionRequestSerializer, 404: ERRORS[404]},
        examples=[examples.EXEMPTION],
    ),
    update=extend_schema(
        summary="Change an exemption request of a draft",
        parameters=[APPLICATION_PK],
        request=ExemptionRequestWriteSerializer,
        responses={200: ExemptionRequestSerializer, **ERRORS},
        examples=[examples.EXEMPTION_UPDATE, examples.EXEMPTION],
    ),
    partial_update=extend_schema(
        summary="Change some fields of an exemption request of a draft",
        parameters=[APPLICATION_PK],
        request=ExemptionRequestWriteSerializer,
        responses={200: ExemptionRequestSerializer, **ERRORS},
        examples=[examples.EXEMPTION_UPDATE, examples.EXEMPTION],
    ),
    destroy=extend_schema(
        summary="Remove an exemption request from a draft",
        parameters=[APPLICATION_PK],
        responses={204: None, 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class ExemptionRequestViewSet(ApplicationChildMixin, viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN
    queryset = ExemptionRequest.objects.none()
    serializer_class = ExemptionRequestSerializer

    def get_queryset(self):
        return ExemptionRequest.objects.filter(application=self.application).select_related(
            "provision__act", "application"
        )

    def list(self, request, application_pk=None):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, application_pk=None, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request, application_pk=None):
        serializer = ExemptionRequestWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        exemption = services.exemption_request_create(
            actor=request.user,
            application=self.application,
            provision=fields.pop("provision", None),
            citation_text=fields.pop("citation", ""),
            **fields,
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=exemption.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, application_pk=None, pk=None, partial=False):
        exemption = self.get_object()
        serializer = ExemptionRequestWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        services.exemption_request_update(
            actor=request.user,
            request=exemption,
            provision=fields.pop("provision", None),
            citation_text=fields.pop("citation", None),
            **fields,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=exemption.pk)).data)

    def partial_update(self, request, application_pk=None, pk=None):
        return self.update(request, application_pk, pk, partial=True)

    def destroy(self, request, application_pk=None, pk=None):
        services.exemption_request_delete(actor=request.user, request=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List the attachments of an application",
        description="Metadata only; `download_url` is the file, with the same credentials.",
        parameters=[APPLICATION_PK],
        responses={200: AttachmentSerializer(many=True), 404: ERRORS[404]},
        examples=[examples.ATTACHMENT_LIST],
    ),
    create=extend_schema(
        summary="Upload an attachment to a draft",
        description=(
            "multipart/form-data. The file is checked by its content (PDF, DOCX, ODT, PNG, "
            "JPEG) and must match its name; a refused file gives 400 with the reason under "
            "`file`. A council decision needs `organisation`: the official number of the "
            "applicant whose council made it."
        ),
        parameters=[APPLICATION_PK],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **ERRORS},
        examples=[examples.ATTACHMENT_UPLOAD, examples.ATTACHMENT, examples.BAD_FILE],
    ),
    destroy=extend_schema(
        summary="Remove an attachment from a draft",
        parameters=[APPLICATION_PK],
        responses={204: None, 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class AttachmentViewSet(ApplicationChildMixin, viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN
    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return Attachment.objects.filter(application=self.application).select_related(
            "organisation", "application"
        )

    def list(self, request, application_pk=None):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def create(self, request, application_pk=None):
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        attachment = services.attachment_add(
            actor=request.user,
            application=self.application,
            uploaded_file=fields.pop("file"),
            **fields,
        )
        return Response(self.get_serializer(attachment).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, application_pk=None, pk=None):
        services.attachment_delete(actor=request.user, attachment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download an attachment",
        description=(
            "The file itself, with its own content type, for whoever may see the application "
            "(the same rule as the portal: `trials.selectors.attachment_for_user`)."
        ),
        parameters=[APPLICATION_PK],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, with its own content type."
            ),
            404: ERRORS[404],
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, application_pk=None, pk=None):
        attachment = selectors.attachment_for_user(request.user, pk)
        if attachment.application_id != self.application.pk:
            raise Http404
        return file_response(selectors.attachment_file(attachment))
