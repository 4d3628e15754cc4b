"""/statistikk/: counts, outcomes, processing time (median and 90th percentile), the charts
and their tables, exports, and constant query counts."""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone

from tests.builders import BHGL_10, HOL_3_2, OPPL_13_1, OPPL_14_1, PBL_21_7
from tests.factories import municipality
from tests.fixtures import bodo_person, kdd_staff
from tests.once import fresh
from tests.register.conftest import decided, download_json, submitted
from trials.choices import Outcome
from trials.models import Application
from trials.public.statistics import median, percentile, processing_days, processing_time

pytestmark = pytest.mark.django_db


# --- the method, on known sets --------------------------------------------------------------


def test_median_is_the_middle_value_or_the_mean_of_the_two_middle_values():
    assert median([7, 1, 3]) == 3
    assert median([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 5.5
    assert median([]) is None


def test_90th_percentile_is_the_nearest_rank_value():
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([10, 20, 30, 40, 50], 0.9) == 50
    assert percentile([4], 0.9) == 4
    assert percentile(list(range(1, 101)), 0.9) == 90
    assert percentile([], 0.9) is None


def test_processing_time_counts_calendar_days_in_norwegian_time():
    oslo = timezone.get_default_timezone()
    registered = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=oslo)
    decided = datetime.datetime(2026, 3, 2, 0, 30, tzinfo=oslo)
    assert processing_days(registered, decided) == 1
    summary = processing_time([5, 40, 40, 100, 400])
    assert (summary.count, summary.median, summary.p90) == (5, 40, 400)
    assert [b.value for b in summary.buckets] == [1, 2, 0, 1, 0, 1]


# --- the page --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _decided_set(built_once):
    start = datetime.datetime(2025, 1, 6, 10, tzinfo=timezone.get_default_timezone())
    with built_once():
        staff, bodo, bodo_applicant = kdd_staff(), municipality("1804"), bodo_person()
        done = []
        for index, days in enumerate([10, 20, 30, 40, 50, 200]):
            bodo_led = index % 2
            application = submitted(
                [OPPL_13_1, HOL_3_2] if index == 0 else [OPPL_14_1],
                actor=bodo_applicant if bodo_led else None,
                organisation=bodo if bodo_led else None,
                title=f"Forsøk {index}",
            )
            outcomes = {OPPL_14_1: (Outcome.REFUSED, "Nei.", "")} if index == 5 else None
            if index == 0:
                outcomes = {HOL_3_2: (Outcome.REFUSED, "Nei.", "")}
            done.append(
                decided(
                    application,
                    outcomes,
                    staff=staff,
                    registered=start,
                    decided=start + datetime.timedelta(days=days),
                    trial=(timezone.localdate(), timezone.localdate() + datetime.timedelta(days=30))
                    if index == 1
                    else None,
                )
            )
        submitted([BHGL_10], title="Venter", co_applicants=[municipality("3440")])
        last_year = datetime.datetime(
            timezone.localdate().year - 1, 5, 1, 12, tzinfo=timezone.get_default_timezone()
        )
        submitted([PBL_21_7], title="I fjor", submitted_at=last_year)
        return done


@pytest.fixture
def decided_set(_decided_set, db, media_root):
    """Six decided applications taking 10, 20, 30, 40, 50 and 200 days, plus two pending
    (built once for the module)."""
    return fresh(_decided_set)


def chart_rows(response, name) -> dict:
    return {bar.key: bar.value for bar in response.context["charts"][name]["chart"].bars}


def test_statistics_count_by_status_year_county_ministry_and_act(client, decided_set):
    response = client.get("/statistikk/")
    assert response.status_code == 200
    by_status = chart_rows(response, "by_status")
    assert by_status["approved"] == 5 and by_status["rejected"] == 1
    assert by_status["submitted"] == 2
    assert "draft" not in by_status
    year = timezone.localdate().year
    assert chart_rows(response, "by_year") == {str(year - 1): 1, str(year): 7}
    by_county = chart_rows(response, "by_county")
    assert by_county["34"] == 5 and by_county["18"] == 3
    assert len(by_county) == 15  # every county, with zeros
    assert chart_rows(response, "by_ministry") == {"KD": 7, "HOD": 1, "KDD": 1}
    by_act = chart_rows(response, "by_act")
    assert by_act["LOV-2023-06-09-30"] == 6
    assert by_act["LOV-2005-06-17-64"] == 1
    assert by_act["LOV-2011-06-24-30"] == 1
    assert chart_rows(response, "by_stage") == {"preliminary": 8, "final": 0}


def test_statistics_count_outcomes_per_exemption_and_per_application(client, decided_set):
    response = client.get("/statistikk/")
    assert chart_rows(response, "exemption_outcomes") == {
        "granted": 5,
        "granted_with_conditions": 0,
        "refused": 2,
    }
    assert chart_rows(response, "application_outcomes") == {
        "approved": 4,
        "approved_in_part": 1,
        "rejected": 1,
    }
    assert response.context["exemptions"]["in_force"] == 1


def test_statistics_give_median_and_90th_percentile_processing_time(client, decided_set):
    response = client.get("/statistikk/")
    processing = response.context["processing"]
    assert processing.count == 6
    assert processing.median == 35  # (30 + 40) / 2
    assert processing.p90 == 200  # rank ceil(0.9 × 6) = 6
    page = response.content.decode()
    assert "35 days" in page or "35 dagar" in page or "35 dager" in page
    assert "How the processing time is computed" in page


def test_every_chart_is_an_accessible_svg_with_a_data_table(client, decided_set):
    page = client.get("/statistikk/").content.decode()
    svgs = re.findall(r"<svg\b[^>]*>", page)
    assert len(svgs) == 9
    for svg in svgs:
        assert 'role="img"' in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        assert len(labelled) == 2
        for ident in labelled:
            assert f'id="{ident}"' in page
    assert page.count("<title id=") == 9 and page.count("<desc id=") == 9
    tables = re.findall(r"<details class=\"chart-data\">.*?</details>", page, re.S)
    assert len(tables) == 9
    for table in tables:
        assert "<table" in table and "<caption>" in table and 'scope="row"' in table
    assert "<script" not in page
    # Numbers in the drawing are never localised (a comma would break the SVG).
    for value in re.findall(
        r'(?:width|x|y)="([^"]+)"', "".join(re.findall(r"<svg.*?</svg>", page, re.S))
    ):
        assert "," not in value


def test_the_bars_are_drawn_to_scale_with_their_values_written(client, decided_set):
    response = client.get("/statistikk/")
    chart = response.context["charts"]["by_ministry"]["chart"]
    kd, hod = chart.bars[0], chart.bars[1]
    assert (kd.key, hod.key) == ("KD", "HOD")
    assert kd.label == "Ministry of Education and Research"  # the English name in English
    assert hod.width == pytest.approx(kd.width / 7, rel=0.01)
    page = response.content.decode()
    assert f">{kd.label}</text>" in page
    assert f">{kd.display}</text>" in page


def test_statistics_export_as_json_and_csv(client, decided_set):
    body = download_json(client.get("/statistikk/", {"format": "json"}))
    assert body["license"]["url"] == "https://data.norge.no/nlod/no/2.0"
    assert body["key_figures"]["processing_days_median"] == 35
    assert body["key_figures"]["processing_days_p90"] == 200
    rows = {row["key"]: row["value"] for row in body["tables"]["exemptions_by_ministry"]["rows"]}
    assert rows == {"KD": 7, "HOD": 1, "KDD": 1}
    response = client.get("/statistikk/", {"format": "csv"})
    assert 'rel="license"' in response["Link"]
    reader = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8").lstrip("\ufeff"))))
    assert set(reader[0]) == {"table", "key", "label", "value"}
    assert {"table": "applications_by_status", "key": "approved"}.items() <= next(
        row
        for row in reader
        if row["table"] == "applications_by_status" and row["key"] == "approved"
    ).items()


def test_statistics_with_no_data_still_render(client):
    response = client.get("/statistikk/")
    assert response.status_code == 200
    assert "No application has been decided yet." in response.content.decode()


def test_statistics_query_count_does_not_grow_with_the_data(
    client, submit, decide, django_assert_max_num_queries
):
    decide(submit([OPPL_13_1]))
    with django_assert_max_num_queries(20) as few:
        assert client.get("/statistikk/").status_code == 200
    for index in range(5):
        decide(submit([OPPL_13_1, HOL_3_2, PBL_21_7], title=f"Fleire {index}"))
        submit([BHGL_10], title=f"Venter {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/statistikk/").status_code == 200
    assert Application.objects.count() == 11
