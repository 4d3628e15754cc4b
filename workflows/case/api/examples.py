"""Examples for the OpenAPI description of the case-handling API."""

from drf_spectacular.utils import OpenApiExample

LILLEHAMMER = {"number": "3405", "name": "Lillehammer"}
OFFICER = {"username": "sara.kdd", "name": "Sara Saksbehandler"}
LEADER = {"username": "leder.kdd", "name": "Lise Leder"}
CASE = {
    "id": 42,
    "reference": "FRI-2026-0042",
    "title": "Felles skolerute for ungdomsskolane",
    "status": "under_review",
    "status_label": "Under review",
    "municipality": LILLEHAMMER,
}
TASK_VALUE = {
    "id": 311,
    "step": "assess",
    "title": "Assess each requested exemption",
    "status": "ASSIGNED",
    "case": CASE,
    "ministry": None,
    "owner": OFFICER,
    "created": "2026-03-02T09:14:00+01:00",
    "due_date": "2026-03-16",
    "overdue": False,
    "allowed_actions": ["unassign", "complete", "reassign"],
}
EXEMPTION_FOR_TASK = {
    "id": 7,
    "provision": "LOV-2023-06-09-30/§13-1",
    "label": "opplæringslova § 13-1",
    "citation_text": "",
    "subsection": None,
    "current_rule": "Eleven kan visast bort for inntil tre dagar.",
    "proposed_arrangement": "Rektor kan i staden vedta ein tilpassa skuledag.",
    "justification": "Bortvising fører til fråvær utan læring.",
    "consequences": "",
    "status": "requested",
    "assessment": "",
    "assessment_note": "",
    "suggestion": "sector_provision",
}

TASK_LIST = OpenApiExample(
    "Inbox",
    value={"count": 1, "next": None, "previous": None, "results": [TASK_VALUE]},
    response_only=True,
)
TASK_DETAIL = OpenApiExample(
    "An assess task",
    value={
        **TASK_VALUE,
        "payload": "AssessmentPayload",
        "exemptions": [EXEMPTION_FOR_TASK],
        "consultation": None,
        "proposal": None,
        "information_request": None,
        "interim_reply": None,
    },
    response_only=True,
)
TASK_COMPLETED = OpenApiExample(
    "Completed",
    value={
        "id": 311,
        "step": "assess",
        "status": "DONE",
        "case": {**CASE, "status": "in_consultation", "status_label": "In consultation"},
        "next_tasks": [],
    },
    response_only=True,
)
REASSIGN = OpenApiExample("Give to a colleague", value={"username": "ola.kdd"}, request_only=True)

PAYLOADS = [
    OpenApiExample("register", value={}, request_only=True),
    OpenApiExample("check_completeness: complete", value={"complete": True}, request_only=True),
    OpenApiExample(
        "check_completeness: ask for more",
        value={
            "complete": False,
            "message": "Legg ved vedtaket i kommunestyret.",
            "due_date": "2026-04-01",
        },
        request_only=True,
    ),
    OpenApiExample(
        "answer_overdue",
        value={"action": "extend", "due_date": "2026-04-15", "reason": ""},
        request_only=True,
    ),
    OpenApiExample(
        "assess",
        value={
            "assessments": [
                {"exemption": 7, "assessment": "within_scope", "note": "", "provision": None},
                {
                    "exemption": 8,
                    "assessment": "within_scope",
                    "note": "",
                    "provision": "LOV-2011-06-24-30/§3-2",
                },
            ],
            "skip_consultation": False,
            "consultation_due_date": "2026-04-20",
            "consultation_message": "Departementet ber om synspunkt innan fristen.",
        },
        request_only=True,
    ),
    OpenApiExample(
        "consult",
        value={
            "positions": [
                {
                    "exemption": 7,
                    "position": "supports_with_conditions",
                    "statement": "Forsøket må evaluerast etter to år.",
                }
            ],
            "statement": "KD stør forsøket.",
        },
        request_only=True,
    ),
    OpenApiExample(
        "consultation_overdue",
        value={"action": "close", "reason": "Departementet har ikkje svart."},
        request_only=True,
    ),
    OpenApiExample(
        "propose",
        value={
            "outcomes": [
                {"exemption": 7, "outcome": "granted", "reasons": "", "conditions": ""},
                {
                    "exemption": 8,
                    "outcome": "refused",
                    "reasons": "Unntaket går ut over retten til helsehjelp.",
                    "conditions": "",
                },
            ],
            "summary": "Forsøket blir godkjent for opplæringslova § 13-1.",
        },
        request_only=True,
    ),
    OpenApiExample(
        "approve",
        value={"decision": "approve", "comment": ""},
        request_only=True,
    ),
    OpenApiExample(
        "approve: return",
        value={"decision": "return", "comment": "Grunngi avslaget nærare."},
        request_only=True,
    ),
    OpenApiExample(
        "interim_reply",
        value={
            "reason": "Fagdepartementa treng meir tid.",
            "expected_decision": "2026-06-01",
        },
        request_only=True,
    ),
]

