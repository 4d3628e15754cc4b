"""KDD's case handling through the REST API, end to end: every step is done by POSTing to
/api/v1/tasks/{id}/complete/ as the person whose step it is, and read back through
/api/v1/tasks/ and /api/v1/cases/. The applicant answers through the applicants' API."""

import datetime
import os
import threading
import time

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.test import APIClient

from casework.choices import EntryType, Role
from casework.models import CaseFile, JournalEntry
from casework.selectors import case_for
from casework.services import api_token_create, membership_grant
from legal.models import Provision
from tests.builders import OPPL_14_1
from tests.conftest import record_bokmal_for_neutral
from tests.factories import member, ministry, person
from tests.files import pdf_bytes, upload
from trials import services as trials
from trials.choices import ApplicationStatus, Stage
from trials.journal import journal_title
from trials.models import Application, DecisionProposal, Trial
from workflows.case import services
from workflows.case.flows import ApplicationFlow

pytestmark = pytest.mark.django_db

HOL_3_2 = "LOV-2011-06-24-30/§3-2"  # helse- og omsorgstjenesteloven: HOD's act
TASKS = "/api/v1/tasks/"
CASES = "/api/v1/cases/"
DONE_MESSAGE = "You have already completed this task."
FOUR_EYES = "You cannot approve your own proposal (four-eyes principle)."
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE); SQLite serialises writers",
)


# --- clients and steps --------------------------------------------------------------------


def api(user=None) -> APIClient:
    """An API client acting as ``user``, reading English messages."""
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_authenticate(user)
    return client


def task_url(task_id, verb="") -> str:
    return f"{TASKS}{task_id}/" + (f"{verb}/" if verb else "")


def case_url(application) -> str:
    return f"{CASES}{application.pk}/"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def find_task(user, application, step, **params) -> dict:
    """The one task of ``step`` in ``application`` that ``user`` sees in /tasks/."""
    rows = [
        row
        for row in results(api(user).get(TASKS, {"step": step, **params}))
        if row["case"]["id"] == application.pk
    ]
    assert len(rows) == 1, rows
    return rows[0]


def task_detail(user, task_id) -> dict:
    response = api(user).get(task_url(task_id))
    assert response.status_code == 200, response.content
    return response.json()


def complete(user, task_id, payload=None, *, expect=200, **kwargs) -> dict:
    response = api(user).post(
        task_url(task_id, "complete"), payload or {}, format=kwargs.pop("format", "json"), **kwargs
    )
    assert response.status_code == expect, response.content
    return response.json()


def do_step(user, application, step, payload=None, *, expect=200) -> dict:
    return complete(user, find_task(user, application, step)["id"], payload, expect=expect)


def case(user, application) -> dict:
    response = api(user).get(case_url(application))
    assert response.status_code == 200, response.content
    return response.json()


def status(application) -> str:
    return Application.objects.get(pk=application.pk).status


def exemption_ids(application) -> dict[str, int]:
    """Exemption request ids by citation key."""
    return {
        e.provision.citation_key: e.pk
        for e in application.exemption_requests.select_related("provision")
    }


def register_and_accept(officer, application) -> None:
    do_step(officer, application, "register")
    do_step(officer, application, "check_completeness", {"complete": True})


def assess_all(officer, application, *, assessment="within_scope", **extra) -> dict:
    detail = task_detail(officer, find_task(officer, application, "assess")["id"])
    return complete(
        officer,
        detail["id"],
        {
            "assessments": [
                {"exemption": e["id"], "assessment": assessment, "note": "Vurdert."}
                for e in detail["exemptions"]
            ],
            **extra,
        },
    )


def answer_consultation(consultee, application, position="supports") -> dict:
    detail = task_detail(consultee, find_task(consultee, application, "consult")["id"])
    return complete(
        consultee,
        detail["id"],
        {
            "positions": [
                {"exemption": e["id"], "position": position, "statement": "Greitt."}
                for e in detail["exemptions"]
            ],
            "statement": "Departementet har ingen merknader.",
        },
    )


def propose(officer, application, outcomes=None, summary="Forsøket blir godkjent.") -> dict:
    """``outcomes``: {citation key: outcome}; every exemption granted when left out."""
    outcomes = outcomes or {}
    return do_step(
        officer,
        application,
        "propose",
        {
            "outcomes": [
                {
                    "exemption": pk,
                    "outcome": outcomes.get(key, "granted"),
                    "reasons": "Grunngiving." if outcomes.get(key) == "refused" else "",
                }
                for key, pk in exemption_ids(application).items()
            ],
            "summary": summary,
        },
    )


def decide(approver, application, decision="approve", comment="") -> dict:
    return do_step(approver, application, "approve", {"decision": decision, "comment": comment})


