"""/soknader/: full-text search, every filter, sorting, pagination and the result count."""

import re

import pytest
from django.db import connection
from django.utils import timezone

from trials.public import views as public_views
from trials.public.selectors import ApplicationSearch, public_application_search

pytestmark = pytest.mark.django_db

needs_stemming = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Norwegian stemming needs PostgreSQL's text search; SQLite searches substrings",
)
needs_gin_index = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the GIN index exists on PostgreSQL only",
)


def references(response) -> list[str]:
    """The references listed on a result page, in order."""
    return re.findall(r"<span>(FRI-\d{4}-\d{4})</span>", response.content.decode())


def result_count(response) -> str:
    match = re.search(r'<p role="status"[^>]*>(.*?)</p>', response.content.decode(), re.S)
    return " ".join(match.group(1).split())


def listed(client, **params) -> set[str]:
    response = client.get("/soknader/", params)
    assert response.status_code == 200
    return set(references(response))


def test_lists_every_submitted_application_and_never_a_draft(client, dataset):
    response = client.get("/soknader/")
    shown = set(references(response))
    expected = {a.reference for key, a in dataset.items() if key != "draft"}
    assert shown == expected
    assert dataset["draft"].reference not in response.content.decode()
    assert "Hemmeleg utkast" not in response.content.decode()
    assert result_count(response).startswith("4 ")


def test_search_by_words_across_text_provisions_acts_and_applicants(client, dataset):
    d = dataset
    assert listed(client, q="praksis") == {d["school"].reference}  # description
    assert listed(client, q="barnevern") == {d["joint"].reference}  # title
    assert listed(client, q="Øyer") == {d["joint"].reference}  # co-applicant's name
    # helse- og omsorgstjenesteloven: act title; "Helsefremmende" the section heading
    assert d["health"].reference in listed(client, q="omsorgstjenester")
    assert listed(client, q="Helsefremmende") == {d["health"].reference}
    assert listed(client, q="Bodø") == {d["health"].reference, d["refused"].reference}
    # Every word must be found, each may be in a different place.
    assert listed(client, q="Bodø kunngjering") == {d["refused"].reference}
    assert listed(client, q="Bodø barnevern") == set()
    # The reference number finds its application.
    assert listed(client, q=d["school"].reference) == {d["school"].reference}
    # A draft is never found, not even by its own words.
    assert listed(client, q="Hemmeleg utkast") == set()


@needs_stemming
def test_norwegian_stemming_finds_inflected_forms(client, publish):
    definite = publish(title="Ny ordning", summary="", description="Vi endrar skolen.")
    plural = publish(title="Anna ordning", summary="", description="Alle skolene er med.")
    publish(title="Barnehage", summary="", description="Barnehagane er med.")
    assert listed(client, q="skole") == {definite.reference, plural.reference}
    # Stop words do not empty the result: "og" is ignored, "skolene" still stems.
    assert listed(client, q="skolene og") == {definite.reference, plural.reference}


