"""The public pages of the law register, the accessibility statement and the language switcher."""

import re

import pytest
from django.conf import settings

from legal.models import Provision
from legal.services import DATA_DIR, read_csv

pytestmark = pytest.mark.django_db

OPPLAERINGSLOVA = "LOV-2023-06-09-30"
ON_SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def ministry_section(html: str, code: str) -> str:
    start = html.index(f'<section aria-labelledby="ministry-{code}">')
    return html[start : html.index("</section>", start)]


def act_links(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/lover/([^/"]+)/">', html)


def pressed_language_buttons(html: str) -> list[str]:
    return re.findall(r'name="language" value="(\w+)"[^>]*aria-pressed="true"', html)


def test_law_register_lists_every_act_grouped_by_owning_ministry(client):
    response = client.get("/lover/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kunnskapsdepartementet" in html
    assert "opplæringslova" in html
    assert len(act_links(html)) == 31
    kd = ministry_section(html, "KD")
    assert f'href="/lover/{OPPLAERINGSLOVA}/"' in kd
    assert 'href="/lover/LOV-2005-06-17-64/"' in kd
    assert 'href="/lover/LOV-2018-06-22-83/"' not in kd
    assert 'href="/lover/LOV-2018-06-22-83/"' in ministry_section(html, "KDD")
    groups = {group.ministry.code: group.acts for group in response.context["groups"]}
    assert {act.short_title for act in groups["KD"]} == {"opplæringslova", "barnehageloven"}


def test_law_register_marks_acts_with_their_own_trial_provision(client):
    html = client.get("/lover/").content.decode()
    kd = ministry_section(html, "KD")
    assert 'class="ds-tag" data-color="info"' in kd
    assert "§ 29-3" in kd


def test_law_register_search_narrows_the_list(client):
    response = client.get("/lover/", {"q": "barnehage"})
    assert response.status_code == 200
    html = response.content.decode()
    assert act_links(html) == ["LOV-2005-06-17-64"]
    assert response.context["act_count"] == 1
    assert 'value="barnehage"' in html
    assert 'href="/lover/"' in html


def test_law_register_search_by_ministry_code(client):
    response = client.get("/lover/", {"q": "KD"})
    assert sorted(act_links(response.content.decode())) == ["LOV-2005-06-17-64", OPPLAERINGSLOVA]


def test_law_register_search_without_hits_says_so(client):
    response = client.get("/lover/", {"q": "finnes ikke"})
    assert response.status_code == 200
    assert response.context["act_count"] == 0
    assert act_links(response.content.decode()) == []


def test_law_register_search_finds_an_act_by_an_alias_with_norwegian_letters(client):
    response = client.get("/lover/", {"q": "opplæringsloven"})
    assert act_links(response.content.decode()) == [OPPLAERINGSLOVA]


def test_act_page_shows_chapters_and_sections_with_links_to_lovdata(client):
    response = client.get(f"/lover/{OPPLAERINGSLOVA}/")
    assert response.status_code == 200
    html = response.content.decode()
    headings = re.findall(r'<h3 id="chapter-\d+">([^<]*)</h3>', html)
    assert "Kapittel 1 Formålet med og krava til opplæringa" in headings
    assert "Kapittel 13 Ordenstiltak og skadeførebygging m.m." in headings
    assert len(headings) == len(set(headings))
    assert "§ 13-1" in html
    assert (
        '<a href="https://lovdata.no/dokument/NL/lov/2023-06-09-30/§13-1" rel="external">' in html
    )
    assert 'href="https://lovdata.no/dokument/NL/lov/2023-06-09-30"' in html
    assert (
        html.count("<tr id=") == Provision.objects.filter(act__lovdata_id=OPPLAERINGSLOVA).count()
    )


def test_act_page_accepts_the_lovdata_id_in_lower_case(client):
    response = client.get(f"/lover/{OPPLAERINGSLOVA.lower()}/")
    assert response.status_code == 200
    assert response.context["act"].lovdata_id == OPPLAERINGSLOVA


def test_act_page_of_an_unknown_act_is_not_found(client):
    assert client.get("/lover/LOV-2099-01-01-1/").status_code == 404


@pytest.mark.parametrize("lovdata_id", ["LOV-1995-05-12-23", "LOV-1957-06-28-16"])
def test_act_page_shows_every_chapter_of_an_older_act(client, lovdata_id):
    chapters = []
    for row in read_csv(DATA_DIR / "provisions_extra.csv"):
        if row["lovdata_id"] == lovdata_id and row["chapter"] not in chapters:
            chapters.append(row["chapter"])
    assert len(chapters) > 1
    html = client.get(f"/lover/{lovdata_id}/").content.decode()
    headings = re.findall(r'<h3 id="chapter-\d+">([^<]*)</h3>', html)
    assert len(headings) == len(chapters)


def test_accessibility_statement_is_published(client):
    response = client.get("/tilgjengelighet/")
    assert response.status_code == 200
    assert "WCAG 2.1" in response.content.decode()
    assert "FOR-2013-06-21-732" in response.content.decode()


def test_every_page_links_to_the_accessibility_statement(client):
    for url in ["/", "/lover/", f"/lover/{OPPLAERINGSLOVA}/"]:
        assert 'href="/tilgjengelighet/"' in client.get(url).content.decode(), url


def test_pages_are_in_bokmal_by_default(client):
    html = client.get("/").content.decode()
    assert '<html lang="nb">' in html
    assert pressed_language_buttons(html) == ["nb"]


def test_choosing_english_gives_english_pages(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/lover/"})
    assert response.status_code == 302
    assert response["Location"] == "/lover/"

    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Trials in public administration</h1>" in html
    assert pressed_language_buttons(html) == ["en"]
    # Organisations are named in English where the register has an English name.
    assert "Ministry of Education and Research" in client.get("/lover/").content.decode()


def test_choosing_nynorsk_gives_nynorsk_pages(client):
    client.post("/i18n/setlang/", {"language": "nn", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="nn">' in html
    assert pressed_language_buttons(html) == ["nn"]


def test_unknown_language_choice_keeps_bokmal(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert '<html lang="nb">' in client.get("/").content.decode()
