"""/unntak/ and /unntak/<act>/: grouping, outcomes, filters, in force today, the section
search, links, exports and constant query counts."""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests import builders
from tests.builders import (
    BHGL_10,
    HOL,
    HOL_3_2,
    INNLANDET,
    NORDLAND,
    OPPL,
    OPPL_13_1,
    OPPL_14_1,
    OPPL_14_2,
    PBL_21_7,
)
from tests.factories import municipality
from tests.fixtures import bodo_person, kdd_staff
from tests.once import fresh
from tests.register.conftest import decided, download_json, submitted
from trials.choices import ApplicationStatus, Outcome
from trials.models import Application, ExemptionRequest
from trials.public.api.views import PublicExemptionSerializer

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def register_shape(response) -> list[tuple]:
    """[(ministry code, [(act lovdata id, [(section, [references])])])] as the page groups."""
    return [
        (
            group.ministry.code,
            [
                (
                    item.act.lovdata_id,
                    [
                        (
                            section.provision.section,
                            [row.application.reference for row in section.rows],
                        )
                        for section in item.sections
                    ],
                )
                for item in group.acts
            ],
        )
        for group in response.context["shown"].ministries
    ]


def references(response) -> set[str]:
    register = response.context["shown"]  # the page's rows (every row, in these tests)
    rows = [row for act in register.acts for section in act.sections for row in section.rows]
    return {row.application.reference for row in rows + register.unresolved.rows}


def csv_rows(response) -> list[dict]:
    text = response.getvalue().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


# --- grouping ------------------------------------------------------------------------------


def test_requests_are_grouped_by_owning_ministry_act_and_section(
    client, submit, bodo, bodo_applicant
):
    school = submit([OPPL_14_1, OPPL_13_1, HOL_3_2])
    nursery = submit([BHGL_10, OPPL_13_1], actor=bodo_applicant, organisation=bodo)
    response = client.get("/unntak/")
    assert register_shape(response) == [
        ("HOD", [(HOL, [("§ 3-2", [school.reference])])]),
        (
            "KD",
            [
                ("LOV-2005-06-17-64", [("§ 10", [nursery.reference])]),
                (
                    OPPL,
                    [
                        ("§ 13-1", [school.reference, nursery.reference]),
                        ("§ 14-1", [school.reference]),
                    ],
                ),
            ],
        ),
    ]
    page = html(response)
    assert 'id="ministry-KD"' in page
    assert f'id="{OPPL}-13-1"' in page
    assert "2 requests for exemption from § 13-1" in page


def test_a_draft_never_appears_in_the_register(client, submit, make_draft):
    submitted = submit([OPPL_14_1])
    make_draft(title="Utkast som ingen skal sjå")
    response = client.get("/unntak/")
    assert references(response) == {submitted.reference}
    assert "Utkast som ingen skal sjå" not in html(response)


def test_requests_without_an_identified_provision_are_listed_apart(client, submit):
    application = submit([OPPL_14_1], unresolved=["Ukjend lov § 7"])
    page = html(client.get("/unntak/"))
    assert 'id="unresolved"' in page
    assert "Ukjend lov § 7" in page
    assert application.reference in page


def test_the_summary_counts_requests_decisions_and_exemptions_in_force_per_act(
    client, submit, decide
):
    today = timezone.localdate()
    decide(
        submit([OPPL_13_1, OPPL_14_1]),
        {OPPL_14_1: (Outcome.REFUSED, "Går ut over elevane sine rettar.", "")},
        trial=(today - datetime.timedelta(days=10), today + datetime.timedelta(days=700)),
    )
    decide(
        submit([OPPL_13_1], title="Anna"),
        {OPPL_13_1: (Outcome.GRANTED_WITH_CONDITIONS, "Grunn.", "Rapporter.")},
    )
    submit([OPPL_14_2, HOL_3_2], title="Tredje")
    response = client.get("/unntak/")
    by_act = {item.act.lovdata_id: item.summary for item in response.context["register"].acts}
    oppl = by_act[OPPL]
    assert (oppl.requests, oppl.pending, oppl.granted, oppl.refused, oppl.in_force) == (
        4,
        1,
        2,
        1,
        1,
    )
    assert oppl.with_conditions == 1
    assert (by_act[HOL].requests, by_act[HOL].pending) == (1, 1)
    total = response.context["register"].summary
    assert (total.requests, total.granted, total.refused, total.in_force) == (5, 2, 1, 1)
    page = html(response)
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
    assert "<tfoot>" in page


