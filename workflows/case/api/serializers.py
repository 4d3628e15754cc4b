"""Shapes of the case-handling API.

Output serializers describe cases and tasks; the payload serializers (one per step) only
check the shape of what a person sends to complete a task and turn it into the Python
payload ``workflows.case.services.task_complete`` hands to the step's handler: lists keyed by
exemption id become dicts keyed by int, citation keys become ``Provision`` objects. Every
rule about the content stays in ``trials.services``.
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.models import AuditEvent, JournalDocument, JournalEntry
from legal.api.serializers import MinistrySerializer
from legal.models import Provision
from trials import labels
from trials.api.serializers import OrganisationSummarySerializer, StatusLabelField
from trials.choices import (
    ApplicationStatus,
    Assessment,
    ConsultationStatus,
    ExemptionStatus,
    Outcome,
    Position,
    ProposalStatus,
    Stage,
)
from trials.models import (
    Application,
    Consultation,
    ConsultationAnswer,
    DecisionProposal,
    ExemptionRequest,
    InformationRequest,
    InterimReply,
    Trial,
)
from workflows.case.selectors import consultations_of, document_is_downloadable

# --- small pieces ---------------------------------------------------------------------------


def _one_of(choices) -> str:
    return "One of: " + ", ".join(choices.values) + "."


def _action_field(choices: dict[str, str]) -> serializers.ChoiceField:
    """A choice given inline in the schema: two steps name different choices ``action``."""
    field = serializers.ChoiceField(
        choices=list(choices.items()),
        help_text="; ".join(f"{key}: {label}" for key, label in choices.items()) + ".",
    )
    return extend_schema_field({"type": "string", "enum": list(choices)})(field)


class UserSummarySerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class CallSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class CaseSummarySerializer(serializers.ModelSerializer):
    """The case a task belongs to (``id`` is the application id)."""

    municipality = OrganisationSummarySerializer(source="lead_organisation")
    status = serializers.CharField(help_text=_one_of(ApplicationStatus))
    status_label = StatusLabelField()

    class Meta:
        model = Application
        fields = ["id", "reference", "title", "status", "status_label", "municipality"]
        read_only_fields = fields


# --- tasks -----------------------------------------------------------------------------------


class TaskSerializer(serializers.Serializer):
    """One task as a row of the inbox or queue (built from ``workflows.case.selectors.TaskRow``)."""

    id = serializers.IntegerField(source="task.pk")
    step = serializers.CharField(help_text="The flow node: register, assess, consult, …")
    title = serializers.CharField()
    status = serializers.CharField(source="task.status", help_text="NEW (in a queue) or ASSIGNED.")
    case = CaseSummarySerializer(source="application")
    ministry = serializers.SerializerMethodField()
    owner = UserSummarySerializer(source="task.owner", allow_null=True)
    created = serializers.DateTimeField(source="task.created")
    due_date = serializers.DateField(source="due")
    overdue = serializers.BooleanField()
    allowed_actions = serializers.SerializerMethodField()
    extension = serializers.IntegerField(
        source="extension_id",
        allow_null=True,
        help_text="The application for extension the case is about (null: the application).",
    )
    trial = serializers.SerializerMethodField()

    def get_trial(self, row) -> int | None:
        """A trial's follow-up task (step report_overdue): the trial's id."""
        return row.trial.pk if row.trial is not None else None

    def get_ministry(self, row) -> str | None:
        """For consultation tasks: the code of the consulted ministry."""
        return row.task.data.get("ministry") if row.task.data else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, row) -> list[str]:
        """``claim``, ``unassign``, ``complete``, ``reassign``: what the user may do now."""
        return self.context["allowed_actions"](row.task)


class ExemptionForTaskSerializer(serializers.ModelSerializer):
    provision = serializers.CharField(
        source="provision.citation_key",
        allow_null=True,
        help_text="Citation key; null while only the citation as written is known.",
    )
    label = serializers.CharField(source="provision_label")
    status = serializers.CharField(help_text=_one_of(ExemptionStatus))
    assessment = serializers.CharField(
        help_text="Empty until assessed; else " + _one_of(Assessment)
    )
    assessment_note = serializers.SerializerMethodField()
    suggestion = serializers.SerializerMethodField()

    class Meta:
        model = ExemptionRequest
        fields = [
            "id",
            "provision",
            "label",
            "citation_text",
            "subsection",
            "current_rule",
            "proposed_arrangement",
            "justification",
            "consequences",
            "status",
            "assessment",
            "assessment_note",
            "suggestion",
        ]
        read_only_fields = fields

    def get_assessment_note(self, exemption) -> str | None:
        """Hidden (null) for consulted ministries until the decision."""
        return exemption.assessment_note if self.context.get("show_notes", True) else None

    def get_suggestion(self, exemption) -> str | None:
        """For the assess step: what the law register suggests (an assessment value)."""
        suggestion = self.context.get("suggestions", {}).get(exemption.pk)
        return suggestion or None


class ConsultationSerializer(serializers.ModelSerializer):
    ministry = MinistrySerializer()
    status = serializers.CharField(help_text=_one_of(ConsultationStatus))
    exemptions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "ministry",
            "status",
            "due_date",
            "message",
            "exemptions",
            "sent_at",
            "answered_at",
            "statement",
            "closed_reason",
        ]
        read_only_fields = fields


class ProposedOutcomeSerializer(serializers.Serializer):
    exemption = serializers.IntegerField()
    outcome = serializers.CharField()
    reasons = serializers.CharField()
    conditions = serializers.CharField()


class ProposalSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text=_one_of(ProposalStatus))
    outcomes = serializers.SerializerMethodField()
    grant = serializers.SerializerMethodField()
    proposed_by = UserSummarySerializer()
    reviewed_by = UserSummarySerializer(allow_null=True)

    class Meta:
        model = DecisionProposal
        fields = [
            "id",
            "status",
            "summary",
            "outcomes",
            "grant",
            "proposed_by",
            "proposed_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = fields

    def get_grant(self, proposal) -> bool | None:
        """An extension's proposal: grant (true) or refuse; null for an application's."""
        return proposal.grants_extension if proposal.extension_id else None

    @extend_schema_field(ProposedOutcomeSerializer(many=True))
    def get_outcomes(self, proposal):
        if proposal.extension_id is not None:  # an extension's proposal: ``grant`` says it
            return []
        return [
            {"exemption": int(exemption_id), **spec}
            for exemption_id, spec in sorted(proposal.outcomes.items(), key=lambda i: int(i[0]))
        ]


class CaseInformationRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = InformationRequest
        fields = ["id", "message", "due_date", "requested_at", "answered_at", "answer_text"]
        read_only_fields = fields


class InterimReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = InterimReply
        fields = ["id", "reason", "expected_decision", "sent_at"]
        read_only_fields = fields


class ExtensionForTaskSerializer(serializers.Serializer):
    """The application for extension a task's case is about."""

    id = serializers.IntegerField()
    trial = serializers.IntegerField(source="trial_id")
    months = serializers.IntegerField(allow_null=True)
    reform_reference = serializers.CharField()
    reform_date = serializers.DateField(allow_null=True)
    justification = serializers.CharField()
    requested_at = serializers.DateTimeField(allow_null=True)
    registered_at = serializers.DateTimeField(allow_null=True)
    assessment_note = serializers.CharField()
    trial_ends_on = serializers.DateField(source="trial.ends_on")


