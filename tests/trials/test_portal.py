"""The applicant portal ("Mine søknader") through the Django test client.

Pages are requested in English (the language cookie) so the assertions read the English
source texts whatever the bokmål catalogue says.
"""

import datetime
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from casework.choices import Role
from casework.models import Organisation
from tests.factories import person
from tests.files import pdf_bytes, png_bytes, upload
from trials import services
from trials.choices import ApplicationStatus, AttachmentKind, Purpose, Stage
from trials.models import Application, Attachment, ExemptionRequest
from trials.rules import MAX_CO_APPLICANTS, MAX_PERIOD_MONTHS

pytestmark = pytest.mark.django_db

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


@pytest.fixture(autouse=True)
def _english(client, media_root):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def as_applicant(client, applicant):
    client.force_login(applicant)
    return client


def html_of(response) -> str:
    return unescape(response.content.decode())


def step_url(application, step: str) -> str:
    return reverse("trials:application_step", args=[application.pk, step])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- My applications, new application, navigation -----------------------------------------


def test_my_applications_groups_drafts_submitted_and_decided(
    as_applicant, make_draft, make_ready, applicant, reach, django_capture_on_commit_callbacks
):
    draft = make_draft(title="Utkast om skyss")
    submitted = make_ready(title="Innsendt om skolerute")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=submitted)
    decided = reach(make_ready(title="Avgjort om bortvising"), ApplicationStatus.APPROVED)

    response = as_applicant.get("/mine-soknader/")
    assert response.status_code == 200
    groups = {group["key"]: group["applications"] for group in response.context["groups"]}
    assert [a.pk for a in groups["drafts"]] == [draft.pk]
    assert [a.pk for a in groups["in-process"]] == [submitted.pk]
    assert [a.pk for a in groups["decided"]] == [decided.pk]
    html = html_of(response)
    for application in (draft, submitted, decided):
        assert application.reference in html
        assert application.title in html
    assert "Lillehammer" in html
    assert 'class="ds-tag" data-color="info">Submitted<' in html
    assert 'class="ds-tag" data-color="success">Taken forward<' in html  # a preliminary application
    assert 'href="/mine-soknader/ny/"' in html


def test_my_applications_empty_state_and_nav_link(as_applicant):
    html = html_of(as_applicant.get("/mine-soknader/"))
    assert "Your organisation has no applications yet." in html
    nav = html[html.index('class="main-nav"') : html.index("</nav>", html.index("main-nav"))]
    assert 'href="/mine-soknader/" aria-current="page">My applications</a>' in nav


def test_nav_link_only_for_applicants(client, case_officer):
    client.force_login(case_officer)
    assert "My applications" not in html_of(client.get("/"))


def test_my_applications_needs_login(client):
    response = client.get("/mine-soknader/")
    assert response.status_code == 302
    assert response.url.startswith("/logg-inn/")


def test_new_application_preselects_the_only_organisation_and_opens_step_one(
    as_applicant, lillehammer
):
    response = as_applicant.get("/mine-soknader/ny/")
    html = html_of(response)
    assert f'<option value="{lillehammer.pk}" selected>' in html

    response = as_applicant.post(
        "/mine-soknader/ny/",
        {"lead_organisation": lillehammer.pk, "stage": Stage.PRELIMINARY, "title": "Ny skyss"},
    )
    application = Application.objects.get(title="Ny skyss")
    assert response.status_code == 302
    assert response.url == step_url(application, "om")
    assert application.lead_organisation == lillehammer
    assert application.status == ApplicationStatus.DRAFT


def test_new_application_refuses_another_organisation_and_keeps_the_title(as_applicant, bodo):
    response = as_applicant.post(
        "/mine-soknader/ny/",
        {"lead_organisation": bodo.pk, "stage": Stage.PRELIMINARY, "title": "Min tittel"},
    )
    assert response.status_code == 200
    html = html_of(response)
    assert 'role="alert"' in html
    assert 'value="Min tittel"' in html
    assert 'aria-invalid="true"' in html
    assert not Application.objects.exists()


def test_only_applicants_can_start_an_application(client, case_officer):
    client.force_login(case_officer)
    assert client.get("/mine-soknader/ny/").status_code == 403


# --- The steps save the draft ---------------------------------------------------------------


