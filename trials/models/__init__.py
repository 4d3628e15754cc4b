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
    Trial,
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
    "ExemptionRequest",
    "InformationRequest",
    "InterimReply",
    "Trial",
    "attachment_path",
]