def travel_to(day: datetime.date, hour=9):
    return time_machine.travel(
        timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))), tick=False
    )


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def submitted(make_ready, applicant, django_capture_on_commit_callbacks):
    """A submitted application; ``also=[citation keys]`` adds exemption requests."""

    def build(also=(), **kwargs):
        application = make_ready(**kwargs)
        for key in also:
            trials.exemption_request_create(
                actor=kwargs.get("actor", applicant),
                application=application,
                provision=Provision.objects.get(citation_key=key),
                proposed_arrangement="Éi felles teneste.",
                justification="Betre tenester.",
            )
        with django_capture_on_commit_callbacks(execute=True):
            return trials.application_submit(
                actor=kwargs.get("actor", applicant), application=application
            )

    return build


@pytest.fixture
def colleague(kdd):
    return person(kdd, Role.CASE_OFFICER, "kollega.kdd", first_name="Ola")


@pytest.fixture
def other_approver(kdd):
    return person(kdd, Role.APPROVER, "leder2.kdd", first_name="Lise")


# --- the paths through a case ---------------------------------------------------------------


def test_a_complete_case_with_two_ministries_through_the_api(
    submitted, case_officer, consultee, hod_consultee, approver, run_tasks
):
    application = submitted(also=[HOL_3_2])
    queued = find_task(case_officer, application, "register", box="queue")
    assert queued["owner"] is None
    assert queued["allowed_actions"] == ["claim", "complete", "reassign"]
    assert queued["case"]["reference"] == application.reference
    assert queued["case"]["municipality"] == {"number": "3405", "name": "Lillehammer"}

    done = complete(case_officer, queued["id"], {})
    assert done["status"] == "DONE" and done["case"]["status"] == "registered"
    assert [t["step"] for t in done["next_tasks"]] == ["check_completeness"]
    assert status(application) == ApplicationStatus.REGISTERED
    inbox = find_task(case_officer, application, "check_completeness", box="inbox")
    assert inbox["owner"]["username"] == case_officer.username
    assert inbox["allowed_actions"] == ["unassign", "complete", "reassign"]
    complete(case_officer, inbox["id"], {"complete": True})
    assert status(application) == ApplicationStatus.UNDER_REVIEW

    assess = task_detail(case_officer, find_task(case_officer, application, "assess")["id"])
    assert assess["payload"] == "AssessmentPayload"
    assert {e["provision"] for e in assess["exemptions"]} == set(exemption_ids(application))
    assert all(e["suggestion"] for e in assess["exemptions"])
    assess_all(case_officer, application, assessment="within_scope")
    assert status(application) == ApplicationStatus.IN_CONSULTATION

    ids = exemption_ids(application)
    for consultee_, key in ((consultee, "LOV-2023-06-09-30/§13-1"), (hod_consultee, HOL_3_2)):
        task = find_task(consultee_, application, "consult", box="queue")
        detail = task_detail(consultee_, task["id"])
        assert detail["consultation"]["ministry"]["code"] == task["ministry"]
        assert [e["id"] for e in detail["exemptions"]] == [ids[key]]
        assert detail["exemptions"][0]["assessment_note"] is None  # KDD's internal note
        seen = case(consultee_, application)
        assert seen["proposals"] == [] and seen["history"] == []
        assert all(e["assessment_note"] is None for e in seen["exemptions"])
        assert seen["journal"]  # the letters, as on the case page
    answer_consultation(consultee, application, "supports")
    assert status(application) == ApplicationStatus.IN_CONSULTATION
    answer_consultation(hod_consultee, application, "no_view")
    assert status(application) == ApplicationStatus.UNDER_REVIEW

    propose(case_officer, application)
    assert status(application) == ApplicationStatus.DECISION_PROPOSED
    assert case(consultee, application)["proposals"] == []
    approve = task_detail(approver, find_task(approver, application, "approve")["id"])
    assert approve["proposal"]["status"] == "pending"
    assert approve["proposal"]["proposed_by"]["username"] == case_officer.username
    assert {o["exemption"] for o in approve["proposal"]["outcomes"]} == set(ids.values())
    done = decide(approver, application)
    assert done["case"]["status"] == "approved" and done["next_tasks"] == []

    assert status(application) == ApplicationStatus.APPROVED
    run_tasks()  # the worker stores the decision letter's PDF
    seen = case(case_officer, application)
    assert seen["status"] == "approved" and seen["open_steps"] == []
    assert seen["case_number"] == case_for(application).number
    assert seen["officer"]["username"] == case_officer.username
    assert {c["ministry"]["code"]: c["status"] for c in seen["consultations"]} == {
        "HOD": "answered",
        "KD": "answered",
    }
    answers = {e["provision"]: e["consultation_answers"] for e in seen["exemptions"]}
    assert answers[HOL_3_2] == [{"ministry": "HOD", "position": "no_view", "statement": "Greitt."}]
    assert all(e["outcome"] == "granted" for e in seen["exemptions"])
    assert [p["status"] for p in seen["proposals"]] == ["approved"]
    decision_title = journal_title(
        gettext_lazy("Decision on application for a trial – %(title)s"), title=application.title
    )
    decision = [e for e in seen["journal"] if e["title"] == decision_title]
    assert len(decision) == 1 and decision[0]["type"] == EntryType.OUTGOING
    assert decision[0]["correspondent"] == "Lillehammer"
    (letter,) = [d for d in decision[0]["documents"] if d["is_main"]]
    for reader in (case_officer, approver, consultee):
        response = api(reader).get(letter["download_url"])
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    outsider = member(ministry("JD"), Role.CONSULTEE, username="fagdep.jd")
    assert api(outsider).get(letter["download_url"]).status_code == 404
    other_case = submitted()
    assert (
        api(case_officer).get(f"{case_url(other_case)}documents/{letter['id']}/").status_code == 404
    )
    actions = [event["action"] for event in seen["history"]]
    assert "application.registered" in actions and "application.approved" in actions
    # after the decision the consulted ministries see the proposal too
    assert [p["status"] for p in case(hod_consultee, application)["proposals"]] == ["approved"]


