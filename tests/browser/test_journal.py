"""The public journal and an access request in a browser, with axe on every page.

The pages are shown in English (the language cookie) so the test reads the source texts.
"""

import re

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from casework.choices import EntryType, OrganisationKind, ScreeningBasis
from casework.models import AccessRequest, Organisation
from casework.services import casefile_open, journal_entry_create
from tests.background import run_due_tasks
from tests.browser.conftest import assert_accessible
from tests.files import pdf_bytes

pytestmark = pytest.mark.browser

EMAIL = "innsyn@example.org"


def _journal():
    lillehammer, bodo = Organisation.objects.filter(
        kind=OrganisationKind.KOMMUNE, number__in=["3405", "1804"]
    ).order_by("number")
    case = casefile_open(
        actor=None, subject=lillehammer, organisation=lillehammer, title="Felles skolerute"
    )
    incoming = journal_entry_create(
        actor=None,
        case=case,
        entry_type=EntryType.INCOMING,
        title="Søknad om forsøk med felles skolerute",
        correspondent=lillehammer,
        documents=[
            {
                "title": "Søknaden",
                "file": ContentFile(pdf_bytes("Soknad")),
                "filename": "soknad.pdf",
                "content_type": "application/pdf",
            }
        ],
    )
    outgoing = journal_entry_create(
        actor=None,
        case=case,
        entry_type=EntryType.OUTGOING,
        title="Svar til eleven Ola Hansen",
        screened_words=["Ola", "Hansen"],
        screening_basis=ScreeningBasis.OFFL_13,
        correspondent=bodo,
    )
    return incoming, outgoing


def test_journal_filter_and_an_access_request_with_a_validation_error(
    site, page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    _incoming, outgoing = _journal()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    main = page.get_by_role("main")

    page.goto(site.url + "/journal/")
    assert page.get_by_role("heading", level=1).inner_text() == "Public journal"
    expect(main.get_by_text("2 journal entries")).to_be_visible()
    expect(main.get_by_role("link", name=re.compile("Søknaden"))).to_be_visible()
    assert "Ola" not in main.inner_text()
    assert_accessible(page)

    # Only the outgoing letters, with the keyboard-usable filter form.
    page.get_by_label("Type").select_option("U")
    main.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"entry_type=U"))
    expect(main.get_by_text("1 journal entry")).to_be_visible()
    rows = main.get_by_role("row")
    assert rows.count() == 2  # the header and one entry
    assert main.get_by_role("rowheader", name=re.compile(re.escape(outgoing.document_number)))
    assert "Svar til eleven *** ******" in main.inner_text()
    assert main.get_by_role("link", name=re.compile("Søknaden")).count() == 0
    assert_accessible(page)

    # Ask for access to it; forget the email address first.
    main.get_by_role("link", name=re.compile("Request access")).click()
    page.wait_for_url(re.compile(rf"/innsyn/\?entry={outgoing.pk}$"))
    assert page.get_by_label("Document number").input_value() == outgoing.document_number
    assert_accessible(page)
    page.get_by_label("Your name").fill("Kari")
    page.get_by_label("Message").fill("Kva står det i svaret?")
    main.get_by_role("button", name="Send the request").click()
    summary = main.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert page.get_by_label("Your name").input_value() == "Kari"
    assert page.get_by_label("Message").input_value() == "Kva står det i svaret?"
    assert_accessible(page)

    assert summary.get_by_role("link").get_attribute("href") == "#id_email"
    page.get_by_label("Your email address").fill(EMAIL)
    main.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r"/innsyn/kvittering/[^/]+/$"))
    access_request = AccessRequest.objects.get()
    assert page.get_by_role("heading", level=1).inner_text() == "Access request received"
    expect(main.get_by_text(access_request.reference)).to_be_visible()
    assert EMAIL not in main.inner_text()
    assert_accessible(page)
    run_due_tasks()  # the worker sends the mail
    assert [message.to for message in mail.outbox] == [[EMAIL]]
