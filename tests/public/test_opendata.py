"""One convention for every download (trials.public.opendata, docs/open-data.md): /soknader/,
/unntak/ and /statistikk/ escape cells, join lists, write booleans and state their licence
the same way."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import municipality
from trials.public.opendata import LIST_SEPARATOR, csv_cell

pytestmark = pytest.mark.django_db

OPPL = "LOV-2023-06-09-30"
DOWNLOADS = [
    ("/soknader/", "soknader"),
    ("/unntak/", "unntaksregister"),
    (f"/unntak/{OPPL}/", f"unntaksregister-{OPPL}"),
    ("/statistikk/", "statistikk"),
]
TRICKY = '=HYPERLINK("http://evil.example";"Skule")'


def _text(response) -> str:
    assert response.status_code == 200
    return response.getvalue().decode("utf-8")


def csv_rows(client, path: str) -> list[dict]:
    text = _text(client.get(path, {"format": "csv"}))
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def json_results(client, path: str) -> list[dict]:
    return json.loads(_text(client.get(path, {"format": "json"})))["results"]


@pytest.fixture
def tricky(publish, oyer):
    """A submitted application whose title a spreadsheet would run, with two co-applicants."""
    return publish(title=TRICKY, co_applicants=[oyer, municipality("3403")])


@pytest.mark.parametrize("value", ["=1+1", "+47", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_is_prefixed_with_an_apostrophe(value):
    assert csv_cell(value) == "'" + value
    assert csv_cell([value, "b"]) == "'" + value + LIST_SEPARATOR + "b"


def test_lists_booleans_and_nothing_have_one_spelling():
    assert csv_cell(["Lillehammer", "Øyer"]) == "Lillehammer; Øyer"
    assert csv_cell(("3405", "3440")) == "3405; 3440"
    assert csv_cell([]) == ""
    assert (csv_cell(True), csv_cell(False)) == ("true", "false")
    assert csv_cell(None) == ""
    assert csv_cell(0) == "0"


def test_a_formula_in_a_title_is_defused_in_both_exports(client, tricky):
    (application,) = csv_rows(client, "/soknader/")
    assert application["title"] == "'" + TRICKY
    for row in csv_rows(client, "/unntak/"):
        assert row["application_title"] == "'" + TRICKY
    # JSON carries the text as it is: no spreadsheet runs it.
    assert json_results(client, "/soknader/")[0]["title"] == TRICKY


def test_both_exports_join_a_list_the_same_way(client, tricky):
    (record,) = json_results(client, "/soknader/")
    (row,) = csv_rows(client, "/soknader/")
    assert len(record["co_applicants"]) == 2
    assert row["co_applicants"] == LIST_SEPARATOR.join(record["co_applicants"])
    register_records = {r["id"]: r for r in json_results(client, "/unntak/")}
    for row in csv_rows(client, "/unntak/"):
        record = register_records[int(row["id"])]
        assert len(record["applicants"]) == 3
        for column in ("applicants", "applicant_numbers", "counties"):
            assert row[column] == LIST_SEPARATOR.join(record[column]), column
        assert record["in_force_today"] is False and row["in_force_today"] == "false"


@pytest.mark.parametrize(("path", "name"), DOWNLOADS)
def test_every_download_states_its_licence_and_may_be_read_by_any_page(client, tricky, path, name):
    for fmt in ("csv", "json"):
        response = client.get(path, {"format": fmt})
        body = _text(response)
        assert response["Link"] == '<https://data.norge.no/nlod/no/2.0>; rel="license"'
        assert response["Access-Control-Allow-Origin"] == "*"
        if fmt == "csv":
            assert response["Content-Type"] == "text/csv; charset=utf-8"
            assert response["Content-Disposition"].startswith(f'attachment; filename="{name}-2')
            assert body.startswith("\ufeff") and body.endswith("\r\n")
        else:
            assert response["Content-Type"] == "application/json; charset=utf-8"
            data = json.loads(body)
            assert list(data)[:3] == ["license", "source", "generated_at"]
            assert data["license"]["url"] == "https://data.norge.no/nlod/no/2.0"
            assert data["source"] == f"http://testserver{path}"
        assert client.get(path, {"format": "xml"}).status_code == 400


def test_the_documentation_states_the_one_convention():
    doc = (Path(settings.BASE_DIR) / "docs" / "open-data.md").read_text(encoding="utf-8")
    assert f"Lists are joined with `{LIST_SEPARATOR}`" in doc
    assert "trials/public/opendata.py" in doc
