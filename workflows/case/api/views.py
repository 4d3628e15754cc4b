"""KDD's case handling over REST: cases, the inbox and queue, and doing each step.

Thin views: ``workflows.case.selectors`` decides what a user sees, ``workflows.case.services`` does
every change (claim, unassign, reassign, complete) under the process lock. Errors are
mapped in ``trials.api.exceptions``: Django ``ValidationError`` → 400, ``PermissionDenied``
→ 403, ``ConflictError`` (``TaskDone`` included) → 409.
"""

import json

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from viewflow.workflow.status import STATUS

from casework.api import ID_PATTERN, JSONParser
from casework.choices import Role
from casework.downloads import file_response
from casework.selectors import case_for, journal_document_file, memberships_remembered
from trials.api.permissions import HasRoleForAction
from trials.api.views import AUTHENTICATION, ErrorSerializer, FieldErrorsSerializer
from trials.choices import ApplicationStatus, Stage
from workflows.case import selectors, services
from workflows.case.api import examples
from workflows.case.api.serializers import (
    EXTENSION_PAYLOADS,
    PAYLOADS,
    CaseDetailSerializer,
    CaseListSerializer,
    CaseSummarySerializer,
    ConsultationAnswerUploadPayload,
    ReassignSerializer,
    TaskCompletedSerializer,
    TaskDetailSerializer,
    TaskSerializer,
    payload_class,
)
from workflows.case.flows import ApplicationFlow
from workflows.case.models import CaseProcess
from workflows.tasks import TaskDone
from workflows.trial import services as follow_up

CASEWORK = frozenset({Role.CASE_OFFICER.value, Role.APPROVER.value, Role.CONSULTEE.value})
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)

ERRORS = {
    400: OpenApiResponse(
        FieldErrorsSerializer,
        description="Invalid input: messages per field, or under non_field_errors.",
        examples=[examples.FIELD_ERRORS],
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description=(
            "The user's role does not allow this: not KDD or a consulted ministry at all, a "
            "consultee of another ministry, the proposer approving their own proposal, or a "
            "task someone else holds."
        ),
        examples=[examples.FOUR_EYES],
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such task or case for this user."),
    409: OpenApiResponse(
        ErrorSerializer,
        description=(
            "The task is no longer open: someone else took or completed it in between, or the "
            "application was withdrawn (the detail says which); reload."
        ),
        examples=[examples.TASK_DONE],
    ),
}


def _errors(*codes):
    return {code: ERRORS[code] for code in codes}


# --- cases ----------------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        field_name="application__status", choices=ApplicationStatus.choices
    )
    stage = django_filters.ChoiceFilter(field_name="application__stage", choices=Stage.choices)
    call = django_filters.NumberFilter(field_name="application__call_id", help_text="Call id.")
    municipality = django_filters.CharFilter(
        method="filter_municipality",
        help_text="Official number of the lead applicant or a co-applicant.",
    )

    class Meta:
        model = CaseProcess
        fields = ["status", "stage", "call", "municipality"]

    def filter_municipality(self, queryset, name, value):
        return queryset.filter(
            Q(application__lead_organisation__number=value)
            | Q(application__co_applicants__number=value)
        ).distinct()


def _case_context(processes) -> dict:
    return {
        "case_numbers": selectors.case_numbers([p.application for p in processes]),
        "open_steps": selectors.open_steps_by_process([p.pk for p in processes]),
    }


