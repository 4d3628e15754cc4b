"""The public pages: front page, one application, a municipality or county.

Pages are read in English (the language cookie) so the tests read the source texts.
"""

import re

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import resolve, reverse

from casework.choices import EntryType, ScreeningBasis
from casework.models import JournalDocument
from casework.selectors import case_for
from casework.services import journal_entry_create
from trials.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text_of(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_front_page_shows_latest_applications_decisions_and_key_figures(english, dataset):
    response = english.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    assert "Trials in public administration" in text
    assert "How a trial comes about" in text  # the explanation of the scheme stays
    figures = response.context["figures"]
    assert figures["applications"] == 4  # the draft does not count
    assert figures["trials"] == 1
    assert figures["organisations"] == 3  # Lillehammer, Bodø, Øyer
    assert figures["exemptions"] == 5  # one each, and the health application two
    latest = [a.reference for a in response.context["latest_submitted"]]
    assert dataset["draft"].reference not in latest and len(latest) == 4
    decisions = [a.reference for a in response.context["latest_decisions"]]
    assert decisions == [dataset["refused"].reference, dataset["health"].reference]
    assert 'action="/soknader/"' in html and 'name="q"' in html
    assert 'type="application/atom+xml"' in html
    assert "Hemmeleg utkast" not in html


def test_application_page_shows_the_case_from_submission_to_decision(english, dataset):
    application = dataset["health"]
    response = english.get(f"/soknader/{application.reference}/")
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    assert "<h1>Helsestasjon i éin teneste</h1>" in html
    assert "Bodø" in text and "Eitt team for barn og unge." in text
    assert "Felles leiing av helsestasjonen." in text
    # Status in plain words, and what happens next.
    assert "The ministry has approved the trial, fully or in part." in text
    assert "What happens next:" in text
    # The exemptions: the act's page at the section, and Lovdata.
    assert 'href="/lover/LOV-2023-06-09-30/#13-1"' in html
    assert 'href="https://lovdata.no/dokument/NL/lov/2011-06-24-30/§3-3"' in html
    assert "Granted" in text
    # Both line ministries, with their positions now that the case is decided.
    assert "Ministry of Education and Research" in text or "Kunnskapsdepartementet" in text
    assert text.count("Supports") >= 2
    assert "Departementet støtter forsøket." in text
    # The decision and its reasons, and the trial's period.
    assert "Forsøket fyller vilkårene" in text
    trial = application.trial
    assert trial.starts_on.strftime("%Y") in text and "The trial runs from" in text
    # The timeline, in order.
    events = [event.text for event in response.context["timeline"]]
    assert events[0].startswith("Submitted by")
    assert events[1] == "Registered by the ministry"
    assert sum(e.startswith("Consultation sent to") for e in events) == 2
    assert sum(e.endswith("answered the consultation") for e in events) == 2
    assert events[-1] == "Decision: Approved"
    # The case's journal, with links to the public documents.
    case = case_for(application)
    for entry in case.entries.all():
        assert entry.document_number in text
    assert re.search(r'href="/journal/dokument/\d+/"', html)


def test_every_document_link_on_the_application_page_downloads(english, publish, media_root):
    """The application itself is journaled without a file (the page shows it): it is listed
    by title, never as a link that ends in 'not found'."""
    application = publish(stop_at="decided")
    html = english.get(f"/soknader/{application.reference}/").content.decode()
    links = re.findall(r'href="(/journal/dokument/\d+/)"', html)
    assert links, "the decision letter at least is a public document"
    for link in links:
        response = english.get(link)
        assert response.status_code == 200, link
        assert response["Content-Disposition"].startswith("attachment;")
    own = JournalDocument.objects.get(
        source_type=ContentType.objects.get_for_model(Application), source_id=application.pk
    )
    assert f"/journal/dokument/{own.pk}/" not in links
    assert own.title in html


def test_application_page_never_shows_what_is_not_public(english, dataset):
    for key in ("health", "joint"):
        application = dataset[key]
        html = english.get(f"/soknader/{application.reference}/").content.decode()
        assert "Kontakt " not in html and "kommune.example" not in html  # contact persons
        assert "saksbehandler.kdd" not in html and "Sara" not in html  # officers
        assert "Intern grunn" not in html  # the reason for withdrawal
    text = text_of(english.get(f"/soknader/{dataset['joint'].reference}/"))
    assert "The applicant withdrew the application" in text


def test_positions_wait_for_the_decision(english, publish):
    application = publish(stop_at="propose")  # consultation answered, no decision yet
    response = english.get(f"/soknader/{application.reference}/")
    text = text_of(response)
    assert "Answered" in text
    assert "Supports" not in text
    assert "Departementet støtter forsøket." not in text
    assert "The ministries' positions are published with the decision." in text


def test_a_screened_journal_entry_shows_its_basis_and_no_document(
    english, publish, case_officer, media_root
):
    application = publish(stop_at="check_completeness")  # registered: the case is open
    journal_entry_create(
        actor=case_officer,
        case=case_for(application),
        entry_type=EntryType.INTERNAL,
        title="Notat om Kari sine helseopplysningar",
        screened_words=["Kari", "helseopplysningar"],
        screening_basis=ScreeningBasis.OFFL_14,
        documents=[{"title": "Notat.pdf", "file": ContentFile(b"%PDF-1.4"), "is_main": True}],
    )
    html = english.get(f"/soknader/{application.reference}/").content.decode()
    assert "Notat om **** sine *****************" in html
    assert "Exempt from public access: Offentleglova § 14 (internal document)" in html
    assert "Notat.pdf" not in html
    assert "helseopplysningar" not in html


def test_drafts_and_unknown_references_are_not_found(client, dataset):
    assert client.get(f"/soknader/{dataset['draft'].reference}/").status_code == 404
    assert client.get("/soknader/FRI-1999-0001/").status_code == 404
    assert client.get("/kommuner/9999/").status_code == 404
    assert client.get("/kommuner/123/").status_code == 404


def test_municipality_page_lists_its_applications_as_lead_or_co_applicant(english, dataset):
    response = english.get("/kommuner/3440/")  # Øyer: co-applicant only
    assert response.status_code == 200
    assert [a.reference for a in response.context["applications"]] == [dataset["joint"].reference]
    assert response.context["figures"]["applications"] == 1
    assert 'href="/kommuner/3440/feed/"' in response.content.decode()

    response = english.get("/kommuner/1804/")  # Bodø: two applications, one trial
    figures = response.context["figures"]
    assert figures["applications"] == 2 and figures["approved"] == 1 and figures["trials"] == 1
    assert [t.application_id for t in response.context["trials"]] == [dataset["health"].pk]
    assert dataset["draft"].reference not in response.content.decode()


def test_county_page_covers_the_county_municipality_and_its_municipalities(english, dataset):
    response = english.get("/kommuner/34/")  # Innlandet: Lillehammer and Øyer
    assert response.status_code == 200
    assert {a.reference for a in response.context["applications"]} == {
        dataset["school"].reference,
        dataset["joint"].reference,
    }
    assert "Innlandet" in text_of(response)


def test_law_register_and_act_feed_addresses_do_not_clash(client):
    assert resolve("/lover/LOV-2023-06-09-30/").view_name == "legal:act_detail"
    assert resolve("/lover/LOV-2023-06-09-30/feed/").view_name == "public:feed_act"
    assert reverse("public:feed_act", args=["LOV-2023-06-09-30"]) == (
        "/lover/LOV-2023-06-09-30/feed/"
    )
    assert client.get("/lover/LOV-2023-06-09-30/").status_code == 200
    assert client.get("/lover/LOV-2023-06-09-30/feed/").status_code == 200
    assert client.get("/lover/LOV-1800-01-01-1/feed/").status_code == 404


def test_pages_answer_only_safe_methods(client, dataset):
    response = client.post("/soknader/")
    assert response.status_code == 405
    assert Application.objects.count() == 5


def test_the_case_journal_names_the_organisation_never_a_persons_name_like_the_journal(
    english, publish, case_officer
):
    application = publish(stop_at="check_completeness")
    entry = journal_entry_create(
        actor=case_officer,
        case=case_for(application),
        entry_type=EntryType.INCOMING,
        title="Innspel til forsøket",
        correspondent_name="Kari Innbyggjar",
    )
    detail = english.get(f"/soknader/{application.reference}/").content.decode()
    journal = english.get("/journal/").content.decode()
    api = english.get("/api/v1/public/journal/").content.decode()
    for text in (detail, journal, api):
        assert entry.document_number in text
        assert "Kari Innbyggjar" not in text
