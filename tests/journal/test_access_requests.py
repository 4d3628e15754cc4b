"""Access requests (innsynskrav) end to end: the public form and its receipt, the process
task in the officers' list, grant and refusal with their emails, working-day deadlines,
and the requester's address kept off every public page."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from viewflow.workflow.status import PROCESS, STATUS

from casework.choices import AccessRequestStatus, EntryType, ScreeningBasis
from casework.models import AccessRequest
from casework.selectors import audit_events_for
from casework.services import access_request_create, journal_entry_create
from tests.background import run_due_tasks
from tests.journal.conftest import SECRET_EMAIL, SECRET_NAME
from workflows.access import selectors as access_selectors
from workflows.access import services as access_services
from workflows.access.flows import AccessRequestFlow
from workflows.access.models import AccessRequestProcess
from workflows.case.services import TaskDone

pytestmark = pytest.mark.django_db

FORM = "/innsyn/"


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def request_access(client, django_capture_on_commit_callbacks):
    """``request_access(entry, **fields)``: the public form posted; returns the response."""

    def post(entry, **fields):
        data = {
            "document": entry.document_number,
            "email": SECRET_EMAIL,
            "name": SECRET_NAME,
            "message": "Eg vil gjerne sjå heile brevet.",
            **fields,
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{FORM}?entry={entry.pk}", data)
        run_due_tasks()  # the worker sends the receipt
        return response

    return post


@pytest.fixture
def received(make_entry, request_access):
    """An access request for a public entry with one PDF, its receipt sent."""
    entry = make_entry(title="Svar på søknad om forsøk")
    response = request_access(entry)
    assert response.status_code == 302
    mail.outbox.clear()
    return AccessRequest.objects.get(entry=entry)


def _task(access_request):
    return AccessRequestFlow.task_class.objects.select_related("process").get(
        process__accessrequestprocess__access_request=access_request,
        flow_task=AccessRequestFlow.decide_access,
    )


def _decide(client, officer, access_request, data, capture):
    client.force_login(officer)
    with capture(execute=True):
        response = client.post(reverse("access_requests:decide", args=[access_request.pk]), data)
    run_due_tasks()  # the worker sends the decision
    return response


def test_the_journal_link_opens_the_form_for_that_entry(client, make_entry):
    entry = make_entry(title="Svar på søknad")
    response = client.get(FORM, {"entry": entry.pk})
    assert response.status_code == 200
    assert response.context["form"]["document"].value() == entry.document_number
    assert "Svar på søknad" in _text(response)
    assert "no-store" in response["Cache-Control"]


def test_validation_errors_keep_everything_typed(client, make_entry):
    entry = make_entry()
    response = client.post(
        f"{FORM}?entry={entry.pk}",
        {
            "document": entry.document_number,
            "email": "",
            "name": "Kari",
            "message": "Heile brevet, takk.",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email"}
    text = _text(response)
    assert 'value="Kari"' in text
    assert "Heile brevet, takk." in text
    assert f'value="{entry.document_number}"' in text
    assert 'href="#id_email"' in text  # the error summary links to the field
    assert not AccessRequest.objects.exists()


def test_an_unknown_document_number_is_explained(client, make_entry):
    entry = make_entry()
    response = client.post(FORM, {"document": f"{entry.case.number}-9", "email": "a@example.org"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"document"}
    response = client.post(FORM, {"document": "brevet frå mars", "email": "a@example.org"})
    assert set(response.context["form"].errors) == {"document"}


def test_a_request_gets_a_reference_a_receipt_and_a_task_in_the_officers_queue(
    client, make_entry, request_access, case_officer
):
    entry = make_entry(title="Svar på søknad om forsøk")
    response = request_access(entry)
    access_request = AccessRequest.objects.get()
    assert re.fullmatch(r"INN-\d{4}-0001", access_request.reference)
    assert access_request.status == AccessRequestStatus.RECEIVED
    assert access_request.language == "nb"

    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert access_request.reference in _text(receipt)
    assert SECRET_EMAIL not in _text(receipt)

    [message] = mail.outbox
    assert message.to == [SECRET_EMAIL]
    assert access_request.reference in message.subject
    assert entry.document_number in message.body

    process = AccessRequestProcess.objects.get(access_request=access_request)
    task = _task(access_request)
    assert task.status == STATUS.NEW and task.owner is None
    assert task.owner_permission == "workflows.handle_case"
    assert list(access_selectors.open_access_tasks()) == [task]
    assert access_services.can_decide(case_officer, task)
    assert process.status == PROCESS.NEW

    client.force_login(case_officer)
    listing = client.get(reverse("access_requests:list"))
    assert listing.status_code == 200
    assert access_request.reference in _text(listing)
    page = client.get(reverse("access_requests:decide", args=[access_request.pk]))
    assert SECRET_EMAIL in _text(page)  # officers see who to answer

    second = request_access(make_entry(title="Anna brev"))
    assert second.status_code == 302
    assert AccessRequest.objects.order_by("pk").last().reference.endswith("-0002")


def test_the_audit_trail_records_the_request_without_the_requesters_address(received):
    events = audit_events_for(received)
    assert [e.action for e in events] == ["mail.sent", "access_request.received"]
    for event in events:
        assert SECRET_EMAIL not in str(event.data) + event.object_repr + event.reason
        assert SECRET_NAME not in str(event.data) + event.object_repr + event.reason


def test_granting_sends_the_document_to_the_requester(
    client, received, case_officer, django_capture_on_commit_callbacks
):
    document = received.entry.documents.get()
    response = _decide(
        client,
        case_officer,
        received,
        {"decision": "grant", "documents": [document.pk], "reason": "Vedlagt."},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("access_requests:list")
    received.refresh_from_db()
    assert received.status == AccessRequestStatus.GRANTED
    assert received.decided_by == case_officer and received.decided_at
    task = _task(received)
    assert task.status == STATUS.DONE and task.owner == case_officer
    assert task.process.status == PROCESS.DONE

    run_due_tasks()
    [message] = mail.outbox
    assert message.to == [SECRET_EMAIL]
    assert received.reference in message.subject
    [(filename, content, mimetype)] = message.attachments
    assert filename.endswith(".pdf") and content.startswith(b"%PDF")
    assert mimetype == "application/pdf"
    assert reverse("journal:document", args=[document.pk]) in message.body
    assert "Vedlagt." in message.body
    assert [e.action for e in audit_events_for(received)] == [
        "mail.sent",  # the decision, sent by the worker
        "access_request.granted",
        "mail.sent",  # the receipt
        "access_request.received",
    ]
    assert not list(access_selectors.open_access_tasks())


def test_refusing_without_a_legal_basis_is_an_error_and_keeps_the_task_open(
    client, received, case_officer, django_capture_on_commit_callbacks
):
    response = _decide(
        client,
        case_officer,
        received,
        {"decision": "refuse", "basis": "", "reason": "Teieplikt."},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"basis"}
    assert "Teieplikt." in _text(response)
    received.refresh_from_db()
    assert received.status == AccessRequestStatus.RECEIVED
    task = _task(received)
    assert task.status == STATUS.NEW and task.owner is None  # the claim was rolled back
    assert mail.outbox == []

    with pytest.raises(ValidationError) as error:
        access_services.access_task_complete(
            actor=case_officer, task=task, payload={"decision": "refuse", "reason": "Nei."}
        )
    assert set(error.value.message_dict) == {"basis"}


def test_refusing_with_a_legal_basis_tells_the_requester_why_and_how_to_appeal(
    client, received, case_officer, django_capture_on_commit_callbacks
):
    response = _decide(
        client,
        case_officer,
        received,
        {"decision": "refuse", "basis": ScreeningBasis.OFFL_13, "reason": "Teieplikt."},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.status == AccessRequestStatus.REFUSED
    assert received.refusal_basis == ScreeningBasis.OFFL_13
    [message] = mail.outbox
    assert message.to == [SECRET_EMAIL]
    assert message.attachments == []
    assert "§ 13" in message.body and "Teieplikt." in message.body
    assert "§ 32" in message.body
    assert _task(received).status == STATUS.DONE


def test_a_second_decision_is_told_someone_else_decided_first(
    client, received, case_officer, django_capture_on_commit_callbacks
):
    task = _task(received)
    with django_capture_on_commit_callbacks(execute=True):
        access_services.access_task_complete(
            actor=case_officer, task=task, payload={"decision": "grant"}
        )
    with pytest.raises(TaskDone):
        access_services.access_task_complete(
            actor=case_officer,
            task=task,
            payload={"decision": "refuse", "basis": "offl_13", "reason": "For seint."},
        )
    response = _decide(
        client,
        case_officer,
        received,
        {"decision": "refuse", "basis": "offl_13", "reason": "For seint."},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.status == AccessRequestStatus.GRANTED
    assert len(mail.outbox) == 1


def test_only_case_officers_see_and_decide_access_requests(client, received, applicant):
    pages = [reverse("access_requests:list"), reverse("access_requests:decide", args=[received.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(applicant)
    for url in pages:
        assert client.get(url).status_code == 403
    with pytest.raises(PermissionDenied):
        access_services.access_task_complete(
            actor=applicant, task=_task(received), payload={"decision": "grant"}
        )
    assert _task(received).status == STATUS.NEW


def test_a_grant_leaves_out_attachments_screened_on_their_own_unless_chosen(
    client,
    make_case,
    request_access,
    case_officer,
    application_with_attachments,
    django_capture_on_commit_callbacks,
):
    application, public_attachment, screened_attachment = application_with_attachments
    entry = journal_entry_create(
        actor=None,
        case=make_case(),
        entry_type=EntryType.INCOMING,
        title="Søknad med vedlegg",
        screening_basis=ScreeningBasis.OFFL_13,
        documents=[
            {"title": "Søknaden", "source": application},
            {"title": "Plan", "source": public_attachment},
            {"title": "Helseopplysningar", "source": screened_attachment},
        ],
    )
    request_access(entry)
    access_request = AccessRequest.objects.get(entry=entry)
    mail.outbox.clear()
    client.force_login(case_officer)
    page = client.get(reverse("access_requests:decide", args=[access_request.pk]))
    form = page.context["form"]
    plan, health = entry.documents.order_by("pk")[1:]
    assert form["documents"].value() == [str(plan.pk)]  # the screened one is not preselected
    assert {value for value, _label in form.fields["documents"].choices} == {
        str(plan.pk),
        str(health.pk),
    }

    with django_capture_on_commit_callbacks(execute=True):
        access_services.access_task_complete(
            actor=case_officer, task=_task(access_request), payload={"decision": "grant"}
        )
    run_due_tasks()
    [message] = mail.outbox
    assert [name for name, _content, _type in message.attachments] == ["plan for forsøket.pdf"]
    # the entry is screened: no public link to its documents
    assert "/journal/dokument/" not in message.body


def test_a_request_on_a_friday_is_due_on_wednesday(make_entry, request_access, at):
    entry = make_entry()
    with at(2026, 3, 6, 15, 30):
        request_access(entry)
    assert str(AccessRequest.objects.get().due_date) == "2026-03-11"


def test_a_request_before_easter_2027_is_due_after_the_holidays(make_entry, at):
    entry = make_entry()
    with at(2027, 3, 24, 9):
        access_request = access_request_create(actor=None, entry=entry, email="a@example.org")
    assert str(access_request.due_date) == "2027-04-01"
    assert access_request.reference == "INN-2027-0001"


def test_the_service_refuses_an_invalid_email(make_entry):
    with pytest.raises(ValidationError) as error:
        access_request_create(actor=None, entry=make_entry(), email="ikkje-ei-adresse")
    assert set(error.value.message_dict) == {"email"}


def test_the_requesters_address_and_name_never_appear_on_public_pages(
    client, received, case_officer, django_capture_on_commit_callbacks
):
    _decide(
        client,
        case_officer,
        received,
        {"decision": "grant"},
        django_capture_on_commit_callbacks,
    )
    client.logout()
    entry = received.entry
    pages = [
        "/journal/",
        f"/journal/?number={entry.document_number}",
        f"{FORM}?entry={entry.pk}",
        FORM,
    ]
    for url in pages:
        text = _text(client.get(url))
        assert SECRET_EMAIL not in text and SECRET_NAME not in text, url


def test_a_tampered_receipt_link_is_not_found(client, make_entry, request_access):
    response = request_access(make_entry())
    assert client.get(response["Location"]).status_code == 200
    assert client.get(response["Location"].rstrip("/") + "x/").status_code == 404
    assert client.get("/innsyn/kvittering/1/").status_code == 404


def test_the_access_request_form_limits_requests_per_address(client, make_entry, monkeypatch):
    from django.core.cache import cache

    from casework.journal import views as public_views

    cache.clear()
    entry = make_entry()
    monkeypatch.setattr(public_views, "ACCESS_REQUESTS_PER_HOUR", 1)
    data = {"document": entry.document_number, "email": "journalist@example.no"}
    assert client.post("/innsyn/", data).status_code == 302
    response = client.post("/innsyn/", data)
    assert response.status_code == 200
    assert AccessRequest.objects.count() == 1
    page = response.content.decode()
    assert "journalist@example.no" in page  # what was typed is kept
    assert "postmottak@kdd.dep.no" in page


def test_the_access_request_limit_counts_the_client_not_a_forged_forwarded_header(
    client, make_entry, monkeypatch, settings
):
    from django.core.cache import cache

    from casework.journal import views as public_views

    cache.clear()
    entry = make_entry()
    monkeypatch.setattr(public_views, "ACCESS_REQUESTS_PER_HOUR", 1)
    data = {"document": entry.document_number, "email": "journalist@example.no"}
    settings.TRUSTED_PROXY_COUNT = 0
    assert client.post("/innsyn/", data, HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 302
    # A new forged address does not give a new allowance.
    assert client.post("/innsyn/", data, HTTP_X_FORWARDED_FOR="10.0.0.2").status_code == 200
    # Behind one trusted proxy, the address that proxy saw is the client.
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.post("/innsyn/", data, HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 302
    assert client.post("/innsyn/", data, HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 200
    assert AccessRequest.objects.count() == 2