class TaskDetailSerializer(TaskSerializer):
    """The task with what its step needs (``workflows.case.selectors.TaskContext``, which the
    task page shows too)."""

    payload = serializers.CharField(
        help_text=(
            "The TaskCompletePayload variant the complete endpoint expects for this step, "
            "e.g. AssessmentPayload (schema component AssessmentPayloadRequest)."
        )
    )
    exemptions = serializers.SerializerMethodField()
    consultation = ConsultationSerializer(allow_null=True)
    proposal = ProposalSerializer(
        allow_null=True,
        help_text="approve: the pending proposal; propose: the last returned one, if any.",
    )
    information_request = CaseInformationRequestSerializer(
        allow_null=True, help_text="answer_overdue: the unanswered request."
    )
    interim_reply = InterimReplySerializer(
        allow_null=True, help_text="interim_reply: the last preliminary answer sent, if any."
    )
    assignees = UserSummarySerializer(
        many=True, help_text="Who the user may give the task to (when they may reassign it)."
    )
    extension_application = ExtensionForTaskSerializer(
        allow_null=True, help_text="The application for extension, in an extension's case."
    )

    def to_representation(self, instance):
        row_context = {**self.context, "allowed_actions": lambda task: instance.access.actions}
        data = TaskSerializer(context=row_context).to_representation(instance.row)
        data["payload"] = self.context["payload"]
        data["exemptions"] = self.get_exemptions(instance)
        for name in ("consultation", "proposal", "information_request", "interim_reply"):
            value = getattr(instance, name)
            data[name] = self.fields[name].to_representation(value) if value else None
        assignees = instance.assignees if instance.assignees is not None else []
        data["assignees"] = UserSummarySerializer(assignees, many=True).data
        extension = instance.extension
        data["extension_application"] = (
            ExtensionForTaskSerializer(extension).data if extension is not None else None
        )
        return data

    @extend_schema_field(ExemptionForTaskSerializer(many=True))
    def get_exemptions(self, instance):
        """The application's exemptions; for consult tasks those in the consultation."""
        return ExemptionForTaskSerializer(
            instance.step_exemptions,
            many=True,
            context={"show_notes": instance.show_notes, "suggestions": instance.suggestions},
        ).data


class TaskCompletedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    step = serializers.CharField()
    status = serializers.CharField(help_text="DONE.")
    case = CaseSummarySerializer()
    next_tasks = TaskSerializer(
        many=True, help_text="The case's open tasks the user can see now (their inbox or queue)."
    )


class ReassignSerializer(serializers.Serializer):
    username = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="Who gets the task.",
    )


# --- cases -----------------------------------------------------------------------------------


class OpenStepSerializer(serializers.Serializer):
    task = serializers.IntegerField(source="task.pk")
    step = serializers.CharField()
    title = serializers.CharField()
    ministry = serializers.SerializerMethodField()
    owner = UserSummarySerializer(source="task.owner", allow_null=True)
    due_date = serializers.DateField(source="due")

    def get_ministry(self, row) -> str | None:
        return row.task.data.get("ministry") if row.task.data else None


class CaseListSerializer(serializers.Serializer):
    """A case (``id`` is the application id: the same as in /applications/)."""

    id = serializers.IntegerField(source="application.pk")
    reference = serializers.CharField(source="application.reference")
    title = serializers.CharField(source="application.title")
    status = serializers.CharField(
        source="application.status", help_text=_one_of(ApplicationStatus)
    )
    status_label = StatusLabelField(source="application")
    stage = serializers.CharField(source="application.stage", help_text=_one_of(Stage))
    lead_organisation = OrganisationSummarySerializer(source="application.lead_organisation")
    case_number = serializers.SerializerMethodField()
    officer = UserSummarySerializer(allow_null=True)
    open_steps = serializers.SerializerMethodField()
    call = CallSummarySerializer(source="application.call", allow_null=True)

    def get_case_number(self, process) -> str | None:
        """The ministry's case number (``2026/000012``) once registered."""
        return self.context["case_numbers"].get(process.application_id)

    @extend_schema_field(OpenStepSerializer(many=True))
    def get_open_steps(self, process):
        return OpenStepSerializer(self.context["open_steps"].get(process.pk, []), many=True).data


