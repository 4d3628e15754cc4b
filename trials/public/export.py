"""Open data: the current search of /soknader/ as CSV or JSON (docs/open-data.md).

Both formats carry every matching application (not one page), written by
``trials.public.opendata`` (the convention every download shares). Names are the official
(bokmål) names whatever the page language, so an export does not change with the reader.
"""

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from casework.choices import OrganisationKind
from trials.models import Application
from trials.public.opendata import csv_download, in_chunks, json_download

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


def export_applications(
    request, applications: QuerySet[Application], fmt: str, *, filters: dict
) -> StreamingHttpResponse:
    """Every application of ``applications`` as a ``fmt`` ("csv" or "json") download."""
    base_url = request.build_absolute_uri("/").rstrip("/")
    records = (export_record(application, base_url) for application in in_chunks(applications))
    if fmt == "json":
        return json_download(request, filters=filters, count=applications.count(), results=records)
    rows = ([record[column] for column in COLUMNS] for record in records)
    return csv_download(COLUMNS, rows, name="soknader")