@needs_gin_index
def test_the_text_search_uses_the_gin_index(dataset):
    queryset = public_application_search(ApplicationSearch(q="skole"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "trials_application_search_fts" in plan


def test_each_filter_narrows_the_list(client, dataset, call):
    d = dataset
    ref = {key: application.reference for key, application in d.items()}
    everything = {ref["school"], ref["health"], ref["joint"], ref["refused"]}
    assert listed(client, county="34") == {ref["school"], ref["joint"]}  # Innlandet
    assert listed(client, county="18") == {ref["health"], ref["refused"]}  # Nordland
    assert listed(client, municipality="3405") == {ref["school"], ref["joint"]}
    assert listed(client, municipality="3440") == {ref["joint"]}  # co-applicant only
    assert listed(client, municipality="0301") == set()  # Oslo: none, not "all"
    assert listed(client, status="approved") == {ref["health"]}
    assert listed(client, status="withdrawn") == {ref["joint"]}
    assert listed(client, stage="final") == {ref["health"]}
    assert listed(client, call=str(call.pk)) == {ref["refused"]}
    assert listed(client, call="none") == everything - {ref["refused"]}
    assert listed(client, ministry="HOD") == {ref["health"]}
    assert listed(client, ministry="KD") == everything  # opplæringslova in every one
    assert listed(client, act="LOV-2011-06-24-30") == {ref["health"]}
    this_year = timezone.localdate().year
    assert listed(client, year=str(this_year - 1)) == {ref["school"]}
    assert listed(client, year=str(this_year)) == everything - {ref["school"]}
    # Filters combine, and combine with words.
    assert listed(client, county="18", status="rejected") == {ref["refused"]}
    assert listed(client, county="34", q="barnevern") == {ref["joint"]}


def test_invalid_filter_values_are_reported_and_ignored(client, dataset):
    response = client.get("/soknader/", {"municipality": "abc", "status": "draft"})
    html = response.content.decode()
    assert response.status_code == 200
    assert len(references(response)) == 4
    assert 'aria-invalid="true"' in html
    assert dataset["draft"].reference not in html


def test_filter_options_offer_what_occurs(client, dataset):
    html = client.get("/soknader/").content.decode()
    assert '<option value="3440">Øyer</option>' in html  # a co-applicant counts
    assert '<option value="0301">' not in html  # Oslo has no application
    assert '<option value="HOD">' in html
    assert '<option value="LOV-2011-06-24-30">' in html
    # A shared link keeps its choice even when the option is not offered.
    html = client.get("/soknader/", {"municipality": "0301"}).content.decode()
    assert '<option value="0301" selected>0301</option>' in html


def test_sorting(client, dataset):
    d = dataset

    def order(sort):
        return references(client.get("/soknader/", {"sort": sort}))

    newest = order("newest")
    assert newest == [
        d["refused"].reference,
        d["joint"].reference,
        d["health"].reference,
        d["school"].reference,
    ]
    assert order("oldest") == list(reversed(newest))
    assert order("title") == [
        d["refused"].reference,  # Digital kunngjering
        d["joint"].reference,  # Felles barnevern
        d["health"].reference,  # Helsestasjon
        d["school"].reference,  # Tilpassa skoledag
    ]
    decided = order("decided")
    assert decided[:2] == [d["refused"].reference, d["health"].reference]
    assert set(decided[2:]) == {d["joint"].reference, d["school"].reference}
    assert references(client.get("/soknader/")) == newest  # the default


def test_pagination_links_count_and_shareable_urls(client, dataset, monkeypatch):
    monkeypatch.setattr(public_views, "PAGE_SIZE", 3)
    first = client.get("/soknader/", {"sort": "oldest"})
    html = first.content.decode()
    assert len(references(first)) == 3
    assert re.match(r"^4 \D+ 1 \D+ 2$", result_count(first))  # "4 applications – page 1 of 2"
    assert '<nav aria-label="' in html
    assert re.search(r'href="\?sort=oldest&amp;page=1" aria-current="page"', html)
    assert 'href="?sort=oldest&amp;page=2"' in html
    second = client.get("/soknader/", {"sort": "oldest", "page": "2"})
    assert references(second) == [dataset["refused"].reference]
    html = second.content.decode()
    assert re.search(r'href="\?sort=oldest&amp;page=2" aria-current="page"', html)
    # A page past the end shows the last page rather than an error.
    assert references(client.get("/soknader/", {"sort": "oldest", "page": "9"})) == [
        dataset["refused"].reference
    ]


def test_result_count_says_how_many_match(client, dataset):
    response = client.get("/soknader/", {"q": "Bodø"})
    assert re.match(r"^2 \D", result_count(response))
    response = client.get("/soknader/", {"q": "finst ikkje"})
    assert re.match(r"^0 \D", result_count(response))


def test_the_services_keep_each_applications_search_document(publish):
    """What the words are looked for in: written on submission by trials.services.search."""
    application = publish(title="Ny Ordning for Øyer", summary="", description="Vi prøver.")
    application.refresh_from_db()
    document = application.search_document
    assert "ny ordning for øyer" in document  # lower-cased, æøå included
    assert application.lead_organisation.name.lower() in document
    exemption = application.exemption_requests.select_related("provision__act").first()
    assert exemption.provision.act.short_title.lower() in document
    assert exemption.provision.act.title.lower() in document
