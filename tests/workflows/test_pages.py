"""The case-handling pages through the Django client: inbox and queue, every task page for the
right and the wrong people, completing each step, claim/unassign/reassign, the case page, the
decision letter and the batch decision of a call.

Cases are driven to each step with workflows.case.services (as the API and pages do); the pages
are shown in English (the language cookie) so the tests read the source texts.
"""

import datetime
import re

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient
from viewflow.workflow.status import STATUS

from casework.choices import EntryType, Role
from casework.models import AuditEvent
from casework.selectors import case_for
from casework.services import membership_grant
from legal.models import Provision
from tests import builders
from tests.factories import ministry, person
from tests.files import pdf_bytes
from trials import services as trials
from trials.choices import ApplicationStatus, Assessment, Outcome, Position, Stage
from trials.models import Application, Consultation
from workflows.case import selectors, services

pytestmark = pytest.mark.django_db

HOL_3_2 = "LOV-2011-06-24-30/§3-2"  # helse- og omsorgstjenesteloven: consults HOD
STEPS = [
    "register",
    "check_completeness",
    "assess",
    "consult",
    "propose",
    "approve",
]


# --- building cases -------------------------------------------------------------------------


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def submitted(make_ready, applicant, django_capture_on_commit_callbacks):
    """``submitted(also=[citation keys], citation="as typed", **make_ready kwargs)``."""

    def build(also=(), citation="", **kwargs):
        application = make_ready(**kwargs)
        for key in also:
            trials.exemption_request_create(
                actor=applicant,
                application=application,
                provision=Provision.objects.get(citation_key=key),
                proposed_arrangement="Éi felles teneste.",
                justification="Betre tenester.",
            )
        if citation:
            trials.exemption_request_create(
                actor=applicant,
                application=application,
                citation_text=citation,
                proposed_arrangement="Noko anna.",
                justification="Fordi.",
            )
        with django_capture_on_commit_callbacks(execute=True):
            return trials.application_submit(actor=applicant, application=application)

    return build


def _fresh(application) -> Application:
    return Application.objects.get(pk=application.pk)


def _exemptions(application):
    return list(_fresh(application).exemption_requests.order_by("pk"))


@pytest.fixture
def drive(staff):
    """``drive(application, to="propose")``: complete the steps from where the case is up to
    ``to`` (``tests.builders.advance``, every exemption granted), and return the (first) open
    task of ``to`` (None for "decided")."""

    def run(application, *, to: str):
        builders.advance(
            application, to=to, staff=staff, summary="Forsøket blir godkjent.", statement=""
        )
        return None if to == "decided" else builders.open_task(application, to)

    return run


def _task_url(task) -> str:
    return reverse("workflows:task", kwargs={"task_pk": task.pk})


def _case_url(application) -> str:
    return reverse("workflows:case", kwargs={"application_pk": application.pk})


def _login(client, user):
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _english_name(code: str) -> str:
    with translation.override("en"):
        return ministry(code).display_name


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _api(user) -> APIClient:
    """The case API as ``user``, in English: the same answers as the pages, side by side."""
    client = APIClient()
    client.cookies["django_language"] = "en"
    client.force_authenticate(user)
    return client


def _api_task(task, verb="") -> str:
    return f"/api/v1/tasks/{task.pk}/" + (f"{verb}/" if verb else "")


FOUR_EYES = "You cannot approve your own proposal (four-eyes principle)."


# --- the inbox ------------------------------------------------------------------------------


def test_inbox_needs_login_and_a_ministry_role(english, submitted, applicant, case_officer):
    submitted()
    url = reverse("workflows:inbox")
    response = english.get(url)
    assert response.status_code == 302 and "/logg-inn/" in response["Location"]
    assert _login(english, applicant).get(url).status_code == 403
    assert "Case handling" not in _text(english.get(reverse("trials:application_list")))

    response = _login(english, case_officer).get(url)
    assert response.status_code == 200
    assert 'href="/saksbehandling/"' in _text(response)  # the nav link


def test_officer_sees_the_registration_task_in_the_queue_and_takes_it(
    english, submitted, case_officer, open_task
):
    application = submitted()
    task = open_task(application, "register")
    _login(english, case_officer)
    response = english.get(reverse("workflows:inbox"))
    text = _text(response)
    assert [row.task.pk for row in response.context["queue_rows"]] == [task.pk]
    assert response.context["my_rows"] == []
    assert "You have no tasks" in text
    assert application.reference in text and application.title in text
    assert "Register the application" in text
    assert _case_url(application) in text
    assert reverse("workflows:task_claim", kwargs={"task_pk": task.pk}) in text
    assert "Overdue" not in text

    response = english.post(reverse("workflows:task_claim", kwargs={"task_pk": task.pk}))
    assert response.status_code == 302 and response["Location"] == _task_url(task)
    task.refresh_from_db()
    assert task.owner == case_officer and task.status == STATUS.ASSIGNED
    response = english.get(reverse("workflows:inbox"))
    assert [row.task.pk for row in response.context["my_rows"]] == [task.pk]
    assert "The queue is empty" in _text(response)
    assert f'href="{_task_url(task)}"' in _text(response)  # "Open"


def test_overdue_tasks_say_so_in_words(english, submitted, case_officer):
    submitted()
    _login(english, case_officer)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=10), tick=False):
        text = _text(english.get(reverse("workflows:inbox")))
    assert "Overdue" in text


