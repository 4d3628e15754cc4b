"""Open data: the current search of /soknader/ as CSV or JSON (docs/open-data.md).

Both formats carry every matching application (not one page), are streamed, and follow the
conventions of the project's other downloads: the licence (NLOD 2.0) in a
``Link: <…>; rel="license"`` header and in the JSON ``license`` field, CORS open, CSV in
UTF-8 with a byte order mark and formula-looking cells defused. Names are the official
(bokmål) names whatever the page language, so an export does not change with the reader.
"""

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from casework.choices import OrganisationKind
from trials.models import Application
from trials.public.register.selectors import LICENSE, LICENSE_LINK

LICENCE = LICENSE
COLUMNS = [
    "reference",
    "title",
    "status",
    "stage",
    "lead_organisation_number",
    "lead_organisation",
    "co_applicants",
    "county",
    "submitted_at",
    "decided_at",
    "call",
    "exemptions",
    "url",
]
LIST_SEPARATOR = ";"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500


def _timestamp(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def export_record(application: Application, base_url: str) -> dict:
    """One application as an open-data record; lists stay lists (CSV joins them)."""
    lead = application.lead_organisation
    if lead.county_id:
        county = lead.county.name
    else:
        county = lead.name if lead.kind == OrganisationKind.FYLKESKOMMUNE else ""
    return {
        "reference": application.reference,
        "title": application.title,
        "status": application.status,
        "stage": application.stage,
        "lead_organisation_number": lead.number,
        "lead_organisation": lead.name,
        "co_applicants": [organisation.name for organisation in application.co_applicants.all()],
        "county": county,
        "submitted_at": _timestamp(application.submitted_at),
        "decided_at": _timestamp(application.decided_at),
        "call": application.call.title if application.call_id else "",
        "exemptions": [
            exemption.provision.citation_key
            for exemption in application.exemption_requests.all()
            if exemption.provision_id
        ],
        "url": base_url + reverse("public:application_detail", args=[application.reference]),
    }


def _records(applications: QuerySet[Application], base_url: str) -> Iterator[dict]:
    for application in applications.iterator(chunk_size=CHUNK_SIZE):
        yield export_record(application, base_url)


def csv_cell(value) -> str:
    """Lists joined by ";", nothing as an empty cell, and text a spreadsheet would run as a
    formula prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(value)
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


class _Echo:
    """A write-only file for csv.writer: returns each line for the streaming response."""

    def write(self, value: str) -> str:
        return value


def _open_data_headers(response, *, filename: str | None = None):
    response["Link"] = LICENSE_LINK
    response["Access-Control-Allow-Origin"] = "*"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(applications: QuerySet[Application], base_url: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), lineterminator="\r\n")

    def rows():
        # A byte order mark, so spreadsheet programs read æ, ø and å as UTF-8.
        yield "\ufeff" + writer.writerow(COLUMNS)
        for record in _records(applications, base_url):
            yield writer.writerow([csv_cell(record[column]) for column in COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"soknader-{timezone.localdate():%Y-%m-%d}.csv"
    return _open_data_headers(response, filename=filename)


def json_response(
    applications: QuerySet[Application], base_url: str, *, source: str, filters: dict
) -> StreamingHttpResponse:
    count = applications.count()

    def chunks():
        head = {
            "license": LICENCE,
            "source": source,
            "generated_at": timezone.now().isoformat(timespec="seconds"),
            "filters": filters,
            "count": count,
        }
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "results": ['
        for number, record in enumerate(_records(applications, base_url)):
            yield ("," if number else "") + json.dumps(record, ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    return _open_data_headers(response)