def test_a_request_for_more_information_answered_by_the_applicant(
    submitted, applicant, case_officer
):
    application = submitted()
    do_step(case_officer, application, "register")
    due = timezone.localdate() + datetime.timedelta(days=10)
    do_step(
        case_officer,
        application,
        "check_completeness",
        {"complete": False, "message": "Legg ved kommunestyrevedtaket.", "due_date": due},
    )
    assert status(application) == ApplicationStatus.AWAITING_APPLICANT
    seen = case(case_officer, application)
    assert [(r["message"], r["due_date"]) for r in seen["information_requests"]] == [
        ("Legg ved kommunestyrevedtaket.", due.isoformat())
    ]
    assert [s["step"] for s in seen["open_steps"]] == []  # waiting for the applicant

    response = api(applicant).post(
        f"/api/v1/applications/{application.pk}/answer/", {"text": "Vedtaket kjem her."}
    )
    assert response.status_code == 200, response.content
    assert status(application) == ApplicationStatus.UNDER_REVIEW
    assess = find_task(case_officer, application, "assess", box="inbox")
    assert assess["owner"]["username"] == case_officer.username


def test_no_answer_from_the_applicant_extend_then_continue(submitted, case_officer):
    application = submitted()
    do_step(case_officer, application, "register")
    do_step(case_officer, application, "check_completeness", {"complete": False, "message": "?"})
    due = Application.objects.get(pk=application.pk).information_requests.get().due_date
    with travel_to(due + datetime.timedelta(days=1)):
        call_command("workflow_timers")
        overdue = task_detail(
            case_officer, find_task(case_officer, application, "answer_overdue")["id"]
        )
        assert overdue["payload"] == "AnswerOverduePayload"
        assert overdue["information_request"]["due_date"] == due.isoformat()
        new_due = due + datetime.timedelta(days=14)
        complete(case_officer, overdue["id"], {"action": "extend"}, expect=400)
        complete(case_officer, overdue["id"], {"action": "extend", "due_date": new_due})
    assert status(application) == ApplicationStatus.AWAITING_APPLICANT
    with travel_to(new_due + datetime.timedelta(days=1)):
        call_command("workflow_timers")
        do_step(
            case_officer,
            application,
            "answer_overdue",
            {"action": "continue", "reason": "Saka er godt nok opplyst."},
        )
    assert status(application) == ApplicationStatus.UNDER_REVIEW
    assert find_task(case_officer, application, "assess")


def test_no_answer_from_the_applicant_close_rejects(submitted, case_officer):
    application = submitted()
    do_step(case_officer, application, "register")
    do_step(case_officer, application, "check_completeness", {"complete": False, "message": "?"})
    due = Application.objects.get(pk=application.pk).information_requests.get().due_date
    with travel_to(due + datetime.timedelta(days=1)):
        call_command("workflow_timers")
        do_step(
            case_officer,
            application,
            "answer_overdue",
            {"action": "close", "reason": "Søkjaren har ikkje svart."},
        )
    assert status(application) == ApplicationStatus.REJECTED
    assert case(case_officer, application)["open_steps"] == []


def test_a_consultation_nobody_answers_is_closed_after_the_deadline(
    submitted, case_officer, consultee
):
    application = submitted()
    register_and_accept(case_officer, application)
    due = timezone.localdate() + datetime.timedelta(days=10)
    assess_all(case_officer, application, consultation_due_date=due.isoformat())
    assert find_task(consultee, application, "consult")["due_date"] == due.isoformat()

    with travel_to(due + datetime.timedelta(days=1)):
        call_command("workflow_timers")
        overdue = find_task(case_officer, application, "consultation_overdue", box="inbox")
        detail = task_detail(case_officer, overdue["id"])
        assert detail["consultation"]["ministry"]["code"] == "KD"
        assert detail["consultation"]["due_date"] == due.isoformat()
        complete(case_officer, overdue["id"], {"action": "close"}, expect=400)  # no reason
        complete(case_officer, overdue["id"], {"action": "close", "reason": "Ikkje svar."})

    assert status(application) == ApplicationStatus.UNDER_REVIEW
    assert [c["status"] for c in case(case_officer, application)["consultations"]] == ["closed"]
    assert not results(api(consultee).get(TASKS, {"step": "consult"}))
    propose(case_officer, application)
    assert status(application) == ApplicationStatus.DECISION_PROPOSED