def test_step_about_saves(as_applicant, make_draft):
    application = make_draft()
    start = timezone.localdate() + datetime.timedelta(days=120)
    response = as_applicant.post(
        step_url(application, "om"),
        {
            "title": "Ny tittel",
            "summary": "Kort samandrag",
            "description": "Lang skildring",
            "requested_start": start.isoformat(),
            "period_months": "36",
            "stage": Stage.PRELIMINARY,
            "call": "",
            "preliminary": "",
            "action": "continue",
        },
    )
    assert response.status_code == 302
    assert response.url == step_url(application, "formal")
    application.refresh_from_db()
    assert application.title == "Ny tittel"
    assert application.summary == "Kort samandrag"
    assert application.description == "Lang skildring"
    assert application.requested_start == start
    assert application.period_months == 36


def test_step_buttons_save_and_go_back(as_applicant, make_draft):
    application = make_draft()
    data = {"title": "T", "stage": Stage.PRELIMINARY, "action": "save"}
    response = as_applicant.post(step_url(application, "om"), data, follow=True)
    assert response.redirect_chain[-1][0] == step_url(application, "om")
    assert "Your changes are saved." in messages_of(response)
    response = as_applicant.post(step_url(application, "formal"), {"action": "back"})
    assert response.url == step_url(application, "om")


def test_step_indicator_marks_the_current_step(as_applicant, make_draft):
    application = make_draft()
    html = html_of(as_applicant.get(step_url(application, "formal")))
    assert f'href="{step_url(application, "formal")}" aria-current="step"' in html
    assert html.count('aria-current="step"') == 1
    assert "Step 2 of 6" in html


def test_step_about_validation_error_keeps_every_typed_value(as_applicant, make_draft):
    application = make_draft(title="Gammal tittel")
    response = as_applicant.post(
        step_url(application, "om"),
        {
            "title": "Skriven tittel",
            "summary": "Skrive samandrag",
            "description": "Skriven skildring\nover to linjer",
            "requested_start": "2031-02-30",
            "period_months": "99",
            "stage": Stage.FINAL,
            "action": "continue",
        },
    )
    assert response.status_code == 200
    html = html_of(response)
    assert 'value="Skriven tittel"' in html
    assert ">\nSkrive samandrag</textarea>" in html
    assert ">\nSkriven skildring\nover to linjer</textarea>" in html
    assert 'value="2031-02-30"' in html
    assert 'value="99"' in html
    assert re.search(r'value="final"[^>]*id="id_stage_1" checked', html)
    # Error summary at the top, linking to the fields; fields marked invalid.
    summary = html[html.index('class="ds-error-summary" role="alert"') :]
    assert (
        f'href="#id_period_months">The period must be between 1 and {MAX_PERIOD_MONTHS} months.'
        in summary
    )
    assert 'href="#id_requested_start">Write the date as year-month-day' in summary
    assert re.search(r'id="id_period_months"[^>]*aria-invalid="true"', html) or re.search(
        r'aria-invalid="true"[^>]*id="id_period_months"', html
    )
    assert 'aria-describedby="id_period_months_helptext id_period_months_error"' in html
    assert 'id="id_period_months_error"' in html
    assert "<title>Error: Step 1 of 6: About the trial" in html
    application.refresh_from_db()
    assert application.title == "Gammal tittel"


