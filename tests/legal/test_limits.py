"""The limits forsøksloven § 4 sets, as the register warns about them before anyone applies."""

import pytest
from django.utils.html import escape

from legal.choices import LimitKind
from legal.models import Provision, ScopeLimit
from legal.selectors import act_provisions, limits_for_provision, provision_warnings

pytestmark = pytest.mark.django_db

KOMMUNELOVEN = "LOV-2018-06-22-83"
FORVALTNINGSLOVEN = "LOV-1967-02-10"
BARNEHAGELOVEN = "LOV-2005-06-17-64"
OPPLAERINGSLOVA = "LOV-2023-06-09-30"
PBL = "LOV-2008-06-27-71"
FORSOKSLOVEN = "LOV-1992-06-26-87"


def kinds(provision: Provision) -> list[str]:
    return [warning.kind for warning in provision_warnings(provision)]


def test_section_in_kommuneloven_chapter_5_warns_about_the_organisation_limit(provision_of):
    warnings = provision_warnings(provision_of(KOMMUNELOVEN, "§ 5-1"))
    assert [w.kind for w in warnings] == [LimitKind.ORGANISATION]
    assert "Kommuneloven kapittel 5 fastsetter" in warnings[0].text
    assert warnings[0].text.startswith(str(ScopeLimit(kind=LimitKind.ORGANISATION).explanation))


def test_kommuneloven_section_outside_the_organisation_chapters_has_no_limit(provision_of):
    assert provision_warnings(provision_of(KOMMUNELOVEN, "§ 13-1")) == []


@pytest.mark.parametrize("section", ["§ 11 a", "§ 16", "§ 24", "§ 28"])
def test_forvaltningsloven_section_warns_about_the_procedure_limit(provision_of, section):
    warnings = provision_warnings(provision_of(FORVALTNINGSLOVEN, section))
    assert [w.kind for w in warnings] == [LimitKind.PROCEDURE]
    assert "Forvaltningslovens saksbehandlingsregler gjelder fullt ut" in warnings[0].text


def test_whole_act_limit_also_covers_a_section_added_to_the_act_later(act_of):
    new_section = Provision.objects.create(
        act=act_of(FORVALTNINGSLOVEN),
        chapter="Kapittel XII",
        section="§ 99",
        section_number="99",
        heading="Ny paragraf",
        order=99_990,
        citation_key=Provision.key_for(FORVALTNINGSLOVEN, "§ 99"),
    )
    limits = limits_for_provision(new_section)
    assert [limit.kind for limit in limits] == [LimitKind.PROCEDURE]
    assert limits[0].chapter == ""
    assert limits[0].provision is None


def test_right_to_a_kindergarten_place_warns_about_individual_rights(provision_of):
    warnings = provision_warnings(provision_of(BARNEHAGELOVEN, "§ 16"))
    assert [w.kind for w in warnings] == [LimitKind.INDIVIDUAL_RIGHTS]
    assert "rett til plass i barnehage" in warnings[0].text


def test_section_limit_does_not_spread_to_the_rest_of_the_act(provision_of):
    assert provision_warnings(provision_of(BARNEHAGELOVEN, "§ 7")) == []
    assert provision_warnings(provision_of(BARNEHAGELOVEN, "§ 17")) == []


@pytest.mark.parametrize(
    ("lovdata_id", "section"),
    [(PBL, "§ 20-1"), (PBL, "§ 5-1"), ("LOV-1995-05-12-23", "§ 9")],
)
def test_provision_without_any_limit_gives_no_warning(provision_of, lovdata_id, section):
    assert provision_warnings(provision_of(lovdata_id, section)) == []


def test_chapter_limit_applies_only_to_that_chapter_of_its_own_act(provision_of):
    # Kommuneloven kapittel 5 is limited; chapter 5 of two other acts is not limited for it.
    assert kinds(provision_of(KOMMUNELOVEN, "§ 5-1")) == [LimitKind.ORGANISATION]
    assert kinds(provision_of(PBL, "§ 5-1")) == []
    assert LimitKind.ORGANISATION not in kinds(provision_of(OPPLAERINGSLOVA, "§ 5-1"))