def test_inbox_filters_by_step_call_municipality_and_ministry(
    english, submitted, case_officer, drive, call
):
    in_call = submitted(call=call)
    other = submitted(title="Anna søknad", also=[HOL_3_2])
    drive(other, to="check_completeness")
    _login(english, case_officer)
    url = reverse("workflows:inbox")

    def queue_and_mine(**params):
        response = english.get(url, params)
        assert response.status_code == 200
        rows = response.context["queue_rows"] + response.context["my_rows"]
        return {row.application.pk for row in rows}

    assert queue_and_mine() == {in_call.pk, other.pk}
    assert queue_and_mine(step="register") == {in_call.pk}
    assert queue_and_mine(step="check_completeness") == {other.pk}
    assert queue_and_mine(call=call.pk) == {in_call.pk}
    assert queue_and_mine(municipality="3405") == {in_call.pk, other.pk}
    assert queue_and_mine(municipality="1804") == set()
    assert queue_and_mine(ministry="HOD") == {other.pk}
    response = english.get(url, {"municipality": "34x"})
    assert "Write 2 or 4 digits" in _text(response)
    assert "None of your tasks match the filters" in _text(english.get(url, {"step": "approve"}))


def test_inbox_queries_do_not_grow_with_the_number_of_tasks(
    english, submitted, case_officer, django_assert_max_num_queries
):
    submitted()
    _login(english, case_officer)
    with CaptureQueriesContext(connection) as one:
        english.get(reverse("workflows:inbox"))
    for title in ("To", "Tre", "Fire"):
        submitted(title=title)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = english.get(reverse("workflows:inbox"))
    assert len(response.context["queue_rows"]) == 4


def test_consultees_see_only_their_ministrys_consultations_and_approvers_their_queue(
    english, submitted, drive, consultee, hod_consultee, approver, case_officer
):
    application = submitted(also=[HOL_3_2])
    drive(application, to="consult")
    response = _login(english, hod_consultee).get(reverse("workflows:inbox"))
    assert [row.task.data["ministry"] for row in response.context["queue_rows"]] == ["HOD"]
    response = _login(english, approver).get(reverse("workflows:inbox"))
    assert response.context["queue_rows"] == []
    assert "The queue is empty" in _text(response)

    drive(application, to="approve")
    response = english.get(reverse("workflows:inbox"))
    assert [row.step for row in response.context["queue_rows"]] == ["approve"]
    response = _login(english, case_officer).get(reverse("workflows:inbox"))
    assert "approve" not in [row.step for row in response.context["queue_rows"]]


# --- task pages: who may see them -----------------------------------------------------------


@pytest.mark.parametrize("step", STEPS)
def test_every_task_page_renders_for_the_right_person(
    english, submitted, drive, step, case_officer, consultee, approver
):
    application = submitted()
    task = drive(application, to=step)
    user = {"consult": consultee, "approve": approver}.get(step, case_officer)
    response = _login(english, user).get(_task_url(task))
    assert response.status_code == 200
    text = _text(response)
    assert response.context["form"] is not None
    assert application.reference in text
    assert str(task.flow_task.task_title) in text
    assert f'action="{_task_url(task)}"' in text


@pytest.mark.parametrize("step", STEPS)
def test_task_pages_are_refused_to_the_wrong_roles(
    english, submitted, drive, step, applicant, case_officer, hod_consultee, approver
):
    application = submitted()
    task = drive(application, to=step)
    wrong = [applicant, hod_consultee]
    if step == "approve":
        wrong.append(case_officer)  # the officer, who is also the proposer
    elif step != "consult":
        wrong.append(approver)
    else:
        wrong += [case_officer, approver]
    for user in wrong:
        response = _login(english, user).get(_task_url(task))
        assert response.status_code == 403, (step, user.username)
        response = english.post(_task_url(task), {"decision": "complete"})
        assert response.status_code == 403, (step, user.username)
    english.logout()
    assert english.get(_task_url(task)).status_code == 302  # to the login page


def test_the_proposer_cannot_open_the_approval_even_with_the_approver_role(
    english, submitted, drive, case_officer, kdd
):
    application = submitted()
    task = drive(application, to="approve")
    membership_grant(actor=None, user=case_officer, organisation=kdd, role=Role.APPROVER)
    assert _login(english, case_officer).get(_task_url(task)).status_code == 403


def test_unknown_task_is_404(english, case_officer):
    _login(english, case_officer)
    assert english.get(reverse("workflows:task", kwargs={"task_pk": 999999})).status_code == 404