CASE_LIST_VALUE = {
    "id": 42,
    "reference": "FRI-2026-0042",
    "title": "Felles skolerute for ungdomsskolane",
    "status": "in_consultation",
    "status_label": "In consultation with ministries",
    "stage": "preliminary",
    "lead_organisation": LILLEHAMMER,
    "case_number": "2026/000012",
    "officer": OFFICER,
    "open_steps": [
        {
            "task": 318,
            "step": "consult",
            "title": "Answer the consultation",
            "ministry": "KD",
            "owner": None,
            "due_date": "2026-04-20",
        }
    ],
    "call": {"id": 3, "title": "Søknadsrunde 2026"},
}
CASE_LIST = OpenApiExample(
    "Cases",
    value={"count": 1, "next": None, "previous": None, "results": [CASE_LIST_VALUE]},
    response_only=True,
)
CASE_DETAIL = OpenApiExample(
    "A case (shortened)",
    value={
        **CASE_LIST_VALUE,
        "submitted_at": "2026-02-27T15:02:11+01:00",
        "registered_at": "2026-03-02T09:10:00+01:00",
        "decided_at": None,
        "decision_summary": "",
        "exemptions": [
            {
                "id": 7,
                "provision": "LOV-2023-06-09-30/§13-1",
                "label": "opplæringslova § 13-1",
                "citation_text": "",
                "status": "assessed",
                "assessment": "within_scope",
                "assessment_note": "",
                "outcome": "",
                "outcome_reasons": "",
                "conditions": "",
                "consultation_answers": [],
            }
        ],
        "consultations": [
            {
                "id": 5,
                "ministry": {"code": "KD", "name": "Kunnskapsdepartementet"},
                "status": "open",
                "due_date": "2026-04-20",
                "message": "",
                "exemptions": [7],
                "sent_at": "2026-03-30T10:00:00+02:00",
                "answered_at": None,
                "statement": "",
                "closed_reason": "",
            }
        ],
        "information_requests": [],
        "interim_replies": [],
        "journal": [
            {
                "number": "2026/000031",
                "document_number": "2026/000012-1",
                "type": "I",
                "date": "2026-02-27",
                "title": "Søknad om forsøk – Felles skolerute for ungdomsskolane",
                "correspondent": "Lillehammer",
                "is_public": True,
                "screening_basis": "",
            }
        ],
        "proposals": [],
        "trial": None,
    },
    response_only=True,
)
FIELD_ERRORS = OpenApiExample(
    "Field errors",
    value={"assessments": {"0": {"provision": ["Object with citation_key=LOV-X does not exist."]}}},
    response_only=True,
    status_codes=["400"],
)
FOUR_EYES = OpenApiExample(
    "Four eyes",
    value={"detail": "You cannot approve your own proposal (four-eyes principle)."},
    response_only=True,
    status_codes=["403"],
)
TASK_DONE = OpenApiExample(
    "Taken or done by someone else",
    value={"detail": "Kari Nordmann has already completed this task."},
    description=(
        "Says what happened: someone else has taken the task, it has been completed, or the "
        "application has been withdrawn."
    ),
    response_only=True,
    status_codes=["409"],
)
