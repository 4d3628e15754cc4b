"""Production hardening: a secret key is required and a strict Content-Security-Policy holds.

``check --deploy`` with the production environment: tests/test_production.py.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)


def production_environment(**overrides):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "CONTENT_SECURITY"))
        and key not in {"DEBUG", "TESTING", "SECRET_KEY", "DATABASE_URL"}
    }
    environment.update(
        DEBUG="false",
        SECRET_KEY="x" * 20 + "-production-like-secret-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="frikommune.example",
    )
    environment.update(overrides)
    return environment


def run_manage(*args, environment):
    return subprocess.run(  # noqa: S603 - this interpreter and manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", environment=production_environment(SECRET_KEY=""))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_every_page_carries_a_policy_without_inline_scripts(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_api_docs_load_their_script_from_a_url_not_inline(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), "the API docs page has an inline script"
    assert "script-src 'self';" in response["Content-Security-Policy"]
    script_url = re.search(r'<script src="([^"]*\?script[^"]*)"', html).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.parametrize(
    "template", sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html")), ids=str
)
def test_templates_have_no_inline_script_or_style(template):
    """The policy forbids them, so a browser would silently drop them."""
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), f"inline <script> in {template}"
    assert not INLINE_STYLE.search(text), f"inline style in {template}"


@pytest.mark.django_db
def test_the_icon_is_linked_and_favicon_ico_leads_to_it(client):
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == icon
    assert client.get(icon).status_code == 200
