"""The written form of the ministry's letters (språklova § 11) and the letters themselves.

An organisation records bokmål, nynorsk or neutral (its administrators or KDD's, audited); one
that recorded none is neutral, never silently bokmål. For a neutral recipient the case officer
chooses the form where the letter is produced, and the letter's document records it. The
letters carry a ministry's head and foot: letterhead, every applicant in the address block,
"Deres ref." / "Vår ref." / date, officer and approver, copies to the consulted ministries.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.choices import EntryType, OrganisationKind, Role
from casework.models import AuditEvent, JournalDocument
from casework.selectors import case_for
from casework.services import organisation_language_form_set
from tests import builders
from tests.factories import OrganisationFactory, person
from trials.choices import Outcome
from trials.journal import letter_language
from trials.public.statistics import letter_statistics
from workflows.case.selectors import decision_document, decision_letter
from workflows.case.services import task_complete

pytestmark = pytest.mark.django_db

REFUSAL = "Skolerute kan fastsetjast etter gjeldande rett."


@pytest.fixture
def kdd_admin(kdd):
    return person(kdd, Role.ADMINISTRATOR, "admin.kdd", first_name="Anne")


@pytest.fixture
def neutral_lillehammer(lillehammer, kdd_admin):
    """Lillehammer as KDD records it: neutral (no choice made)."""
    return organisation_language_form_set(
        actor=kdd_admin, organisation=lillehammer, language_form=""
    )


def _letters(application):
    return JournalDocument.objects.filter(
        entry__case=case_for(application), entry__entry_type=EntryType.OUTGOING, is_main=True
    ).order_by("entry__number_in_case")


# --- the rule ---------------------------------------------------------------------------------


def test_an_organisation_that_recorded_nothing_is_neutral_never_bokmal():
    organisation = OrganisationFactory(kind=OrganisationKind.KOMMUNE, name="Nyby")
    assert organisation.letter_language == ""
    assert organisation.is_language_neutral
    with pytest.raises(ValidationError) as error:
        letter_language(organisation)
    assert "Nyby" in error.value.message_dict["letter_language"][0]


def test_for_a_neutral_recipient_the_officers_choice_is_the_letters_form():
    organisation = OrganisationFactory(kind=OrganisationKind.KOMMUNE)
    assert letter_language(organisation, "nn") == "nn"
    assert letter_language(organisation, "nb") == "nb"
    with pytest.raises(ValidationError) as error:
        letter_language(organisation, "de")
    assert "letter_language" in error.value.message_dict


def test_a_recorded_form_wins_over_the_officers_choice(lillehammer, kdd_admin):
    recorded = organisation_language_form_set(
        actor=kdd_admin, organisation=lillehammer, language_form="nn"
    )
    assert letter_language(recorded, "nb") == "nn"


# --- recording the form -----------------------------------------------------------------------


def test_recording_the_form_is_audited_and_only_for_administrators(
    lillehammer, kdd_admin, applicant
):
    with pytest.raises(PermissionDenied):
        organisation_language_form_set(
            actor=applicant, organisation=lillehammer, language_form="nn"
        )
    organisation_language_form_set(
        actor=kdd_admin,
        organisation=lillehammer,
        language_form="nn",
        reason="Kommunestyret 12.3.2026",
    )
    organisation_language_form_set(actor=kdd_admin, organisation=lillehammer, language_form="")
    events = AuditEvent.objects.filter(action="organisation.language_form").order_by("id")
    assert [(e.from_state, e.to_state) for e in events] == [("nb", "nn"), ("nn", "neutral")]
    assert events[0].actor == kdd_admin and events[0].reason == "Kommunestyret 12.3.2026"
    lillehammer.refresh_from_db()
    assert lillehammer.language_form == ""


def test_the_organisations_administrator_records_the_form_on_its_page(client, lillehammer):
    admin = person(lillehammer, Role.ADMINISTRATOR, "admin.lillehammer")
    client.force_login(admin)
    page = client.get(f"/organisasjon/{lillehammer.pk}/")
    assert 'name="language_form"' in page.content.decode()
    response = client.post(f"/organisasjon/{lillehammer.pk}/maalform/", {"language_form": "nn"})
    assert response.status_code == 302
    lillehammer.refresh_from_db()
    assert lillehammer.language_form == "nn"
    bad = client.post(
        f"/organisasjon/{lillehammer.pk}/maalform/", {"language_form": "de", "reason": "Vedtak"}
    )
    assert bad.status_code == 400
    assert 'value="Vedtak"' in bad.content.decode()  # the form again, values kept


def test_the_api_reads_and_records_the_form(client, lillehammer, kdd_admin, applicant):
    url = f"/api/v1/organisations/{lillehammer.pk}/language-form/"
    client.force_login(kdd_admin)
    assert client.get(url).json() == {"language_form": "nb"}
    response = client.put(url, {"language_form": "neutral"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"language_form": "neutral"}
    bad = client.put(url, {"language_form": "svensk"}, content_type="application/json")
    assert bad.status_code == 400 and "language_form" in bad.json()
    client.force_login(applicant)  # not an administrator: the organisation is not found
    assert client.get(url).status_code == 404


# --- the officer's choice where the letter is produced -----------------------------------------


def test_registering_for_a_neutral_applicant_needs_the_officers_choice(
    neutral_lillehammer, applicant, staff, media_root, run_tasks
):
    application = builders.submit(
        builders.ready(actor=applicant, organisation=neutral_lillehammer), actor=applicant
    )
    task = builders.open_task(application, "register")
    with pytest.raises(ValidationError) as error:
        task_complete(actor=staff.officer, task=task, payload={})
    assert "letter_language" in error.value.message_dict
    assert builders.open_task(application, "register") is not None  # nothing happened
    task_complete(actor=staff.officer, task=task, payload={"letter_language": "nn"})
    run_tasks()
    receipt = _letters(application).get()
    assert receipt.language == "nn"
    assert receipt.file


def test_the_task_page_asks_the_officer_and_says_why(client, neutral_lillehammer, applicant, staff):
    application = builders.submit(
        builders.ready(actor=applicant, organisation=neutral_lillehammer), actor=applicant
    )
    task = builders.open_task(application, "register")
    client.force_login(staff.officer)
    url = f"/saksbehandling/oppgaver/{task.pk}/"
    page = client.get(url).content.decode()
    assert 'name="letter_language"' in page
    refused = client.post(url, {}).content.decode()
    assert "has not chosen bokmål or nynorsk" in refused or "har ikke valgt" in refused
    assert builders.open_task(application, "register") is not None
    assert client.post(url, {"letter_language": "nn"}).status_code == 302
    assert _letters(application).get().language == "nn"


def test_the_api_refuses_a_letter_without_the_form_for_a_neutral_applicant(
    client, neutral_lillehammer, applicant, staff
):
    application = builders.submit(
        builders.ready(actor=applicant, organisation=neutral_lillehammer), actor=applicant
    )
    task = builders.open_task(application, "register")
    client.force_login(staff.officer)
    url = f"/api/v1/tasks/{task.pk}/complete/"
    refused = client.post(url, {}, content_type="application/json")
    assert refused.status_code == 400
    assert "letter_language" in str(refused.json())
    done = client.post(url, {"letter_language": "nn"}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert _letters(application).get().language == "nn"


# --- the letter as a ministry sends it ---------------------------------------------------------


@pytest.fixture
def joint_decided(neutral_lillehammer, oyer, applicant, staff, media_root):
    """A joint final application of Lillehammer (neutral: the officer chose nynorsk) and
    Øyer, one exemption refused with its reasons, decided after consulting KD."""
    application = builders.ready(
        actor=applicant,
        organisation=neutral_lillehammer,
        co_applicants=[oyer],
        exemptions=(builders.exemption(builders.OPPL_13_1), builders.exemption(builders.BHGL_10)),
    )
    application = builders.submit(application, actor=applicant)
    return builders.advance(
        application,
        to="decided",
        staff=staff,
        letter_language="nn",
        outcomes={builders.OPPL_13_1: (Outcome.REFUSED, REFUSAL, "")},
    )


def test_the_decision_letter_is_in_the_chosen_form_to_every_applicant(joint_decided, staff):
    application = joint_decided
    document = decision_document(application)
    assert document is not None and document.language == "nn"
    letter = decision_letter(application)
    head = letter.head
    assert letter.language == "nn"
    assert head.sender.name == "Kommunal- og distriktsdepartementet"
    assert [r.name for r in head.recipients] == ["Lillehammer kommune", "Øyer kommune"]
    assert head.labels["their_reference"] == "Dykkar ref."
    assert head.their_reference == application.reference
    assert head.our_reference == case_for(application).number
    assert head.date  # the date the letter was journaled
    officer, approver = staff.officer.get_full_name(), staff.approver.get_full_name()
    assert head.signatures == [(approver, "godkjennar"), (officer, "sakshandsamar")]
    assert "elektronisk godkjent" in head.labels["approved"]
    assert head.copies == ["Kunnskapsdepartementet"]
    text = " ".join(text for _style, text in letter.paragraphs)
    assert REFUSAL in text


def test_the_decision_letter_page_shows_the_same_letter(client, joint_decided, staff):
    client.force_login(staff.officer)
    page = client.get(f"/saksbehandling/saker/{joint_decided.pk}/vedtak/").content.decode()
    assert 'lang="nn"' in page
    for words in (
        "Kommunal- og distriktsdepartementet",
        "Lillehammer kommune",
        "Øyer kommune",
        "Dykkar ref.",
        "Vår ref.",
        "Dokumentet er elektronisk godkjent",
        "Kopi til",
        "Kunnskapsdepartementet",
        REFUSAL,
    ):
        assert words in page, words
    pdf = decision_document(joint_decided).file.read()
    assert b"/Lang (nn)" in pdf


def test_a_recorded_bokmal_applicant_gets_bokmal_whatever_the_officer_chose(
    bodo, bodo_applicant, staff, media_root
):
    application = builders.submit(
        builders.ready(actor=bodo_applicant, organisation=bodo), actor=bodo_applicant
    )
    application = builders.advance(application, to="assess", staff=staff, letter_language="nn")
    assert {d.language for d in _letters(application)} == {"nb"}


# --- språklova § 13 on /statistikk/ ------------------------------------------------------------


def test_the_statistics_show_the_share_of_nynorsk_per_year(
    client, neutral_lillehammer, applicant, bodo, bodo_applicant, staff, media_root
):
    for actor, organisation, chosen in (
        (applicant, neutral_lillehammer, "nn"),
        (bodo_applicant, bodo, ""),
    ):
        application = builders.submit(
            builders.ready(actor=actor, organisation=organisation), actor=actor
        )
        builders.advance(application, to="check_completeness", staff=staff, letter_language=chosen)
    year = str(timezone.localdate().year)
    figures = letter_statistics()
    assert [(f.key, f.value) for f in figures["nynorsk_share"]] == [(year, 50.0)]
    assert {f.key: f.value for f in figures["by_form"]} == {f"{year}-nb": 1, f"{year}-nn": 1}
    page = client.get("/statistikk/").content.decode()
    assert "nynorsk" in page.lower() and "50.0" in page.replace(",", ".")


def test_a_year_without_letters_is_not_listed():
    assert letter_statistics() == {"nynorsk_share": [], "by_form": []}