class ConsultationAnswerSerializer(serializers.ModelSerializer):
    ministry = serializers.CharField(source="consultation.ministry.code")
    position = serializers.CharField(help_text=_one_of(Position))

    class Meta:
        model = ConsultationAnswer
        fields = ["ministry", "position", "statement"]
        read_only_fields = fields


class ExemptionForCaseSerializer(ExemptionForTaskSerializer):
    consultation_answers = ConsultationAnswerSerializer(many=True)
    outcome = serializers.CharField(help_text="Empty until decided; else " + _one_of(Outcome))

    class Meta(ExemptionForTaskSerializer.Meta):
        fields = [
            "id",
            "provision",
            "label",
            "citation_text",
            "status",
            "assessment",
            "assessment_note",
            "outcome",
            "outcome_reasons",
            "conditions",
            "consultation_answers",
        ]
        read_only_fields = fields


class JournalDocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = JournalDocument
        fields = ["id", "title", "content_type", "is_main", "download_url"]
        read_only_fields = fields

    def get_download_url(self, document) -> str | None:
        """GET it with the same credentials; null when no file is stored for it."""
        if not document_is_downloadable(document):
            return None
        case = document.entry.case
        path = reverse("case-document", kwargs={"pk": case.object_id, "document_id": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class JournalEntrySerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="journal_number", help_text="Journal number YYYY/NNNNNN.")
    document_number = serializers.CharField(help_text="Case number and number in the case.")
    type = serializers.CharField(source="entry_type", help_text="I, U, N or X (Noark 5).")
    date = serializers.DateField(source="document_date")
    correspondent = serializers.SerializerMethodField()
    screening_basis = serializers.CharField(help_text="Empty when public, else the legal basis.")
    documents = JournalDocumentSerializer(many=True)

    class Meta:
        model = JournalEntry
        fields = [
            "number",
            "document_number",
            "type",
            "date",
            "title",
            "correspondent",
            "is_public",
            "screening_basis",
            "documents",
        ]
        read_only_fields = fields

    def get_correspondent(self, entry) -> str:
        return entry.correspondent.name if entry.correspondent else entry.correspondent_name


class AuditChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The changed field.")
    old = serializers.JSONField(allow_null=True, help_text="Its value before.")
    new = serializers.JSONField(allow_null=True, help_text="Its value after.")


class HistoryEventSerializer(serializers.ModelSerializer):
    """One audit event; the labels are the case page's (``trials.labels``), stage-aware when
    the context gives the application's ``stage``."""

    at = serializers.DateTimeField(source="created_at")
    actor = UserSummarySerializer(allow_null=True, help_text="Null for automatic events.")
    action_label = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField(
        help_text="What an edit changed, field by field; empty for other events."
    )
    details = serializers.SerializerMethodField(
        help_text="Further facts of the event: a timer's title and due time, a mail's "
        "recipient, a file's name and SHA-256."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "at",
            "actor",
            "action",
            "action_label",
            "from_state",
            "to_state",
            "reason",
            "changes",
            "details",
        ]
        read_only_fields = fields

    def get_action_label(self, event) -> str:
        return labels.action_label(event.action, stage=self.context.get("stage", ""))

    @extend_schema_field(AuditChangeSerializer(many=True))
    def get_changes(self, event) -> list:
        return list((event.data or {}).get("changes", []))

    @extend_schema_field(serializers.DictField())
    def get_details(self, event) -> dict:
        return {
            key: value
            for key, value in (event.data or {}).items()
            if key in {"title", "timer", "due", "name", "sha256", "kind", "to", "provision"}
        }


class TrialSummarySerializer(serializers.ModelSerializer):
    exemptions = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="The granted exemption requests."
    )

    class Meta:
        model = Trial
        fields = ["id", "starts_on", "ends_on", "exemptions"]
        read_only_fields = fields