def test_a_consultation_answered_after_the_reminder_moves_on(submitted, case_officer, consultee):
    application = submitted()
    register_and_accept(case_officer, application)
    due = timezone.localdate() + datetime.timedelta(days=10)
    assess_all(case_officer, application, consultation_due_date=due.isoformat())
    with travel_to(due - datetime.timedelta(days=2)):
        call_command("workflow_timers")  # the reminder to the ministry
        answer_consultation(consultee, application)
    assert status(application) == ApplicationStatus.UNDER_REVIEW
    assert find_task(case_officer, application, "propose")


def test_an_overdue_consultation_can_be_extended(submitted, case_officer, consultee):
    application = submitted()
    register_and_accept(case_officer, application)
    due = timezone.localdate() + datetime.timedelta(days=10)
    assess_all(case_officer, application, consultation_due_date=due.isoformat())
    new_due = due + datetime.timedelta(days=7)
    with travel_to(due + datetime.timedelta(days=1)):
        call_command("workflow_timers")
        do_step(
            case_officer,
            application,
            "consultation_overdue",
            {"action": "extend", "due_date": new_due.isoformat()},
        )
        again = find_task(consultee, application, "consult", box="queue")
        assert again["due_date"] == new_due.isoformat()
        answer_consultation(consultee, application)
    assert status(application) == ApplicationStatus.UNDER_REVIEW


def test_a_returned_proposal_goes_back_to_the_officer(submitted, case_officer, approver):
    application = submitted()
    register_and_accept(case_officer, application)
    assess_all(case_officer, application, skip_consultation=True)
    assert status(application) == ApplicationStatus.UNDER_REVIEW  # preliminary: no consultation

    propose(case_officer, application, summary="Første utkast.")
    comment = "Grunngi betre."
    decide(approver, application, "return", comment)
    assert status(application) == ApplicationStatus.UNDER_REVIEW
    again = task_detail(case_officer, find_task(case_officer, application, "propose")["id"])
    assert again["owner"]["username"] == case_officer.username
    assert again["proposal"]["status"] == "returned"
    assert again["proposal"]["review_comment"] == comment
    assert again["proposal"]["reviewed_by"]["username"] == approver.username

    propose(case_officer, application, summary="Andre utkast.")
    decide(approver, application)
    assert status(application) == ApplicationStatus.APPROVED
    proposals = case(case_officer, application)["proposals"]
    assert [(p["summary"], p["status"]) for p in proposals] == [
        ("Andre utkast.", "approved"),
        ("Første utkast.", "returned"),
    ]


def test_returning_without_a_comment_is_refused(submitted, case_officer, approver):
    application = submitted()
    register_and_accept(case_officer, application)
    assess_all(case_officer, application, skip_consultation=True)
    propose(case_officer, application)
    task = find_task(approver, application, "approve")
    body = complete(approver, task["id"], {"decision": "return"}, expect=400)
    assert "comment" in body
    body = complete(approver, task["id"], {"decision": "maybe"}, expect=400)
    assert "decision" in body
    assert status(application) == ApplicationStatus.DECISION_PROPOSED


def test_every_exemption_refused_rejects_the_application(submitted, case_officer, approver):
    application = submitted()
    register_and_accept(case_officer, application)
    assess_all(case_officer, application, skip_consultation=True)
    propose(
        case_officer,
        application,
        dict.fromkeys(exemption_ids(application), "refused"),
        summary="Søknaden blir avslått.",
    )
    decide(approver, application)
    assert status(application) == ApplicationStatus.REJECTED
    seen = case(case_officer, application)
    assert [e["outcome"] for e in seen["exemptions"]] == ["refused"]
    assert seen["trial"] is None and seen["decision_summary"] == "Søknaden blir avslått."


def test_one_exemption_granted_one_refused_makes_a_trial_with_one_exemption(
    submitted, case_officer, consultee, hod_consultee, approver
):
    application = submitted(also=[HOL_3_2], stage=Stage.FINAL)
    register_and_accept(case_officer, application)
    assess_all(case_officer, application)
    answer_consultation(consultee, application, "supports")
    answer_consultation(hod_consultee, application, "opposes")
    propose(case_officer, application, {HOL_3_2: "refused"})
    decide(approver, application)

    assert status(application) == ApplicationStatus.APPROVED
    ids = exemption_ids(application)
    trial = Trial.objects.get(application=application)
    assert list(trial.exemptions.values_list("pk", flat=True)) == [ids["LOV-2023-06-09-30/§13-1"]]
    seen = case(case_officer, application)
    assert seen["trial"]["exemptions"] == [ids["LOV-2023-06-09-30/§13-1"]]
    outcomes = {e["provision"]: (e["status"], e["outcome"]) for e in seen["exemptions"]}
    assert outcomes == {
        "LOV-2023-06-09-30/§13-1": ("granted", "granted"),
        HOL_3_2: ("refused", "refused"),
    }


