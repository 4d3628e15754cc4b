"""Open data: the current search of /soknader/ as CSV or JSON (docs/open-data.md).

Both formats carry every matching application (not one page), written by
``trials.public.opendata`` (the convention every download shares) from three queries of
plain values, and prepared once per version of the data. Names are the official
(bokmål) names whatever the page language, so an export does not change with the reader.
"""

from collections import defaultdict

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from casework.choices import OrganisationKind
from trials.models import Application, ExemptionRequest
from trials.public.opendata import csv_download, json_download, prepared_download

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


def export_records(applications: QuerySet[Application], base_url: str) -> list[dict]:
    """The export's record of every application of ``applications`` (in its order), read in
    three queries of plain values whatever their number: no model instance per row."""
    rows = list(
        applications.select_related(None)
        .prefetch_related(None)
        .values(
            "pk",
            "reference",
            "title",
            "status",
            "stage",
            "submitted_at",
            "decided_at",
            "call_id",
            "call__title",
            "lead_organisation__number",
            "lead_organisation__name",
            "lead_organisation__kind",
            "lead_organisation__county_id",
            "lead_organisation__county__name",
        )
    )
    chosen = applications.select_related(None).prefetch_related(None).order_by().values("pk")
    co_applicants = _co_applicant_names(chosen)
    exemptions = _exemption_citation_keys(chosen)
    url = base_url + reverse("public:application_detail", args=["REFERENCE"])
    return [
        {
            "reference": row["reference"],
            "title": row["title"],
            "status": row["status"],
            "stage": row["stage"],
            "lead_organisation_number": row["lead_organisation__number"],
            "lead_organisation": row["lead_organisation__name"],
            "co_applicants": co_applicants.get(row["pk"], []),
            "county": _county(row),
            "submitted_at": _timestamp(row["submitted_at"]),
            "decided_at": _timestamp(row["decided_at"]),
            "call": row["call__title"] if row["call_id"] else "",
            "exemptions": exemptions.get(row["pk"], []),
            "url": url.replace("REFERENCE", row["reference"]),
        }
        for row in rows
    ]


def _co_applicant_names(chosen: QuerySet) -> dict[int, list[str]]:
    """The co-applicants' names of each of the ``chosen`` applications (one query)."""
    names = defaultdict(list)
    through = Application.co_applicants.through
    for application_id, name in (
        through.objects.filter(application__in=chosen)
        .order_by("organisation__kind", "organisation__number", "organisation__name", "pk")
        .values_list("application_id", "organisation__name")
    ):
        names[application_id].append(name)
    return names


def _exemption_citation_keys(chosen: QuerySet) -> dict[int, list[str]]:
    """The citation keys of the provisions each of the ``chosen`` applications asks
    exemption from, in the application's order (one query)."""
    keys = defaultdict(list)
    for application_id, citation_key in (
        ExemptionRequest.objects.filter(application__in=chosen, provision__isnull=False)
        .order_by("application_id", "order", "pk")
        .values_list("application_id", "provision__citation_key")
    ):
        keys[application_id].append(citation_key)
    return keys


def _county(row: dict) -> str:
    """The lead organisation's county: its own name when it is a county."""
    if row["lead_organisation__county_id"]:
        return row["lead_organisation__county__name"]
    if row["lead_organisation__kind"] == OrganisationKind.FYLKESKOMMUNE:
        return row["lead_organisation__name"]
    return ""


def export_applications(
    request, applications: QuerySet[Application], fmt: str, *, filters: dict
) -> HttpResponse:
    """Every application of ``applications`` as a ``fmt`` ("csv" or "json") download,
    prepared once per version of the data (``prepared_download``)."""

    def build():
        base_url = request.build_absolute_uri("/").rstrip("/")
        records = export_records(applications, base_url)
        if fmt == "json":
            return json_download(request, filters=filters, count=len(records), results=records)
        rows = ([record[column] for column in COLUMNS] for record in records)
        return csv_download(COLUMNS, rows, name="soknader")

    return prepared_download(request, build)
