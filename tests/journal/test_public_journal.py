"""The public journal (offentleglova § 10): what it shows and hides, its filters and pages,
conditional GETs, constant query counts, and document downloads."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.choices import EntryType, ScreeningBasis
from casework.journal import views as public_views
from casework.services import journal_entry_create
from tests.factories import ministry

pytestmark = pytest.mark.django_db

LIST = "/journal/"


def _text(response) -> str:
    return response.content.decode()


def _document_links(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/journal/dokument/(\d+)/"', _text(response))}


def test_urls_have_the_agreed_names():
    assert reverse("journal:list") == "/journal/"
    assert reverse("journal:document", args=[7]) == "/journal/dokument/7/"
    assert reverse("journal:access_request") == "/innsyn/"


def test_journal_lists_numbers_type_public_title_and_organisation_but_never_a_persons_name(
    client, make_case, make_entry
):
    case = make_case(title="Søknad frå Lillehammer")
    entry = make_entry(
        case=case,
        title="Brev om eleven Ola Hansen",
        screened_words=["Ola", "Hansen"],
        correspondent_name="Kari Saksbehandlersen",
        screening_basis=ScreeningBasis.OFFL_13,
    )
    response = client.get(LIST)
    assert response.status_code == 200
    text = _text(response)
    assert entry.document_number in text and entry.document_number.endswith("-1")
    assert entry.journal_number in text
    assert "Brev om eleven *** ******" in text
    assert "Ola" not in text and "Hansen" not in text
    assert "Kari Saksbehandlersen" not in text
    assert case.organisation.display_name in text
    assert str(EntryType.INCOMING.label) in text
    assert str(ScreeningBasis.OFFL_13.label) in text


def test_public_entries_say_public_and_link_their_documents_screened_ones_do_not(
    client, make_entry
):
    public = make_entry(title="Kvittering", files=2)
    screened = make_entry(title="Notat", screening_basis=ScreeningBasis.OFFL_14)
    response = client.get(LIST)
    links = _document_links(response)
    assert links == {d.pk for d in public.documents.all()}
    assert not links & {d.pk for d in screened.documents.all()}
    assert response.context["count"] == 2
    rows = {row["entry"].pk: row for row in response.context["rows"]}
    assert rows[public.pk]["entry"].is_public
    assert rows[screened.pk]["documents"] == []
    # every row links to the access request form for its entry
    for entry in (public, screened):
        assert f'href="/innsyn/?entry={entry.pk}"' in _text(response)


def test_filters_by_type_screening_and_case_or_document_number(client, make_case, make_entry):
    case = make_case()
    incoming = make_entry(case=case, title="Søknad", entry_type=EntryType.INCOMING)
    outgoing = make_entry(case=case, title="Svar", entry_type=EntryType.OUTGOING)
    screened = make_entry(title="Notat", entry_type=EntryType.INTERNAL, screening_basis="offl_14")

    def shown(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return {row["entry"].pk for row in response.context["rows"]}

    assert shown() == {incoming.pk, outgoing.pk, screened.pk}
    assert shown(entry_type="U") == {outgoing.pk}
    assert shown(basis="public") == {incoming.pk, outgoing.pk}
    assert shown(basis="screened") == {screened.pk}
    assert shown(basis="offl_14") == {screened.pk}
    assert shown(basis="offl_13") == set()
    assert shown(number=case.number) == {incoming.pk, outgoing.pk}
    assert shown(number=f"{case.year}/{case.sequence}-2") == {outgoing.pk}
    assert shown(number=outgoing.document_number, entry_type="I") == set()


def test_filters_by_journal_date_range(client, make_entry, at):
    with at(2026, 3, 2, 9):
        march = make_entry(title="Mars")
    with at(2026, 4, 1, 23, 30):  # late evening in Oslo: still 1 April there
        april = make_entry(title="April")
    with at(2026, 5, 4, 9):
        may = make_entry(title="Mai")

    def shown(**params):
        return {row["entry"].pk for row in client.get(LIST, params).context["rows"]}

    assert shown(date_from="2026-04-01", date_to="2026-04-01") == {april.pk}
    assert shown(date_from="2026-04-01") == {april.pk, may.pk}
    assert shown(date_to="2026-04-30") == {march.pk, april.pk}
    # newest first
    rows = client.get(LIST).context["rows"]
    assert [row["entry"].pk for row in rows] == [may.pk, april.pk, march.pk]


def test_invalid_filters_are_explained_and_kept(client, make_entry):
    make_entry()
    response = client.get(
        LIST, {"date_from": "2026-05-01", "date_to": "2026-04-01", "number": "sak 12"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"date_to", "number"}
    text = _text(response)
    assert 'value="sak 12"' in text
    assert 'class="ds-error-summary"' in text


def test_pages_of_the_journal(client, make_case, make_entry, monkeypatch):
    monkeypatch.setattr(public_views, "PAGE_SIZE", 3)
    case = make_case()
    entries = [make_entry(case=case, title=f"Brev {n}", files=0) for n in range(7)]
    first = client.get(LIST, {"entry_type": "I"})
    assert first.context["count"] == 7
    assert [r["entry"].pk for r in first.context["rows"]] == [e.pk for e in entries[::-1][:3]]
    assert 'href="?entry_type=I&amp;page=2"' in _text(first)
    last = client.get(LIST, {"entry_type": "I", "page": 3})
    assert [r["entry"].pk for r in last.context["rows"]] == [entries[0].pk]
    assert "Next page" not in _text(last) and "Neste side" not in _text(last)
    beyond = client.get(LIST, {"page": 99})
    assert beyond.status_code == 200
    assert beyond.context["page"].number == 3


def test_conditional_get_answers_304_until_the_journal_changes(client, make_entry):
    make_entry()
    first = client.get(LIST)
    assert first.status_code == 200
    assert "public" in first["Cache-Control"]
    assert first["ETag"] and first["Last-Modified"]

    again = client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again.content == b""
    since = client.get(LIST, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304

    # another filter or page is another representation
    assert client.get(LIST + "?basis=public", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200

    make_entry(title="Nytt brev")
    changed = client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_logged_in_users_pages_are_not_cached_publicly(client, make_entry, case_officer):
    make_entry()
    client.force_login(case_officer)
    response = client.get(LIST)
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def _journal_queries(client) -> int:
    """Queries of a journal page computed afresh (its count is cached per version)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_query_count_stays_the_same_as_the_journal_grows(
    client, make_case, make_entry, application_with_attachments
):
    application, public_attachment, screened_attachment = application_with_attachments
    kdd = ministry("KDD")

    def add_entries(count):
        for n in range(count):
            make_entry(
                title=f"Brev {n}",
                files=2,
                correspondent=kdd,
                documents=[
                    {"title": "Søknaden", "source": application},
                    {"title": "Plan", "source": public_attachment},
                    {"title": "Helse", "source": screened_attachment},
                ],
            )
            make_entry(title=f"Notat {n}", screening_basis="offl_14")

    add_entries(2)
    _journal_queries(client)  # warm the content type cache
    small = _journal_queries(client)
    add_entries(10)
    large = _journal_queries(client)
    assert small == large
    assert large <= 7


