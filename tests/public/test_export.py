"""Open data: ?format=csv and ?format=json export the current search (docs/open-data.md)."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from trials.public.export import COLUMNS
from trials.public.opendata import LICENSE

pytestmark = pytest.mark.django_db

DOCUMENTED = [
    "reference",
    "title",
    "status",
    "stage",
    "lead_organisation_number",
    "lead_organisation",
    "co_applicants",
    "county",
    "submitted_at",
    "decided_at",
    "call",
    "exemptions",
    "url",
]


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def csv_rows(client, **params) -> list[dict]:
    response = client.get("/soknader/", {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'rel="license"' in response["Link"] and LICENSE["url"] in response["Link"]
    assert response["Access-Control-Allow-Origin"] == "*"
    reader = csv.DictReader(io.StringIO(body(response)))
    assert reader.fieldnames == DOCUMENTED
    return list(reader)


def test_the_columns_are_the_documented_ones():
    assert COLUMNS == DOCUMENTED
    doc = (Path(settings.BASE_DIR) / "docs" / "open-data.md").read_text(encoding="utf-8")
    for column in DOCUMENTED:
        assert re.search(rf"^\| `{column}` \|", doc, re.M), column
    assert "NLOD 2.0" in doc


def test_csv_has_one_row_per_application_of_the_search_across_all_pages(
    client, dataset, monkeypatch
):
    monkeypatch.setattr("trials.public.views.PAGE_SIZE", 1)
    rows = csv_rows(client)
    assert len(rows) == 4
    assert {row["reference"] for row in rows} == {
        a.reference for key, a in dataset.items() if key != "draft"
    }
    health = next(r for r in rows if r["reference"] == dataset["health"].reference)
    assert health["status"] == "approved" and health["stage"] == "final"
    assert health["lead_organisation_number"] == "1804"
    assert health["lead_organisation"] == "Bodø" and health["county"] == "Nordland"
    assert health["exemptions"] == "LOV-2023-06-09-30/§13-1; LOV-2011-06-24-30/§3-3"
    assert health["decided_at"].startswith(str(dataset["health"].decided_at.year))
    assert health["url"] == f"http://testserver/soknader/{dataset['health'].reference}/"
    joint = next(r for r in rows if r["reference"] == dataset["joint"].reference)
    assert joint["co_applicants"] == "Øyer" and joint["decided_at"] == ""
    # The export follows the search.
    assert [r["reference"] for r in csv_rows(client, county="34", sort="oldest")] == [
        dataset["school"].reference,
        dataset["joint"].reference,
    ]


def test_json_has_the_same_records_and_the_licence(client, dataset):
    response = client.get("/soknader/", {"format": "json"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert LICENSE["url"] in response["Link"]
    data = json.loads(body(response))
    assert "NLOD" in data["license"]["name"] and "2.0" in data["license"]["name"]
    assert data["license"]["url"] == "https://data.norge.no/nlod/no/2.0"
    assert data["count"] == len(data["results"]) == 4
    rows = {row["reference"]: row for row in csv_rows(client)}
    for record in data["results"]:
        assert list(record) == DOCUMENTED
        flat = {
            key: "; ".join(value) if isinstance(value, list) else (value or "")
            for key, value in record.items()
        }
        assert flat == rows[record["reference"]]
    empty = json.loads(body(client.get("/soknader/", {"format": "json", "q": "ingenting"})))
    assert empty["count"] == 0 and empty["results"] == []
    assert empty["filters"] == {"q": "ingenting", "sort": "newest"}


def test_csv_starts_with_a_byte_order_mark_and_defuses_formulas(client, publish):
    publish(title="=HYPERLINK(1)", summary="", description="Ein tekst.")
    response = client.get("/soknader/", {"format": "csv"})
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    row = next(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row["title"] == "'=HYPERLINK(1)"
    assert 'filename="soknader-' in response["Content-Disposition"]


def test_an_unknown_format_is_refused(client, db):
    assert client.get("/soknader/", {"format": "xml"}).status_code == 400


def test_the_page_states_the_licence_and_links_the_exports(client, dataset):
    html = client.get("/soknader/", {"county": "34"}).content.decode()
    assert 'href="https://data.norge.no/nlod/no/2.0"' in html and "NLOD 2.0" in html
    assert 'href="?county=34&amp;format=csv"' in html
    assert 'href="?county=34&amp;format=json"' in html
