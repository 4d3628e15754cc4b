"""An applicant goes through every step of the portal to submission, with axe on every page.

The pages are shown in English (the language cookie) so the test reads the source texts.
"""

import datetime
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from casework.choices import Role
from legal.models import Provision
from tests.background import run_due_tasks
from tests.browser.conftest import assert_accessible
from tests.factories import member, ministry, municipality
from tests.files import pdf_bytes
from trials import services
from trials.choices import ApplicationStatus, AttachmentKind
from trials.models import Application
from trials.rules import MAX_PERIOD_MONTHS

pytestmark = pytest.mark.browser

PASSWORD = "test-password-123"  # set by tests.factories.UserFactory


def test_applicant_prepares_and_submits_an_application(site, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    member(
        municipality("3405"),
        Role.APPLICANT,
        username="siri",
        first_name="Siri",
        last_name="Haugen",
        email="siri@lillehammer.kommune.example",
    )
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    main = page.get_by_role("main")

    def continue_to(step: str):
        main.get_by_role("button", name="Save and continue").click()
        # (A redirect keeps the #fragment of an error summary link the user followed.)
        page.wait_for_url(re.compile(rf"/steg/{step}/(#.*)?$"))

    # Log in and find the (still empty) list of applications.
    page.goto(site.url + "/logg-inn/?next=/mine-soknader/")
    page.get_by_label("User name").fill("siri")
    page.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/mine-soknader/$"))
    assert (
        page.get_by_role("navigation", name="Main menu")
        .get_by_role("link", name="My applications")
        .is_visible()
    )
    assert_accessible(page)

    # A new application: the only organisation is preselected.
    main.get_by_role("link", name="Start a new application").click()
    page.wait_for_url(re.compile(r"/mine-soknader/ny/$"))
    assert_accessible(page)
    page.get_by_label("Title of the trial").fill("Tilpassa skuledag i staden for bortvising")
    main.get_by_role("button", name="Start the application").click()
    page.wait_for_url(re.compile(r"/steg/om/$"))
    assert (
        page.get_by_role("navigation", name="Steps of the application")
        .get_by_role("link", name=re.compile("About the trial"))
        .get_attribute("aria-current")
        == "step"
    )
    assert_accessible(page)

    # Step 1 with a mistake: the error summary links to the field, nothing typed is lost.
    page.get_by_label("Summary").fill("Skulane prøver ein tilpassa skuledag.")
    page.get_by_label("Description of the trial").fill("Elevar som elles vert viste bort.")
    start = timezone.localdate() + datetime.timedelta(days=200)
    page.get_by_label("Requested start date").fill(start.isoformat())
    page.get_by_label("Period (months)").fill("99")
    main.get_by_role("button", name="Save and continue").click()
    summary = page.get_by_role("alert")
    expect(
        summary.get_by_role("link", name=re.compile(f"between 1 and {MAX_PERIOD_MONTHS} months"))
    ).to_be_visible()
    assert page.get_by_label("Period (months)").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Summary").input_value() == "Skulane prøver ein tilpassa skuledag."
    assert page.title().startswith("Error:")
    assert_accessible(page)
    summary.get_by_role(
        "link", name=re.compile(f"between 1 and {MAX_PERIOD_MONTHS} months")
    ).click()
    page.get_by_label("Period (months)").fill("24")
    continue_to("formal")

    # Step 2: category and purposes.
    assert_accessible(page)
    page.get_by_label(re.compile(r"\(a\) Organisation of work")).check()
    page.get_by_role("checkbox", name="Better services to citizens").check()
    page.get_by_role(
        "textbox", name=re.compile(r"How the trial serves this purpose \(Better services")
    ).fill("Elevane får halde fram med opplæringa.")
    page.get_by_label("Expected effects").fill("Mindre fråvær.")
    continue_to("unntak")

    # Step 3: an exemption request, found by search, then by a mistyped citation.
    assert_accessible(page)
    main.get_by_role("link", name="Add an exemption request").click()
    page.wait_for_url(re.compile(r"/unntak/ny/$"))
    assert_accessible(page)
    page.get_by_label("What shall apply instead during the trial").fill(
        "Rektor kan vedta ein tilpassa skuledag på skulen."
    )
    page.get_by_label("Justification", exact=True).fill("Bortvising gir fråvær utan læring.")
    page.get_by_label("Act or regulation").select_option(label="Opplæringslova")
    page.get_by_label("Section number or words in the heading").fill("bortvising")
    main.get_by_role("button", name="Search sections").click()
    expect(page.get_by_role("radio", name=re.compile(r"§ 13-1 Bortvising"))).to_be_visible()
    assert_accessible(page)

    # Enter in the citation field finds the provision (the form's default action).
    page.get_by_label("Citation", exact=True).fill("opplaringslova § 13-1")
    page.get_by_label("Citation", exact=True).press("Enter")
    expect(page.get_by_role("group", name="Did you mean")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("radio", name="Opplæringslova § 13-1").check()
    main.get_by_role("button", name=re.compile("Find the provision")).click()
    expect(main.get_by_text("Opplæringslova § 13-1 Bortvising", exact=True)).to_be_visible()
    expect(main.get_by_role("heading", name="The act has its own trial provision")).to_be_visible()
    assert page.get_by_label("What shall apply instead during the trial").input_value() == (
        "Rektor kan vedta ein tilpassa skuledag på skulen."
    )
    assert_accessible(page)
    main.get_by_role("button", name="Save the exemption request").click()
    page.wait_for_url(re.compile(r"/steg/unntak/$"))
    expect(main.get_by_role("heading", name=re.compile("Opplæringslova § 13-1"))).to_be_visible()
    assert_accessible(page)
    main.get_by_role("link", name="Continue").click()
    page.wait_for_url(re.compile(r"/steg/vedlegg/$"))

    # Step 4: an attachment.
    assert_accessible(page)
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "utkast-forskrift.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    page.get_by_label("Kind of document").select_option(label="Draft local regulation")
    main.get_by_role("button", name="Upload").click()
    expect(main.get_by_role("link", name="utkast-forskrift.pdf", exact=True)).to_be_visible()
    assert_accessible(page)
    continue_to("kontakter")

    # Step 5: a co-applicant and a contact person.
    assert_accessible(page)
    page.get_by_label("Co-applicants").fill("3407")
    page.get_by_label("Name", exact=True).fill("Siri Haugen")
    page.get_by_label("Email").fill("siri@lillehammer.kommune.example")
    main.get_by_role("button", name="Add contact person").click()
    expect(main.get_by_role("rowheader", name=re.compile("Siri Haugen"))).to_be_visible()
    assert_accessible(page)
    continue_to("oppsummering")

    # Step 6: the summary with the warning before the submit button, then the receipt.
    expect(main.get_by_role("heading", name=re.compile("own trial provision"))).to_be_visible()
    assert_accessible(page)
    main.get_by_role("button", name="Submit the application").click()
    page.wait_for_url(re.compile(r"/kvittering/$"))
    application = Application.objects.get()
    assert application.status == ApplicationStatus.SUBMITTED
    expect(main.get_by_role("heading", name="The application is submitted")).to_be_visible()
    expect(main.get_by_text(application.reference).first).to_be_visible()
    run_due_tasks()  # the worker sends the mail
    assert len(mail.outbox) == 1
    assert_accessible(page)

    # The status page tells what happens next and shows the history.
    main.get_by_role("link", name="Follow the application on its status page").click()
    page.wait_for_url(re.compile(rf"/mine-soknader/{application.pk}/$"))
    expect(main.get_by_text("The ministry has received the application.")).to_be_visible()
    expect(main.get_by_role("heading", name="History")).to_be_visible()
    assert_accessible(page)


def test_follow_up_pages_have_no_accessibility_violations(site, page, settings, tmp_path):
    """Status page with a request for information, answer, withdraw, copy and delete pages."""
    settings.MEDIA_ROOT = tmp_path / "media"
    lillehammer = municipality("3405")
    applicant = member(
        lillehammer, Role.APPLICANT, username="per", first_name="Per", last_name="Lie"
    )
    officer = member(
        ministry("KDD"), Role.CASE_OFFICER, username="kari", first_name="Kari", last_name="Dahl"
    )
    provision = Provision.objects.get(citation_key="LOV-2023-06-09-30/§13-1")
    submitted = services.application_create(
        actor=applicant,
        lead_organisation=lillehammer,
        title="Skyss for elevar",
        description="Ei ny ordning for skyss.",
        period_months=12,
        requested_start=timezone.localdate() + datetime.timedelta(days=60),
    )
    services.exemption_request_create(
        actor=applicant,
        application=submitted,
        provision=provision,
        proposed_arrangement="Kommunen avgjer skyss.",
        justification="Betre ruter.",
    )
    services.application_submit(actor=applicant, application=submitted)
    services.application_register(actor=officer, application=submitted)
    services.application_accept_as_complete(actor=officer, application=submitted)
    services.application_request_information(
        actor=officer, application=submitted, message="Send kart over skyssrutene."
    )
    draft = services.application_create(
        actor=applicant, lead_organisation=lillehammer, title="Utkast"
    )
    exemption = services.exemption_request_create(
        actor=applicant, application=draft, citation_text="lokal forskrift om brøyting § 2"
    )
    attachment = services.attachment_add(
        actor=applicant,
        application=draft,
        uploaded_file=SimpleUploadedFile("kart.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
    )

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    main = page.get_by_role("main")
    page.goto(site.url + "/logg-inn/?next=/mine-soknader/")
    page.get_by_label("User name").fill("per")
    page.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/mine-soknader/$"))
    expect(main.get_by_role("heading", name=re.compile("^Drafts"))).to_be_visible()
    assert_accessible(page)

    main.get_by_role("link", name="Skyss for elevar").click()
    expect(main.get_by_text("Send kart over skyssrutene.").first).to_be_visible()
    assert_accessible(page)

    main.get_by_role("link", name="Answer the request", exact=True).click()
    page.wait_for_url(re.compile(r"/svar/$"))
    assert_accessible(page)
    main.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("alert").get_by_role("link", name="Write your answer.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your answer").fill("Kartet ligg ved.")
    page.get_by_label("Attachments").set_input_files(
        {"name": "kart.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    main.get_by_role("button", name="Send the answer").click()
    page.wait_for_url(re.compile(rf"/mine-soknader/{submitted.pk}/$"))
    assert_accessible(page)

    main.get_by_role("link", name="Withdraw the application").click()
    page.wait_for_url(re.compile(r"/trekk/$"))
    assert_accessible(page)

    page.goto(site.url + f"/mine-soknader/{submitted.pk}/kopier/")
    assert_accessible(page)

    page.goto(site.url + f"/mine-soknader/{draft.pk}/steg/unntak/")
    expect(main.get_by_text("Not found in the register")).to_be_visible()
    assert_accessible(page)
    page.goto(site.url + f"/mine-soknader/{draft.pk}/unntak/{exemption.pk}/")
    assert page.get_by_label(re.compile("Save the citation as I wrote it")).is_checked()
    assert_accessible(page)
    page.goto(site.url + f"/mine-soknader/{draft.pk}/unntak/{exemption.pk}/slett/")
    assert_accessible(page)
    page.goto(site.url + f"/vedlegg/{attachment.pk}/slett/")
    assert_accessible(page)
    main.get_by_role("button", name="Yes, delete").click()
    page.wait_for_url(re.compile(r"/steg/vedlegg/$"))
    expect(main.get_by_text("No files are uploaded yet.")).to_be_visible()
    assert_accessible(page)