def test_the_legend_explains_every_outcome_in_plain_language(client, submit):
    submit()
    page = html(client.get("/unntak/"))
    assert 'id="legend-heading"' in page
    for word in ("Awaiting decision", "Granted with conditions", "Withdrawn", "In force today"):
        assert word in page or word.lower() in page.lower()


# --- what is shown before and after the decision -------------------------------------------


def test_reasons_and_conditions_appear_only_after_the_decision(client, submit, decide, staff):
    pending = builders.advance(
        submit([OPPL_13_1]),
        to="approve",
        staff=staff,
        outcomes={OPPL_13_1: (Outcome.REFUSED, "Førebels grunngiving", "")},
    )
    assert pending.status == ApplicationStatus.DECISION_PROPOSED
    # Even were the proposed outcome text to sit on the row before the decision:
    ExemptionRequest.objects.filter(application=pending).update(
        outcome=Outcome.REFUSED, outcome_reasons="Førebels grunngiving"
    )
    decided = decide(
        submit([OPPL_14_1], title="Avgjort"),
        {OPPL_14_1: (Outcome.GRANTED_WITH_CONDITIONS, "Innanfor § 4.", "Rapport kvart år.")},
    )
    response = client.get("/unntak/")
    page = html(response)
    assert "Førebels grunngiving" not in page
    assert "Innanfor § 4." in page and "Rapport kvart år." in page
    states = {
        row.application.reference: row.state
        for act in response.context["shown"].acts
        for section in act.sections
        for row in section.rows
    }
    assert states == {pending.reference: "pending", decided.reference: "granted_with_conditions"}


def test_a_withdrawn_application_shows_its_requests_as_withdrawn(client, submit, applicant):
    from trials import services

    application = submit([OPPL_13_1])
    services.application_withdraw(actor=applicant, application=application, reason="Grunn.")
    response = client.get("/unntak/", {"outcome": "withdrawn"})
    assert references(response) == {application.reference}


def test_a_case_decided_through_the_real_workflow_shows_granted_and_its_trial(
    client, submit, case_officer, approver, bodo, bodo_applicant, django_capture_on_commit_callbacks
):
    """The register reads what proposal_approve and trial_create really write."""
    from tests.factories import member, ministry
    from workflows.case import services as workflow
    from workflows.case.flows import ApplicationFlow

    consultee = member(ministry("HOD"), "consultee", username="fagdep.hod.reg")
    application = submit([HOL_3_2], actor=bodo_applicant, organisation=bodo, stage="final")

    def task(step):
        from viewflow.workflow.status import STATUS

        return ApplicationFlow.task_class.objects.get(
            process__caseprocess__application=application,
            flow_task=getattr(ApplicationFlow, step),
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )

    with django_capture_on_commit_callbacks(execute=True):
        workflow.task_complete(actor=case_officer, task=task("register"), payload={})
        workflow.task_complete(
            actor=case_officer, task=task("check_completeness"), payload={"complete": True}
        )
        exemption = application.exemption_requests.get()
        workflow.task_complete(
            actor=case_officer,
            task=task("assess"),
            payload={"assessments": {exemption.pk: {"assessment": "within_scope", "note": ""}}},
        )
        workflow.task_complete(
            actor=consultee,
            task=task("consult"),
            payload={"positions": {exemption.pk: {"position": "supports", "statement": ""}}},
        )
        workflow.task_complete(
            actor=case_officer,
            task=task("propose"),
            payload={
                "outcomes": {
                    exemption.pk: {
                        "outcome": Outcome.GRANTED_WITH_CONDITIONS,
                        "reasons": "Innanfor lova.",
                        "conditions": "Årleg rapport.",
                    }
                },
                "summary": "Godkjent.",
            },
        )
        workflow.task_complete(
            actor=approver, task=task("approve"), payload={"decision": "approve"}
        )
    trial = Application.objects.get(pk=application.pk).trial
    response = client.get(f"/unntak/{HOL}/")
    page = html(response)
    assert "Årleg rapport." in page and "Innanfor lova." in page
    row = response.context["shown_sections"][0].rows[0]
    assert row.state == "granted_with_conditions"
    assert row.trials[0].starts_on == trial.starts_on and row.trials[0].upcoming
    assert not row.in_force
    # In force once KDD has recorded its regulation, from the regulation's start date.
    builders.regulation(trial, officer=case_officer, starts_on=trial.starts_on)
    with time_machine.travel(
        timezone.make_aware(datetime.datetime.combine(trial.starts_on, datetime.time(12)))
    ):
        assert (
            client.get("/unntak/", {"in_force": "true"}).context["register"].summary.in_force == 1
        )