def test_a_task_someone_else_has_is_read_only_with_their_name(
    english, submitted, drive, case_officer, kdd
):
    application = submitted()
    task = drive(application, to="assess")
    colleague = person(kdd, Role.CASE_OFFICER, "kollega.kdd", first_name="Jon", last_name="Li")
    response = _login(english, colleague).get(_task_url(task))
    assert response.status_code == 200
    text = _text(response)
    assert response.context["form"] is None
    assert f"{case_officer.get_full_name()} has this task" in text
    assert reverse("workflows:task_reassign", kwargs={"task_pk": task.pk}) in text
    assert reverse("workflows:task_claim", kwargs={"task_pk": task.pk}) not in text
    response = english.post(_task_url(task), {"assessment_1": "within_scope"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED and task.owner == case_officer


# --- completing each step by POST -----------------------------------------------------------


def test_register_by_post_opens_the_case_and_goes_to_the_case_page(
    english, submitted, case_officer, open_task, media_root
):
    application = submitted()
    task = open_task(application, "register")
    _login(english, case_officer)
    response = english.get(_task_url(task))
    assert "Register the application" in _text(response)
    response = english.post(_task_url(task), follow=True)
    assert response.redirect_chain[-1][0] == _case_url(application)
    assert "The application is registered" in " ".join(_messages(response))
    assert _fresh(application).status == ApplicationStatus.REGISTERED
    assert case_for(application) is not None


def test_completeness_request_keeps_values_on_error_then_asks_the_applicant(
    english, submitted, drive, case_officer
):
    application = submitted()
    task = drive(application, to="check_completeness")
    _login(english, case_officer)
    response = english.get(_task_url(task))
    default_due = timezone.localdate() + datetime.timedelta(days=14)
    assert f'value="{default_due.isoformat()}"' in _text(response)

    response = english.post(_task_url(task), {"decision": "request", "message": "", "due_date": ""})
    assert response.status_code == 200
    text = _text(response)
    assert 'role="alert"' in text and 'href="#id_message"' in text
    assert "Say what information is needed." in text
    assert re.search(r'<input type="radio" name="decision" value="request"[^>]* checked', text)

    due = timezone.localdate() + datetime.timedelta(days=20)
    response = english.post(
        _task_url(task),
        {"decision": "request", "message": "Legg ved vedtaket.", "due_date": due.isoformat()},
    )
    assert response.status_code == 302 and response["Location"] == _case_url(application)
    application = _fresh(application)
    assert application.status == ApplicationStatus.AWAITING_APPLICANT
    assert application.information_requests.get().due_date == due


def test_completeness_complete_moves_on_to_assessment(
    english, submitted, drive, case_officer, open_task
):
    application = submitted()
    task = drive(application, to="check_completeness")
    response = _login(english, case_officer).post(_task_url(task), {"decision": "complete"})
    assert response.status_code == 302
    assert _fresh(application).status == ApplicationStatus.UNDER_REVIEW
    assert open_task(application, "assess").owner == case_officer


def test_assess_page_shows_provision_links_warnings_and_suggestion(
    english, submitted, drive, case_officer
):
    application = submitted(also=[HOL_3_2])
    task = drive(application, to="assess")
    text = _text(_login(english, case_officer).get(_task_url(task)))
    exemption = _exemptions(application)[0]
    provision = exemption.provision
    assert f"/lover/{provision.act.lovdata_id}/#{provision.section_number}" in text
    assert provision.lovdata_url in text
    suggestion = trials.assessment_suggestion(exemption)
    assert f'<option value="{suggestion}" selected>' in text  # the suggestion is pre-filled
    assert "The ministries answer by" in text
    assert "Skip the consultation" in text  # a preliminary application


def test_assess_error_keeps_values_and_points_at_the_note(english, submitted, drive, case_officer):
    application = submitted(also=[HOL_3_2])
    task = drive(application, to="assess")
    first, second = _exemptions(application)
    _login(english, case_officer)
    data = {
        f"assessment_{first.pk}": Assessment.OUTSIDE_LIMITS,
        f"note_{first.pk}": "",
        f"assessment_{second.pk}": Assessment.WITHIN_SCOPE,
        f"note_{second.pk}": "Greitt.",
        "consultation_message": "Sjå vedlagt søknad.",
        "consultation_due_date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    response = english.post(_task_url(task), data)
    assert response.status_code == 200
    text = _text(response)
    assert f'href="#id_note_{first.pk}"' in text and "Explain the assessment." in text
    assert f'id="id_note_{first.pk}_error"' in text
    assert "Greitt." in text and "Sjå vedlagt søknad." in text
    assert f'<option value="{Assessment.OUTSIDE_LIMITS}" selected>' in text
    assert _fresh(application).status == ApplicationStatus.UNDER_REVIEW
    assert not _fresh(application).exemption_requests.exclude(assessment="").exists()

    data[f"note_{first.pk}"] = "Strir mot § 4."
    response = english.post(_task_url(task), data)
    assert response.status_code == 302
    application = _fresh(application)
    assert application.status == ApplicationStatus.IN_CONSULTATION
    assert application.consultations.get().ministry.code == "HOD"
    assert application.consultations.get().message == "Sjå vedlagt søknad."


def test_assess_resolves_a_citation_or_shows_the_citation_error(
    english, submitted, drive, case_officer
):
    application = submitted(citation="opplæringsløva § 14-1")
    task = drive(application, to="assess")
    unresolved = next(e for e in _exemptions(application) if e.provision_id is None)
    resolved = next(e for e in _exemptions(application) if e.provision_id is not None)
    _login(english, case_officer)
    text = _text(english.get(_task_url(task)))
    assert f'name="citation_{unresolved.pk}"' in text
    base = {
        f"assessment_{resolved.pk}": Assessment.WITHIN_SCOPE,
        f"assessment_{unresolved.pk}": Assessment.WITHIN_SCOPE,
        "skip_consultation": "on",
    }
    response = english.post(_task_url(task), {**base, f"citation_{unresolved.pk}": "oppl § 99-9"})
    assert response.status_code == 200
    text = _text(response)
    assert f'href="#id_citation_{unresolved.pk}"' in text
    assert "has no section § 99-9" in text
    assert 'value="oppl § 99-9"' in text

    response = english.post(
        _task_url(task), {**base, f"citation_{unresolved.pk}": "opplæringslova § 14-1"}
    )
    assert response.status_code == 302
    unresolved.refresh_from_db()
    assert unresolved.provision.citation_key == "LOV-2023-06-09-30/§14-1"
    assert _fresh(application).status == ApplicationStatus.UNDER_REVIEW  # skipped consultation


def test_consult_page_answers_per_exemption_with_an_attachment(
    english, submitted, drive, consultee, media_root
):
    application = submitted()
    task = drive(application, to="consult")
    exemption = _exemptions(application)[0]
    _login(english, consultee)
    response = english.get(_task_url(task))
    assert response.status_code == 200
    assert f'name="position_{exemption.pk}"' in _text(response)

    response = english.post(
        _task_url(task),
        {f"position_{exemption.pk}": Position.OPPOSES, f"statement_{exemption.pk}": ""},
    )
    assert response.status_code == 200
    text = _text(response)
    assert f'href="#id_statement_{exemption.pk}"' in text
    assert "Give the reasons or conditions." in text
    assert re.search(
        rf'name="position_{exemption.pk}" value="{Position.OPPOSES}"[^>]* checked', text
    )

    response = english.post(
        _task_url(task),
        {
            f"position_{exemption.pk}": Position.SUPPORTS_WITH_CONDITIONS,
            f"statement_{exemption.pk}": "Berre med evaluering.",
            "statement": "KD støttar forsøket.",
            "attachment": SimpleUploadedFile("uttale.pdf", pdf_bytes("Uttale"), "application/pdf"),
        },
    )
    assert response.status_code == 302 and response["Location"] == _case_url(application)
    consultation = Consultation.objects.get(application=application)
    assert consultation.status == "answered" and consultation.statement == "KD støttar forsøket."
    assert consultation.answer_entry.documents.get().title == "uttale.pdf"


def test_consult_rejects_a_file_that_is_not_a_document(english, submitted, drive, consultee):
    application = submitted()
    task = drive(application, to="consult")
    exemption = _exemptions(application)[0]
    response = _login(english, consultee).post(
        _task_url(task),
        {
            f"position_{exemption.pk}": Position.SUPPORTS,
            "attachment": SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf"),
        },
    )
    assert response.status_code == 200
    text = _text(response)
    assert 'href="#id_attachment"' in text and "Choose the file again" in text


def test_propose_shows_answers_and_keeps_values_on_error(english, submitted, drive, case_officer):
    application = submitted()
    task = drive(application, to="propose")
    exemption = _exemptions(application)[0]
    _login(english, case_officer)
    text = _text(english.get(_task_url(task)))
    assert f"{_english_name('KD')}:</strong>" in text and "Supports" in text  # KD's answer

    response = english.post(
        _task_url(task),
        {f"outcome_{exemption.pk}": Outcome.REFUSED, f"reasons_{exemption.pk}": "", "summary": ""},
    )
    assert response.status_code == 200
    text = _text(response)
    assert f'href="#id_reasons_{exemption.pk}"' in text and 'href="#id_summary"' in text
    assert f'value="{Outcome.REFUSED}"' in text

    response = english.post(
        _task_url(task),
        {
            f"outcome_{exemption.pk}": Outcome.GRANTED_WITH_CONDITIONS,
            f"reasons_{exemption.pk}": "Forsvarleg.",
            f"conditions_{exemption.pk}": "Evaluering.",
            "summary": "Forsøket kan gå.",
        },
    )
    assert response.status_code == 302
    assert _fresh(application).status == ApplicationStatus.DECISION_PROPOSED


def test_approve_shows_the_proposal_and_can_return_it(
    english, submitted, drive, approver, case_officer, open_task
):
    application = submitted()
    task = drive(application, to="approve")
    _login(english, approver)
    text = _text(english.get(_task_url(task)))
    assert "Forsøket blir godkjent." in text
    assert f"Proposed by {case_officer.get_full_name()}" in text

    response = english.post(_task_url(task), {"decision": "return", "comment": ""})
    assert response.status_code == 200
    assert 'href="#id_comment"' in _text(response)
    response = english.post(_task_url(task), {"decision": "return", "comment": "Grunngi meir."})
    assert response.status_code == 302
    assert _fresh(application).status == ApplicationStatus.UNDER_REVIEW
    propose = open_task(application, "propose")
    text = _text(_login(english, case_officer).get(_task_url(propose)))
    assert "Grunngi meir." in text  # the returned proposal's comment
    exemption = _exemptions(application)[0]
    assert re.search(rf'name="outcome_{exemption.pk}" value="{Outcome.GRANTED}"[^>]* checked', text)


def test_approve_by_post_decides_the_case(english, submitted, drive, approver):
    application = submitted()
    task = drive(application, to="approve")
    response = _login(english, approver).post(_task_url(task), {"decision": "approve"})
    assert response.status_code == 302
    assert _fresh(application).status == ApplicationStatus.APPROVED


def test_answer_overdue_and_interim_reply_pages(english, submitted, drive, case_officer, open_task):
    application = submitted()
    task = drive(application, to="check_completeness")
    services.task_complete(
        actor=case_officer, task=task, payload={"complete": False, "message": "Meir, takk."}
    )
    due = _fresh(application).information_requests.get().due_date
    later = datetime.datetime.combine(due, datetime.time(9)) + datetime.timedelta(days=2)
    with time_machine.travel(timezone.make_aware(later), tick=False):
        call_command("workflow_timers")
        overdue = open_task(application, "answer_overdue")
        _login(english, case_officer)
        text = _text(english.get(_task_url(overdue)))
        assert "Meir, takk." in text
        response = english.post(_task_url(overdue), {"action": "close", "reason": ""})
        assert response.status_code == 200
        assert 'href="#id_reason"' in _text(response)
        response = english.post(_task_url(overdue), {"action": "extend", "due_date": ""})
        assert "Give the new deadline." in _text(response)
        new_due = timezone.localdate() + datetime.timedelta(days=7)
        response = english.post(
            _task_url(overdue), {"action": "extend", "due_date": new_due.isoformat()}
        )
        assert response.status_code == 302
        assert _fresh(application).information_requests.get().due_date == new_due

    with time_machine.travel(timezone.now() + datetime.timedelta(days=31), tick=False):
        call_command("workflow_timers")
        interim = open_task(application, "interim_reply")
        _login(english, case_officer)  # a month later: a new session
        assert english.get(_task_url(interim)).status_code == 200
        response = english.post(
            _task_url(interim), {"reason": "Vi ventar.", "expected_decision": ""}
        )
        assert 'href="#id_expected_decision"' in _text(response)
        response = english.post(
            _task_url(interim),
            {
                "reason": "Vi ventar.",
                "expected_decision": (
                    timezone.localdate() + datetime.timedelta(days=30)
                ).isoformat(),
            },
        )
        assert response.status_code == 302
    assert _fresh(application).interim_replies.count() == 1


def test_consultation_overdue_page_extends_the_consultation(
    english, submitted, drive, case_officer, open_task
):
    application = submitted()
    drive(application, to="consult")
    consultation = Consultation.objects.get(application=application)
    later = datetime.datetime.combine(consultation.due_date, datetime.time(9)) + datetime.timedelta(
        days=2
    )
    with time_machine.travel(timezone.make_aware(later), tick=False):
        call_command("workflow_timers")
        overdue = open_task(application, "consultation_overdue")
        _login(english, case_officer)
        text = _text(english.get(_task_url(overdue)))
        assert _english_name("KD") in text
        new_due = timezone.localdate() + datetime.timedelta(days=10)
        response = english.post(
            _task_url(overdue), {"action": "extend", "due_date": new_due.isoformat()}
        )
        assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.due_date == new_due
    assert open_task(application, "consult")


def test_a_task_done_by_someone_else_gives_a_message_and_the_case_page(
    english, submitted, drive, case_officer, open_task
):
    application = submitted()
    task = open_task(application, "register")
    _login(english, case_officer)
    english.get(_task_url(task))
    drive(application, to="check_completeness")  # done by the services meanwhile
    response = english.post(_task_url(task), follow=True)
    assert response.redirect_chain[-1][0] == _case_url(application)
    assert "You have already completed this task." in _messages(response)


def test_conflict_from_the_service_is_reported(
    english, submitted, drive, case_officer, monkeypatch
):
    application = submitted()
    task = drive(application, to="check_completeness")

    def done(**kwargs):
        raise services.TaskDone()

    monkeypatch.setattr(services, "task_complete", done)
    response = _login(english, case_officer).post(
        _task_url(task), {"decision": "complete"}, follow=True
    )
    assert response.redirect_chain[-1][0] == _case_url(application)
    assert "Someone else has already done this task. Reload to see the case." in _messages(response)


# --- claim, unassign, reassign --------------------------------------------------------------


def test_unassign_puts_the_task_back_and_reassign_gives_it_to_a_colleague(
    english, submitted, drive, case_officer, kdd, approver
):
    application = submitted()
    task = drive(application, to="assess")
    colleague = person(kdd, Role.CASE_OFFICER, "kollega.kdd", first_name="Jon", last_name="Li")
    _login(english, case_officer)
    text = _text(english.get(_task_url(task)))
    assert "Give back to the queue" in text
    assert f'<option value="{colleague.pk}">Jon Li</option>' in text
    assert f'<option value="{approver.pk}"' not in text  # approvers cannot assess

    response = english.post(reverse("workflows:task_unassign", kwargs={"task_pk": task.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("workflows:inbox")
    task.refresh_from_db()
    assert task.owner is None and task.status == STATUS.NEW

    response = english.post(
        reverse("workflows:task_reassign", kwargs={"task_pk": task.pk}), {"user": colleague.pk}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == colleague
    actions = list(
        AuditEvent.objects.filter(action__startswith="task.").values_list("action", flat=True)
    )
    assert "task.unassigned" in actions and "task.reassigned" in actions

    response = english.post(
        reverse("workflows:task_reassign", kwargs={"task_pk": task.pk}), {"user": approver.pk}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == colleague  # not someone who may not do it


def test_a_consultee_cannot_claim_another_ministrys_consultation(
    english, submitted, drive, hod_consultee, open_task
):
    application = submitted()
    task = drive(application, to="consult")
    response = _login(english, hod_consultee).post(
        reverse("workflows:task_claim", kwargs={"task_pk": task.pk})
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.owner is None


def test_claiming_a_task_someone_else_took_gives_a_message(
    english, submitted, case_officer, kdd, open_task
):
    application = submitted()
    task = open_task(application, "register")
    colleague = person(kdd, Role.CASE_OFFICER, "kollega.kdd", first_name="Jon")
    services.task_claim(actor=colleague, task=task)
    response = _login(english, case_officer).post(
        reverse("workflows:task_claim", kwargs={"task_pk": task.pk}), follow=True
    )
    assert response.status_code == 200
    assert f"{colleague.get_full_name()} has already taken this task." in _messages(response)


# --- the case page --------------------------------------------------------------------------


def test_case_page_shows_application_journal_history_steps_and_diagram(
    english, submitted, drive, case_officer, media_root
):
    application = submitted(stage=Stage.FINAL)
    drive(application, to="assess")
    _login(english, case_officer)
    response = english.get(_case_url(application))
    assert response.status_code == 200
    text = _text(response)
    case = case_for(application)
    assert case.number in text
    entries = list(case.entries.all())
    assert len(entries) >= 2
    for entry in entries:
        assert entry.title in text
    receipt = case.entries.get(entry_type=EntryType.OUTGOING).documents.get()
    assert reverse("workflows:journal_document", kwargs={"pk": receipt.pk}) in text
    attachment = application.attachments.first()
    assert reverse("trials:attachment_download", kwargs={"pk": attachment.pk}) in text
    assert "Application registered" in text and "Found complete" in text  # the history
    assert "Registered → Under review" in text
    assert case_officer.get_full_name() in text
    assert "<figure" in text and "<figcaption" in text
    assert re.search(r'<svg role="img" aria-label="[^"]*Assess each requested exemption', text)
    assert 'aria-current="step"' in text
    assert "Kontakt" in text  # contact persons


def test_case_page_queries_do_not_grow_with_exemptions_consultations_and_journal(
    english, submitted, drive, case_officer, django_assert_max_num_queries
):
    small = submitted()
    large = submitted(title="Stor", also=[HOL_3_2])
    drive(small, to="decided")
    drive(large, to="decided")
    assert case_for(large).entries.count() > case_for(small).entries.count()
    _login(english, case_officer)
    with CaptureQueriesContext(connection) as baseline:
        english.get(_case_url(small))
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert english.get(_case_url(large)).status_code == 200


def test_case_page_is_404_for_those_who_may_not_see_the_case(
    english, submitted, drive, applicant, hod_consultee, consultee
):
    application = submitted()
    drive(application, to="consult")
    for user in (applicant, hod_consultee):
        assert _login(english, user).get(_case_url(application)).status_code == 404
    assert _login(english, consultee).get(_case_url(application)).status_code == 200


def test_journal_documents_download_for_those_who_see_the_case(
    english, submitted, drive, case_officer, consultee, applicant, hod_consultee, media_root
):
    application = submitted(stage=Stage.FINAL)
    drive(application, to="consult")
    case = case_for(application)
    receipt = case.entries.filter(entry_type=EntryType.OUTGOING).first().documents.get()
    url = reverse("workflows:journal_document", kwargs={"pk": receipt.pk})
    response = _login(english, case_officer).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert _login(english, consultee).get(url).status_code == 200
    for user in (applicant, hod_consultee):
        assert _login(english, user).get(url).status_code == 404

    # A consultee reaches the application's attachments through the journal copy.
    text = _text(_login(english, consultee).get(_case_url(application)))
    attachment = application.attachments.first()
    assert reverse("trials:attachment_download", kwargs={"pk": attachment.pk}) not in text
    incoming = case.entries.get(entry_type=EntryType.INCOMING, number_in_case=1)
    copy = incoming.documents.get(
        source_type=ContentType.objects.get_for_model(attachment), source_id=str(attachment.pk)
    )
    assert reverse("workflows:journal_document", kwargs={"pk": copy.pk}) in text
    response = english.get(reverse("workflows:journal_document", kwargs={"pk": copy.pk}))
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# --- the decision letter --------------------------------------------------------------------


def test_decision_letter_page_and_pdf(english, submitted, drive, case_officer, applicant):
    application = submitted()
    drive(application, to="decided")
    url = reverse("workflows:decision_letter", kwargs={"pk": application.pk})
    _login(english, case_officer)
    response = english.get(url)
    assert response.status_code == 200
    text = _text(response)
    assert "Forsøket blir godkjent." in text
    assert case_for(application).number in text
    assert f"{url}?format=pdf" in text
    response = english.get(url, {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert _login(english, applicant).get(url).status_code == 404

    # The applicant reaches it from the status page.
    detail = _text(english.get(reverse("trials:application_detail", kwargs={"pk": application.pk})))
    own = reverse("workflows:applicant_decision_letter", kwargs={"pk": application.pk})
    assert own in detail
    response = english.get(own)
    assert response.status_code == 200 and "Forsøket blir godkjent." in _text(response)
    response = english.get(own, {"format": "pdf"})
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_decision_letter_is_404_before_the_decision(english, submitted, drive, case_officer):
    application = submitted()
    drive(application, to="approve")
    _login(english, case_officer)
    assert (
        english.get(reverse("workflows:decision_letter", kwargs={"pk": application.pk})).status_code
        == 404
    )


def test_applicant_decision_letter_is_404_for_another_municipality(
    english, submitted, drive, bodo_applicant
):
    application = submitted()
    drive(application, to="decided")
    url = reverse("workflows:applicant_decision_letter", kwargs={"pk": application.pk})
    assert _login(english, bodo_applicant).get(url).status_code == 404


# --- the batch decision of a call -----------------------------------------------------------


@pytest.fixture
def call(kdd, case_officer):
    return trials.call_create(
        actor=case_officer,
        owner=kdd,
        description="Invitasjon.",
        title="Forhåndssøknader 2027",
        opens_on=timezone.localdate() - datetime.timedelta(days=30),
        closes_on=timezone.localdate() + datetime.timedelta(days=30),
        stage=Stage.PRELIMINARY,
    )


def test_call_batch_proposes_taken_forward_and_not(
    english, submitted, drive, call, case_officer, approver, open_task, applicant
):
    first = submitted(call=call, title="Fyrste")
    second = submitted(call=call, title="Andre")
    waiting = submitted(call=call, title="Tredje")
    drive(first, to="propose")
    drive(second, to="propose")
    url = reverse("workflows:call_batch", kwargs={"call_pk": call.pk})
    _login(english, case_officer)
    response = english.get(url)
    assert response.status_code == 200
    text = _text(response)
    for application in (first, second, waiting):
        assert application.reference in text
    assert f'name="forward_{first.pk}"' in text and f'name="forward_{second.pk}"' in text
    assert f'name="forward_{waiting.pk}"' not in text

    response = english.post(url, {f"forward_{first.pk}": "on", "summary": "Vi gjekk gjennom."})
    assert response.status_code == 200
    text = _text(response)
    assert 'href="#id_reasons"' in text and "Vi gjekk gjennom." in text
    assert _fresh(first).status == ApplicationStatus.UNDER_REVIEW

    response = english.post(
        url,
        {f"forward_{first.pk}": "on", "summary": "Vi gjekk gjennom.", "reasons": "For tidleg."},
    )
    assert response.status_code == 302
    assert _fresh(first).status == _fresh(second).status == ApplicationStatus.DECISION_PROPOSED
    proposals = {p.application_id: p for p in first.proposals.model.objects.all()}
    assert {spec["outcome"] for spec in proposals[first.pk].outcomes.values()} == {"granted"}
    assert {spec["outcome"] for spec in proposals[second.pk].outcomes.values()} == {"refused"}
    assert {spec["reasons"] for spec in proposals[second.pk].outcomes.values()} == {"For tidleg."}
    assert open_task(first, "approve") and open_task(second, "approve")

    assert _login(english, approver).get(url).status_code == 403
    assert _login(english, applicant).get(url).status_code == 403


def test_call_batch_rolls_back_every_proposal_when_one_is_refused(
    english, submitted, drive, call, case_officer, open_task
):
    first = submitted(call=call, title="Fyrste")
    second = submitted(call=call, title="Andre")
    drive(first, to="assess")
    services.task_complete(
        actor=case_officer,
        task=open_task(first, "assess"),
        payload={
            "assessments": {
                e.pk: {"assessment": Assessment.OUTSIDE_LIMITS, "note": "Strir mot § 4."}
                for e in _exemptions(first)
            }
        },
    )
    drive(second, to="propose")
    url = reverse("workflows:call_batch", kwargs={"call_pk": call.pk})
    response = _login(english, case_officer).post(
        url, {f"forward_{first.pk}": "on", f"forward_{second.pk}": "on", "summary": "Samla."}
    )
    assert response.status_code == 200
    assert "cannot be granted" in _text(response)
    assert _fresh(second).status == ApplicationStatus.UNDER_REVIEW  # rolled back


def test_nav_link_for_consultees_and_approvers(english, consultee, approver, applicant):
    for user in (consultee, approver):
        text = _text(_login(english, user).get(reverse("home")))
        assert 'href="/saksbehandling/"' in text
    text = _text(_login(english, applicant).get(reverse("home")))
    assert 'href="/saksbehandling/"' not in text


def test_queue_has_no_approval_of_ones_own_proposal(english, submitted, drive, case_officer, kdd):
    application = submitted()
    drive(application, to="approve")
    membership_grant(actor=None, user=case_officer, organisation=kdd, role=Role.APPROVER)
    response = _login(english, case_officer).get(reverse("workflows:inbox"))
    assert "approve" not in [row.step for row in response.context["queue_rows"]]


def test_a_consultee_does_not_see_internal_notes_proposals_or_history_before_the_decision(
    english, submitted, drive, consultee, case_officer, open_task
):
    application = submitted()
    drive(application, to="assess")
    services.task_complete(
        actor=case_officer,
        task=open_task(application, "assess"),
        payload={
            "assessments": {
                e.pk: {"assessment": Assessment.WITHIN_SCOPE, "note": "INTERNAL-NOTE-MARKER"}
                for e in _exemptions(application)
            }
        },
    )
    _login(english, consultee)
    page = _text(english.get(_case_url(application)))
    assert "INTERNAL-NOTE-MARKER" not in page
    _login(english, case_officer)
    assert "INTERNAL-NOTE-MARKER" in _text(english.get(_case_url(application)))

    # The consultation task: neither its page nor the API shows the note.
    task = open_task(application, "consult")
    page = _text(_login(english, consultee).get(_task_url(task)))
    assert "INTERNAL-NOTE-MARKER" not in page
    detail = _api(consultee).get(_api_task(task)).json()
    assert [e["assessment_note"] for e in detail["exemptions"]] == [None]
    actions = selectors.task_access(consultee, task).actions
    assert detail["allowed_actions"] == actions == ["claim", "complete", "reassign"]


# --- the page and the API give the same answer ----------------------------------------------


def test_the_proposer_may_not_see_take_be_given_or_do_the_approval_anywhere(
    english, submitted, drive, case_officer, kdd, approver
):
    application = submitted()
    task = drive(application, to="approve")  # proposed by case_officer
    membership_grant(actor=None, user=case_officer, organisation=kdd, role=Role.APPROVER)
    assert not selectors.may_review(case_officer, selectors.pending_proposal(application.pk))
    assert selectors.may_review(approver, selectors.pending_proposal(application.pk))
    assert task not in selectors.tasks_for_user(case_officer)

    _login(english, case_officer)
    for response in (
        english.get(_task_url(task)),
        english.post(_task_url(task), {"decision": "approve"}),
        english.post(reverse("workflows:task_claim", kwargs={"task_pk": task.pk})),
    ):
        assert response.status_code == 403
        assert FOUR_EYES in _text(response)
    api = _api(case_officer)
    for response in (
        api.get(_api_task(task)),
        api.post(_api_task(task, "claim")),
        api.post(_api_task(task, "complete"), {"decision": "approve"}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == FOUR_EYES
    response = api.post(_api_task(task, "reassign"), {"username": case_officer.username})
    assert response.status_code == 400 and response.json()["username"] == [FOUR_EYES]
    with pytest.raises(ValidationError):
        services.task_reassign(actor=approver, task=task, user=case_officer)
    assert case_officer not in selectors.eligible_assignees(task)
    response = _login(english, approver).post(
        reverse("workflows:task_reassign", kwargs={"task_pk": task.pk}),
        {"user": case_officer.pk},
        follow=True,
    )
    assert FOUR_EYES in _messages(response)
    task.refresh_from_db()
    assert task.owner is None and _fresh(application).status == ApplicationStatus.DECISION_PROPOSED

    response = _login(english, approver).get(_task_url(task))  # another approver may
    assert response.status_code == 200 and response.context["form"] is not None
    assert english.post(_task_url(task), {"decision": "approve"}).status_code == 302
    assert _fresh(application).status == ApplicationStatus.APPROVED


def test_a_task_someone_took_says_who_on_the_page_and_in_the_api(
    english, submitted, case_officer, kdd, open_task
):
    application = submitted()
    task = open_task(application, "register")
    colleague = person(kdd, Role.CASE_OFFICER, "kollega.kdd", first_name="Jon", last_name="Li")
    services.task_claim(actor=colleague, task=task)
    taken = "Jon Li has already taken this task."
    response = _login(english, case_officer).post(
        reverse("workflows:task_claim", kwargs={"task_pk": task.pk}), follow=True
    )
    assert taken in _messages(response)
    response = _api(case_officer).post(_api_task(task, "claim"))
    assert response.status_code == 409 and response.json()["detail"] == taken

    services.task_unassign(actor=colleague, task=task)
    back = "Nobody has this task now: it is back in the queue."
    response = _api(colleague).post(_api_task(task, "unassign"))
    assert response.status_code == 409 and response.json()["detail"] == back
    response = _login(english, colleague).post(
        reverse("workflows:task_unassign", kwargs={"task_pk": task.pk}), follow=True
    )
    assert back in _messages(response)


def test_a_task_of_a_withdrawn_application_says_so_on_the_page_and_in_the_api(
    english, submitted, case_officer, applicant, open_task
):
    application = submitted()
    task = open_task(application, "register")
    trials.application_withdraw(actor=applicant, application=application, reason="Trekt.")
    withdrawn = "The application has been withdrawn, so this task is closed."
    response = _login(english, case_officer).post(_task_url(task), follow=True)
    assert response.redirect_chain[-1][0] == _case_url(application)
    assert withdrawn in _messages(response)
    response = _api(case_officer).post(_api_task(task, "complete"), {}, format="json")
    assert response.status_code == 409 and response.json()["detail"] == withdrawn
    with pytest.raises(services.TaskDone, match=withdrawn):
        services.task_claim(actor=case_officer, task=task)


def test_a_refused_approval_page_says_why_not_just_no_access(
    english, submitted, drive, case_officer, kdd
):
    application = submitted()
    task = drive(application, to="approve")  # proposed by case_officer
    membership_grant(actor=None, user=case_officer, organisation=kdd, role=Role.APPROVER)
    response = _login(english, case_officer).get(_task_url(task))
    assert response.status_code == 403
    page = _text(response)
    assert "<h1>Not allowed</h1>" in page
    assert f'role="alert"> <p><strong>Why:</strong> {FOUR_EYES}</p>' in page
    assert "You do not have access to this page" not in page
    assert page.count(FOUR_EYES) == 1  # said once, not again in a message box


# --- the inbox: sorting, pages, due dates at a glance, each role's filters --------------------


def test_inbox_sorts_by_due_date_and_says_which_tasks_are_due_soon_or_overdue(
    english, submitted, case_officer
):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=2), tick=False):
        sooner = submitted(title="Tidlegare frist")  # registration: due 3 days after
    later = submitted(title="Seinare frist")
    _login(english, case_officer)
    url = reverse("workflows:inbox")

    def order(**params):
        response = english.get(url, params)
        return [row.application.pk for row in response.context["queue_rows"]], response

    assert order()[0] == [sooner.pk, later.pk]  # soonest due first by default
    assert order(sort="-due")[0] == [later.pk, sooner.pk]
    assert order(sort="-created")[0] == [later.pk, sooner.pk]
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2), tick=False):
        rows, response = order()
        text = _text(response)
        overdue, soon = response.context["queue_rows"]
        assert overdue.overdue and not overdue.due_soon
        assert soon.due_soon and not soon.overdue
    assert rows == [sooner.pk, later.pk]
    assert text.count(">Overdue</span>") == 1 and text.count("Due soon") == 1


def test_inbox_lists_come_a_page_at_a_time_and_keep_the_filters(
    english, submitted, case_officer, monkeypatch
):
    from workflows.case import views

    monkeypatch.setattr(views, "TASKS_PER_PAGE", 1)
    first = submitted(title="Første")
    second = submitted(title="Andre")
    _login(english, case_officer)
    url = reverse("workflows:inbox")
    response = english.get(url, {"municipality": "3405"})
    assert [row.application.pk for row in response.context["queue_rows"]] == [first.pk]
    text = _text(response)
    assert 'aria-label="Pages of the queue"' in text
    assert 'Queue <span class="tab-count">(2)</span>' in text
    next_link = response.context["queue_pages"]["next"]
    assert "qpage=2" in next_link and "municipality=3405" in next_link
    response = english.get(url, {"municipality": "3405", "qpage": "2"})
    assert [row.application.pk for row in response.context["queue_rows"]] == [second.pk]


def test_each_role_sees_the_filters_that_mean_something_to_it(
    english, case_officer, hod_consultee, approver
):
    url = reverse("workflows:inbox")
    officer = _login(english, case_officer).get(url).context["form"].fields
    assert {"step", "call", "municipality", "ministry", "sort"} <= set(officer)
    assert len(officer["ministry"].choices) > 10  # every ministry, and "All"
    consultee = _login(english, hod_consultee).get(url)
    fields = consultee.context["form"].fields
    assert "step" not in fields and "call" not in fields and "ministry" not in fields
    assert {"municipality", "sort"} <= set(fields)
    assert 'name="step"' not in _text(consultee)
    leader = _login(english, approver).get(url).context["form"].fields
    assert "step" not in leader and "call" in leader