def test_step_purposes_saves_categories_purposes_and_effects(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.post(
        step_url(application, "formal"),
        {
            "categories": ["a", "c"],
            f"purpose_{Purpose.BETTER_SERVICES}": "on",
            f"justification_{Purpose.BETTER_SERVICES}": "Betre tenester",
            f"purpose_{Purpose.RESOURCES}": "on",
            f"justification_{Purpose.RESOURCES}": "Mindre sløsing",
            "expected_effects": "Effektar",
            "effect_measurement": "Måling",
            "affected_services": "Skule",
            "affected_citizens": "Elevar",
            "involvement": "Tillitsvalde",
            "action": "continue",
        },
    )
    assert response.status_code == 302
    assert response.url == step_url(application, "unntak")
    application.refresh_from_db()
    assert application.categories == ["a", "c"]
    assert application.expected_effects == "Effektar"
    assert application.involvement == "Tillitsvalde"
    assert {p.purpose: p.justification for p in application.purposes.all()} == {
        Purpose.BETTER_SERVICES: "Betre tenester",
        Purpose.RESOURCES: "Mindre sløsing",
    }
    html = html_of(as_applicant.get(step_url(application, "formal")))
    assert re.search(
        rf'name="purpose_{Purpose.RESOURCES}"[^>]*id="id_purpose_{Purpose.RESOURCES}" checked', html
    )
    assert ">\nMindre sløsing</textarea>" in html


def test_step_purposes_validation_error_keeps_every_typed_value(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.post(
        step_url(application, "formal"),
        {
            "categories": ["b"],
            f"purpose_{Purpose.DEMOCRACY}": "on",
            f"justification_{Purpose.DEMOCRACY}": "",
            f"justification_{Purpose.RESOURCES}": "Tekst utan kryss",
            "expected_effects": "Venta effekt",
            "effect_measurement": "Slik måler vi",
            "affected_services": "Tenester",
            "affected_citizens": "Innbyggjarar",
            "involvement": "Medverknad",
            "action": "continue",
        },
    )
    assert response.status_code == 200
    html = html_of(response)
    for text in (
        "Tekst utan kryss",
        "Venta effekt",
        "Slik måler vi",
        "Tenester",
        "Innbyggjarar",
        "Medverknad",
    ):
        assert f"\n{text}</textarea>" in html
    assert re.search(r'value="b"[^>]*id="id_categories_1" checked', html)
    assert f'id="id_purpose_{Purpose.DEMOCRACY}" checked' in html
    assert f'href="#id_justification_{Purpose.DEMOCRACY}"' in html
    assert f'href="#id_purpose_{Purpose.RESOURCES}"' in html
    application.refresh_from_db()
    assert application.categories == []
    assert not application.purposes.exists()


def test_step_contacts_saves_co_applicants_and_a_contact(as_applicant, make_draft, lillehammer):
    application = make_draft()
    response = as_applicant.post(
        step_url(application, "kontakter"),
        {
            "co_applicants": "3407, Hamar",
            "contact_organisation": lillehammer.pk,
            "contact_name": "Siri Haugen",
            "contact_job_title": "Rådgjevar",
            "contact_email": "siri@lillehammer.kommune.no",
            "contact_phone": "61 05 00 00",
            "action": "add_contact",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == step_url(application, "kontakter")
    assert "The contact person is added." in messages_of(response)
    assert sorted(o.number for o in application.co_applicants.all()) == ["3403", "3407"]
    contact = application.contacts.get()
    assert (contact.name, contact.email, contact.organisation) == (
        "Siri Haugen",
        "siri@lillehammer.kommune.no",
        lillehammer,
    )
    html = html_of(response)
    assert "Siri Haugen" in html
    assert "Gjøvik" in html

    response = as_applicant.post(
        reverse("trials:contact_delete", args=[application.pk, contact.pk])
    )
    assert response.url == step_url(application, "kontakter")
    assert not application.contacts.exists()


def test_step_contacts_unknown_organisation_and_bad_email_keep_what_was_typed(
    as_applicant, make_draft, lillehammer
):
    application = make_draft()
    response = as_applicant.post(
        step_url(application, "kontakter"),
        {
            "co_applicants": "3407, 9999, Atlantis",
            "contact_organisation": lillehammer.pk,
            "contact_name": "Per Olsen",
            "contact_email": "ikkje-ein-epost",
            "action": "continue",
        },
    )
    assert response.status_code == 200
    html = html_of(response)
    assert ">\n3407, 9999, Atlantis</textarea>" in html
    assert "“9999”" in html and "“Atlantis”" in html
    assert 'value="Per Olsen"' in html
    assert 'value="ikkje-ein-epost"' in html
    assert 'href="#id_contact_email"' in html
    assert not application.co_applicants.exists()
    assert not application.contacts.exists()


def test_step_contacts_refuses_more_co_applicants_than_the_cap(
    as_applicant, make_draft, lillehammer
):
    application = make_draft()
    local = Organisation.objects.active().local_governments().exclude(pk=lillehammer.pk)
    numbers = list(local.values_list("number", flat=True)[: MAX_CO_APPLICANTS + 1])
    response = as_applicant.post(
        step_url(application, "kontakter"),
        {"co_applicants": ", ".join(numbers), "action": "continue"},
    )
    assert response.status_code == 200
    summary = html_of(response)
    summary = summary[summary.index('class="ds-error-summary" role="alert"') :]
    assert (
        'href="#id_co_applicants">A joint application can have at most '
        f"{MAX_CO_APPLICANTS} co-applicants." in summary
    )
    assert not application.co_applicants.exists()


# --- Exemption requests ---------------------------------------------------------------------


DETAILS = {
    "current_rule": "Eleven kan visast bort.",
    "proposed_arrangement": "Tilpassa skuledag i staden.",
    "justification": "Fråvær utan læring.",
    "consequences": "Eleven får same rettar.",
}


def test_exemption_citation_is_resolved_and_typed_text_kept(as_applicant, make_draft, provision):
    application = make_draft()
    url = reverse("trials:exemption_create", args=[application.pk])
    response = as_applicant.post(
        url, {"citation": "opplæringslova § 13-1 andre ledd", "action": "resolve", **DETAILS}
    )
    assert response.status_code == 200
    html = html_of(response)
    assert "Opplæringslova § 13-1 Bortvising" in html
    assert f'<input type="hidden" name="provision" value="{provision.pk}">' in html
    assert 'name="subsection" value="2"' in html
    for text in DETAILS.values():
        assert f"\n{text}</textarea>" in html
    assert "own trial provision" in html  # the sector-act warning next to the provision

    response = as_applicant.post(
        url, {"provision": provision.pk, "subsection": "2", "action": "save", **DETAILS}
    )
    assert response.url == step_url(application, "unntak")
    request = application.exemption_requests.get()
    assert request.provision == provision
    assert request.subsection == 2
    assert request.proposed_arrangement == DETAILS["proposed_arrangement"]

    html = html_of(as_applicant.get(step_url(application, "unntak")))
    assert "Opplæringslova § 13-1 Bortvising" in html
    assert reverse("trials:exemption_edit", args=[application.pk, request.pk]) in html
    assert reverse("trials:exemption_delete", args=[application.pk, request.pk]) in html
    assert 'class="ds-alert" data-color="warning"' in html


def test_exemption_unknown_citation_shows_suggestions_and_can_be_kept_as_typed(
    as_applicant, make_draft, provision
):
    application = make_draft()
    url = reverse("trials:exemption_create", args=[application.pk])
    response = as_applicant.post(
        url, {"citation": "opplaringslova § 13-1", "action": "resolve", **DETAILS}
    )
    html = html_of(response)
    assert "No act in the register is called “opplaringslova”." in html
    assert 'name="suggestion" value="opplæringslova § 13-1"' in html
    assert 'value="opplaringslova § 13-1"' in html
    for text in DETAILS.values():
        assert f"\n{text}</textarea>" in html

    # Choosing the suggestion resolves it.
    response = as_applicant.post(
        url,
        {
            "citation": "opplaringslova § 13-1",
            "suggestion": "opplæringslova § 13-1",
            "action": "resolve",
            **DETAILS,
        },
    )
    assert f'name="provision" value="{provision.pk}"' in html_of(response)

    # Saving an unknown citation needs the applicant's say-so ...
    data = {"citation": "kommunal forskrift om snøbrøyting § 3", "action": "save", **DETAILS}
    response = as_applicant.post(url, data)
    assert response.status_code == 200
    assert 'name="keep_citation"' in html_of(response)
    assert not application.exemption_requests.exists()
    # ... and is then kept as typed for an officer to resolve.
    response = as_applicant.post(url, {**data, "keep_citation": "on"})
    assert response.status_code == 302
    request = application.exemption_requests.get()
    assert request.provision is None
    assert request.citation_text == "kommunal forskrift om snøbrøyting § 3"


def test_exemption_search_an_act_then_choose_a_section(as_applicant, make_draft, provision):
    application = make_draft()
    url = reverse("trials:exemption_create", args=[application.pk])
    response = as_applicant.post(
        url, {"act": provision.act_id, "q": "bortvising", "action": "search", **DETAILS}
    )
    html = html_of(response)
    assert f'type="radio" name="provision" value="{provision.pk}"' in html
    for text in DETAILS.values():
        assert f"\n{text}</textarea>" in html
    response = as_applicant.post(
        url,
        {
            "act": provision.act_id,
            "q": "bortvising",
            "provision": provision.pk,
            "action": "choose",
            **DETAILS,
        },
    )
    html = html_of(response)
    assert "Opplæringslova § 13-1 Bortvising" in html
    assert 'value="change"' in html


def test_exemption_search_needs_an_act_or_words(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.post(
        reverse("trials:exemption_create", args=[application.pk]),
        {"act": "", "q": "", "action": "search", **DETAILS},
    )
    assert 'href="#id_q">Choose an act, or write what to search for.' in html_of(response)


def test_exemption_save_without_a_provision_is_refused_and_text_kept(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.post(
        reverse("trials:exemption_create", args=[application.pk]), {"action": "save", **DETAILS}
    )
    html = html_of(response)
    assert "Choose the provision: write the citation, or search an act for it." in html
    for text in DETAILS.values():
        assert f"\n{text}</textarea>" in html
    assert not application.exemption_requests.exists()


def test_exemption_duplicate_is_refused_with_the_services_reason(
    as_applicant, make_draft, applicant, provision
):
    application = make_draft()
    services.exemption_request_create(actor=applicant, application=application, provision=provision)
    response = as_applicant.post(
        reverse("trials:exemption_create", args=[application.pk]),
        {"provision": provision.pk, "action": "save", **DETAILS},
    )
    assert response.status_code == 200
    assert "already asks for an exemption from this provision" in html_of(response)
    response = as_applicant.post(
        reverse("trials:exemption_create", args=[application.pk]),
        {"citation": "oppl. § 13-1", "action": "save", **DETAILS},
    )
    html = html_of(response)
    assert 'href="#id_citation">The application already asks for an exemption' in html
    assert 'value="oppl. § 13-1"' in html
    assert application.exemption_requests.count() == 1


def test_exemption_shows_the_forsoksloven_4_limit_of_the_provision(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.post(
        reverse("trials:exemption_create", args=[application.pk]),
        {"citation": "forvaltningsloven § 17", "action": "resolve"},
    )
    html = html_of(response)
    assert "Forvaltningsloven § 17" in html
    warning = html[html.index('class="ds-alert" data-color="warning"') :]
    assert "Procedural rules of the Public Administration Act" in warning
    assert "Forsøksloven § 4 first paragraph (b)" in warning


def test_exemption_edit_and_delete_with_confirmation(
    as_applicant, make_draft, applicant, provision, other_provision
):
    application = make_draft()
    request = services.exemption_request_create(
        actor=applicant, application=application, provision=provision, justification="Før"
    )
    url = reverse("trials:exemption_edit", args=[application.pk, request.pk])
    html = html_of(as_applicant.get(url))
    assert ">\nFør</textarea>" in html
    assert f'name="provision" value="{provision.pk}"' in html

    response = as_applicant.post(
        url, {"provision": other_provision.pk, "action": "save", **DETAILS}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.provision == other_provision
    assert request.justification == DETAILS["justification"]

    delete_url = reverse("trials:exemption_delete", args=[application.pk, request.pk])
    response = as_applicant.get(delete_url)
    assert "Delete the exemption request?" in html_of(response)
    assert ExemptionRequest.objects.filter(pk=request.pk).exists()
    response = as_applicant.post(delete_url)
    assert response.url == step_url(application, "unntak")
    assert not ExemptionRequest.objects.filter(pk=request.pk).exists()


# --- Uploads --------------------------------------------------------------------------------


def test_step_attachments_uploads_lists_downloads_and_deletes(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.post(
        step_url(application, "vedlegg"),
        {
            "file": upload("Vedtak kommunestyret.pdf", pdf_bytes(), "application/pdf"),
            "kind": AttachmentKind.DRAFT_REGULATION,
            "organisation": "",
            "description": "Utkast til forskrift",
            "action": "upload",
        },
        follow=True,
    )
    assert "“Vedtak kommunestyret.pdf” is uploaded." in messages_of(response)
    attachment = application.attachments.get()
    assert attachment.kind == AttachmentKind.DRAFT_REGULATION
    html = html_of(response)
    download = reverse("trials:attachment_download", args=[attachment.pk])
    assert f'href="{download}">Vedtak kommunestyret.pdf</a>' in html

    response = as_applicant.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Vedtak kommunestyret.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes()

    delete_url = reverse("trials:attachment_delete", args=[attachment.pk])
    assert "Delete the attachment?" in html_of(as_applicant.get(delete_url))
    response = as_applicant.post(delete_url)
    assert response.url == step_url(application, "vedlegg")
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("program.pdf", EXECUTABLE, "“program.pdf” is not a file type we accept."),
        ("kart.pdf", png_bytes(), "The content of “kart.pdf” does not match its file name."),
        ("tom.pdf", b"", "The file “tom.pdf” is empty."),
        ("stor.pdf", pdf_bytes() + b"%" * 2000, "The file “stor.pdf” is"),
    ],
    ids=["renamed-executable", "wrong-magic-number", "empty", "oversize"],
)
def test_a_refused_upload_explains_why_and_keeps_the_rest(
    as_applicant, make_draft, applicant, settings, name, content, message
):
    settings.UPLOAD_MAX_BYTES = 1500
    application = make_draft()
    kept = services.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("tidlegare.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
    )
    response = as_applicant.post(
        step_url(application, "vedlegg"),
        {
            "file": upload(name, content),
            "kind": AttachmentKind.DRAFT_REGULATION,
            "description": "Skildring som skal bli verande",
            "action": "upload",
        },
    )
    assert response.status_code == 200
    html = html_of(response)
    assert message in html
    assert 'href="#id_file"' in html
    assert 'value="Skildring som skal bli verande"' in html
    assert f'value="{AttachmentKind.DRAFT_REGULATION}" selected' in html
    assert "tidlegare.pdf" in html  # the file uploaded before is still listed
    assert list(application.attachments.all()) == [kept]


def test_a_council_decision_needs_the_council_and_the_file_must_be_chosen_again(
    as_applicant, make_draft
):
    application = make_draft()
    response = as_applicant.post(
        step_url(application, "vedlegg"),
        {
            "file": upload("vedtak.pdf", pdf_bytes()),
            "kind": AttachmentKind.COUNCIL_DECISION,
            "organisation": "",
            "description": "Vedtak",
            "action": "upload",
        },
    )
    html = html_of(response)
    assert "Say which applicant's council made the decision." in html
    assert "Choose the file again" in html
    assert not application.attachments.exists()


def test_download_is_refused_to_another_municipality(client, make_draft, applicant, bodo_applicant):
    application = make_draft()
    attachment = services.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("hemmeleg.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
    )
    client.force_login(bodo_applicant)
    assert client.get(reverse("trials:attachment_download", args=[attachment.pk])).status_code == (
        404
    )
    assert client.post(reverse("trials:attachment_delete", args=[attachment.pk])).status_code == (
        404
    )
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_download_names_non_ascii_files_safely(as_applicant, make_draft, applicant):
    application = make_draft()
    attachment = services.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("Vedtak – Bodø.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
    )
    response = as_applicant.get(reverse("trials:attachment_download", args=[attachment.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Vedtak%20%E2%80%93%20Bod%C3%B8.pdf"
    )


# --- Summary, submission, receipt -----------------------------------------------------------


def test_summary_shows_everything_warnings_before_submit_and_problems(
    as_applicant, make_draft, applicant, provision
):
    application = make_draft(description="")
    services.exemption_request_create(actor=applicant, application=application, provision=provision)
    html = html_of(as_applicant.get(step_url(application, "oppsummering")))
    assert "Before you can submit" in html
    assert "Describe the trial." in html
    assert "Give the period of the trial in months." in html
    warning = html.index('class="ds-alert" data-color="warning"')
    assert warning < html.index('value="submit"')
    assert "own trial provision" in html[warning:]


def test_submit_refused_lists_every_reason(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.post(step_url(application, "oppsummering"), {"action": "submit"})
    assert response.status_code == 200
    html = html_of(response)
    assert "The application cannot be submitted yet" in html
    for reason in (
        "Describe the trial.",
        "Add at least one exemption request.",
        "Give the period of the trial in months.",
        "Give the requested start date.",
    ):
        assert reason in html
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_submit_shows_the_receipt_and_sends_one_email(
    as_applicant,
    make_ready,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_applicant.post(step_url(application, "oppsummering"), {"action": "submit"})
    assert response.url == reverse("trials:application_receipt", args=[application.pk])
    run_tasks()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kontakt@3405.kommune.example"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    html = html_of(as_applicant.get(response.url))
    assert application.reference in html
    oslo = application.submitted_at.astimezone(ZoneInfo("Europe/Oslo"))
    assert f"{oslo:%-d.%-m.%Y} at {oslo:%H:%M}" in html
    assert "Lillehammer" in html
    assert "Opplæringslova § 13-1 Bortvising" in html
    assert "What happens next" in html
    assert "kontakt@3405.kommune.example" in html
    assert "onclick" not in html

    # A submitted application cannot be edited: the steps lead to the status page.
    response = as_applicant.get(step_url(application, "om"))
    assert response.url == reverse("trials:application_detail", args=[application.pk])


def test_receipt_of_a_draft_leads_to_the_summary(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.get(reverse("trials:application_receipt", args=[application.pk]))
    assert response.url == step_url(application, "oppsummering")


# --- Status page, withdraw, answer, copy ----------------------------------------------------


def test_status_page_explains_status_and_shows_history(
    as_applicant, make_ready, applicant, django_capture_on_commit_callbacks
):
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    response = as_applicant.get(reverse("trials:application_detail", args=[application.pk]))
    html = html_of(response)
    assert "The ministry has received the application." in html
    assert "What happens next:" in html
    assert "Application started" in html
    assert "Exemption request added: opplæringslova § 13-1" in html
    assert "Application submitted" in html
    assert "Status changed from Draft to Submitted" in html
    assert f"By {applicant.get_full_name()}" in html
    assert reverse("trials:application_withdraw", args=[application.pk]) in html
    assert reverse("trials:application_copy", args=[application.pk]) in html
    assert step_url(application, "om") not in html  # no editing after submission


def test_withdraw_with_a_reason(
    as_applicant, make_ready, applicant, django_capture_on_commit_callbacks
):
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    url = reverse("trials:application_withdraw", args=[application.pk])
    assert "Withdraw the application" in html_of(as_applicant.get(url))

    response = as_applicant.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert 'href="#id_reason"' in html_of(response)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_applicant.post(url, {"reason": "Vi vel ei anna løysing."}, follow=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.withdrawn_reason == "Vi vel ei anna løysing."
    html = html_of(response)
    assert f"The application {application.reference} is withdrawn." in html
    assert "Reason: Vi vel ei anna løysing." in html
    # Withdrawn: no way to withdraw again.
    response = as_applicant.get(url, follow=True)
    assert "The application can no longer be withdrawn." in messages_of(response)


def test_answer_a_request_for_information_with_files(
    as_applicant,
    make_ready,
    applicant,
    case_officer,
    bring_under_review,
    django_capture_on_commit_callbacks,
):
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    application = bring_under_review(application)
    due = timezone.localdate() + datetime.timedelta(days=10)
    services.application_request_information(
        actor=case_officer, application=application, message="Send budsjettet.", due_date=due
    )
    detail = html_of(as_applicant.get(reverse("trials:application_detail", args=[application.pk])))
    assert "Send budsjettet." in detail
    url = reverse("trials:application_answer", args=[application.pk])
    assert url in detail

    html = html_of(as_applicant.get(url))
    assert "Send budsjettet." in html
    assert "multiple" in html and 'enctype="multipart/form-data"' in html

    # A bad file: refused with the reason, the answer text kept, nothing changed.
    response = as_applicant.post(
        url, {"text": "Her er budsjettet.", "files": [upload("budsjett.pdf", EXECUTABLE)]}
    )
    assert response.status_code == 200
    html = html_of(response)
    assert "“budsjett.pdf” is not a file type we accept." in html
    assert ">\nHer er budsjettet.</textarea>" in html
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.AWAITING_APPLICANT

    response = as_applicant.post(
        url,
        {
            "text": "Her er budsjettet.",
            "files": [upload("budsjett.pdf", pdf_bytes()), upload("kart.png", png_bytes())],
        },
    )
    assert response.url == reverse("trials:application_detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    answered = application.information_requests.get()
    assert answered.answer_text == "Her er budsjettet."
    assert sorted(a.original_name for a in answered.attachments.all()) == [
        "budsjett.pdf",
        "kart.png",
    ]


def test_answer_when_nothing_is_asked_goes_back_to_the_status_page(as_applicant, make_draft):
    application = make_draft()
    response = as_applicant.get(reverse("trials:application_answer", args=[application.pk]))
    assert response.url == reverse("trials:application_detail", args=[application.pk])


def test_copy_an_own_application(as_applicant, make_ready, lillehammer):
    source = make_ready(title="Kjelde")
    response = as_applicant.post(
        reverse("trials:application_copy", args=[source.pk]),
        {"lead_organisation": lillehammer.pk},
        follow=True,
    )
    copy = Application.objects.exclude(pk=source.pk).get()
    assert response.redirect_chain[-1][0] == step_url(copy, "om")
    assert copy.title == "Kjelde"
    assert copy.status == ApplicationStatus.DRAFT
    assert [r.provision_id for r in copy.exemption_requests.all()] == [
        r.provision_id for r in source.exemption_requests.all()
    ]
    assert any(source.reference in message for message in messages_of(response))


def test_copy_a_decided_public_application_of_another_municipality(
    client, make_ready, bodo_applicant, bodo, reach, lillehammer, applicant
):
    source = reach(make_ready(title="Godkjent i Lillehammer"), ApplicationStatus.REJECTED)
    client.force_login(bodo_applicant)
    url = reverse("trials:application_copy", args=[source.pk])
    assert "Godkjent i Lillehammer" in html_of(client.get(url))
    response = client.post(url, {"lead_organisation": bodo.pk})
    copy = Application.objects.get(lead_organisation=bodo)
    assert response.url == step_url(copy, "om")
    assert copy.exemption_requests.count() == 1


def test_copy_with_several_organisations_asks_which_one(client, make_ready, applicant, lillehammer):
    person(lillehammer.county, Role.APPLICANT, "fylke.og.kommune")
    from casework.services import membership_grant

    membership_grant(
        actor=None, user=applicant, organisation=lillehammer.county, role=Role.APPLICANT
    )
    source = make_ready()
    client.force_login(applicant)
    html = html_of(client.get(reverse("trials:application_detail", args=[source.pk])))
    assert '<select name="lead_organisation"' in html
    response = client.post(reverse("trials:application_copy", args=[source.pk]), {})
    assert response.status_code == 200
    assert 'href="#id_lead_organisation">Choose the organisation that applies.' in html_of(response)


def test_another_municipalitys_draft_cannot_be_copied(client, make_draft, bodo_applicant):
    source = make_draft()
    client.force_login(bodo_applicant)
    response = client.post(reverse("trials:application_copy", args=[source.pk]))
    assert response.status_code == 404


def test_a_conflict_is_reported_on_the_status_page(as_applicant, make_ready, monkeypatch):
    application = make_ready()

    def someone_else_was_first(**kwargs):
        raise services.ConflictError()

    monkeypatch.setattr(services, "application_submit", someone_else_was_first)
    response = as_applicant.post(
        step_url(application, "oppsummering"), {"action": "submit"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "trials:application_detail", args=[application.pk]
    )
    assert any(m.startswith("Someone else changed this application") for m in messages_of(response))


# --- Who may see and do what ----------------------------------------------------------------


def test_a_co_applicant_sees_the_status_page_but_cannot_edit(
    client, make_draft, applicant, bodo, bodo_applicant
):
    application = make_draft()
    services.application_set_co_applicants(
        actor=applicant, application=application, organisations=[bodo]
    )
    client.force_login(bodo_applicant)
    detail = reverse("trials:application_detail", args=[application.pk])
    assert client.get(detail).status_code == 200
    response = client.post(step_url(application, "om"), {"title": "Kapra", "stage": "preliminary"})
    assert response.url == detail
    application.refresh_from_db()
    assert application.title != "Kapra"
    assert client.get(
        reverse("trials:application_withdraw", args=[application.pk])
    ).status_code == (403)


def test_another_municipality_gets_404_for_every_portal_url(
    client, make_ready, applicant, bodo_applicant
):
    application = make_ready()
    exemption = application.exemption_requests.get()
    contact = application.contacts.get()
    attachment = services.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("vedlegg.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
    )
    pk = application.pk
    urls = [
        reverse("trials:application_detail", args=[pk]),
        *(step_url(application, step) for step in ("om", "formal", "unntak", "vedlegg")),
        step_url(application, "kontakter"),
        step_url(application, "oppsummering"),
        reverse("trials:exemption_create", args=[pk]),
        reverse("trials:exemption_edit", args=[pk, exemption.pk]),
        reverse("trials:exemption_delete", args=[pk, exemption.pk]),
        reverse("trials:contact_delete", args=[pk, contact.pk]),
        reverse("trials:application_receipt", args=[pk]),
        reverse("trials:application_answer", args=[pk]),
        reverse("trials:application_withdraw", args=[pk]),
        reverse("trials:application_copy", args=[pk]),
        reverse("trials:attachment_download", args=[attachment.pk]),
        reverse("trials:attachment_delete", args=[attachment.pk]),
    ]
    client.force_login(bodo_applicant)
    for url in urls:
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"action": "submit", "reason": "x"}).status_code == 404, url
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.exemption_requests.exists()
    assert application.contacts.exists()
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert Application.objects.count() == 1


def test_the_final_application_can_be_started_again_after_its_draft_was_withdrawn(
    as_applicant, applicant, make_ready, reach, lillehammer
):
    preliminary = reach(make_ready(), ApplicationStatus.APPROVED)
    url = reverse("trials:application_detail", args=[preliminary.pk])
    assert "Start the final application" in html_of(as_applicant.get(url))
    final = services.application_copy(
        actor=applicant, source=preliminary, lead_organisation=lillehammer, as_final=True
    )
    assert "Start the final application" not in html_of(as_applicant.get(url))
    services.application_withdraw(actor=applicant, application=final, reason="Feil utkast")
    assert "Start the final application" in html_of(as_applicant.get(url))


def test_after_finding_the_provision_focus_returns_to_the_provision_picker(
    as_applicant, make_draft, provision
):
    application = make_draft()
    url = reverse("trials:exemption_create", args=[application.pk])
    response = as_applicant.post(
        url, {"citation": "opplæringslova § 13-1", "action": "resolve", **DETAILS}
    )
    html = html_of(response)
    assert re.search(r'<section id="provision-picker"[^>]*autofocus', html)
    response = as_applicant.get(url)  # a plain visit: focus stays at the top
    assert not re.search(r'<section id="provision-picker"[^>]*autofocus', html_of(response))
