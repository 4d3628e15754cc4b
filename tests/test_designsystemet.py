"""Digdir's Designsystemet, vendored into static/vendor/designsystemet/ by
scripts/update-designsystemet.sh: pinned, licensed, loading nothing from elsewhere, linked by
every page, and the pages styled with its classes only (no inline style under the CSP)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor" / "designsystemet"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
STYLESHEETS = ("designsystemet.css", "theme-digdir.css")


def test_the_vendored_css_is_pinned_and_licensed():
    version = (VENDOR / "VERSION").read_text(encoding="utf-8")
    assert re.search(r"@digdir/designsystemet-css \d+\.\d+\.\d+ ", version)
    assert re.search(r"@digdir/designsystemet-theme \d+\.\d+\.\d+ ", version)
    for licence in ("LICENSE-designsystemet-css", "LICENSE-designsystemet-theme"):
        text = (VENDOR / licence).read_text(encoding="utf-8")
        assert "Digitaliseringsdirektoratet" in text and "Permission is hereby granted" in text


@pytest.mark.parametrize("name", STYLESHEETS)
def test_the_vendored_css_fetches_nothing_from_elsewhere(name):
    css = (VENDOR / name).read_text(encoding="utf-8")
    assert "@import" not in css
    urls = re.findall(r"url\(\s*['\"]?([^'\")]*)", css)
    assert all(url.startswith("data:") for url in urls), [u for u in urls if "data:" not in u]


def test_the_components_the_pages_use_are_in_the_vendored_css():
    css = (VENDOR / "designsystemet.css").read_text(encoding="utf-8")
    for component in (
        "ds-button",
        "ds-field",
        "ds-input",
        "ds-label",
        "ds-validation-message",
        "ds-fieldset",
        "ds-alert",
        "ds-tag",
        "ds-table",
        "ds-pagination",
        "ds-error-summary",
        "ds-skip-link",
        "ds-link",
        "ds-heading",
    ):
        assert f".{component}" in css, component


@pytest.mark.django_db
def test_pages_link_the_site_layout_then_the_theme_then_the_components(client):
    html = client.get("/").content.decode()
    links = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)
    assert links[:3] == [
        "css/frikommune.css",
        "vendor/designsystemet/theme-digdir.css",
        "vendor/designsystemet/designsystemet.css",
    ]
    assert 'class="ds-skip-link" href="#main"' in html
    assert "https://" not in "".join(links)


def test_no_template_has_an_inline_style():
    """style-src 'self': an inline style attribute or element would be blocked."""
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\sstyle=|<style", path.read_text(encoding="utf-8"))
    ]
    assert not offenders


@pytest.mark.django_db
def test_a_form_field_is_a_ds_field_with_its_description_and_validation_message(client):
    html = client.get("/journal/", {"date_from": "not a date"}).content.decode()
    assert 'class="ds-error-summary" role="alert"' in html
    start = html.index('<label class="ds-label" for="id_date_from">')
    field = html[html.rindex('<div class="ds-field">', 0, start) : html.index("</div>", start)]
    control = re.search(r'<input type="date" name="date_from"[^>]*>', field).group()
    assert 'class="ds-input"' in control and 'aria-invalid="true"' in control
    assert 'class="ds-validation-message" data-field="validation" id="id_date_from_error"' in field
