"""Every letter KDD journals has a web page drawn from the same rendered letter as its PDF,
for those entitled to it: the applicant's members in the portal (the letters to their
organisation, in the written form each was made in), KDD's officers from the case page, the
consulted ministry from its task. Access is the journal's one document rule; screened
entries stay screened for everyone else."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.choices import EntryType, Role, ScreeningBasis
from casework.models import JournalDocument
from casework.selectors import case_for
from casework.services import journal_entry_screen, organisation_language_form_set
from tests import builders
from tests.background import run_due_tasks
from tests.factories import person
from trials import services as trials

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _pdf(response) -> bytes:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


@pytest.fixture
def in_consultation(make_ready, applicant, staff, lillehammer, media_root):
    """Lillehammer (nynorsk) has its receipt, a preliminary answer and, at KD, a
    consultation letter: the letters of a case under consultation."""
    admin = person(lillehammer, Role.ADMINISTRATOR, "admin.lillehammer")
    organisation_language_form_set(actor=admin, organisation=lillehammer, language_form="nn")
    application = builders.submit(make_ready(), actor=applicant)
    builders.advance(application, to="consult", staff=staff)
    trials.interim_reply_send(
        actor=staff.officer,
        application=application,
        reason="Vi ventar på svar frå Kunnskapsdepartementet.",
        expected_decision=timezone.localdate() + datetime.timedelta(days=40),
    )
    run_due_tasks()
    return application


def _letters(application) -> dict[str, JournalDocument]:
    """The rendered letters of the case by the template they came from (their file name)."""
    documents = JournalDocument.objects.filter(
        entry__case=case_for(application), entry__entry_type=EntryType.OUTGOING, is_main=True
    ).select_related("entry__correspondent")
    found = {}
    for document in documents:
        assert document.letter, f"{document.title} has no rendered letter"
        name = re.sub(r"(_\w{7})?\.pdf$", "", document.file.name.rsplit("/", 1)[-1])
        found[name] = document
    return found


def test_the_officer_reads_every_letter_of_the_case_as_a_page_from_the_journal(
    english, in_consultation, case_officer, make_ready, applicant
):
    application = in_consultation
    letters = _letters(application)
    assert {"receipt", "consultation", "interim_reply"} <= set(letters)
    english.force_login(case_officer)
    case_page = _text(english.get(reverse("workflows:case", args=[application.pk])))
    for document in letters.values():
        url = reverse("workflows:case_letter", args=[application.pk, document.pk])
        assert url in case_page
        response = english.get(url)
        assert response.status_code == 200
        text = _text(response)
        assert document.letter["title"] in text
        assert f'lang="{document.language}"' in text
        assert reverse("workflows:journal_document", args=[document.pk]) in text
        assert case_for(application).number in text
    interim = _text(
        english.get(
            reverse("workflows:case_letter", args=[application.pk, letters["interim_reply"].pk])
        )
    )
    assert letters["interim_reply"].language == "nn"
    assert 'lang="nn"' in interim
    assert "Vi ventar på svar frå Kunnskapsdepartementet." in interim
    # The address of another case's page does not serve this case's letter.
    other = builders.submit(make_ready(title="Ein annan søknad"), actor=applicant)
    assert (
        english.get(
            reverse("workflows:case_letter", args=[other.pk, letters["receipt"].pk])
        ).status_code
        == 404
    )


def test_the_applicant_reads_the_letters_to_their_organisation_in_the_portal(
    english, in_consultation, applicant, bodo_applicant, bodo, case_officer
):
    application = in_consultation
    letters = _letters(application)
    english.force_login(applicant)
    detail = _text(english.get(reverse("trials:application_detail", args=[application.pk])))
    assert "Letters from the ministry" in detail
    for name in ("receipt", "interim_reply"):
        url = reverse("workflows:applicant_letter", args=[application.pk, letters[name].pk])
        assert url in detail
        page = english.get(url)
        assert page.status_code == 200
        assert 'lang="nn"' in _text(page)  # Lillehammer writes nynorsk
        assert _pdf(english.get(url, {"format": "pdf"})).startswith(b"%PDF")
    # The consultation letter went to the ministry, not to them: not among their letters,
    # and readable only as anyone may (the public journal's rule) once KD screens it.
    consultation = reverse(
        "workflows:applicant_letter", args=[application.pk, letters["consultation"].pk]
    )
    assert consultation not in detail
    journal_entry_screen(
        actor=case_officer,
        entry=letters["consultation"].entry,
        basis=ScreeningBasis.OFFL_15,
        reason="Innhenta for intern saksførebuing",
    )
    assert english.get(consultation).status_code == 404
    assert english.get(consultation, {"format": "pdf"}).status_code == 404
    # Nor may they use the officers' addresses.
    url = reverse("workflows:case_letter", args=[application.pk, letters["receipt"].pk])
    assert english.get(url).status_code == 404

    # Another municipality's applicant gets nothing, through its own application either.
    english.force_login(bodo_applicant)
    own = reverse("workflows:applicant_letter", args=[application.pk, letters["receipt"].pk])
    assert english.get(own).status_code == 404
    bodo_app = builders.draft(actor=bodo_applicant, organisation=bodo)
    url = reverse("workflows:applicant_letter", args=[bodo_app.pk, letters["receipt"].pk])
    assert english.get(url).status_code == 404
    assert english.get(url, {"format": "pdf"}).status_code == 404

    english.logout()
    assert english.get(own).status_code == 302  # to the login


def test_the_consulted_ministry_reads_its_consultation_letter_from_its_task(
    english, in_consultation, consultee, hod_consultee
):
    application = in_consultation
    letter = _letters(application)["consultation"]
    task = builders.open_task(application, "consult")
    english.force_login(consultee)
    page = _text(english.get(reverse("workflows:task", args=[task.pk])))
    url = reverse("workflows:case_letter", args=[application.pk, letter.pk])
    assert url in page
    response = english.get(url)
    assert response.status_code == 200
    assert "Kunnskapsdepartementet" in _text(response)
    # A ministry that was not consulted does not see it.
    english.force_login(hod_consultee)
    assert english.get(url).status_code == 404


def test_a_screened_letter_stays_screened(
    english, client, in_consultation, case_officer, applicant, bodo_applicant
):
    application = in_consultation
    document = _letters(application)["interim_reply"]
    journal_entry_screen(
        actor=case_officer, entry=document.entry, basis=ScreeningBasis.OFFL_13, reason="Teieplikt"
    )
    portal = reverse("workflows:applicant_letter", args=[application.pk, document.pk])
    pdf = reverse("workflows:journal_document", args=[document.pk])
    # Nobody outside the case: not another municipality, not the public.
    english.force_login(bodo_applicant)
    assert english.get(portal).status_code == 404
    assert english.get(pdf).status_code == 404
    english.logout()
    assert english.get(pdf).status_code in (302, 404)
    # The recipient reads the letter sent to it; the officer reads the case.
    english.force_login(applicant)
    assert english.get(portal).status_code == 200
    english.force_login(case_officer)
    url = reverse("workflows:case_letter", args=[application.pk, document.pk])
    assert english.get(url).status_code == 200


def test_the_page_shows_the_letter_as_sent_though_the_address_changed_since(
    english, in_consultation, applicant, lillehammer
):
    application = in_consultation
    document = _letters(application)["receipt"]
    before = document.letter["head"]["recipients"][0]["address"]
    lillehammer.postal_address = "Storgata 1\n2609 Lillehammer"
    lillehammer.save(update_fields=["postal_address"])
    english.force_login(applicant)
    text = _text(
        english.get(reverse("workflows:applicant_letter", args=[application.pk, document.pk]))
    )
    assert "Storgata 1" not in text
    for line in before:
        assert line in text


def test_a_document_that_is_no_rendered_letter_has_no_page(english, in_consultation, case_officer):
    application = in_consultation
    incoming = JournalDocument.objects.filter(
        entry__case=case_for(application), entry__entry_type=EntryType.INCOMING
    ).first()
    english.force_login(case_officer)
    url = reverse("workflows:case_letter", args=[application.pk, incoming.pk])
    assert english.get(url).status_code == 404


def test_the_extension_decision_letter_has_its_page_from_the_trials_page(
    english, trial_in_force, applicant, staff, case_officer
):
    extension = trials.extension_apply(
        actor=applicant, trial=trial_in_force, justification="Vi treng meir data.", months=12
    )
    run_due_tasks()
    builders.extension_through_case(extension, staff=staff)
    extension.refresh_from_db()
    document = extension.letter.documents.get(is_main=True)
    assert document.letter and document.file
    application = trial_in_force.application
    url = reverse("workflows:applicant_letter", args=[application.pk, document.pk])
    # The mail says the letter is on the trial's page: it is.
    english.force_login(applicant)
    trial_page = _text(english.get(reverse("trials:trial_detail", args=[trial_in_force.pk])))
    assert url in trial_page
    page = english.get(url)
    assert page.status_code == 200
    assert document.letter["title"] in _text(page)
    assert _pdf(english.get(url, {"format": "pdf"})).startswith(b"%PDF")
    # The officer from the case's journal.
    english.force_login(case_officer)
    officer_url = reverse("workflows:case_letter", args=[application.pk, document.pk])
    assert officer_url in _text(english.get(reverse("workflows:case", args=[application.pk])))
    assert english.get(officer_url).status_code == 200


def test_the_decision_letter_page_shows_the_letter_as_sent(
    english, make_ready, applicant, staff, lillehammer, media_root
):
    application = builders.submit(make_ready(), actor=applicant)
    builders.advance(application, to="decided", staff=staff)
    lillehammer.postal_address = "Storgata 1\n2609 Lillehammer"
    lillehammer.save(update_fields=["postal_address"])
    english.force_login(applicant)
    url = reverse("workflows:applicant_decision_letter", args=[application.pk])
    text = _text(english.get(url))
    assert case_for(application).number in text
    assert "Storgata 1" not in text  # the address block as the letter was sent