class CaseDetailSerializer(CaseListSerializer):
    """The case with everything the officer's case page shows.

    For consulted ministries, assessment notes and proposals stay hidden until the decision.
    """

    submitted_at = serializers.DateTimeField(source="application.submitted_at")
    registered_at = serializers.DateTimeField(source="application.registered_at")
    decided_at = serializers.DateTimeField(source="application.decided_at")
    decision_summary = serializers.CharField(source="application.decision_summary")
    exemptions = serializers.SerializerMethodField()
    consultations = serializers.SerializerMethodField()
    information_requests = CaseInformationRequestSerializer(
        source="application.information_requests", many=True
    )
    interim_replies = InterimReplySerializer(source="application.interim_replies", many=True)
    journal = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    proposals = serializers.SerializerMethodField()
    trial = serializers.SerializerMethodField()

    def _show_notes(self) -> bool:
        return self.context["show_notes"]

    @extend_schema_field(ExemptionForCaseSerializer(many=True))
    def get_exemptions(self, process):
        own_answers = ConsultationAnswer.objects.filter(
            consultation__extension__isnull=True
        ).select_related("consultation__ministry")
        exemptions = process.application.exemption_requests.select_related(
            "provision__act"
        ).prefetch_related(Prefetch("consultation_answers", queryset=own_answers))
        return ExemptionForCaseSerializer(
            exemptions, many=True, context={"show_notes": self._show_notes()}
        ).data

    @extend_schema_field(ConsultationSerializer(many=True))
    def get_consultations(self, process):
        consultations = consultations_of(process.application)
        return ConsultationSerializer(consultations, many=True).data

    @extend_schema_field(JournalEntrySerializer(many=True))
    def get_journal(self, process):
        return JournalEntrySerializer(self.context["journal"], many=True, context=self.context).data

    @extend_schema_field(HistoryEventSerializer(many=True))
    def get_history(self, process):
        """The audit trail, oldest first; for consulted ministries only after the decision
        (it holds the assessment notes)."""
        if not self._show_notes():
            return []
        return HistoryEventSerializer(
            self.context["history"], many=True, context={"stage": process.application.stage}
        ).data

    @extend_schema_field(ProposalSerializer(many=True))
    def get_proposals(self, process):
        """Newest first; empty for consulted ministries until the decision."""
        if not self._show_notes():
            return []
        proposals = process.application.proposals.filter(extension__isnull=True).select_related(
            "proposed_by", "reviewed_by"
        )
        return ProposalSerializer(proposals, many=True).data

    @extend_schema_field(TrialSummarySerializer(allow_null=True))
    def get_trial(self, process):
        trial = getattr(process.application, "trial", None)
        return TrialSummarySerializer(trial).data if trial is not None else None


# --- payloads to complete a task, one per step -------------------------------------------------

LETTER_LANGUAGE_HELP = (
    "The written form of the letter this step sends: nb (bokmål) or nn (nynorsk). Required "
    "when the recipient has not recorded one (neutral, språklova § 11); a recorded form "
    "always wins."
)


def _letter_language_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=["nb", "nn"], required=False, allow_blank=True, help_text=LETTER_LANGUAGE_HELP
    )


class RegisterPayload(serializers.Serializer):
    """register: opens the case file, journals the application and sends a receipt."""

    letter_language = _letter_language_field()

    def to_payload(self, data) -> dict:
        return dict(data)


class RegisterPayloadSchema(OpenApiSerializerExtension):
    """An empty object is still a payload: keep it in TaskCompletePayload's oneOf."""

    target_class = RegisterPayload

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": RegisterPayload.__doc__,
            "properties": {
                "letter_language": {
                    "type": "string",
                    "enum": ["nb", "nn", ""],
                    "description": LETTER_LANGUAGE_HELP,
                }
            },
            "additionalProperties": False,
        }


