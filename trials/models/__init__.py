from trials.models.applications import (
    Application,
    ApplicationPurpose,
    Attachment,
    Call,
    ContactPerson,
    ExemptionRequest,
    InformationRequest,
    attachment_path,
)
from trials.models.casehandling import (
    Consultation,
    ConsultationAnswer,
    DecisionProposal,
    InterimReply,
)
from trials.models.lifecycle import (
    Evaluation,
    Extension,
    FollowUpObligation,
    Regulation,
    Report,
    ReportAttachment,
    Trial,
    TrialNotice,
)

__all__ = [
    "Application",
    "ApplicationPurpose",
    "Attachment",
    "Call",
    "Consultation",
    "ConsultationAnswer",
    "ContactPerson",
    "DecisionProposal",
    "Evaluation",
    "ExemptionRequest",
    "Extension",
    "FollowUpObligation",
    "InformationRequest",
    "InterimReply",
    "Regulation",
    "Report",
    "ReportAttachment",
    "Trial",
    "TrialNotice",
    "attachment_path",
]