# --- in force today ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "in_force"),
    [
        (datetime.date(2027, 7, 31), False),
        (datetime.date(2027, 8, 1), True),
        (datetime.date(2031, 7, 31), True),
        (datetime.date(2031, 8, 1), False),
    ],
)
def test_an_exemption_is_in_force_from_the_first_day_until_the_day_before_the_end(
    client, submit, decide, today, in_force
):
    application = decide(
        submit([OPPL_13_1, OPPL_14_1]),
        {OPPL_14_1: (Outcome.REFUSED, "Nei.", "")},
        trial=(datetime.date(2027, 8, 1), datetime.date(2031, 8, 1)),
    )
    moment = timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))
    with time_machine.travel(moment, tick=False):
        response = client.get("/unntak/", {"in_force": "true"})
        shown = references(response)
        rows = download_json(client.get(f"/unntak/{OPPL}/", {"format": "json"}))["results"]
    assert shown == ({application.reference} if in_force else set())
    assert {row["section"]: row["in_force_today"] for row in rows} == {
        "§ 13-1": in_force,
        "§ 14-1": False,  # refused: never part of the trial
    }


def test_the_trial_period_is_shown_with_its_state(client, submit, decide):
    today = timezone.localdate()
    decide(
        submit(), trial=(today - datetime.timedelta(days=1), today + datetime.timedelta(days=30))
    )
    decide(
        submit(title="Seinare"),
        trial=(today + datetime.timedelta(days=5), today + datetime.timedelta(days=60)),
    )
    page = html(client.get(f"/unntak/{OPPL}/"))
    assert "In force today" in page
    assert "Not started yet" in page


# --- filters -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _spread(built_once):
    with built_once():
        staff, bodo, bodo_applicant = kdd_staff(), municipality("1804"), bodo_person()
        today = timezone.localdate()
        school = decided(
            submitted([OPPL_13_1, OPPL_14_1], co_applicants=[municipality("3440")]),
            {OPPL_14_1: (Outcome.REFUSED, "Nei.", "")},
            staff=staff,
            trial=(today - datetime.timedelta(days=5), today + datetime.timedelta(days=500)),
        )
        health = submitted([HOL_3_2], actor=bodo_applicant, organisation=bodo, title="Helse")
        plan = decided(
            submitted([PBL_21_7], actor=bodo_applicant, organisation=bodo, title="Plan"),
            {PBL_21_7: (Outcome.GRANTED_WITH_CONDITIONS, "Ja.", "Vilkår.")},
            staff=staff,
        )
        nursery = submitted([BHGL_10], title="Barnehage")
        return {"school": school, "health": health, "plan": plan, "nursery": nursery}