@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        description=(
            "KDD's case officers and approvers see every case; a consulted ministry sees the "
            "cases it is consulted on. `id` is the application id."
        ),
        responses={200: CaseListSerializer(many=True), **_errors(403)},
        examples=[examples.CASE_LIST],
    ),
    retrieve=extend_schema(
        summary="One case",
        description=(
            "With the exemptions (assessment, outcome, consultation answers), consultations, "
            "requests for information, preliminary answers, journal entries (with links to "
            "their documents), decision proposals, the trial and the audit history. Consulted "
            "ministries see neither the assessment notes, the proposals nor the history "
            "before the decision."
        ),
        parameters=[ID],
        responses={200: CaseDetailSerializer, **_errors(403, 404)},
        examples=[examples.CASE_DETAIL],
    ),
)
class CaseViewSet(viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN
    queryset = CaseProcess.objects.none()
    serializer_class = CaseListSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, HasRoleForAction]
    required_roles = dict.fromkeys(("list", "retrieve", "document"), CASEWORK)
    filterset_class = CaseFilter

    def get_queryset(self):
        # an application's own case; its extensions' cases are on the trial (and in tasks)
        return (
            selectors.cases_for_user(self.request.user)
            .filter(extension__isnull=True)
            .order_by("-created", "-pk")
        )

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        serializer = CaseListSerializer(page, many=True, context=_case_context(page))
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request, pk=None):
        process = selectors.case_for_user(request.user, pk)
        application = process.application
        context = {
            **_case_context([process]),
            "request": request,
            "journal": selectors.journal_of(case_for(application)),
            "history": selectors.case_history(application),
            "show_notes": selectors.sees_internal_notes(request.user, application),
        }
        return Response(CaseDetailSerializer(process, context=context).data)

    @extend_schema(
        summary="Download a document of the case's journal",
        description=(
            "The letter or attachment registered on a journal entry (the decision letter is "
            "the main document of the decision's entry); `download_url` in the journal."
        ),
        parameters=[
            ID,
            OpenApiParameter("document_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, with its own content type."
            ),
            **_errors(403, 404),
        },
    )
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_id>[0-9]+)")
    def document(self, request, pk=None, document_id=None):
        document = selectors.case_document_for_user(request.user, document_id, application_id=pk)
        return file_response(journal_document_file(document))


# --- tasks ----------------------------------------------------------------------------------

BOXES = {
    "": selectors.tasks_for_user,
    "inbox": selectors.inbox,
    "queue": selectors.queue,
}
TASK_FILTERS = [
    OpenApiParameter(
        "box",
        OpenApiTypes.STR,
        enum=["inbox", "queue"],
        description=(
            "inbox: tasks the user has; queue: unassigned tasks the user may take. Left out: "
            "every open task the user's roles see (colleagues' included)."
        ),
    ),
    OpenApiParameter(
        "step", OpenApiTypes.STR, enum=list(PAYLOADS), description="Only tasks of this step."
    ),
    OpenApiParameter("call", OpenApiTypes.INT, description="Call id."),
    OpenApiParameter(
        "municipality",
        OpenApiTypes.STR,
        description="Official number of the lead applicant or a co-applicant.",
    ),
    OpenApiParameter(
        "ministry",
        OpenApiTypes.STR,
        description="Ministry code: its consultations, or cases touching its acts.",
    ),
]

COMPLETE_PAYLOAD = PolymorphicProxySerializer(
    component_name="TaskCompletePayload",
    serializers=[*PAYLOADS.values(), *EXTENSION_PAYLOADS.values()],
    resource_type_field_name=None,
)
COMPLETE_DESCRIPTION = """Do the task's step and move the case on. The body depends on the
step (`payload` in the task tells which):

| step | payload |
|---|---|
| register | RegisterPayload: `{}` |
| check_completeness | CompletenessPayload |
| answer_overdue | AnswerOverduePayload |
| assess | AssessmentPayload |
| consult | ConsultationAnswerPayload; or multipart/form-data: `positions` (JSON), `attachment` |
| consultation_overdue | ConsultationOverduePayload |
| propose | ProposalPayload |
| approve | ApprovalPayload |
| interim_reply | InterimReplyPayload |
| report_overdue | FollowedUpPayload (a trial's follow-up task: `trial` set on the task) |

The case of an application for extension of a trial (`extension` set on the task) has the
same steps and payloads, except assess (ExtensionAssessmentPayload: the terms) and propose
(ExtensionProposalPayload: grant or refuse); the approval decides it and moves the end date.

A task still in the queue is claimed first. 409 when the task is no longer open (taken or
completed by someone else in between, or the application withdrawn).
"""


