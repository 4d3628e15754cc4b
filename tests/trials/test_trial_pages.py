"""The trial in the browser without JavaScript: the municipality's portal, KDD's workspace,
the public register /forsok/ with its exports, feed and API, and "do what they did"."""

import csv
import datetime
import io
import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests import builders
from tests.files import pdf_bytes, upload
from trials import services
from trials.choices import TrialStatus
from trials.models import Application, Trial
from trials.rules import add_months


def as_user(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


# --- the municipality's portal -------------------------------------------------------------------


def test_the_municipality_sees_its_trial_and_submits_a_report(trial_in_force, applicant):
    client = as_user(applicant)
    listing = text(client.get("/mine-forsok/"))
    assert trial_in_force.application.title in listing
    page = text(client.get(f"/mine-forsok/{trial_in_force.pk}/"))
    assert "Submit a report" in page and "Apply for an extension" in page
    response = client.post(
        f"/mine-forsok/{trial_in_force.pk}/rapport/",
        {
            "title": "Årsrapport 2027",
            "text": "Fråværet gjekk ned.",
            "files": [upload("tal.pdf", pdf_bytes("Tal"), "application/pdf")],
        },
    )
    assert response.status_code == 302
    report = trial_in_force.reports.get()
    assert report.title == "Årsrapport 2027" and report.attachments.count() == 1


def test_a_report_without_text_shows_the_error(trial_in_force, applicant):
    response = as_user(applicant).post(
        f"/mine-forsok/{trial_in_force.pk}/rapport/", {"title": "Tom"}
    )
    assert response.status_code == 200
    assert "There is a problem" in text(response)


def test_the_municipality_applies_for_an_extension_until_a_reform(trial_in_force, applicant):
    reform = add_months(trial_in_force.ends_on, 18)
    response = as_user(applicant).post(
        f"/mine-forsok/{trial_in_force.pk}/forlengelse/",
        {
            "reform_reference": "Prop. 99 L (2028–2029)",
            "reform_date": reform.isoformat(),
            "justification": "Reforma kjem.",
        },
    )
    assert response.status_code == 302
    assert trial_in_force.extensions.get().reform_date == reform


def test_another_municipality_gets_404_on_the_portal(trial_in_force, bodo_applicant):
    client = as_user(bodo_applicant)
    assert client.get(f"/mine-forsok/{trial_in_force.pk}/").status_code == 404
    assert client.get(f"/mine-forsok/{trial_in_force.pk}/rapport/").status_code == 404


# --- KDD's workspace -----------------------------------------------------------------------------


def test_the_officer_records_the_regulation_in_the_workspace(approved_trial, case_officer):
    client = as_user(case_officer)
    assert approved_trial.application.title in text(client.get("/saksbehandling/forsok/"))
    page = text(client.get(f"/saksbehandling/forsok/{approved_trial.pk}/"))
    assert "Record the regulation" in page
    today = timezone.localdate()
    response = client.post(
        f"/saksbehandling/forsok/{approved_trial.pk}/forskrift/",
        {
            "for_id": f"FOR-{today:%Y-%m-%d}-0101",
            "title": "Forskrift om forsøk",
            "adopted_on": today.isoformat(),
            "in_force_from": today.isoformat(),
            "in_force_to": add_months(today, 60).isoformat(),
            "lovdata_url": "https://lovdata.no/forskrift/0101",
            "text": upload("forskrift.pdf", pdf_bytes("Forskrift"), "application/pdf"),
        },
    )
    assert response.status_code == 200 and "at most 48 months" in text(response)
    response = client.post(
        f"/saksbehandling/forsok/{approved_trial.pk}/forskrift/",
        {
            "for_id": f"FOR-{today:%Y-%m-%d}-0101",
            "title": "Forskrift om forsøk",
            "adopted_on": today.isoformat(),
            "in_force_from": today.isoformat(),
            "in_force_to": add_months(today, 36).isoformat(),
            "lovdata_url": "https://lovdata.no/forskrift/0101",
            "text": upload("forskrift.pdf", pdf_bytes("Forskrift"), "application/pdf"),
        },
    )
    assert response.status_code == 302
    assert Trial.objects.get(pk=approved_trial.pk).status == TrialStatus.IN_FORCE


def test_the_officer_answers_a_report_and_decides_an_extension(
    trial_in_force, applicant, case_officer, approver
):
    report = services.report_submit(
        actor=applicant, trial=trial_in_force, title="Rapport", text="Bra."
    )
    extension = services.extension_apply(
        actor=applicant, trial=trial_in_force, months=12, justification="Meir tid."
    )
    builders.extension_complete(extension, "register", case_officer, {})
    builders.extension_complete(
        extension, "assess", case_officer, {"months": 12, "note": "Ok.", "skip_consultation": True}
    )
    client = as_user(case_officer)
    response = client.post(
        f"/saksbehandling/forsok/{trial_in_force.pk}/rapporter/{report.pk}/",
        {"decision": "more", "response": "Legg ved tal."},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "more_requested"
    # "decide" on the trial's page is the case's decisive step: the officer proposes ...
    response = client.post(
        f"/saksbehandling/forsok/{trial_in_force.pk}/forlengelse/",
        {"grant": "1", "reasons": "Godt grunngitt."},
    )
    assert response.status_code == 302
    assert Trial.objects.get(pk=trial_in_force.pk).ends_on == trial_in_force.ends_on
    # ... and another person approves (four eyes)
    response = as_user(approver).post(
        f"/saksbehandling/forsok/{trial_in_force.pk}/forlengelse/",
        {"grant": "1", "reasons": "Einig."},
    )
    assert response.status_code == 302
    assert Trial.objects.get(pk=trial_in_force.pk).ends_on == add_months(trial_in_force.ends_on, 12)


def test_a_municipality_cannot_use_the_workspace(trial_in_force, applicant):
    client = as_user(applicant)
    assert client.get(f"/saksbehandling/forsok/{trial_in_force.pk}/").status_code == 403
    response = client.post(
        f"/saksbehandling/forsok/{trial_in_force.pk}/avslutt/", {"reasons": "Nei."}
    )
    assert response.status_code == 403
    assert Trial.objects.get(pk=trial_in_force.pk).status == TrialStatus.IN_FORCE


# --- the public register -------------------------------------------------------------------------


@pytest.fixture
def public_trials(trial_in_force, case_officer, applicant):
    services.report_submit(
        actor=applicant, trial=trial_in_force, title="Open rapport", text="Alt gjekk bra."
    )
    services.report_submit(
        actor=applicant,
        trial=trial_in_force,
        title="Skjerma rapport",
        text="Hemmeleg innhald.",
        screening_basis="offl_13",
    )
    return trial_in_force


def test_the_public_trial_page_shows_regulation_reports_and_hides_screened_text(
    client, public_trials
):
    page = text(client.get(f"/forsok/{public_trials.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    regulation = public_trials.regulations.get()
    assert regulation.for_id in page and regulation.lovdata_url in page
    assert "Alt gjekk bra." in page and "Skjerma rapport" in page
    assert "Hemmeleg innhald." not in page
    assert f"/soknader/{public_trials.application.reference}/" in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({}, True),
        ({"status": "in_force"}, True),
        ({"status": "ended"}, False),
        ({"municipality": "3405"}, True),
        ({"municipality": "1804"}, False),
        ({"county": "34"}, True),
        ({"act": "LOV-2023-06-09-30"}, True),
        ({"act": "LOV-2005-06-17-64"}, False),
        ({"ministry": "KD"}, True),
        ({"q": "skolerute"}, True),
        ({"q": "barnehage"}, False),
    ],
)
def test_the_public_list_filters(client, trial_in_force, query, found):
    page = text(client.get("/forsok/", query))
    assert (f"/forsok/{trial_in_force.pk}/" in page) == found


def test_the_public_list_downloads_as_csv_and_json_and_feeds_atom(client, trial_in_force):
    rows = list(csv.DictReader(io.StringIO(text(client.get("/forsok/", {"format": "csv"})))))
    assert [r["reference"] for r in rows] == [trial_in_force.application.reference]
    assert rows[0]["in_force_today"] == "true" and rows[0]["status"] == "in_force"
    data = json.loads(text(client.get("/forsok/", {"format": "json"})))
    assert data["license"]["url"].startswith("https://data.norge.no")
    assert data["results"][0]["regulation"] == [trial_in_force.regulations.get().for_id]
    feed = client.get("/forsok/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert trial_in_force.application.title in text(feed)


def test_the_public_api_lists_and_shows_trials(client, public_trials):
    listing = client.get("/api/v1/public/trials/", {"status": "in_force"}).json()
    assert [t["id"] for t in listing["results"]] == [public_trials.pk]
    assert client.get("/api/v1/public/trials/", {"status": "stopped"}).json()["count"] == 0
    detail = client.get(f"/api/v1/public/trials/{public_trials.pk}/").json()
    texts = {r["title"]: r["text"] for r in detail["reports"]}
    assert texts == {"Open rapport": "Alt gjekk bra.", "Skjerma rapport": None}
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/public/trials/" in schema["paths"]


def test_the_exemption_register_counts_only_trials_really_in_force(
    client, trial_in_force, case_officer, django_capture_on_commit_callbacks, run_tasks
):
    rows = list(csv.DictReader(io.StringIO(text(client.get("/unntak/", {"format": "csv"})))))
    assert {r["in_force_today"] for r in rows} == {"true"}
    with django_capture_on_commit_callbacks(execute=True):
        services.trial_stop(actor=case_officer, trial=trial_in_force, reasons="Stoppa.")
    run_tasks()  # the worker prepares the download again
    rows = list(csv.DictReader(io.StringIO(text(client.get("/unntak/", {"format": "csv"})))))
    assert {r["in_force_today"] for r in rows} == {"false"}


def test_the_public_list_takes_the_same_queries_with_more_trials(
    client, trial_in_force, applicant, lillehammer, staff, django_assert_max_num_queries
):
    def count(url):
        text(client.get(url))
        with django_assert_max_num_queries(50) as queries:
            text(client.get(url))
        return len(queries)

    urls = ["/forsok/", "/forsok/?q=skole&county=34", "/forsok/?format=csv", "/forsok/feed/"]
    small = {url: count(url) for url in urls}
    for number in range(3):
        trial = builders.trial(
            actor=applicant, organisation=lillehammer, staff=staff, title=f"Skoleforsøk {number}"
        )
        builders.regulation(trial, officer=staff.officer)
    assert {url: count(url) for url in urls} == small


# --- "do what they did" --------------------------------------------------------------------------


def test_another_municipality_builds_on_a_public_trial(client, trial_in_force, bodo_applicant):
    response = as_user(bodo_applicant).post(
        f"/mine-soknader/fra-forsok/{trial_in_force.pk}/",
        {"lead_organisation": bodo_applicant.memberships.get().organisation_id},
    )
    assert response.status_code == 302
    draft = Application.objects.get(based_on_trial=trial_in_force)
    source = trial_in_force.exemptions.get()
    copied = draft.exemption_requests.get()
    assert (copied.provision, copied.proposed_arrangement, copied.justification) == (
        source.provision,
        source.proposed_arrangement,
        source.justification,
    )
    page = text(client.get(f"/forsok/{trial_in_force.pk}/"))
    assert draft.reference not in page  # a draft is never public
    services.application_update(
        actor=bodo_applicant,
        application=draft,
        requested_start=timezone.localdate() + datetime.timedelta(days=60),
        period_months=24,
    )
    services.contact_add(
        actor=bodo_applicant,
        application=draft,
        organisation=draft.lead_organisation,
        name="Kontakt",
        email="k@bodo.example",
    )
    services.application_submit(actor=bodo_applicant, application=draft)
    page = text(client.get(f"/forsok/{trial_in_force.pk}/"))
    assert draft.reference in page


def test_the_statistics_count_trials_by_their_real_status(client, trial_in_force, case_officer):
    body = json.loads(text(client.get("/statistikk/", {"format": "json"})))
    assert body["key_figures"]["trials_in_force_today"] == 1
    rows = {r["key"]: r["value"] for r in body["tables"]["trials_by_status"]["rows"]}
    assert rows["in_force_today"] == 1 and rows["stopped"] == 0
    ministries = body["tables"]["trials_in_force_by_ministry"]["rows"]
    assert [(r["key"], r["value"]) for r in ministries] == [("KD", 1)]
    services.trial_stop(actor=case_officer, trial=trial_in_force, reasons="Stoppa.")
    body = json.loads(text(client.get("/statistikk/", {"format": "json"})))
    rows = {r["key"]: r["value"] for r in body["tables"]["trials_by_status"]["rows"]}
    assert (rows["in_force_today"], rows["stopped"]) == (0, 1)
    assert "Trials in force today" in text(as_user().get("/statistikk/"))


def test_the_public_trial_page_links_the_public_documents(client, trial_in_force, applicant):
    services.report_submit(
        actor=applicant,
        trial=trial_in_force,
        title="Rapport med tal",
        text="Sjå vedlegget.",
        files=[upload("tal.pdf", pdf_bytes("Tal"), "application/pdf")],
    )
    page = text(client.get(f"/forsok/{trial_in_force.pk}/"))
    links = re.findall(r'href="(/journal/dokument/\d+/)"', page)
    assert len(links) == 2  # the regulation's text and the report's attachment
    for link in links:
        response = client.get(link)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
