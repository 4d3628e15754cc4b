"""Officers screen a journal entry on the case page and lift it, with its legal basis; the
public title hides the screened words; every change is audited; applicants ask for
screening when they upload."""

import pytest
from django.urls import reverse

from casework.choices import ScreeningBasis
from casework.models import AuditEvent, JournalEntry
from casework.selectors import case_for
from tests.files import pdf_bytes, upload

pytestmark = pytest.mark.django_db


def _entry(application) -> JournalEntry:
    return case_for(application).entries.order_by("number_in_case").first()


def test_an_officer_screens_an_entry_on_the_case_page_and_lifts_it(client, publish, case_officer):
    application = publish(stop_at="check_completeness")
    entry = _entry(application)
    word = entry.title.split()[0]
    client.cookies["django_language"] = "en"
    client.force_login(case_officer)
    case_url = reverse("workflows:case", kwargs={"application_pk": application.pk})
    page = client.get(case_url).content.decode()
    assert "Screen this entry" in page
    url = reverse(
        "workflows:journal_entry_screening",
        kwargs={"application_pk": application.pk, "entry_pk": entry.pk},
    )
    prefix = f"screen-{entry.pk}"
    response = client.post(
        url,
        {
            f"{prefix}-basis": ScreeningBasis.OFFL_13,
            f"{prefix}-words": word,
            f"{prefix}-reason": "Teieplikt",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#entry-{entry.pk}")
    entry.refresh_from_db()
    assert entry.screening_basis == ScreeningBasis.OFFL_13
    assert entry.public_title.startswith("*" * len(word))
    assert word not in entry.public_title.split()[0]
    event = AuditEvent.objects.get(action="journal_entry.screened")
    assert (event.from_state, event.to_state, event.reason) == ("", "offl_13", "Teieplikt")
    assert event.actor == case_officer

    public = client.get(reverse("journal:list")).content.decode()
    assert entry.public_title in public

    client.post(url, {f"{prefix}-basis": "", f"{prefix}-reason": "Ikkje lenger grunnlag"})
    entry.refresh_from_db()
    assert entry.screening_basis == "" and entry.public_title == entry.title
    lifted = AuditEvent.objects.get(action="journal_entry.screening_lifted")
    assert (lifted.from_state, lifted.to_state) == ("offl_13", "")


def test_screening_needs_a_reason_and_words_from_the_title_and_an_officer(
    client, publish, case_officer, applicant
):
    application = publish(stop_at="check_completeness")
    entry = _entry(application)
    url = reverse(
        "workflows:journal_entry_screening",
        kwargs={"application_pk": application.pk, "entry_pk": entry.pk},
    )
    prefix = f"screen-{entry.pk}"
    client.force_login(case_officer)
    client.post(
        url,
        {
            f"{prefix}-basis": ScreeningBasis.OFFL_14,
            f"{prefix}-words": "ordsomikkjefinst",
            f"{prefix}-reason": "x",
        },
    )
    entry.refresh_from_db()
    assert entry.screening_basis == ""
    client.force_login(applicant)
    response = client.post(
        url, {f"{prefix}-basis": ScreeningBasis.OFFL_14, f"{prefix}-reason": "x"}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="journal_entry.screen").exists()


def test_the_applicant_asks_for_screening_when_uploading(client, make_draft, applicant):
    application = make_draft()
    client.force_login(applicant)
    url = reverse("trials:application_step", args=[application.pk, "vedlegg"])
    page = client.get(url).content.decode()
    assert 'name="screening_basis"' in page
    client.post(
        url,
        {
            "file": upload("fortruleg.pdf", pdf_bytes("x")),
            "kind": "other",
            "screening_basis": ScreeningBasis.OFFL_13,
            "action": "upload",
        },
    )
    attachment = application.attachments.get()
    assert attachment.screening_basis == ScreeningBasis.OFFL_13