def test_a_public_document_downloads_as_an_attachment(client, make_entry):
    entry = make_entry(title='Brev "om" skule/plan')
    document = entry.documents.get()
    response = client.get(reverse("journal:document", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition.split("filename", 1)[1]
    assert '\\"' not in disposition and "\n" not in disposition
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_screened_entries_documents_are_never_downloadable(client, make_entry):
    entry = make_entry(title="Notat", screening_basis=ScreeningBasis.OFFL_14, files=2)
    for document in entry.documents.all():
        response = client.get(reverse("journal:document", args=[document.pk]))
        assert response.status_code == 404
    assert not _document_links(client.get(LIST))


def test_a_source_attachment_downloads_with_its_own_name_unless_it_is_screened(
    client, make_case, application_with_attachments
):
    application, public_attachment, screened_attachment = application_with_attachments
    entry = journal_entry_create(
        actor=None,
        case=make_case(),
        entry_type=EntryType.INCOMING,
        title="Søknad med vedlegg",
        documents=[
            {"title": "Søknaden", "source": application},
            {"title": "Plan", "source": public_attachment},
            {"title": "Helseopplysningar", "source": screened_attachment},
        ],
    )
    main, plan, health = entry.documents.order_by("pk")
    assert _document_links(client.get(LIST)) == {plan.pk}

    response = client.get(reverse("journal:document", args=[plan.pk]))
    assert response.status_code == 200
    assert "plan%20for%20fors%C3%B8ket.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    # the application itself has no file; the screened attachment is refused
    assert client.get(reverse("journal:document", args=[main.pk])).status_code == 404
    assert client.get(reverse("journal:document", args=[health.pk])).status_code == 404


def test_unknown_document_is_not_found(client):
    assert client.get("/journal/dokument/999999/").status_code == 404


def test_the_journal_only_answers_get_and_head(client, make_entry):
    make_entry()
    assert client.head(LIST).status_code == 200
    assert client.post(LIST).status_code == 405
