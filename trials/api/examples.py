"""Examples for the OpenAPI description of the applications API."""

from drf_spectacular.utils import OpenApiExample

from trials.rules import PERIOD_RANGE_EXAMPLE

LILLEHAMMER = {"number": "3405", "name": "Lillehammer"}
HAMAR = {"number": "3403", "name": "Hamar"}

EXEMPTION_SUMMARY = {
    "id": 7,
    "order": 1,
    "provision": "LOV-2023-06-09-30/§13-1",
    "label": "opplæringslova § 13-1",
    "is_resolved": True,
    "status": "requested",
    "status_label": "Requested",
}
EXEMPTION_VALUE = {
    "id": 7,
    "order": 1,
    "provision": "LOV-2023-06-09-30/§13-1",
    "act": "LOV-2023-06-09-30",
    "act_short_title": "opplæringslova",
    "section": "§ 13-1",
    "heading": "Bortvising",
    "lovdata_url": "https://lovdata.no/dokument/NL/lov/2023-06-09-30/§13-1",
    "citation_text": "",
    "label": "opplæringslova § 13-1",
    "is_resolved": True,
    "subsection": None,
    "current_rule": "Only the headteacher may decide on bortvising.",
    "proposed_arrangement": "The team leader may decide for up to one day.",
    "justification": "Faster and closer decisions.",
    "consequences": "The pupil keeps the right to be heard and to complain.",
    "status": "requested",
    "status_label": "Requested",
    "warnings": [
        {
            "kind": "sector_trial_provision",
            "text": (
                "opplæringslova has its own trial provision (§ 29-3). A trial that deviates "
                "from this act may have to be approved under that provision instead of "
                "forsøksloven."
            ),
        }
    ],
}
ATTACHMENT_VALUE = {
    "id": 12,
    "kind": "council_decision",
    "kind_label": "Council decision (kommunestyre/fylkesting)",
    "organisation": LILLEHAMMER,
    "original_name": "kommunestyrevedtak.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "sha256": "9f2c0d3b5e8a4f1c7d6e2b9a0c3f5e8d1a4b7c0e3f6a9d2c5b8e1f4a7d0c3b6e",
    "description": "Kommunestyret 12. mars, sak 14/25",
    "screening_basis": "",
    "is_public": True,
    "answer": None,
    "uploaded_at": "2025-03-14T09:30:00+01:00",
    "download_url": "https://frikommune.example/api/v1/applications/42/attachments/12/download/",
}
APPLICATION_VALUE = {
    "id": 42,
    "reference": "FRI-2025-0042",
    "title": "Team leaders decide on short bortvising",
    "status": "draft",
    "status_label": "Draft",
    "stage": "preliminary",
    "stage_label": "Preliminary application (forhåndssøknad)",
    "call": 3,
    "lead_organisation": LILLEHAMMER,
    "co_applicants": [HAMAR],
    "created_at": "2025-03-01T10:00:00+01:00",
    "updated_at": "2025-03-14T09:30:00+01:00",
    "submitted_at": None,
    "preliminary": None,
    "summary": "Schools try letting team leaders decide on short bortvising.",
    "description": "Two lower secondary schools in each municipality take part.",
    "categories": ["a"],
    "expected_effects": "Faster reactions, fewer formal cases.",
    "effect_measurement": "Number and length of bortvisinger before and during the trial.",
    "affected_services": "Lower secondary schools",
    "affected_citizens": "Pupils in years 8 to 10 and their parents",
    "involvement": "Union representatives and pupil councils were heard in January.",
    "requested_start": "2025-08-15",
    "period_months": 36,
    "withdrawn_reason": "",
    "purposes": [
        {
            "purpose": "services",
            "purpose_label": "Better services to citizens",
            "justification": "Decisions are made by someone who knows the pupil.",
        }
    ],
    "contacts": [
        {
            "id": 3,
            "organisation": LILLEHAMMER,
            "name": "Kari Nordmann",
            "job_title": "Rådgiver",
            "email": "kari.nordmann@lillehammer.kommune.no",
            "phone": "+47 61 05 00 00",
        }
    ],
    "exemption_requests": [EXEMPTION_SUMMARY],
    "attachments": [ATTACHMENT_VALUE],
    "information_requests": [],
    "allowed_actions": ["submit", "withdraw"],
}

