"""The public REST API of the law register, and its OpenAPI description."""

import pytest
from django.core.management import call_command
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

from legal.models import LegalAct, Provision

pytestmark = pytest.mark.django_db

ACTS = "/api/v1/legal/acts/"
PROVISIONS = "/api/v1/legal/provisions/"
OPPLAERINGSLOVA = "LOV-2023-06-09-30"


def short_titles(response) -> list[str]:
    return [act["short_title"] for act in response.json()["results"]]


# --- acts -----------------------------------------------------------------------------------


def test_act_list_is_open_to_anonymous_visitors_and_paginated(client):
    response = client.get(ACTS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 31
    assert len(body["results"]) == min(31, api_settings.PAGE_SIZE)
    opplaeringslova = next(a for a in body["results"] if a["lovdata_id"] == OPPLAERINGSLOVA)
    assert opplaeringslova["ministry"]["code"] == "KD"
    assert (
        opplaeringslova["provision_count"]
        == Provision.objects.filter(act__lovdata_id=OPPLAERINGSLOVA).count()
    )
    assert opplaeringslova["lovdata_url"] == "https://lovdata.no/dokument/NL/lov/2023-06-09-30"


def test_act_list_search_finds_an_act_by_the_start_of_its_name(client):
    response = client.get(ACTS, {"q": "oppl"})
    assert response.status_code == 200
    assert "opplæringslova" in short_titles(response)
    assert "kommuneloven" not in short_titles(response)


def test_act_list_search_finds_an_act_by_abbreviation(client):
    assert short_titles(client.get(ACTS, {"q": "pbl."})) == ["plan- og bygningsloven"]


@pytest.mark.parametrize("code", ["KD", "kd"])
def test_act_list_filtered_by_ministry_shows_only_that_ministrys_acts(client, code):
    response = client.get(ACTS, {"ministry": code})
    assert response.status_code == 200
    results = response.json()["results"]
    assert {act["ministry"]["code"] for act in results} == {"KD"}
    assert sorted(short_titles(response)) == sorted(
        LegalAct.objects.filter(ministry__code="KD").values_list("short_title", flat=True)
    )
    assert "opplæringslova" in short_titles(response)


def test_act_detail_lists_sections_with_lovdata_links_and_limits(client):
    response = client.get(f"{ACTS}{OPPLAERINGSLOVA}/")
    assert response.status_code == 200
    act = response.json()
    assert act["short_title"] == "opplæringslova"
    assert act["own_trial_provision"] == "§ 29-3"
    assert act["lovdata_url"] == "https://lovdata.no/dokument/NL/lov/2023-06-09-30"
    assert len(act["provisions"]) == act["provision_count"] == 202
    section = next(p for p in act["provisions"] if p["section"] == "§ 13-1")
    assert section["heading"] == "Bortvising"
    assert section["lovdata_url"] == "https://lovdata.no/dokument/NL/lov/2023-06-09-30/§13-1"
    assert section["citation_key"] == "LOV-2023-06-09-30/§13-1"
    assert section["limits"] == []
    rights = next(p for p in act["provisions"] if p["section"] == "§ 2-1")
    assert [limit["kind"] for limit in rights["limits"]] == ["individual_rights"]
    assert {limit["chapter"] for limit in act["limits"]} == {
        "Kapittel 2",
        "Kapittel 5",
        "Kapittel 11",
        "Kapittel 12",
    }


def test_act_detail_shows_whole_act_limits(client):
    response = client.get(f"{ACTS}LOV-1967-02-10/")
    assert response.status_code == 200
    [limit] = response.json()["limits"]
    assert limit["kind"] == "procedure"
    assert limit["chapter"] == ""
    assert limit["section"] == ""
    assert "Forvaltningslovens saksbehandlingsregler" in limit["reason"]


def test_act_detail_accepts_the_lovdata_id_in_lower_case(client):
    response = client.get(f"{ACTS}{OPPLAERINGSLOVA.lower()}/")
    assert response.status_code == 200
    assert response.json()["lovdata_id"] == OPPLAERINGSLOVA


def test_act_detail_of_an_unknown_act_is_not_found(client):
    assert client.get(f"{ACTS}LOV-2099-01-01-1/").status_code == 404


# --- provisions -----------------------------------------------------------------------------


def test_provisions_of_one_act_are_paginated(client):
    response = client.get(PROVISIONS, {"act": OPPLAERINGSLOVA})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 202
    assert len(body["results"]) == api_settings.PAGE_SIZE
    assert body["next"]
    assert {p["act"] for p in body["results"]} == {OPPLAERINGSLOVA}
    assert body["results"][0]["section"] == "§ 1-1"


@pytest.mark.parametrize("query", ["13-1", "§ 13-1", "§13-1", " 13-1 "])
def test_provision_search_by_section_number_within_an_act(client, query):
    response = client.get(PROVISIONS, {"act": OPPLAERINGSLOVA, "q": query})
    assert response.status_code == 200
    [section] = response.json()["results"]
    assert section["section"] == "§ 13-1"
    assert section["act_short_title"] == "opplæringslova"


def test_provision_search_by_citation_finds_exactly_that_section(client):
    response = client.get(PROVISIONS + "?q=oppl.%20§%2013-1")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["citation_key"] == "LOV-2023-06-09-30/§13-1"


def test_provision_search_by_citation_with_subsection_finds_the_section(client):
    response = client.get(PROVISIONS, {"q": "barnehageloven § 16 første ledd"})
    [section] = response.json()["results"]
    assert section["citation_key"] == "LOV-2005-06-17-64/§16"
    assert [limit["kind"] for limit in section["limits"]] == ["individual_rights"]


def test_provision_search_by_heading_words(client):
    response = client.get(PROVISIONS, {"q": "Bortvising"})
    assert response.status_code == 200
    keys = [p["citation_key"] for p in response.json()["results"]]
    assert "LOV-2023-06-09-30/§13-1" in keys
    assert "LOV-2023-06-09-30/§20-4" in keys
    assert "LOV-2023-06-09-30/§1-1" not in keys


def test_provision_search_of_an_unknown_act_is_a_bad_request(client):
    response = client.get(PROVISIONS, {"act": "LOV-2099-01-01-1"})
    assert response.status_code == 400
    assert "LOV-2099-01-01-1" in response.json()["act"][0]


def test_provision_list_query_count_does_not_grow_with_page_size(
    client, monkeypatch, django_assert_max_num_queries
):
    """Limits are fetched once per page, not once per section."""
    monkeypatch.setattr(PageNumberPagination, "page_size", 5)
    with django_assert_max_num_queries(5) as small:
        response = client.get(PROVISIONS, {"act": OPPLAERINGSLOVA})
    assert len(response.json()["results"]) == 5

    monkeypatch.setattr(PageNumberPagination, "page_size", 250)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(PROVISIONS, {"act": OPPLAERINGSLOVA})
    assert len(response.json()["results"]) == 202


def test_act_detail_query_count_does_not_grow_with_the_number_of_sections(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6) as few:
        assert client.get(f"{ACTS}LOV-1992-06-26-87/").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{ACTS}LOV-2008-06-27-71/").status_code == 200


# --- schema and docs ------------------------------------------------------------------------


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/legal/provisions/" in response.content


def test_openapi_schema_generates_without_warnings_and_validates(tmp_path):
    schema = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    text = schema.read_text(encoding="utf-8")
    assert "/api/v1/legal/acts/{lovdata_id}/" in text
    assert "/api/v1/legal/provisions/" in text


def test_api_docs_are_served_without_any_cdn(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr" not in html
    assert "unpkg" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
