"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser).

Skipped, with the reason printed, when /usr/bin/chromium is not installed; the README's test
command installs it with apt when it can.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# thread are still synchronous, so tell Django that is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if HAVE_CHROMIUM:
        return
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
        "(the README's test command does so when run as root) to run the browser tests."
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nb-NO", java_script_enabled=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live server with the reference data (transactional tests start empty), the
    municipalities and ministries with bokmål recorded as in every other test
    (tests/conftest.py); a test of the written form records neutral first."""
    from tests.conftest import record_bokmal_for_neutral

    call_command("load_reference_data", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    record_bokmal_for_neutral()
    return live_server


def assert_accessible(page, *, context: str | None = None) -> None:
    """No axe-core violation of WCAG 2.1 A/AA on the current page.

    axe-core (570 kB of script) is put into a document once: a second check of the same
    document (the other width, a state changed by script) runs the copy already there."""
    from axe_playwright_python.base import AXE_SCRIPT, AxeResults

    if not page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = AxeResults(
        page.evaluate(
            "([context, options]) => axe.run(context || document, options)", [context, options]
        )
    )
    violations = results.response["violations"]
    assert not violations, f"{page.url}: {results.generate_report()}"