@pytest.mark.parametrize(
    ("lovdata_id", "section", "trial_section"),
    [
        (OPPLAERINGSLOVA, "§ 13-1", "§ 29-3"),
        (OPPLAERINGSLOVA, "§ 29-3", "§ 29-3"),
        ("LOV-2021-06-18-97", "§ 1-1", "§ 15-13"),
        ("LOV-2020-11-06-127", "§ 1", "§ 38"),
        ("LOV-2023-06-16-62", "§ 1-1", "§ 21-1"),
    ],
)
def test_act_with_its_own_trial_provision_warns_on_any_of_its_sections(
    provision_of, lovdata_id, section, trial_section
):
    provision = provision_of(lovdata_id, section)
    assert provision.act.has_sector_trial_provision
    sector = [w for w in provision_warnings(provision) if w.kind == "sector_trial_provision"]
    assert len(sector) == 1
    assert trial_section in sector[0].text
    assert provision.act.short_title in sector[0].text


def test_rights_chapter_of_opplaeringslova_warns_about_rights_and_the_sector_trial_provision(
    provision_of,
):
    assert kinds(provision_of(OPPLAERINGSLOVA, "§ 2-1")) == [
        LimitKind.INDIVIDUAL_RIGHTS,
        "sector_trial_provision",
    ]


def test_forsoksloven_own_trial_section_is_the_general_authority_not_a_sector_one(act_of):
    forsoksloven = act_of(FORSOKSLOVEN)
    assert forsoksloven.own_trial_provision == "§ 3"
    assert forsoksloven.is_trial_act
    assert not forsoksloven.has_sector_trial_provision
    for provision in forsoksloven.provisions.all():
        assert "sector_trial_provision" not in kinds(provision)


def test_acts_without_own_trial_provision_give_no_sector_warning(provision_of):
    assert "sector_trial_provision" not in kinds(provision_of(KOMMUNELOVEN, "§ 5-1"))
    assert not provision_of(PBL, "§ 20-1").act.has_sector_trial_provision


@pytest.mark.parametrize(
    "lovdata_id", [KOMMUNELOVEN, FORVALTNINGSLOVEN, BARNEHAGELOVEN, OPPLAERINGSLOVA, PBL]
)
def test_limits_shown_on_the_act_page_agree_with_the_limits_of_each_section(act_of, lovdata_id):
    for provision in act_provisions(act_of(lovdata_id)):
        listed = sorted(limit.pk for limit in provision.limits)
        assert listed == sorted(limit.pk for limit in limits_for_provision(provision)), provision


def test_act_page_explains_the_limits_of_kommuneloven(client, provision_of):
    response = client.get("/lover/LOV-2018-06-22-83/")
    assert response.status_code == 200
    html = response.content.decode()
    chapter_5 = ScopeLimit.objects.get(
        act__lovdata_id=KOMMUNELOVEN, chapter="Kapittel 5", provision__isnull=True
    )
    assert escape(chapter_5.reason) in html
    assert "Kommuneloven kapittel 5 fastsetter hvilke folkevalgte organer" in html
    assert (
        html.count('class="ds-alert" data-color="warning"')
        == ScopeLimit.objects.filter(act__lovdata_id=KOMMUNELOVEN, provision__isnull=True).count()
    )
    # Each section of the chapter carries the limit in its row, with the reason on hover.
    row_start = html.index('<tr id="5-1">')
    row = html[row_start : html.index("</tr>", row_start)]
    assert 'class="ds-tag" data-color="warning"' in row
    assert f'title="{escape(chapter_5.reason)}"' in row


def test_act_page_of_an_act_with_own_trial_provision_says_so(client):
    response = client.get(f"/lover/{OPPLAERINGSLOVA}/")
    assert response.status_code == 200
    assert 'class="ds-alert" data-color="info"' in response.content.decode()
    assert "§ 29-3" in response.content.decode()


def test_act_page_of_forsoksloven_does_not_call_it_a_sector_trial_provision(client):
    response = client.get(f"/lover/{FORSOKSLOVEN}/")
    assert response.status_code == 200
    assert 'class="ds-alert" data-color="info"' not in response.content.decode()