def test_a_month_after_registration_the_officer_sends_a_preliminary_answer(submitted, case_officer):
    application = submitted()
    do_step(case_officer, application, "register")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31), tick=False):
        call_command("workflow_timers")
        task = find_task(case_officer, application, "interim_reply", box="inbox")
        detail = task_detail(case_officer, task["id"])
        assert detail["payload"] == "InterimReplyPayload" and detail["interim_reply"] is None
        expected = timezone.localdate() + datetime.timedelta(days=20)
        body = complete(case_officer, task["id"], {"reason": "Meir tid."}, expect=400)
        assert "expected_decision" in body
        complete(
            case_officer,
            task["id"],
            {"reason": "Fagdepartementa treng meir tid.", "expected_decision": expected},
        )
        seen = case(case_officer, application)
    assert [r["expected_decision"] for r in seen["interim_replies"]] == [expected.isoformat()]
    title = journal_title(gettext_lazy("Preliminary answer – %(title)s"), title=application.title)
    assert [e["type"] for e in seen["journal"] if e["title"] == title] == [EntryType.OUTGOING]
    # the next reminder comes when the expected date has passed
    with travel_to(expected + datetime.timedelta(days=2)):
        call_command("workflow_timers")
        assert find_task(case_officer, application, "interim_reply")


# --- who may do what ----------------------------------------------------------------------


def test_the_wrong_role_gets_403_at_every_step(
    submitted,
    applicant,
    case_officer,
    colleague,
    consultee,
    hod_consultee,
    approver,
):
    application = submitted(also=[HOL_3_2])
    register = find_task(case_officer, application, "register")["id"]
    for verb in ("claim", "unassign", "reassign", "complete"):
        assert api(applicant).post(task_url(register, verb)).status_code == 403
    assert api(applicant).get(TASKS).status_code == 403
    assert api(applicant).get(task_url(register)).status_code == 403
    assert api(applicant).get(CASES).status_code == 403
    assert api(applicant).get(case_url(application)).status_code == 403

    def refused(users, step, payload, ministry_user=None):
        task_id = find_task(ministry_user or case_officer, application, step)["id"]
        for user in users:
            response = api(user).post(task_url(task_id, "complete"), payload, format="json")
            assert response.status_code == 403, (user, step, response.content)
        return task_id

    refused([applicant, approver], "register", {})
    assert api(approver).post(task_url(register, "claim")).status_code == 403
    do_step(case_officer, application, "register")
    refused([applicant, approver, colleague], "check_completeness", {"complete": True})
    do_step(case_officer, application, "check_completeness", {"complete": True})
    ids = exemption_ids(application)
    assess_payload = {
        "assessments": [{"exemption": pk, "assessment": "within_scope"} for pk in ids.values()]
    }
    refused([applicant, approver, colleague], "assess", assess_payload)
    do_step(case_officer, application, "assess", assess_payload)

    kd_task = find_task(consultee, application, "consult")["id"]
    kd_payload = {
        "positions": [{"exemption": ids["LOV-2023-06-09-30/§13-1"], "position": "supports"}]
    }
    for user in (applicant, hod_consultee, case_officer, approver):
        for verb, body in (("claim", None), ("complete", kd_payload)):
            response = api(user).post(task_url(kd_task, verb), body, format="json")
            assert response.status_code == 403, (user, verb, response.content)
    assert api(hod_consultee).post(task_url(kd_task, "claim")).json()["detail"] == (
        "Only staff of the consulted ministry can take this task."
    )
    # a ministry that is not consulted does not see the case or its tasks at all
    outsider = member(ministry("JD"), Role.CONSULTEE, username="fagdep.jd")
    assert (
        api(outsider).post(task_url(kd_task, "complete"), kd_payload, format="json").status_code
        == 404
    )
    assert api(outsider).get(case_url(application)).status_code == 404
    assert api(outsider).get(task_url(kd_task)).status_code == 404
    assert results(api(outsider).get(CASES)) == []
    assert api(hod_consultee).get(task_url(kd_task)).status_code == 404  # not in their inbox
    answer_consultation(consultee, application)
    answer_consultation(hod_consultee, application)

    refused([applicant, approver, consultee], "propose", {"outcomes": [], "summary": "x"})
    propose(case_officer, application)
    approve_task = find_task(approver, application, "approve")["id"]
    for user in (applicant, case_officer, colleague, consultee):
        response = api(user).post(
            task_url(approve_task, "complete"), {"decision": "approve"}, format="json"
        )
        assert response.status_code == 403, (user, response.content)
    assert status(application) == ApplicationStatus.DECISION_PROPOSED
    decide(approver, application)
    assert status(application) == ApplicationStatus.APPROVED


