"""The translation catalogues are complete, consistent and compiled, and the site speaks bokmål.

Update the catalogues with::

    DEBUG=true python manage.py makemessages -l nb -l nn -l en --no-obsolete \
        --ignore=.venv --ignore=staticfiles --ignore=tests
    DEBUG=true python manage.py compilemessages --ignore=.venv

The .mo files are committed, so a machine without GNU gettext still serves translations.
"""

import re
from functools import cache
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["nb", "nn", "en"]
PROJECT_SOURCES = ("casework/", "config/", "legal/", "templates/", "trials/", "workflows/")
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdifr]")


@cache
def _po(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"))


@cache
def _mo(lang: str) -> polib.MOFile:
    return polib.mofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"))


def _key(entry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _translations(entry) -> tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    return (entry.msgstr,)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_every_configured_language_has_a_catalogue():
    assert sorted(code for code, _name in settings.LANGUAGES) == sorted(LANGUAGES)
    assert settings.LANGUAGE_CODE == "nb"
    assert LOCALE_DIR in [Path(path) for path in settings.LOCALE_PATHS]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_is_complete(lang):
    po = _po(lang)
    assert len(po) > 0
    assert po.metadata.get("Language") == lang
    assert not po.metadata_is_fuzzy, "remove the fuzzy flag from the header"
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []
    for entry in po:
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == 2, entry.msgid
            assert all(entry.msgstr_plural.values()), entry.msgid


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_kept(lang):
    problems = []
    for entry in _po(lang):
        if entry.msgid_plural:
            allowed = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural)
            forms = entry.msgstr_plural
            if not _placeholders(entry.msgid) <= _placeholders(forms[0]):
                problems.append((entry.msgid, forms[0]))
            for index, text in forms.items():
                needed = _placeholders(entry.msgid_plural) if index else set()
                if not needed <= _placeholders(text) or not _placeholders(text) <= allowed:
                    problems.append((entry.msgid_plural, text))
        elif _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            problems.append((entry.msgid, entry.msgstr))
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_literal_percent_signs_stay_doubled(lang):
    """Template strings store a literal % as %%; a single % breaks or shows wrongly."""
    problems = []
    for entry in _po(lang):
        for index, text in enumerate(_translations(entry)):
            source = entry.msgid_plural if entry.msgid_plural and index else entry.msgid
            lone_percent = re.search(r"%(?!\()", text.replace("%%", ""))
            if source.count("%%") != text.count("%%") or ("%%" in source and lone_percent):
                problems.append((entry.msgid, text))
    assert problems == []


def test_english_catalogue_repeats_the_source():
    for entry in _po("en"):
        if entry.msgid_plural:
            assert entry.msgstr_plural == {0: entry.msgid, 1: entry.msgid_plural}
        else:
            assert entry.msgstr == entry.msgid


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_holds_only_project_strings(lang):
    """makemessages must not pick up strings from the virtualenv, tests or collected files."""
    outside = {
        path
        for entry in _po(lang)
        for path, _line in entry.occurrences
        if not path.startswith(PROJECT_SOURCES)
    }
    assert outside == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_po(lang):
    """The committed .mo file was compiled from the current .po file."""
    po = {_key(e): _translations(e) for e in _po(lang).translated_entries()}
    mo = {_key(e): _translations(e) for e in _mo(lang) if e.msgid}
    assert set(mo) == set(po)
    assert mo == po


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "Saksbehandling"),
        ("nn", "Sakshandsaming"),
        ("en", "Case handling"),
    ],
)
def test_django_loads_the_catalogue(lang, expected):
    with translation.override(lang):
        assert translation.gettext("Case handling") == expected
        assert translation.gettext("Ministry of Local Government and Regional Development") == (
            "Ministry of Local Government and Regional Development"
            if lang == "en"
            else "Kommunal- og distriktsdepartementet"
        )


def test_front_page_is_bokmal_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="nb"' in html.split("<head>", 1)[0]
    assert "Lovregister" in html
    assert "Kommunal- og distriktsdepartementet" in html
    assert "Law register" not in html


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("nn", "Tilgjengelegheitserklæring"),
        ("en", "Accessibility statement"),
    ],
)
def test_front_page_follows_language_cookie(client, lang, text):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    html = client.get("/").content.decode()
    assert f'<html lang="{lang}">' in html
    assert text in html
