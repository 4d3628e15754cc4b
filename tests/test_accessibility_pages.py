"""Accessibility beyond axe that a page's HTML shows: the API documentation has a language,
and the accessibility statement lists what is known not to conform (Digdir's uustatus form)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_documentation_page_has_a_language(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert re.search(r'<html lang="(nb|nn|en)"', html)


def test_the_accessibility_statement_lists_known_non_conformities(client):
    client.cookies["django_language"] = "en"
    html = client.get("/tilgjengelighet/").content.decode()
    assert "Compliance status" in html
    section = html[html.index('id="non-conformities"') :]
    for criterion in ("1.1.1", "1.4.10", "3.1.2", "4.1.2"):
        assert f'<th scope="row">{criterion} ' in section