class CompletenessPayload(serializers.Serializer):
    """check_completeness: accept as complete, or ask the applicant for more information."""

    complete = serializers.BooleanField(help_text="True: complete. False: ask for more.")
    message = serializers.CharField(
        required=False, allow_blank=True, help_text="When not complete: what is needed."
    )
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text="When not complete: answer by (default 14 days)."
    )
    letter_language = _letter_language_field()

    def to_payload(self, data) -> dict:
        return dict(data)


class AnswerOverduePayload(serializers.Serializer):
    """answer_overdue: the applicant did not answer in time."""

    action = _action_field(
        {
            "continue": "go on with what the case holds",
            "extend": "give the applicant a new deadline",
            "close": "close the case (the application is rejected)",
        }
    )
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text="extend: the new deadline."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="continue/close: why (required to close)."
    )
    letter_language = _letter_language_field()

    def to_payload(self, data) -> dict:
        return dict(data)


def _keyed_by_exemption(items, fields) -> dict[int, dict]:
    return {
        item["exemption"]: {name: item[name] for name in fields if name in item} for item in items
    }


def _unique_exemptions(items):
    ids = [item["exemption"] for item in items]
    if len(set(ids)) != len(ids):
        raise serializers.ValidationError("Give each exemption once.")
    return items


class ExemptionAssessmentSerializer(serializers.Serializer):
    exemption = serializers.IntegerField(help_text="Exemption request id.")
    assessment = serializers.ChoiceField(choices=Assessment.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="Required unless within_scope."
    )
    provision = serializers.SlugRelatedField(
        slug_field="citation_key",
        queryset=Provision.objects.select_related("act"),
        required=False,
        allow_null=True,
        help_text=(
            "Citation key, e.g. LOV-2011-06-24-30/§3-2: resolves a request the register could "
            "not resolve from the citation as written."
        ),
    )


class AssessmentPayload(serializers.Serializer):
    """assess: an assessment per exemption request, then the consultation letters."""

    assessments = ExemptionAssessmentSerializer(many=True, allow_empty=False)
    skip_consultation = serializers.BooleanField(
        required=False, default=False, help_text="Preliminary applications only."
    )
    consultation_due_date = serializers.DateField(
        required=False, allow_null=True, help_text="Answer by (default 21 days)."
    )
    consultation_message = serializers.CharField(required=False, allow_blank=True)
    letter_language = _letter_language_field()

    def validate_assessments(self, items):
        return _unique_exemptions(items)

    def to_payload(self, data) -> dict:
        payload = dict(data)
        payload["assessments"] = _keyed_by_exemption(
            data["assessments"], ("assessment", "note", "provision")
        )
        return payload


class ExemptionPositionSerializer(serializers.Serializer):
    exemption = serializers.IntegerField(help_text="Exemption request id.")
    position = serializers.ChoiceField(choices=Position.choices)
    statement = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Required when opposing or supporting with conditions.",
    )


class ConsultationAnswerPayload(serializers.Serializer):
    """consult: the consulted ministry's position on each exemption in the consultation."""

    positions = ExemptionPositionSerializer(many=True, allow_empty=False)
    statement = serializers.CharField(required=False, allow_blank=True)

    def validate_positions(self, items):
        return _unique_exemptions(items)

    def to_payload(self, data) -> dict:
        return {
            "positions": _keyed_by_exemption(data["positions"], ("position", "statement")),
            "statement": data.get("statement", ""),
        }


class ConsultationAnswerUploadPayload(ConsultationAnswerPayload):
    """consult, as multipart/form-data: ``positions`` as a JSON part, and a signed letter."""

    attachment = serializers.FileField(
        required=False, help_text="The ministry's letter: PDF, DOCX, ODT, PNG or JPEG."
    )


class ConsultationOverduePayload(serializers.Serializer):
    """consultation_overdue: a ministry did not answer in time."""

    action = _action_field(
        {"extend": "give the ministry a new deadline", "close": "close it unanswered"}
    )
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text="extend: the new deadline."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="close: why (required)."
    )

    def to_payload(self, data) -> dict:
        return dict(data)


