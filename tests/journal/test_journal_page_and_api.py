"""The public journal page (/journal/) and the public API's journal (/api/v1/public/journal/)
read the same rule: the same number pattern, the same filters, the same entries in the same
order (casework.selectors.public_journal and casework.journal.forms)."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from casework.choices import EntryType, ScreeningBasis

pytestmark = pytest.mark.django_db

PAGE = "/journal/"
API = "/api/v1/public/journal/"


@pytest.fixture
def journal(make_case, make_entry):
    cache.clear()  # the public API's throttle counts requests per client address
    first = make_case()
    second = make_case()
    entries = [
        make_entry(case=first, title="Søknad"),
        make_entry(case=first, title="Høyring", entry_type=EntryType.OUTGOING),
        make_entry(case=first, title="Notat", entry_type=EntryType.INTERNAL, files=0),
        make_entry(case=second, title="Brev", screening_basis=ScreeningBasis.OFFL_13),
        make_entry(case=second, title="Svar", entry_type=EntryType.OUTGOING),
    ]
    return {"first": first, "second": second, "entries": entries}


def page_numbers(client, params: dict) -> tuple[list[str], dict]:
    """The document numbers the page lists (all on one page here), and its form errors."""
    cache.clear()  # rendered by the view (with its context), not shared from the cache
    response = client.get(PAGE, params)
    assert response.status_code == 200
    rows = response.context["rows"]
    return [row["entry"].document_number for row in rows], response.context["form"].errors


def api_numbers(client, params: dict):
    """The document numbers the API lists, or None for a 400."""
    response = client.get(API, params)
    if response.status_code == 400:
        return None
    assert response.status_code == 200
    return [row["document_number"] for row in response.json()["results"]]


def as_api(params: dict) -> dict:
    """The page's parameter names as the API spells them."""
    names = {"number": "case", "entry_type": "type"}
    return {names.get(key, key): value for key, value in params.items()}


def test_page_and_api_accept_the_same_numbers_and_list_the_same_entries(client, journal):
    first, second = journal["first"], journal["second"]
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    accepted = [
        {},
        {"number": first.number},
        {"number": f"{first.number}-2"},
        {"number": f" {first.year} / {first.sequence} - 1 "},
        {"number": f"{first.year}/{first.sequence}"},
        # a five-digit number in the case: a valid document number (nothing has it yet)
        {"number": f"{first.year}/000001-12345"},
        {"number": f"{second.number}-1", "basis": "screened"},
        {"entry_type": "U"},
        {"basis": "public"},
        {"basis": "screened"},
        {"basis": ScreeningBasis.OFFL_13},
        {"date_from": today.isoformat()},
        {"date_to": today.isoformat(), "entry_type": "N"},
        {"date_from": tomorrow.isoformat()},
    ]
    for params in accepted:
        listed, errors = page_numbers(client, params)
        assert not errors, params
        assert api_numbers(client, as_api(params)) == listed, params
    everything, _ = page_numbers(client, {})
    assert everything == [entry.document_number for entry in reversed(journal["entries"])]
    assert page_numbers(client, {"number": f"{first.year}/000001-12345"})[0] == []


@pytest.mark.parametrize(
    "params",
    [
        {"number": "2026"},
        {"number": "26/000001"},
        {"number": "2026/0000001"},
        {"number": "2026/000001-123456"},
        {"number": "2026/000001-"},
        {"number": "FRI-2026-0001"},
        {"entry_type": "Q"},
        {"basis": "offl_99"},
        {"date_from": "2026-02-30"},
        {"date_from": "2026-03-02", "date_to": "2026-03-01"},
    ],
)
def test_page_and_api_refuse_the_same_inputs(client, journal, params):
    _listed, errors = page_numbers(client, params)
    assert errors, params
    assert api_numbers(client, as_api(params)) is None, params
