"""The public read API: /api/v1/public/applications/, /exemptions/ and /journal/."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from casework.models import JournalEntry
from casework.selectors import case_for
from casework.services import journal_entry_create
from tests import builders
from tests.builders import (
    BHGL_10,
    HOL_3_2,
    INNLANDET,
    NORDLAND,
    OPPL,
    OPPL_13_1,
    OPPL_14_1,
    PBL_21_7,
)
from tests.factories import municipality
from tests.fixtures import bodo_person, kdd_staff, lillehammer_applicant
from tests.once import fresh
from tests.register.conftest import decided, download_json, submitted
from trials.choices import Outcome

pytestmark = pytest.mark.django_db

API = "/api/v1/public/"
NLOD = "https://data.norge.no/nlod/no/2.0"


def get(client, path, **params):
    response = client.get(API + path, params)
    assert response.status_code == 200, response.content
    return response.json()


def refs(body) -> set[str]:
    return {row["reference"] for row in body["results"]}


@pytest.fixture(scope="module")
def _dataset(built_once, _call):
    with built_once():
        staff, bodo, bodo_applicant = kdd_staff(), municipality("1804"), bodo_person()
        today = timezone.localdate()
        school = decided(
            submitted(
                [OPPL_13_1, OPPL_14_1],
                co_applicants=[municipality("3440")],
                title="Skoledag",
                call=_call,
            ),
            {OPPL_14_1: (Outcome.REFUSED, "Nei.", "")},
            staff=staff,
            trial=(today - datetime.timedelta(days=1), today + datetime.timedelta(days=400)),
        )
        health = submitted([HOL_3_2], actor=bodo_applicant, organisation=bodo, title="Helseteneste")
        health = builders.advance(health, to="consult", staff=staff)  # in consultation with HOD
        last_year = datetime.datetime(
            today.year - 1, 6, 1, 12, tzinfo=timezone.get_default_timezone()
        )
        plan = submitted(
            [PBL_21_7],
            actor=bodo_applicant,
            organisation=bodo,
            title="Plansak",
            submitted_at=last_year,
        )
        draft = builders.draft(
            actor=lillehammer_applicant(),
            organisation=municipality("3405"),
            title="Utkast om barnehage",
        )
        return {"school": school, "health": health, "plan": plan, "draft": draft, "call": _call}


@pytest.fixture
def dataset(_dataset, db, media_root):
    """Three submitted applications and a draft (built once for the module)."""
    return fresh(_dataset)


# --- open, licensed, throttled -------------------------------------------------------------


@pytest.mark.parametrize("path", ["applications/", "exemptions/", "journal/"])
def test_public_endpoints_need_no_login_and_ignore_credentials(client, dataset, path):
    assert client.get(API + path).status_code == 200
    response = client.get(API + path, headers={"Authorization": "Token not-a-real-token"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["applications/", "exemptions/", "journal/"])
def test_every_list_states_its_licence_in_the_body_and_a_link_header(client, dataset, path):
    response = client.get(API + path)
    body = response.json()
    assert body["license"] == {"name": "Norsk lisens for offentlige data (NLOD) 2.0", "url": NLOD}
    assert response["Link"] == f'<{NLOD}>; rel="license"'
    assert set(body) == {"count", "next", "previous", "license", "results"}


def test_the_api_is_throttled_per_client_with_a_clear_429(client, dataset, settings, mid_minute):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "600/minute"},
    }
    remaining = []
    for _ in range(3):
        response = client.get(API + "exemptions/")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        remaining.append(response["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    response = client.get(API + "applications/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["X-RateLimit-Remaining"] == "0"


def test_the_default_rate_is_the_anon_rate_of_the_settings(client, settings):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_THROTTLE_RATES["anon"]
    response = client.get(API + "journal/")
    limit = int(api_settings.DEFAULT_THROTTLE_RATES["anon"].split("/")[0])
    assert response["X-RateLimit-Limit"] == str(limit)


def test_pages_can_be_sized_and_followed(client, submit):
    for index in range(3):
        submit(title=f"Nr {index}")
    first = get(client, "applications/", page_size=2)
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["next"] and "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1


# --- applications ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"school", "health", "plan"}),
        ({"status": "approved"}, {"school"}),
        ({"status": "in_consultation"}, {"health"}),
        ({"stage": "preliminary"}, {"school", "health", "plan"}),
        ({"stage": "final"}, set()),
        ({"county": INNLANDET}, {"school"}),
        ({"county": NORDLAND}, {"health", "plan"}),
        ({"municipality": "3440"}, {"school"}),  # Øyer, co-applicant
        ({"municipality": "1804"}, {"health", "plan"}),
        ({"ministry": "KD"}, {"school"}),
        ({"ministry": "HOD"}, {"health"}),
        ({"act": "LOV-2008-06-27-71"}, {"plan"}),
        ({"q": "helse"}, {"health"}),
        ({"q": "Plansak", "county": NORDLAND}, {"plan"}),
    ],
)
def test_application_filters(client, dataset, params, expected):
    body = get(client, "applications/", **params)
    assert refs(body) == {dataset[name].reference for name in expected}


@pytest.mark.parametrize(
    "q", ["skoledag", "SKOLEDAG helse", "plansak", "helseteneste", "ingenting", "dag skole"]
)
def test_the_api_searches_text_as_the_application_list_does(client, dataset, q):
    """Same words, same answer: every word must match, with Norwegian stemming on PostgreSQL."""
    export = client.get("/soknader/", {"format": "json", "q": q})  # streamed
    listed = json.loads(b"".join(export.streaming_content))
    assert refs(get(client, "applications/", q=q)) == refs(listed)
    assert refs(get(client, "applications/", q=dataset["plan"].reference)) == {
        dataset["plan"].reference
    }


def test_application_filters_by_call_and_year(client, dataset):
    assert refs(get(client, "applications/", call=dataset["call"].pk)) == {
        dataset["school"].reference
    }
    year = timezone.localdate().year
    assert refs(get(client, "applications/", year=year - 1)) == {dataset["plan"].reference}
    assert dataset["plan"].reference not in refs(get(client, "applications/", year=year))


def test_an_invalid_filter_value_is_a_bad_request(client, dataset):
    assert client.get(API + "applications/", {"status": "draft"}).status_code == 400
    assert client.get(API + "applications/", {"county": "99"}).status_code == 400
    assert client.get(API + "exemptions/", {"outcome": "maybe"}).status_code == 400
    response = client.get(API + "exemptions/", {"citation": "ukjend lov § 1"})
    assert response.status_code == 400 and "citation" in response.json()


def test_drafts_are_never_listed_nor_found(client, dataset):
    assert dataset["draft"].reference not in refs(get(client, "applications/"))
    assert client.get(f"{API}applications/{dataset['draft'].reference}/").status_code == 404


def test_an_application_shows_outcomes_only_after_the_decision(client, dataset):
    rows = {row["reference"]: row for row in get(client, "applications/")["results"]}
    school = rows[dataset["school"].reference]
    assert school["status"] == "approved"
    assert school["decision_summary"] == "Vedtak med grunngiving."
    assert [a["number"] for a in [school["lead_applicant"], *school["co_applicants"]]] == [
        "3405",
        "3440",
    ]
    assert school["co_applicants"][0]["county"] == INNLANDET
    assert {e["section"]: e["state"] for e in school["exemptions"]} == {
        "§ 13-1": "granted",
        "§ 14-1": "refused",
    }
    assert {e["section"]: e["in_force_today"] for e in school["exemptions"]} == {
        "§ 13-1": True,
        "§ 14-1": False,
    }
    health = rows[dataset["health"].reference]
    assert health["decision_summary"] == ""
    assert health["exemptions"][0]["state"] == "pending"
    assert health["exemptions"][0]["outcome_reasons"] == ""
    for forbidden in ("contacts", "email", "created_by", "withdrawn_reason", "assessment"):
        assert forbidden not in school


def test_one_application_by_reference_with_its_description(client, dataset):
    body = get(client, f"applications/{dataset['school'].reference}/")
    assert body["reference"] == dataset["school"].reference
    assert body["description"] == "Skolane prøver ei ny ordning."
    assert body["license"]["url"] == NLOD


def test_application_list_query_count_does_not_grow(
    client, submit, oyer, django_assert_max_num_queries
):
    submit(co_applicants=[oyer])
    with django_assert_max_num_queries(15) as few:
        get(client, "applications/")
    for index in range(4):
        submit([OPPL_13_1, HOL_3_2, BHGL_10], co_applicants=[oyer], title=f"Fleire {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(get(client, "applications/")["results"]) == 5


# --- exemptions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {OPPL_13_1, OPPL_14_1, HOL_3_2, PBL_21_7}),
        ({"act": OPPL}, {OPPL_13_1, OPPL_14_1}),
        ({"ministry": "HOD"}, {HOL_3_2}),
        ({"outcome": "granted"}, {OPPL_13_1}),
        ({"outcome": "refused"}, {OPPL_14_1}),
        ({"outcome": "pending"}, {HOL_3_2, PBL_21_7}),
        ({"in_force": "true"}, {OPPL_13_1}),
        ({"in_force": "false"}, {OPPL_14_1, HOL_3_2, PBL_21_7}),
        ({"county": NORDLAND}, {HOL_3_2, PBL_21_7}),
        ({"county": INNLANDET, "outcome": "granted"}, {OPPL_13_1}),
        ({"citation": "oppl. § 14-1"}, {OPPL_14_1}),
    ],
)
def test_exemption_filters(client, dataset, params, expected):
    body = get(client, "exemptions/", **params)
    assert {row["citation_key"] for row in body["results"]} == expected


def test_exemption_rows_match_the_register_export(client, dataset):
    api = get(client, "exemptions/")["results"]
    export = download_json(client.get("/unntak/", {"format": "json"}))["results"]
    assert api == export


# --- journal ---------------------------------------------------------------------------------


@pytest.fixture
def journal(submit, case_officer, bring_under_review):
    application = bring_under_review(submit(title="Journalsak"))
    case = case_for(application)
    screened = journal_entry_create(
        actor=case_officer,
        case=case,
        entry_type="N",
        title="Notat om Kari Nordmann sin sak",
        screened_words=["Kari", "Nordmann"],
        screening_basis="offl_13",
    )
    return {"application": application, "case": case, "screened": screened}


def test_the_journal_lists_public_fields_only(client, journal):
    rows = get(client, "journal/")["results"]
    assert rows
    screened = next(r for r in rows if r["journal_number"] == journal["screened"].journal_number)
    assert screened["public_title"] == "Notat om **** ******** sin sak"
    assert screened["screening_basis"] == "offl_13" and screened["is_public"] is False
    text = str(rows)
    assert "Kari" not in text and "Nordmann" not in text
    for forbidden in ("title", "screened_words", "created_by", "documents", "correspondent_name"):
        assert forbidden not in screened


def test_journal_filters(client, journal):
    case_number = journal["case"].number
    everything = get(client, "journal/", case=case_number)
    assert everything["count"] == JournalEntry.objects.filter(case=journal["case"]).count() >= 3
    assert get(client, "journal/", type="N")["count"] == 1
    assert get(client, "journal/", basis="offl_13")["count"] == 1
    assert get(client, "journal/", basis="screened")["count"] == 1
    assert get(client, "journal/", basis="public")["count"] == everything["count"] - 1
    document = f"{case_number}-{journal['screened'].number_in_case}"
    assert get(client, "journal/", case=document)["count"] == 1
    today = timezone.localdate()
    assert get(client, "journal/", date_from=today.isoformat())["count"] == everything["count"]
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert get(client, "journal/", date_to=yesterday)["count"] == 0
    assert client.get(API + "journal/", {"case": "not a number"}).status_code == 400
    assert client.get(API + "journal/", {"type": "Q"}).status_code == 400


# --- schema ----------------------------------------------------------------------------------


def test_the_openapi_schema_documents_every_public_endpoint(tmp_path):
    import yaml

    schema = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    document = yaml.safe_load(schema.read_text(encoding="utf-8"))
    for path, filters in {
        "/api/v1/public/applications/": {
            "status",
            "stage",
            "call",
            "county",
            "municipality",
            "ministry",
            "act",
            "year",
            "q",
        },
        "/api/v1/public/exemptions/": {"act", "ministry", "outcome", "in_force", "county"},
        "/api/v1/public/journal/": {"date_from", "date_to", "case", "type", "basis"},
    }.items():
        operation = document["paths"][path]["get"]
        assert operation["summary"]
        assert "NLOD 2.0" in operation["description"]
        assert operation.get("security", [{}]) in ([], [{}])
        assert filters <= {p["name"] for p in operation["parameters"]}
        content = operation["responses"]["200"]["content"]["application/json"]
        assert content["examples"]
        example = next(iter(content["examples"].values()))["value"]
        assert example["license"]["url"] == NLOD
    assert "NLOD 2.0" in document["info"]["description"]