def _form_data(data, payload_class) -> dict:
    """multipart/form-data as the payload serializer wants it: list fields come as JSON."""
    fields = payload_class().fields
    plain = {}
    for key in data:
        value = data.get(key)
        field = fields.get(key)
        if isinstance(value, str) and isinstance(
            field, serializers.ListSerializer | serializers.ListField
        ):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise serializers.ValidationError({key: [_("Give a JSON list.")]}) from exc
        plain[key] = value
    return plain


def _is_multipart(request) -> bool:
    return (request.content_type or "").startswith("multipart/")


@extend_schema_view(
    list=extend_schema(
        summary="List my tasks",
        description=(
            "The user's inbox and queue: the open tasks their roles see, with the case, "
            "due date, whether it is overdue and what the user may do with each."
        ),
        parameters=TASK_FILTERS,
        responses={200: TaskSerializer(many=True), **_errors(400, 403)},
        examples=[examples.TASK_LIST],
    ),
    retrieve=extend_schema(
        summary="One task with what its step needs",
        description=(
            "The exemptions (with the law register's suggested assessment on the assess "
            "step), the consultation for consult and consultation_overdue tasks, the pending "
            "proposal for approve tasks (the last returned one for propose tasks), and which "
            "payload the complete endpoint expects."
        ),
        parameters=[ID],
        responses={200: TaskDetailSerializer, **_errors(403, 404)},
        examples=[examples.TASK_DETAIL],
    ),
)
class TaskViewSet(viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN
    queryset = ApplicationFlow.task_class.objects.none()
    serializer_class = TaskSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, HasRoleForAction]
    required_roles = dict.fromkeys(
        ("list", "retrieve", "claim", "unassign", "reassign", "complete"), CASEWORK
    )
    filter_backends: list = []

    def _allowed_actions(self):
        """What the user may do with a listed task (``selectors.task_access``, as the page)."""
        user = self.request.user
        return lambda task: selectors.task_access(user, task, listed=True).actions

    def _row(self, task) -> dict:
        task = selectors.task_for_action(self.request.user, task.pk)
        row = selectors.task_rows([task])[0]
        with memberships_remembered(self.request.user):
            return TaskSerializer(row, context={"allowed_actions": self._allowed_actions()}).data

    def list(self, request):
        params = request.query_params
        box = params.get("box", "")
        if box not in BOXES:
            raise serializers.ValidationError({"box": [_("Choose inbox or queue.")]})
        step = params.get("step", "")
        if step and step not in PAYLOADS:
            raise serializers.ValidationError({"step": [_("Unknown step.")]})
        tasks = selectors.filter_tasks(
            BOXES[box](request.user),
            step=step,
            call=params.get("call", ""),
            municipality=params.get("municipality", ""),
            ministry=params.get("ministry", ""),
        ).order_by("created", "pk")
        page = self.paginate_queryset(tasks)
        rows = selectors.task_rows(page)
        with memberships_remembered(request.user):
            data = TaskSerializer(
                rows, many=True, context={"allowed_actions": self._allowed_actions()}
            ).data
        return self.get_paginated_response(data)

    def retrieve(self, request, pk=None):
        task = selectors.task_get_for_user(request.user, pk)
        context = selectors.task_context(request.user, task)
        payload = payload_class(context.step, extension=context.extension is not None).__name__
        return Response(TaskDetailSerializer(context, context={"payload": payload}).data)

    @extend_schema(
        summary="Take a task from the queue",
        parameters=[ID],
        request=None,
        responses={200: TaskSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        task = selectors.task_for_action(request.user, pk)
        services.task_claim(actor=request.user, task=task)
        return Response(self._row(task))

    @extend_schema(
        summary="Put a task back in the queue",
        description="Only the person who has the task.",
        parameters=[ID],
        request=None,
        responses={200: TaskSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def unassign(self, request, pk=None):
        task = selectors.task_for_action(request.user, pk)
        services.task_unassign(actor=request.user, task=task)
        return Response(self._row(task))

    @extend_schema(
        summary="Give a task to someone else",
        description=(
            "The holder, or a case officer, gives the task to a user whose role allows the "
            "step (for a consultation: staff of the consulted ministry)."
        ),
        parameters=[ID],
        request=ReassignSerializer,
        responses={200: TaskSerializer, **_errors(400, 403, 404, 409)},
        examples=[examples.REASSIGN],
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        task = selectors.task_for_action(request.user, pk)
        serializer = ReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["username"]
        try:
            services.task_reassign(actor=request.user, task=task, user=user)
        except DjangoValidationError as exc:  # the user may not do the step
            raise serializers.ValidationError({"username": exc.messages}) from exc
        return Response(self._row(task))

    @extend_schema(
        summary="Complete a task",
        description=COMPLETE_DESCRIPTION,
        parameters=[ID],
        request={
            "application/json": COMPLETE_PAYLOAD,
            "multipart/form-data": ConsultationAnswerUploadPayload,
        },
        responses={200: TaskCompletedSerializer, **_errors(400, 403, 404, 409)},
        examples=[*examples.PAYLOADS, examples.TASK_COMPLETED],
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser])
    def complete(self, request, pk=None):
        follow_up = selectors.follow_up_task_get(pk)
        if follow_up is not None:
            return self._follow_up_complete(follow_up)
        task = selectors.task_for_action(request.user, pk)
        self._refuse_early(task)
        step = task.flow_task.name
        payload = payload_class(step, extension=selectors.case_process(task).is_extension())
        data = request.data
        if _is_multipart(request):
            if step == "consult":
                payload = ConsultationAnswerUploadPayload
            data = _form_data(data, payload)
        serializer = payload(data=data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        attachment = values.pop("attachment", None)
        services.task_complete(
            actor=request.user,
            task=task,
            payload=serializer.to_payload(values),
            files={"attachment": attachment} if attachment is not None else None,
        )
        return Response(self._completed(task))

    def _follow_up_complete(self, task):
        """A trial's follow-up task (an overdue report): a case officer records it done."""
        serializer = PAYLOADS["report_overdue"](data=self.request.data)
        serializer.is_valid(raise_exception=True)
        follow_up.overdue_task_complete(
            actor=self.request.user, task=task, note=serializer.validated_data.get("note", "")
        )
        task.refresh_from_db()
        return Response(
            {
                "id": task.pk,
                "step": task.flow_task.name,
                "status": task.status,
                "case": CaseSummarySerializer(task.process.trialprocess.trial.application).data,
                "next_tasks": [],
            }
        )

    def _refuse_early(self, task) -> None:
        """The role before the payload: a user who may not do the step gets 403 (or 409 for
        a task that is no longer open) whatever they send; the service checks again under
        the lock."""
        user = self.request.user
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
            raise TaskDone(selectors.task_gone_reason(task, user))
        if task.status == STATUS.ASSIGNED and task.owner_id != user.pk:
            raise PermissionDenied(_("Someone else has this task."))
        if task.status == STATUS.NEW and not selectors.may_take(user, task):
            refusal = selectors.task_refusal(user, task)
            raise PermissionDenied(refusal or _("You cannot take this task."))

    def _completed(self, task) -> dict:
        task.refresh_from_db()
        process = selectors.case_process(task)
        next_tasks = (
            selectors.tasks_for_user(self.request.user)
            .filter(process_id=task.process_id)
            .order_by("created", "pk")
        )
        return TaskCompletedSerializer(
            {
                "id": task.pk,
                "step": task.flow_task.name,
                "status": task.status,
                "case": process.application,
                "next_tasks": selectors.task_rows(list(next_tasks)),
            },
            context={"allowed_actions": self._allowed_actions()},
        ).data