def test_the_proposer_cannot_approve_their_own_proposal(
    submitted, case_officer, kdd, other_approver
):
    membership_grant(actor=None, user=case_officer, organisation=kdd, role=Role.APPROVER)
    application = submitted()
    register_and_accept(case_officer, application)
    assess_all(case_officer, application, skip_consultation=True)
    propose(case_officer, application)

    queue = results(api(case_officer).get(TASKS, {"box": "queue", "step": "approve"}))
    assert queue == []  # never in the proposer's queue
    assert results(api(case_officer).get(TASKS, {"step": "approve"})) == []  # nor any list
    task = find_task(other_approver, application, "approve", box="queue")
    response = api(case_officer).get(task_url(task["id"]))
    assert response.status_code == 403 and response.json()["detail"] == FOUR_EYES
    for verb, body in (("claim", None), ("complete", {"decision": "approve"})):
        response = api(case_officer).post(task_url(task["id"], verb), body, format="json")
        assert response.status_code == 403
        assert response.json()["detail"] == FOUR_EYES
    response = api(case_officer).post(
        task_url(task["id"], "reassign"), {"username": case_officer.username}, format="json"
    )
    assert response.status_code == 400 and response.json()["username"] == [FOUR_EYES]
    assignees = task_detail(other_approver, task["id"])["assignees"]
    assert case_officer.username not in [user["username"] for user in assignees]
    assert status(application) == ApplicationStatus.DECISION_PROPOSED
    assert DecisionProposal.objects.get(application=application).status == "pending"

    assert task["allowed_actions"][0] == "claim"
    decide(other_approver, application)
    assert status(application) == ApplicationStatus.APPROVED


# --- conflicts, validation, claiming and reassigning -----------------------------------------


def test_completing_a_task_twice_gives_409(submitted, case_officer, colleague):
    application = submitted()
    task = find_task(case_officer, application, "register")
    complete(case_officer, task["id"], {})
    body = complete(case_officer, task["id"], {}, expect=409)
    assert body["detail"] == DONE_MESSAGE
    done_by_other = f"{case_officer.get_full_name()} has already completed this task."
    assert complete(colleague, task["id"], {}, expect=409)["detail"] == done_by_other
    response = api(colleague).post(task_url(task["id"], "claim"))
    assert response.status_code == 409 and response.json()["detail"] == done_by_other
    assert case_for(application).entries.count() == 2  # the application and the receipt


def test_a_task_claimed_by_someone_else_cannot_be_claimed_or_done(
    submitted, case_officer, colleague
):
    application = submitted()
    task = find_task(case_officer, application, "register", box="queue")
    response = api(case_officer).post(task_url(task["id"], "claim"))
    assert response.status_code == 200
    assert response.json()["owner"]["username"] == case_officer.username
    assert response.json()["allowed_actions"] == ["unassign", "complete", "reassign"]
    assert api(colleague).post(task_url(task["id"], "claim")).status_code == 409
    assert complete(colleague, task["id"], {}, expect=403)["detail"] == (
        "Someone else has this task."
    )
    assert api(colleague).post(task_url(task["id"], "unassign")).status_code == 403
    assert find_task(case_officer, application, "register", box="inbox")
    assert not [
        t for t in results(api(colleague).get(TASKS, {"box": "queue"})) if t["id"] == task["id"]
    ]

    response = api(case_officer).post(task_url(task["id"], "unassign"))
    assert response.status_code == 200 and response.json()["owner"] is None
    assert find_task(colleague, application, "register", box="queue")
    complete(colleague, task["id"], {})
    assert case(case_officer, application)["officer"]["username"] == colleague.username


def test_reassigning_a_task(submitted, case_officer, colleague, consultee, approver):
    application = submitted()
    do_step(case_officer, application, "register")
    task = find_task(case_officer, application, "check_completeness")
    url = task_url(task["id"], "reassign")
    assignees = [u["username"] for u in task_detail(case_officer, task["id"])["assignees"]]
    assert assignees == [colleague.username]  # the other case officers, not the holder

    assert api(case_officer).post(url, {"username": "nobody"}).status_code == 400
    response = api(case_officer).post(url, {"username": consultee.username})
    assert response.status_code == 400 and "username" in response.json()
    assert api(approver).post(url, {"username": approver.username}).status_code == 403
    response = api(case_officer).post(url, {"username": colleague.username})
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["username"] == colleague.username
    assert find_task(colleague, application, "check_completeness", box="inbox")
    complete(case_officer, task["id"], {"complete": True}, expect=403)
    complete(colleague, task["id"], {"complete": True})
    assert status(application) == ApplicationStatus.UNDER_REVIEW


