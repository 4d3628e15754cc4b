"""Citations as municipal staff write them, turned into provisions of the register."""

import pytest
from django.utils import translation

from legal.citations import CitationError, parse_citation, resolve_act
from legal.models import LegalAct
from tests.factories import ministry

pytestmark = pytest.mark.django_db

OPPLAERINGSLOVA = "LOV-2023-06-09-30"
BARNEHAGELOVEN = "LOV-2005-06-17-64"
PBL = "LOV-2008-06-27-71"


@pytest.mark.parametrize(
    ("text", "act", "section", "subsection", "letter"),
    [
        ("opplæringslova § 13-1 første ledd", OPPLAERINGSLOVA, "§ 13-1", 1, ""),
        ("oppl. § 13-1", OPPLAERINGSLOVA, "§ 13-1", None, ""),
        ("oppl § 13-1", OPPLAERINGSLOVA, "§ 13-1", None, ""),
        ("LOV-2023-06-09-30 § 13-1", OPPLAERINGSLOVA, "§ 13-1", None, ""),
        ("lov-2023-06-09-30 § 13-1", OPPLAERINGSLOVA, "§ 13-1", None, ""),
        ("barnehageloven §7", BARNEHAGELOVEN, "§ 7", None, ""),
        ("opplæringsloven § 13-1 andre ledd bokstav b", OPPLAERINGSLOVA, "§ 13-1", 2, "b"),
        ("pbl § 20-1 2. ledd", PBL, "§ 20-1", 2, ""),
        ("pbl. § 20-1 bokstav a", PBL, "§ 20-1", None, "a"),
        ("barnehagelova § 7", BARNEHAGELOVEN, "§ 7", None, ""),
        ("barnehageloven § 7 ledd 3", BARNEHAGELOVEN, "§ 7", 3, ""),
        ("barnehageloven § 7 tredje ledd", BARNEHAGELOVEN, "§ 7", 3, ""),
        ("  OPPLÆRINGSLOVA   §   13-1   FYRSTE LEDD ", OPPLAERINGSLOVA, "§ 13-1", 1, ""),
        ("Barnehageloven  §  7", BARNEHAGELOVEN, "§ 7", None, ""),
        ("Lov om barnehager § 7", BARNEHAGELOVEN, "§ 7", None, ""),
        ("kl. § 5-1", "LOV-2018-06-22-83", "§ 5-1", None, ""),
        ("fvl § 11 a", "LOV-1967-02-10", "§ 11 a", None, ""),
        ("forvaltningsloven § 11a", "LOV-1967-02-10", "§ 11 a", None, ""),
    ],
)
def test_citation_as_people_write_it_finds_the_provision(text, act, section, subsection, letter):
    citation = parse_citation(text)
    assert citation.act.lovdata_id == act
    assert citation.provision.act_id == citation.act.pk
    assert citation.provision.section == section
    assert citation.subsection == subsection
    assert citation.letter == letter


@pytest.mark.parametrize(
    ("text", "act", "section"),
    [
        ("plan- og bygningsloven § 12 A-1", PBL, "§ 12 A-1"),
        ("pbl. § 12 A-10", PBL, "§ 12 A-10"),
        ("pasient- og brukerrettighetsloven § 4A-1", "LOV-1999-07-02-63", "§ 4A-1"),
        ("pbrl. § 4 A-1", "LOV-1999-07-02-63", "§ 4A-1"),
    ],
)
def test_citation_of_a_section_in_a_lettered_chapter_finds_the_provision(text, act, section):
    citation = parse_citation(text)
    assert citation.act.lovdata_id == act
    assert citation.provision.section == section


def test_bokmal_nynorsk_and_abbreviated_citations_name_the_same_provision():
    forms = ["opplæringslova § 13-1", "opplæringsloven § 13-1", "oppl. § 13-1", "opplova § 13-1"]
    assert len({parse_citation(text).provision.pk for text in forms}) == 1


def test_citation_reads_back_in_the_registers_own_words():
    citation = parse_citation("opplæringsloven § 13-1 andre ledd bokstav b")
    with translation.override("en"):
        assert str(citation) == "opplæringslova § 13-1 subsection 2 letter b"
    assert citation.text == "opplæringsloven § 13-1 andre ledd bokstav b"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_citation_is_refused_with_an_example(text):
    with pytest.raises(CitationError) as error:
        parse_citation(text)
    assert "§" in error.value.message
    assert error.value.suggestions == []


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        ("barnehagloven § 7", "barnehageloven"),
        ("opplæringslove § 13-1", "opplæringslova"),
        ("komuneloven § 5-1", "kommuneloven"),
    ],
)
def test_misspelt_act_is_refused_with_the_act_meant_among_suggestions(text, suggested):
    with pytest.raises(CitationError) as error:
        parse_citation(text)
    assert suggested in error.value.suggestions
    assert text.split(" §")[0] in error.value.message
    assert suggested in str(error.value)


def test_act_far_from_any_known_name_is_refused_without_suggestions():
    with pytest.raises(CitationError) as error:
        parse_citation("xyzzy § 1")
    assert error.value.suggestions == []
    assert "xyzzy" in error.value.message


def test_unknown_section_is_refused_naming_the_act_and_section():
    with pytest.raises(CitationError) as error:
        parse_citation("opplæringslova § 99-9")
    message = error.value.message
    assert "opplæringslova" in message
    assert "99-9" in message
    assert all(s.startswith("opplæringslova § ") for s in error.value.suggestions)


def test_act_without_a_section_asks_for_the_section():
    with pytest.raises(CitationError) as error:
        parse_citation("kommuneloven")
    assert "kommuneloven § 1" in error.value.message


def test_unknown_act_without_a_section_says_the_act_is_unknown():
    with pytest.raises(CitationError) as error:
        parse_citation("barnehagloven")
    assert "barnehageloven" in error.value.suggestions


def test_act_whose_sections_are_not_in_the_register_gets_a_clear_answer():
    LegalAct.objects.create(
        lovdata_id="LOV-1973-03-09-14",
        kind="lov",
        short_title="tobakksskadeloven",
        title="Lov om vern mot tobakkskader (tobakksskadeloven)",
        ministry=ministry("HOD"),
    )
    with translation.override("en"), pytest.raises(CitationError) as error:
        parse_citation("tobakksskadeloven § 1")
    assert (
        error.value.message == "The register does not list the sections of tobakksskadeloven yet."
    )


def test_subsection_word_that_is_no_ordinal_is_refused():
    with pytest.raises(CitationError) as error:
        parse_citation("barnehageloven § 7 mange ledd")
    assert "mange ledd" in error.value.message


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("pbl.", PBL),
        ("PBL", PBL),
        ("plan- og bygningslova", PBL),
        ("LOV-2008-06-27-71", PBL),
        ("Barnevernloven", "LOV-2021-06-18-97"),
        ("forskrift om kommunal beredskapsplikt", "FOR-2011-08-22-894"),
    ],
)
def test_act_is_found_by_title_abbreviation_or_lovdata_id(text, act):
    assert resolve_act(text).lovdata_id == act


def test_citation_can_be_parsed_against_a_given_set_of_acts():
    only_kd = LegalAct.objects.filter(ministry__code="KD")
    assert parse_citation("oppl. § 13-1", acts=only_kd).act.lovdata_id == OPPLAERINGSLOVA
    with pytest.raises(CitationError):
        parse_citation("pbl § 20-1", acts=only_kd)