APPLICATION = OpenApiExample(
    "Application",
    value=APPLICATION_VALUE,
    response_only=True,
    status_codes=["200", "201"],
)
APPLICATION_SUBMITTED = OpenApiExample(
    "Submitted application (shortened)",
    value={
        **APPLICATION_VALUE,
        "status": "submitted",
        "status_label": "Submitted",
        "submitted_at": "2025-03-20T14:02:11+01:00",
        "allowed_actions": ["withdraw"],
    },
    response_only=True,
)
APPLICATION_WITHDRAWN = OpenApiExample(
    "Withdrawn application (shortened)",
    value={
        **APPLICATION_VALUE,
        "status": "withdrawn",
        "status_label": "Withdrawn",
        "withdrawn_reason": "The municipal council voted against the trial.",
        "allowed_actions": [],
    },
    response_only=True,
)
APPLICATION_LIST = OpenApiExample(
    "My applications",
    value={
        key: APPLICATION_VALUE[key]
        for key in (
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
        )
    },
    response_only=True,
)
APPLICATION_CREATE = OpenApiExample(
    "New joint draft",
    value={
        "lead_organisation": "3405",
        "title": "Team leaders decide on short bortvising",
        "stage": "preliminary",
        "call": 3,
        "description": "Two lower secondary schools in each municipality take part.",
        "categories": ["a"],
        "requested_start": "2025-08-15",
        "period_months": 36,
        "co_applicants": ["3403"],
        "purposes": [
            {
                "purpose": "services",
                "justification": "Decisions are made by someone who knows the pupil.",
            }
        ],
    },
    request_only=True,
)
APPLICATION_UPDATE = OpenApiExample(
    "Whole draft",
    value={
        "title": "Team leaders decide on short bortvising",
        "stage": "preliminary",
        "description": "Three lower secondary schools in each municipality take part.",
        "period_months": 36,
        "requested_start": "2025-08-15",
    },
    request_only=True,
)
APPLICATION_PATCH = OpenApiExample(
    "Change the period",
    value={"period_months": 24, "co_applicants": []},
    request_only=True,
)
WITHDRAW = OpenApiExample(
    "Withdraw",
    value={"reason": "The municipal council voted against the trial."},
    request_only=True,
)
ANSWER = OpenApiExample(
    "Answer",
    value={"text": "The schools' union representatives agreed on 3 April; minutes attached."},
    request_only=True,
)

EXEMPTION = OpenApiExample(
    "Exemption request",
    value=EXEMPTION_VALUE,
    response_only=True,
    status_codes=["200", "201"],
)
EXEMPTION_LIST = OpenApiExample("Exemption requests", value=EXEMPTION_VALUE, response_only=True)
EXEMPTION_BY_KEY = OpenApiExample(
    "By citation key",
    value={
        "provision": "LOV-2023-06-09-30/§13-1",
        "current_rule": "Only the headteacher may decide on bortvising.",
        "proposed_arrangement": "The team leader may decide for up to one day.",
        "justification": "Faster and closer decisions.",
        "consequences": "The pupil keeps the right to be heard and to complain.",
    },
    request_only=True,
)
EXEMPTION_BY_CITATION = OpenApiExample(
    "By citation as written",
    value={
        "citation": "opplæringslova § 13-1 første ledd",
        "proposed_arrangement": "The team leader may decide for up to one day.",
        "justification": "Faster and closer decisions.",
    },
    request_only=True,
)
EXEMPTION_UPDATE = OpenApiExample(
    "Sharpen the justification",
    value={"justification": "Faster decisions by someone who knows the pupil."},
    request_only=True,
)

ATTACHMENT = OpenApiExample(
    "Attachment", value=ATTACHMENT_VALUE, response_only=True, status_codes=["201"]
)
ATTACHMENT_LIST = OpenApiExample("Attachments", value=ATTACHMENT_VALUE, response_only=True)
ATTACHMENT_UPLOAD = OpenApiExample(
    "Council decision",
    value={
        "file": "(binary)",
        "kind": "council_decision",
        "organisation": "3405",
        "description": "Kommunestyret 12. mars, sak 14/25",
    },
    request_only=True,
)
BAD_FILE = OpenApiExample(
    "Refused file",
    value={
        "file": [
            "The content of “vedtak.pdf” does not match its file name. Upload PDF, Word "
            "(DOCX), OpenDocument text (ODT), PNG or JPEG."
        ]
    },
    response_only=True,
    status_codes=["400"],
)

FIELD_ERRORS = OpenApiExample(
    "Field errors",
    value={"period_months": [PERIOD_RANGE_EXAMPLE]},
    response_only=True,
    status_codes=["400"],
)
NOT_READY = OpenApiExample(
    "Not ready",
    value={
        "non_field_errors": [
            "Describe the trial.",
            "Add at least one exemption request.",
            "Give the requested start date.",
        ]
    },
    response_only=True,
    status_codes=["400"],
)
NOT_A_DRAFT = OpenApiExample(
    "Not a draft",
    value={"detail": "Only a draft can be changed."},
    response_only=True,
    status_codes=["403"],
)
CONFLICT = OpenApiExample(
    "Changed by someone else",
    value={"detail": "Someone else changed this application. Reload and try again."},
    response_only=True,
    status_codes=["409"],
)
