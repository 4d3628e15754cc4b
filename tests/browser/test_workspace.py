"""The officers' workspace in the browser: the process diagram under the strict CSP, the
inbox with its due dates and the mail settings, checked with axe at desktop and 320 px."""

import re

import pytest

from tests.browser.conftest import assert_accessible
from tests.browser.test_case_handling import PASSWORD, _people, _submitted_application

pytestmark = pytest.mark.browser

WIDTHS = (1280, 320)
# WCAG 1.4.10: these pages must not scroll sideways at 320 px (tables scroll in their own
# labelled region, which the criterion allows for two-dimensional content).
REFLOWED = {"/", "/journal/", "/saksbehandling/"}


def _log_in(page, site, username, next_url="/saksbehandling/"):
    page.goto(f"{site.url}/logg-inn/?next={next_url}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("main").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} scrolls sideways at {viewport}px ({width}px wide)"


def test_the_process_diagram_is_readable_under_the_csp_and_marks_the_current_step(site, page):
    people = _people()
    application = _submitted_application(people["applicant"])
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    _log_in(page, site, "sara")
    page.goto(f"{site.url}/saksbehandling/saker/{application.pk}/")
    chart = page.locator("svg.process-chart")
    chart.wait_for()
    styles = page.evaluate(
        """() => {
          const fill = (selector) => {
            const node = document.querySelector(selector);
            return node ? getComputedStyle(node).fill : null;
          };
          const stroke = (selector) =>
            getComputedStyle(document.querySelector(selector)).strokeWidth;
          return {
            current: fill("svg.process-chart g#node-register rect.task"),
            pending: fill("svg.process-chart g#node-propose rect.task"),
            currentStroke: stroke("svg.process-chart g#node-register rect.task"),
            pendingStroke: stroke("svg.process-chart g#node-propose rect.task"),
            gateway: fill("svg.process-chart g#node-is_complete path.gateway"),
            text: fill("svg.process-chart g#node-propose text"),
          };
        }"""
    )
    assert styles["current"] == "rgb(255, 243, 176)"  # the open step, highlighted
    assert styles["pending"] == "rgb(255, 255, 255)"  # never the black of an unstyled SVG
    assert styles["gateway"] == "rgb(255, 255, 255)"
    assert styles["text"] == "rgb(26, 26, 26)"
    assert float(styles["currentStroke"].rstrip("px")) > float(styles["pendingStroke"].rstrip("px"))
    words = chart.text_content()
    assert "Påminn søkeren" in words and "Remind Applicant" not in words
    assert "Decided" not in words, re.findall(r".{30}Decided.{10}", words, re.S)
    assert not violations, violations
    assert_accessible(page)


def test_every_workspace_page_passes_axe_and_reflows_for_each_role(site, browser):
    people = _people()
    application = _submitted_application(people["applicant"])
    pages = {
        "sara": [
            "/saksbehandling/",
            f"/saksbehandling/saker/{application.pk}/",
            "/varsler/",
            "/",
            "/journal/",
        ],
        "per": ["/saksbehandling/", "/varsler/"],
        "leder": ["/saksbehandling/", "/varsler/"],
        "siri": ["/mine-soknader/", f"/mine-soknader/{application.pk}/", "/varsler/"],
    }
    for username, paths in pages.items():
        for width in WIDTHS:
            context = browser.new_context(locale="nb-NO", viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            _log_in(page, site, username, next_url=paths[0])
            for path in paths:
                page.goto(site.url + path)
                assert_accessible(page)
                if path in REFLOWED or path.startswith("/saksbehandling/saker/"):
                    _no_sideways_scroll(page)
            context.close()


def test_focus_shows_on_a_date_field_and_returns_after_a_reload(site, page):
    people = _people()
    application = _submitted_application(people["applicant"])
    _log_in(page, site, "sara")
    page.goto(f"{site.url}/saksbehandling/")
    page.locator("#id_sort").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.goto(f"{site.url}/saksbehandling/saker/{application.pk}/")
    assert page.locator("#my-tasks, main").count() >= 1
    # a date field: its parts take focus, the field shows it
    page.goto(f"{site.url}/journal/")
    date = page.locator("input[type=date]").first
    date.focus()
    style = page.evaluate(
        "() => { const f = document.querySelector('input[type=date]:focus-within');"
        " return f ? getComputedStyle(f).outlineStyle : null; }"
    )
    assert style == "solid"


def test_the_team_view_shows_the_workload_and_reassigns(site, browser):
    from casework.choices import Role
    from tests.builders import open_task
    from tests.factories import member, ministry
    from workflows.case import services

    people = _people()
    colleague = member(
        ministry("KDD"), Role.CASE_OFFICER, username="nils", first_name="Nils", last_name="Berg"
    )
    application = _submitted_application(people["applicant"])
    task = open_task(application, "register")
    services.task_claim(actor=people["officer"], task=task)
    for width in WIDTHS:
        context = browser.new_context(locale="nb-NO", viewport={"width": width, "height": 900})
        context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page, site, "leder", next_url="/saksbehandling/team/")
        assert page.get_by_role("heading", level=1).inner_text() == "The team's work"
        assert_accessible(page)
        _no_sideways_scroll(page)
        context.close()
    context = browser.new_context(locale="nb-NO")
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    _log_in(page, site, "leder", next_url="/saksbehandling/team/")
    page.get_by_label(re.compile("^Give .Register the application")).select_option(
        label="Nils Berg"
    )
    page.get_by_role("button", name=re.compile(r"^Give\s+Register the application")).click()
    page.wait_for_url(re.compile(r"/saksbehandling/team/"))
    assert "Nils Berg has the task now." in page.content()
    task.refresh_from_db()
    assert task.owner == colleague
    assert_accessible(page)
    context.close()
