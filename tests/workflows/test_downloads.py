"""Who may download an attachment or a journal document: one selector per question
(``trials.selectors.attachment_for_user``, ``casework.selectors.document_for_user``), and
every page and API endpoint that serves a file answers as they do."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.http import Http404
from django.test import TestCase
from django.urls import reverse
from rest_framework.test import APIClient

from casework.choices import EntryType, Role, ScreeningBasis
from casework.selectors import case_for, document_for_user
from casework.services import journal_entry_create
from tests import builders
from tests.factories import municipality
from tests.files import pdf_bytes
from tests.fixtures import kdd_staff, lillehammer_applicant
from tests.once import fresh
from trials.choices import Stage
from trials.selectors import attachment_for_user

pytestmark = pytest.mark.django_db

WHO = ["applicant", "case_officer", "consultee", "hod_consultee", "bodo_applicant", "public"]


@pytest.fixture
def people(applicant, case_officer, consultee, hod_consultee, bodo_applicant):
    """The lead applicant (owner), the KDD officer, the consulted ministry (KD), a ministry
    not consulted (HOD), another municipality's applicant, and someone without login."""
    return {
        "applicant": applicant,
        "case_officer": case_officer,
        "consultee": consultee,
        "hod_consultee": hod_consultee,
        "bodo_applicant": bodo_applicant,
        "public": AnonymousUser(),
    }


@pytest.fixture(scope="module")
def _case(built_once):
    with built_once():
        applicant = lillehammer_applicant()
        application = builders.ready(
            actor=applicant, organisation=municipality("3405"), stage=Stage.FINAL
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            builders.submit(application, actor=applicant)
        builders.advance(
            application,
            to="consult",
            staff=kdd_staff(),
            summary="Forsøket blir godkjent.",
            statement="",
        )
        case = case_for(application)
        receipt = case.entries.filter(entry_type=EntryType.OUTGOING).first().documents.get()
        note = journal_entry_create(
            actor=builders.kdd_person(Role.CASE_OFFICER),
            case=case,
            entry_type=EntryType.INTERNAL,
            title="Internt notat om søknaden",
            screening_basis=ScreeningBasis.OFFL_14,
            documents=[
                {"title": "Notat", "file": ContentFile(pdf_bytes()), "filename": "notat.pdf"}
            ],
        ).documents.get()
        return {"application": application, "receipt": receipt, "note": note}


@pytest.fixture
def in_consultation(_case, db, media_root):
    """A final application with attachments, in consultation with KD (built once for the
    module, tests/once.py)."""
    return fresh(_case["application"])


@pytest.fixture
def documents(_case, db, media_root):
    """The case's public receipt and an internal note screened under offentleglova § 14."""
    return fresh({"receipt": _case["receipt"], "note": _case["note"]})


def _allowed(function, user, pk) -> bool:
    try:
        function(user, pk)
    except Http404:
        return False
    return True


def _client(user):
    client = APIClient()
    if user.is_authenticated:
        client.force_login(user)
    return client


ATTACHMENT_READERS = {"applicant", "case_officer"}


@pytest.mark.parametrize("who", WHO)
def test_an_attachment_is_for_its_applicants_and_kdd(people, in_consultation, media_root, who):
    attachment = in_consultation.attachments.first()
    allowed = who in ATTACHMENT_READERS
    assert _allowed(attachment_for_user, people[who], attachment.pk) is allowed
    response = _client(people[who]).get(reverse("trials:attachment_download", args=[attachment.pk]))
    if who == "public":
        assert response.status_code == 302  # to the login page
    else:
        assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert response["Cache-Control"] == "private, no-store"


def test_a_drafts_attachment_is_only_for_its_applicants(make_ready, people, media_root):
    attachment = make_ready(stage=Stage.FINAL).attachments.first()
    readers = {who for who in WHO if _allowed(attachment_for_user, people[who], attachment.pk)}
    assert readers == {"applicant"}


@pytest.mark.parametrize("who", WHO)
def test_a_public_document_is_for_everyone(people, documents, who):
    receipt = documents["receipt"]
    assert _allowed(document_for_user, people[who], receipt.pk)
    response = _client(people[who]).get(reverse("journal:document", args=[receipt.pk]))
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


CASE_READERS = {"case_officer", "consultee"}


@pytest.mark.parametrize("who", WHO)
def test_a_screened_document_is_for_the_people_on_the_case(people, documents, who):
    note = documents["note"]
    user = people[who]
    allowed = who in CASE_READERS
    assert _allowed(document_for_user, user, note.pk) is allowed
    # The public journal answers as it answers everyone, whoever is logged in.
    assert _client(user).get(reverse("journal:document", args=[note.pk])).status_code == 404
    if not user.is_authenticated:
        return
    response = _client(user).get(reverse("workflows:journal_document", args=[note.pk]))
    assert response.status_code == (200 if allowed else 404)
    case = note.entry.case
    api = reverse("case-document", kwargs={"pk": case.object_id, "document_id": note.pk})
    # The workspace API refuses applicants by role (403), the others by the case (404).
    assert _client(user).get(api).status_code == (
        200 if allowed else 403 if "applicant" in who else 404
    )
    if allowed:
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_an_unknown_or_malformed_document_is_not_found(people):
    for pk in (0, 999999, "abc"):
        assert not _allowed(document_for_user, people["case_officer"], pk)
        assert not _allowed(attachment_for_user, people["applicant"], pk)