@pytest.fixture
def spread(_spread, db, media_root):
    """Four applications across two counties, three ministries and every kind of outcome
    (built once for the module)."""
    return fresh(_spread)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"school", "health", "plan", "nursery"}),
        ({"act": OPPL}, {"school"}),
        ({"ministry": "KD"}, {"school", "nursery"}),
        ({"ministry": "KDD"}, {"plan"}),
        ({"outcome": "refused"}, {"school"}),
        ({"outcome": "granted"}, {"school"}),
        ({"outcome": "granted_with_conditions"}, {"plan"}),
        ({"outcome": "pending"}, {"health", "nursery"}),
        ({"in_force": "true"}, {"school"}),
        ({"county": INNLANDET}, {"school", "nursery"}),
        ({"county": NORDLAND}, {"health", "plan"}),
        ({"county": NORDLAND, "ministry": "HOD"}, {"health"}),
        ({"county": INNLANDET, "outcome": "pending"}, {"nursery"}),
    ],
)
def test_filters_narrow_the_register(client, spread, params, expected):
    response = client.get("/unntak/", params)
    assert references(response) == {spread[name].reference for name in expected}
    exported = download_json(client.get("/unntak/", {**params, "format": "json"}))
    assert {row["application"] for row in exported["results"]} == {
        spread[name].reference for name in expected
    }


def test_a_co_applicants_county_finds_the_joint_application(client, spread, oyer):
    rows = download_json(client.get("/unntak/", {"county": INNLANDET, "format": "json"}))["results"]
    joint = [row for row in rows if row["application"] == spread["school"].reference]
    assert joint and joint[0]["applicants"] == ["Lillehammer", "Øyer"]
    assert joint[0]["applicant_numbers"] == ["3405", "3440"]


def test_an_invalid_filter_is_reported_and_the_others_still_apply(client, spread):
    response = client.get("/unntak/", {"act": "LOV-1900-01-01-1", "ministry": "KD"})
    page = html(response)
    assert 'aria-invalid="true"' in page
    assert references(response) == {spread["school"].reference, spread["nursery"].reference}
    assert client.get("/unntak/", {"act": "LOV-1900-01-01-1", "format": "csv"}).status_code == 400


def test_the_filter_form_keeps_the_chosen_values(client, spread):
    page = html(client.get("/unntak/", {"ministry": "KD", "in_force": "true", "county": "34"}))
    assert '<option value="KD" selected>' in page
    assert '<option value="34" selected>' in page
    assert 'name="in_force" value="true" checked' in page


# --- the section search --------------------------------------------------------------------


def test_a_citation_jumps_to_the_section_on_the_acts_page(client, submit):
    submit([OPPL_14_2])
    response = client.get("/unntak/", {"q": "oppl. § 14-2", "outcome": "pending"})
    assert response.status_code == 302
    assert response["Location"] == f"/unntak/{OPPL}/?outcome=pending&section=14-2#14-2"
    page = html(client.get(response["Location"].split("#")[0]))
    assert 'id="14-2"' in page


def test_a_citation_of_a_section_nobody_asked_about_says_so(client, submit):
    submit([OPPL_14_2])
    response = client.get("/unntak/", {"q": "opplæringslova § 13-1"}, follow=True)
    page = html(response)
    assert response.redirect_chain[0][0].endswith("#13-1")
    assert 'id="13-1"' in page
    assert (
        "No municipality or county municipality has asked for an exemption from this section"
        in page
    )


def test_an_unknown_citation_explains_and_suggests(client, submit):
    submit()
    page = html(client.get("/unntak/", {"q": "opplæringslov § 99-9"}))
    assert 'id="section-search-error"' in page
    assert 'aria-invalid="true"' in page
    page = html(client.get("/unntak/", {"q": "oplæringslova § 13-1"}))
    assert "Opplæringslova" in page or "opplæringslova" in page


# --- the act's page -------------------------------------------------------------------------


