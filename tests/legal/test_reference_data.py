"""The reference data every test database starts with, and reloading it from the CSV files."""

import csv
import re
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from casework.choices import OrganisationKind
from casework.models import Organisation
from legal.models import LegalAct, Provision, ScopeLimit
from legal.services import DATA_DIR, PROVISION_FILES, read_csv, split_chapter
from tests.factories import ministry, municipality

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r"Referansedata lastet: (\d+) opprettet, (\d+) oppdatert, (\d+) uendret\.")
SECTION_LINE = re.compile(
    r"^\s*(?P<label>.+?): (?P<total>\d+) rows "
    r"\((?P<created>\d+) created, (?P<updated>\d+) updated, (?P<unchanged>\d+) unchanged\)$"
)


def load(*args: str) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Run the command; return its overall summary and the per-table lines it printed."""
    out = StringIO()
    call_command("load_reference_data", *args, stdout=out)
    text = out.getvalue()
    summary = SUMMARY.search(text)
    assert summary, text
    created, updated, unchanged = (int(n) for n in summary.groups())
    tables = {}
    for line in text.splitlines():
        match = SECTION_LINE.match(line)
        if match:
            tables[match["label"]] = {
                name: int(match[name]) for name in ("total", "created", "updated", "unchanged")
            }
    return {"created": created, "updated": updated, "unchanged": unchanged}, tables


def snapshot() -> dict[str, object]:
    return {
        "municipalities": dict(
            Organisation.objects.active().municipalities().values_list("number", "name")
        ),
        "counties": dict(Organisation.objects.active().counties().values_list("number", "name")),
        "acts": dict(LegalAct.objects.values_list("lovdata_id", "title")),
        "headings": dict(Provision.objects.values_list("citation_key", "heading")),
        "limits": ScopeLimit.objects.count(),
    }


def csv_rows_in(data_dir) -> int:
    return sum(len(read_csv(data_dir / name)) for name in PROVISION_FILES)


# --- what is loaded -------------------------------------------------------------------------


def test_all_fifteen_county_municipalities_are_loaded_including_oslo():
    counties = Organisation.objects.active().counties()
    assert counties.count() == 15
    assert counties.get(number="03").name == "Oslo"
    assert {"11", "46", "50", "55", "56"} <= set(counties.values_list("number", flat=True))


def test_all_357_municipalities_are_loaded_with_four_digit_numbers():
    municipalities = Organisation.objects.active().municipalities()
    assert municipalities.count() == 357
    assert all(re.fullmatch(r"\d{4}", n) for n in municipalities.values_list("number", flat=True))
    assert municipality("0301").name == "Oslo"


def test_every_municipality_belongs_to_the_county_its_number_starts_with():
    municipalities = Organisation.objects.active().municipalities()
    assert not municipalities.filter(county__isnull=True).exists()
    assert not municipalities.exclude(county__kind=OrganisationKind.FYLKESKOMMUNE).exists()
    for number, county_number in municipalities.values_list("number", "county__number"):
        assert number[:2] == county_number, number


def test_ministries_are_loaded_with_codes_and_names_in_three_languages():
    ministries = Organisation.objects.active().ministries()
    assert ministries.count() >= 16
    kdd = ministry("KDD")
    assert kdd.name == "Kommunal- og distriktsdepartementet"
    assert kdd.name_en == "Ministry of Local Government and Regional Development"
    assert not ministries.filter(name_nn="").exists()
    assert not ministries.filter(name_en="").exists()


def test_the_register_holds_the_31_acts_municipalities_most_often_ask_to_deviate_from():
    acts = LegalAct.objects.all()
    assert acts.count() >= 25
    assert acts.count() == 31
    assert acts.get(lovdata_id="LOV-2023-06-09-30").short_title == "opplæringslova"
    assert acts.get(lovdata_id="LOV-1992-06-26-87").short_title == "forsøksloven"
    assert acts.get(lovdata_id="FOR-2011-08-22-894").kind == "forskrift"
    assert not acts.exclude(ministry__kind=OrganisationKind.DEPARTEMENT).exists()


def test_every_provision_row_of_the_csv_files_is_loaded():
    acts_with_provisions = LegalAct.objects.filter(provisions__isnull=False).distinct()
    assert acts_with_provisions.count() >= 8
    assert Provision.objects.count() == csv_rows_in(DATA_DIR)


def test_provisions_are_numbered_in_the_order_of_the_act(provision_of):
    first = provision_of("LOV-2023-06-09-30", "§ 1-1")
    later = provision_of("LOV-2023-06-09-30", "§ 13-1")
    assert first.order < later.order
    assert first.citation_key == "LOV-2023-06-09-30/§1-1"


def test_repealed_sections_are_marked_as_repealed(provision_of):
    assert provision_of("LOV-1967-02-10", "§ 11 e").repealed
    assert not provision_of("LOV-1967-02-10", "§ 11 a").repealed


def test_municipality_with_a_sami_name_has_it_as_parallel_name():
    trondheim = municipality("5001")
    assert trondheim.parallel_names == ["Tråante"]
    assert trondheim.display_name == "Trondheim – Tråante"


def test_municipality_with_sami_and_kven_names_has_both_in_order():
    assert municipality("5538").parallel_names == ["Omasvuotna", "Omasvuono"]
    assert municipality("0301").parallel_names == []


def test_county_with_a_parallel_name_keeps_it():
    county = Organisation.objects.active().counties().get(number="50")
    assert county.parallel_names == ["Trööndelage"]


# --- reloading ------------------------------------------------------------------------------


def test_loading_the_reference_data_again_changes_nothing():
    before = snapshot()
    trondheim_before = Organisation.objects.values().get(pk=municipality("5001").pk)

    summary, tables = load()

    assert summary["created"] == 0
    assert summary["updated"] == 0
    assert summary["unchanged"] > 0
    assert tables["Kommuner"] == {"total": 357, "created": 0, "updated": 0, "unchanged": 357}
    assert tables["Fylkeskommuner"]["unchanged"] == 15
    assert snapshot() == before
    assert Organisation.objects.values().get(pk=trondheim_before["id"]) == trondheim_before


def test_loading_from_an_edited_data_dir_updates_exactly_the_edited_rows(tmp_path, provision_of):
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    rewrite_csv(
        data_dir / "organisations.csv",
        match={"kind": "kommune", "number": "1806"},
        change={"name": "Narvik kommune"},
    )
    rewrite_csv(
        data_dir / "provisions.csv",
        match={"lovdata_id": "LOV-2023-06-09-30", "section": "§ 13-1"},
        change={"heading": "Bortvising frå undervisninga"},
    )
    before = snapshot()

    summary, tables = load("--data-dir", str(data_dir))

    assert summary == {"created": 0, "updated": 2, "unchanged": summary["unchanged"]}
    assert tables["Kommuner"] == {"total": 357, "created": 0, "updated": 1, "unchanged": 356}
    assert tables["Paragrafer"]["updated"] == 1
    assert tables["Paragrafer"]["created"] == 0
    after = snapshot()
    changed_names = {
        number: name
        for number, name in after["municipalities"].items()
        if before["municipalities"][number] != name
    }
    assert changed_names == {"1806": "Narvik kommune"}
    changed_headings = {
        key: heading
        for key, heading in after["headings"].items()
        if before["headings"][key] != heading
    }
    assert changed_headings == {"LOV-2023-06-09-30/§13-1": "Bortvising frå undervisninga"}
    assert after["counties"] == before["counties"]
    assert after["acts"] == before["acts"]
    assert after["limits"] == before["limits"]
    # The same row was updated in place, not replaced by a new one.
    narvik = municipality("1806")
    assert Organisation.objects.filter(kind=OrganisationKind.KOMMUNE, number="1806").count() == 1
    assert narvik.county.number == "18"
    assert provision_of("LOV-2023-06-09-30", "§ 13-1").chapter == "Kapittel 13"


def test_every_section_limit_points_to_a_section_of_its_own_act():
    section_limits = ScopeLimit.objects.filter(provision__isnull=False)
    assert section_limits.filter(provision__section="§ 16", act__short_title="barnehageloven")
    assert not section_limits.exclude(provision__act=F("act")).exists()


def rewrite_csv(path, *, match: dict[str, str], change: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fieldnames = reader.fieldnames
        rows = list(reader)
    hits = [row for row in rows if all(row[k] == v for k, v in match.items())]
    assert len(hits) == 1, f"{match} matched {len(hits)} rows of {path.name}"
    hits[0].update(change)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


# --- chapter headings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kapittel 3. Hjelpetiltak", ("Kapittel 3", "Hjelpetiltak")),
        (
            "Kapittel 1 Formålet med og krava til opplæringa",
            ("Kapittel 1", "Formålet med og krava til opplæringa"),
        ),
        (
            "Kapittel VII. Spesialpedagogisk hjelp, tegnspråkopplæring m.m.",
            ("Kapittel VII", "Spesialpedagogisk hjelp, tegnspråkopplæring m.m."),
        ),
        (
            "Kapittel 12 A. Krav om grunneierfinansiering av infrastruktur mv.",
            ("Kapittel 12 A", "Krav om grunneierfinansiering av infrastruktur mv."),
        ),
        (
            "Kapittel I. Lovens område. Definisjoner.",
            ("Kapittel I", "Lovens område. Definisjoner."),
        ),
        ("  Kapittel 5  ", ("Kapittel 5", "")),
        ("", ("", "")),
        ("Innledende bestemmelser", ("", "Innledende bestemmelser")),
    ],
)
def test_chapter_heading_is_split_into_label_and_heading(text, expected):
    assert split_chapter(text) == expected


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("Kap. IV. Vern av dyrka og dyrkbar jord m.v.", "Vern av dyrka og dyrkbar jord m.v."),
        ("Kapitel II. Om ferdselsrettens utøving", "Om ferdselsrettens utøving"),
        ("Kap 11. Administrative bestemmelser.", "Administrative bestemmelser."),
    ],
)
def test_chapter_written_in_older_style_is_split_into_label_and_heading(text, heading):
    label, rest = split_chapter(text)
    assert label
    assert rest == heading


def test_loaded_provisions_carry_chapter_label_and_heading_apart(provision_of):
    section = provision_of("LOV-2008-06-27-71", "§ 12 A-1")
    assert section.chapter == "Kapittel 12 A"
    assert section.chapter_heading == "Krav om grunneierfinansiering av infrastruktur mv."
    assert section.chapter_title == (
        "Kapittel 12 A Krav om grunneierfinansiering av infrastruktur mv."
    )


def test_the_counties_written_language_forms_are_loaded():
    """språklova § 11: the counties' recorded decisions (Språkrådet's table); the rest are
    neutral."""
    rows = read_csv(DATA_DIR / "language_forms.csv")
    assert len(rows) == 15
    forms = dict(
        Organisation.objects.filter(kind=OrganisationKind.FYLKESKOMMUNE).values_list(
            "number", "language_form"
        )
    )
    expected = {"nb": "nb", "nn": "nn", "neutral": ""}
    assert {row["number"]: expected[row["language_form"]] for row in rows} == {
        number: forms[number] for number in (row["number"] for row in rows)
    }
    assert forms["15"] == "nn"  # Møre og Romsdal
    assert forms["03"] == ""  # Oslo: neutral


def test_a_municipalitys_recorded_language_form_survives_a_reload():
    lillehammer = municipality("3405")
    Organisation.objects.filter(pk=lillehammer.pk).update(language_form="nn")
    load()
    lillehammer.refresh_from_db()
    assert lillehammer.language_form == "nn"