class ExemptionOutcomeSerializer(serializers.Serializer):
    exemption = serializers.IntegerField(help_text="Exemption request id.")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reasons = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when refused or with conditions."
    )
    conditions = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when granted with conditions."
    )


class ProposalPayload(serializers.Serializer):
    """propose: an outcome per exemption and the decision's summary and reasons."""

    outcomes = ExemptionOutcomeSerializer(many=True, allow_empty=False)
    summary = serializers.CharField()
    letter_language = _letter_language_field()

    def validate_outcomes(self, items):
        return _unique_exemptions(items)

    def to_payload(self, data) -> dict:
        return {
            "outcomes": _keyed_by_exemption(data["outcomes"], ("outcome", "reasons", "conditions")),
            "summary": data["summary"],
            "letter_language": data.get("letter_language", ""),
        }


class ApprovalPayload(serializers.Serializer):
    """approve: approve the pending proposal (the decision is made) or return it."""

    decision = _action_field(
        {"approve": "approve the proposal", "return": "return it to the case officer"}
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, help_text="return: what should change (required)."
    )

    def to_payload(self, data) -> dict:
        return dict(data)


class InterimReplyPayload(serializers.Serializer):
    """interim_reply: a preliminary answer (forvaltningsloven § 11 a)."""

    reason = serializers.CharField(help_text="Why the case takes time.")
    expected_decision = serializers.DateField(help_text="When a decision can be expected.")
    letter_language = _letter_language_field()

    def to_payload(self, data) -> dict:
        return dict(data)


class ExtensionAssessmentPayload(serializers.Serializer):
    """assess (an application for extension): the terms, by ``months`` (at most 24 in all)
    or until a reform named by ``reform_reference`` and ``reform_date``, the assessment, and
    the consultation of the ministries owning the acts the trial deviates from."""

    months = serializers.IntegerField(required=False, allow_null=True)
    reform_reference = serializers.CharField(required=False, allow_blank=True)
    reform_date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(help_text="The officer's assessment.")
    skip_consultation = serializers.BooleanField(required=False, default=False)
    consultation_due_date = serializers.DateField(
        required=False, allow_null=True, help_text="Answer by (default 21 days)."
    )
    consultation_message = serializers.CharField(required=False, allow_blank=True)

    def to_payload(self, data) -> dict:
        return dict(data)


class ExtensionProposalPayload(serializers.Serializer):
    """propose (an application for extension): grant on the assessed terms, or refuse."""

    decision = _action_field({"grant": "grant the extension", "refuse": "refuse it"})
    reasons = serializers.CharField()

    def to_payload(self, data) -> dict:
        return dict(data)


# The steps of an extension's case whose payload differs (register and approve are the same).
EXTENSION_PAYLOADS: dict[str, type[serializers.Serializer]] = {
    "assess": ExtensionAssessmentPayload,
    "propose": ExtensionProposalPayload,
}


def payload_class(step: str, *, extension: bool) -> type[serializers.Serializer]:
    """The payload a task's step takes (an extension's case differs in two steps)."""
    return (EXTENSION_PAYLOADS.get(step) if extension else None) or PAYLOADS[step]


class FollowedUpPayload(serializers.Serializer):
    """report_overdue (a trial's follow-up): the officer has followed up the overdue report."""

    note = serializers.CharField(
        required=False, allow_blank=True, help_text="What was done (asked again, waived)."
    )

    def to_payload(self, data) -> dict:
        return dict(data)


PAYLOADS: dict[str, type[serializers.Serializer]] = {
    "register": RegisterPayload,
    "check_completeness": CompletenessPayload,
    "answer_overdue": AnswerOverduePayload,
    "assess": AssessmentPayload,
    "consult": ConsultationAnswerPayload,
    "consultation_overdue": ConsultationOverduePayload,
    "propose": ProposalPayload,
    "approve": ApprovalPayload,
    "interim_reply": InterimReplyPayload,
    "report_overdue": FollowedUpPayload,
}