def test_the_acts_page_anchors_every_section_and_links_back(client, submit, decide):
    submit([OPPL_13_1, OPPL_14_1, HOL_3_2])
    response = client.get(f"/unntak/{OPPL}/")
    page = html(response)
    assert 'id="13-1"' in page and 'id="14-1"' in page
    assert 'href="?section=13-1#13-1"' in page  # the page where the section is, at it
    assert f'href="/lover/{OPPL}/"' in page
    assert [s.provision.section for s in response.context["act_group"].sections] == [
        "§ 13-1",
        "§ 14-1",
    ]
    assert "§ 3-2" not in page


def test_long_registers_are_paged_and_a_section_link_lands_on_its_page(client, submit, monkeypatch):
    monkeypatch.setattr("trials.public.register.selectors.REGISTER_PAGE_SIZE", 2)
    submit([OPPL_13_1, OPPL_14_1], title="Første")
    submit([OPPL_14_1], title="Andre")
    submit([OPPL_14_1], title="Tredje")
    # The overview: every figure counts all four requests; the rows come two at a time.
    first = client.get("/unntak/")
    assert first.context["register"].summary.requests == 4
    assert len([r for a in first.context["shown"].acts for s in a.sections for r in s.rows]) == 2
    page = html(first)
    assert "Requests 1–2 of 4, by act and section." in page
    assert 'aria-label="Pages of the exemption register"' in page
    assert 'href="?page=2"' in page
    second = html(client.get("/unntak/?page=2"))
    assert "Tredje" in second and "Første" not in second
    # § 14-1 is split over the pages: its caption gives all three and says so.
    assert "3 requests for exemption from § 14-1" in second
    assert "Some of these requests are on the previous or the next page." in second
    # A link to a section opens the act's page where the section starts.
    act_page = client.get(f"/unntak/{OPPL}/?section=14-1")
    assert act_page.context["page"].number == 1
    assert 'id="14-1"' in html(act_page)
    last = client.get(f"/unntak/{OPPL}/?page=2")
    assert [s.anchor for s in last.context["shown_sections"]] == ["14-1"]
    assert "Tredje" in html(last)
    monkeypatch.setattr(
        "trials.public.register.selectors.REGISTER_PAGE_SIZE", 1
    )  # § 14-1 starts on page 2
    cache.clear()  # the page size changed, not the data: no page rendered before may be shared
    jumped = client.get(f"/unntak/{OPPL}/?section=14-1")
    assert jumped.context["page"].number == 2
    assert [s.anchor for s in jumped.context["shown_sections"]] == ["14-1"]


def test_an_unknown_act_is_not_found_and_a_lowercase_id_redirects(client):
    assert client.get("/unntak/LOV-1900-01-01-1/").status_code == 404
    response = client.get(f"/unntak/{OPPL.lower()}/")
    assert response.status_code == 302 and response["Location"] == f"/unntak/{OPPL}/"


def test_an_act_nobody_asked_about_has_an_empty_register(client):
    page = html(client.get(f"/unntak/{HOL}/"))
    assert "No municipality or county municipality has asked for an exemption from this act" in page


# --- links to the public pages --------------------------------------------------------------


def _url_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def test_rows_link_to_the_application_and_the_municipality_when_those_pages_exist(
    client, submit, oyer
):
    application = submit(co_applicants=[oyer])
    page = html(client.get("/unntak/"))
    detail = _url_or_none("public:application_detail", application.reference)
    municipality = _url_or_none("public:municipality", "3440")
    if detail:
        assert f'href="{detail}"' in page
    else:
        assert application.reference in page
    if municipality:
        assert f'href="{municipality}"' in page
    assert "Øyer" in page


# --- exports -------------------------------------------------------------------------------


EXPORT_COLUMNS = [
    "id",
    "act",
    "act_title",
    "ministry",
    "ministry_name",
    "section",
    "section_heading",
    "subsection",
    "citation_key",
    "lovdata_url",
    "proposed_arrangement",
    "application",
    "application_title",
    "application_url",
    "stage",
    "applicants",
    "applicant_numbers",
    "counties",
    "submitted_on",
    "application_status",
    "state",
    "outcome_reasons",
    "conditions",
    "decided_on",
    "in_force_today",
    "trial_starts_on",
    "trial_ends_on",
]