def test_a_consultee_claims_unassigns_and_hands_on_to_a_colleague(
    submitted, case_officer, consultee
):
    application = submitted()
    register_and_accept(case_officer, application)
    assess_all(case_officer, application)
    task = find_task(consultee, application, "consult", box="queue")
    assert task["allowed_actions"] == ["claim", "complete", "reassign"]  # as on the page
    assert api(consultee).post(task_url(task["id"], "claim")).status_code == 200
    assert api(consultee).post(task_url(task["id"], "unassign")).status_code == 200
    kd_colleague = member(ministry("KD"), Role.CONSULTEE, username="fagdep.kd2")
    response = api(case_officer).post(
        task_url(task["id"], "reassign"), {"username": kd_colleague.username}
    )
    assert response.status_code == 200, response.content
    assert find_task(kd_colleague, application, "consult", box="inbox")
    complete(consultee, task["id"], {"positions": []}, expect=403)
    answer_consultation(kd_colleague, application)
    assert status(application) == ApplicationStatus.UNDER_REVIEW


def test_invalid_payloads_give_400_with_field_errors(submitted, case_officer, other_provision):
    application = submitted()
    register_and_accept(case_officer, application)
    task = find_task(case_officer, application, "assess")["id"]
    (exemption,) = exemption_ids(application).values()

    def assess(*items, **extra):
        return complete(case_officer, task, {"assessments": list(items), **extra}, expect=400)

    body = assess({"exemption": exemption, "assessment": "within_scope", "provision": "LOV-X/§1"})
    assert "provision" in body["assessments"]["0"]
    body = assess({"exemption": exemption, "assessment": "maybe"})
    assert "assessment" in body["assessments"]["0"]
    body = assess({"exemption": 999999, "assessment": "within_scope"})
    assert "assessments" in body
    body = assess({"exemption": exemption, "assessment": "outside_limits"})
    assert f"note_{exemption}" in body  # the service's rule: explain the assessment
    body = assess(
        {"exemption": exemption, "assessment": "within_scope"},
        {"exemption": exemption, "assessment": "within_scope"},
    )
    assert body["assessments"] == ["Give each exemption once."]
    assert "assessments" in complete(case_officer, task, {}, expect=400)
    assert "consultation_due_date" in complete(
        case_officer,
        task,
        {
            "assessments": [{"exemption": exemption, "assessment": "within_scope"}],
            "consultation_due_date": "soon",
        },
        expect=400,
    )
    assert status(application) == ApplicationStatus.UNDER_REVIEW

    # a citation key resolves (or replaces) the exemption's provision
    complete(
        case_officer,
        task,
        {
            "assessments": [
                {"exemption": exemption, "assessment": "within_scope", "provision": OPPL_14_1}
            ],
            "skip_consultation": True,
        },
    )
    assert application.exemption_requests.get().provision == other_provision
    assert status(application) == ApplicationStatus.UNDER_REVIEW


def test_lists_are_filtered_and_unknown_tasks_are_404(
    submitted, bodo_applicant, bodo, case_officer
):
    lillehammer_case = submitted()
    bodo_case = submitted(actor=bodo_applicant, organisation=bodo, title="Bodø prøver")
    officer = api(case_officer)

    def references(url, **params):
        rows = results(officer.get(url, params))
        return sorted(
            row["case"]["reference"] if "case" in row else row["reference"] for row in rows
        )

    both = sorted([lillehammer_case.reference, bodo_case.reference])
    assert references(TASKS, box="queue") == both
    assert references(TASKS, municipality="1804") == [bodo_case.reference]
    assert references(TASKS, step="assess") == []
    assert references(TASKS, ministry="KD") == both  # both touch opplæringslova
    assert references(CASES) == both
    assert references(CASES, municipality="3405") == [lillehammer_case.reference]
    assert references(CASES, status="submitted") == both
    assert references(CASES, status="approved") == []
    assert references(CASES, stage="final") == []
    assert officer.get(TASKS, {"box": "outbox"}).status_code == 400
    assert officer.get(TASKS, {"step": "dance"}).status_code == 400
    assert officer.get(task_url(999999)).status_code == 404
    assert officer.post(task_url(999999, "complete"), {}, format="json").status_code == 404
    assert officer.get(f"{CASES}999999/").status_code == 404
    assert officer.get(f"{CASES}abc/").status_code == 404

    listed = results(officer.get(CASES, {"municipality": "1804"}))[0]
    assert listed["case_number"] is None and listed["officer"] is None
    assert [(s["step"], s["owner"]) for s in listed["open_steps"]] == [("register", None)]