def test_the_csv_export_has_the_documented_columns_and_the_licence(client, spread):
    response = client.get("/unntak/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'rel="license"' in response["Link"] and "nlod" in response["Link"]
    assert response["Content-Disposition"].startswith('attachment; filename="unntaksregister-')
    rows = csv_rows(response)
    assert list(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 5
    school = [row for row in rows if row["application"] == spread["school"].reference]
    by_section = {row["section"]: row for row in school}
    assert by_section["§ 13-1"]["state"] == "granted"
    assert by_section["§ 13-1"]["in_force_today"] == "true"
    assert by_section["§ 13-1"]["applicants"] == "Lillehammer; Øyer"
    assert by_section["§ 14-1"]["outcome_reasons"] == "Nei."
    assert by_section["§ 14-1"]["in_force_today"] == "false"


def test_the_json_export_has_the_same_columns_and_states_its_licence(client, spread):
    response = client.get(f"/unntak/{OPPL}/", {"format": "json"})
    body = download_json(response)
    assert body["license"]["url"] == "https://data.norge.no/nlod/no/2.0"
    assert "NLOD" in body["license"]["name"]
    assert body["filters"] == {"act": OPPL}
    assert body["count"] == 2 == len(body["results"])
    assert list(body["results"][0]) == EXPORT_COLUMNS
    assert response["Access-Control-Allow-Origin"] == "*"


def test_every_export_column_is_documented_in_open_data_md(client):
    documented = re.findall(r"^\| `(\w+)`\s+\|", DOCS.read_text(encoding="utf-8"), re.M)
    assert list(PublicExemptionSerializer().fields) == EXPORT_COLUMNS
    for column in EXPORT_COLUMNS:
        assert column in documented, column
    assert "NLOD 2.0" in DOCS.read_text(encoding="utf-8")


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(client, submit):
    submit(title='=HYPERLINK("http://evil.example")')
    rows = csv_rows(client.get("/unntak/", {"format": "csv"}))
    assert rows[0]["application_title"].startswith("'=HYPERLINK")


def test_an_unknown_export_format_is_a_bad_request(client):
    assert client.get("/unntak/", {"format": "xml"}).status_code == 400
    assert client.get(f"/unntak/{OPPL}/", {"format": "pdf"}).status_code == 400


# --- query counts ----------------------------------------------------------------------------


def _read(response):
    """The response with its body read to the end (a download streams: its queries run
    while it is read)."""
    if response.streaming:
        response.getvalue()
    return response


def test_register_query_counts_do_not_grow_with_the_data(
    client, submit, decide, bodo, bodo_applicant, oyer, django_assert_max_num_queries
):
    today = timezone.localdate()
    decide(
        submit([OPPL_13_1], co_applicants=[oyer]), trial=(today, today + datetime.timedelta(days=9))
    )
    urls = [
        "/unntak/",
        f"/unntak/{OPPL}/",
        "/unntak/?format=json",
        "/unntak/?county=34&in_force=true",
    ]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(20) as captured:
            assert _read(client.get(url)).status_code == 200
        counts[url] = len(captured.captured_queries)
    for index in range(4):
        decide(
            submit(
                [OPPL_13_1, OPPL_14_1, HOL_3_2, BHGL_10],
                co_applicants=[oyer],
                title=f"Fleire {index}",
            ),
            {OPPL_14_1: (Outcome.REFUSED, "Nei.", "")},
            trial=(today, today + datetime.timedelta(days=9)),
        )
        submit(
            [PBL_21_7, OPPL_13_1], actor=bodo_applicant, organisation=bodo, title=f"Bodø {index}"
        )
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert _read(client.get(url)).status_code == 200


def test_exported_rows_are_valid_json_even_with_quotes_and_newlines(client, submit):
    submit(title='Skule "for alle"\nny linje')
    body = download_json(client.get("/unntak/", {"format": "json"}))
    assert body["results"][0]["application_title"] == 'Skule "for alle"\nny linje'