def test_a_consultation_answer_with_a_signed_letter_as_multipart(
    submitted, case_officer, consultee
):
    application = submitted()
    register_and_accept(case_officer, application)
    assess_all(case_officer, application)
    task = find_task(consultee, application, "consult")
    (exemption,) = exemption_ids(application).values()
    response = api(consultee).post(
        task_url(task["id"], "complete"),
        {
            "positions": f'[{{"exemption": {exemption}, "position": "supports_with_conditions"}}]',
            "statement": "Sjå brevet.",
            "attachment": upload("svar.pdf", pdf_bytes("Svar"), "application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 400  # conditions need a statement
    assert f"statement_{exemption}" in response.json()
    response = api(consultee).post(
        task_url(task["id"], "complete"),
        {
            "positions": (
                f'[{{"exemption": {exemption}, "position": "supports_with_conditions", '
                '"statement": "Evaluer etter to år."}]'
            ),
            "statement": "Sjå brevet.",
            "attachment": upload("svar.pdf", pdf_bytes("Svar"), "application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    consultation = application.consultations.get()
    assert consultation.answer_entry.documents.get().title == "svar.pdf"
    bad = api(consultee).post(
        task_url(task["id"], "complete"), {"positions": "not json"}, format="multipart"
    )
    assert bad.status_code == 409  # done already: the conflict wins over the payload


def test_a_token_works_like_a_session(submitted, case_officer):
    application = submitted()
    token = api_token_create(actor=case_officer, user=case_officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    rows = results(client.get(TASKS, {"step": "register"}))
    assert [row["case"]["id"] for row in rows] == [application.pk]
    assert client.post(task_url(rows[0]["id"], "complete"), {}, format="json").status_code == 200
    assert APIClient().get(TASKS).status_code == 401


# --- at the same moment (PostgreSQL) --------------------------------------------------------


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests start from an empty database: load the register first."""
    with open(os.devnull, "w") as quiet:
        call_command("load_reference_data", verbosity=0, stdout=quiet)
    record_bokmal_for_neutral()


def at_once(calls) -> list:
    """Run each ``call()`` in its own thread, released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            out[index] = call()
        except Exception as exc:
            out[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return out


def post_complete(user, task_id, payload):
    return lambda: api(user).post(task_url(task_id, "complete"), payload, format="json")


@pytest.fixture
def slow_step(monkeypatch):
    """``slow_step("register")``: the step's work holds the process lock a while longer, so
    a second request at the same moment surely waits for the lock, not just for its turn."""

    def slow(step):
        work = services.HANDLERS[step]

        def slowly(*args):
            result = work(*args)
            time.sleep(0.5)
            return result

        monkeypatch.setitem(services.HANDLERS, step, slowly)

    return slow


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_officers_completing_the_same_task_at_once(
    reference_data, submitted, case_officer, colleague, slow_step
):
    application = submitted()
    slow_step("register")
    task = find_task(case_officer, application, "register")
    responses = at_once(
        [post_complete(case_officer, task["id"], {}), post_complete(colleague, task["id"], {})]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], responses
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["detail"].endswith(" has already completed this task.")
    assert status(application) == ApplicationStatus.REGISTERED
    assert CaseFile.objects.count() == 1
    assert case_for(application).entries.count() == 2
    assert (
        ApplicationFlow.task_class.objects.filter(
            process__caseprocess__application=application,
            flow_task=ApplicationFlow.check_completeness,
        ).count()
        == 1
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_approvers_approving_the_same_proposal_at_once(
    reference_data, submitted, case_officer, approver, other_approver, slow_step
):
    application = submitted()
    register_and_accept(case_officer, application)
    assess_all(case_officer, application, skip_consultation=True)
    propose(case_officer, application)
    task = find_task(approver, application, "approve")
    entries = case_for(application).entries.count()
    slow_step("approve")
    responses = at_once(
        [
            post_complete(approver, task["id"], {"decision": "approve"}),
            post_complete(other_approver, task["id"], {"decision": "approve"}),
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 409], responses
    assert status(application) == ApplicationStatus.APPROVED
    proposal = DecisionProposal.objects.get(application=application)
    assert proposal.status == "approved"
    assert case_for(application).entries.count() == entries + 1  # one decision letter


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_journal_numbers_stay_gapless_when_cases_are_registered_in_parallel(
    reference_data, submitted, case_officer
):
    applications = [submitted(title=f"Forsøk {n}") for n in range(6)]
    tasks = [find_task(case_officer, a, "register")["id"] for a in applications]
    responses = at_once([post_complete(case_officer, task, {}) for task in tasks])
    assert [r.status_code for r in responses] == [200] * len(tasks), responses

    numbers = sorted(JournalEntry.objects.values_list("journal_year", "journal_sequence"))
    assert len(numbers) == 2 * len(applications)
    sequences = [sequence for _, sequence in numbers]
    assert sequences == list(range(1, len(numbers) + 1))
    cases = sorted(CaseFile.objects.values_list("sequence", flat=True))
    assert cases == list(range(1, len(applications) + 1))
    for application in applications:
        assert [e.number_in_case for e in case_for(application).entries.all()] == [1, 2]
