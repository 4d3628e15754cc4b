"""The exemption register (/unntak/) and the statistics (/statistikk/): public, no login.

Thin views over ``trials.public.register.selectors`` and ``trials.public.statistics``; what
may be shown at all is decided in ``trials.public.selectors``. Every list can be downloaded
(``?format=csv|json``) with the columns documented in docs/open-data.md, under NLOD 2.0.
"""

import csv
import io

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from casework.models import Organisation
from legal.citations import CitationError
from legal.models import LegalAct
from trials.choices import PublicExemptionState
from trials.public.api.views import PublicExemptionSerializer
from trials.public.charts import BarChart
from trials.public.register.selectors import (
    LICENSE,
    LICENSE_LINK,
    STATE_EXPLANATIONS,
    STATE_TAGS,
    ExemptionFilter,
    find_section,
    register_exemptions,
    register_page,
    register_rows,
    register_summary,
)
from trials.public.statistics import application_statistics, exemption_statistics
from trials.public.views import page_numbers

EXPORT_FORMATS = ("csv", "json")
FILTER_NAMES = ("act", "ministry", "outcome", "in_force", "county", "citation")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _export_format(request) -> str:
    """``csv``, ``json``, or "" for the page (anything else: see ``_bad_format``)."""
    return request.GET.get("format", "").strip().lower()


def _bad_format(fmt: str) -> HttpResponse | None:
    if fmt and fmt not in EXPORT_FORMATS:
        return HttpResponseBadRequest(
            _("Unknown format: choose csv or json."), content_type="text/plain; charset=utf-8"
        )
    return None


def _open_data_headers(response, *, filename: str | None = None):
    response["Link"] = LICENSE_LINK
    response["Access-Control-Allow-Origin"] = "*"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_cell(value) -> str:
    """Lists joined by "; ", booleans as true/false, and text that a spreadsheet would run as
    a formula prefixed with an apostrophe (docs/open-data.md)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = "; ".join(str(item) for item in value)
    value = str(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(header: list[str], rows: list[list], *, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    # A byte order mark, so spreadsheet programs read æ, ø and å as UTF-8.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _open_data_headers(response, filename=filename)


def json_response(request, payload: dict) -> JsonResponse:
    body = {
        "license": LICENSE,
        "source": request.build_absolute_uri(request.path),
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        **payload,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})
    return _open_data_headers(response)


def _invalid_filters(filterset) -> HttpResponse:
    return HttpResponseBadRequest(filterset.errors.as_json(), content_type="application/json")


def _export_exemptions(request, rows, fmt: str, *, name: str, filters: dict):
    data = PublicExemptionSerializer(rows, many=True, context={"request": request}).data
    if fmt == "json":
        return json_response(request, {"filters": filters, "count": len(data), "results": data})
    header = list(PublicExemptionSerializer().fields)
    return csv_response(
        header,
        [[record[column] for column in header] for record in data],
        filename=f"{name}-{timezone.localdate():%Y-%m-%d}.csv",
    )


def _choices():
    """The options of the filter form."""
    return {
        "acts": list(LegalAct.objects.select_related("ministry").order_by("short_title")),
        "ministries": list(
            Organisation.objects.ministries().active().filter(legal_acts__isnull=False).distinct()
        ),
        "counties": list(Organisation.objects.counties().active().order_by("number")),
        "outcomes": PublicExemptionState.choices,
    }


def _legend():
    return [
        {
            "value": state.value,
            "label": state.label,
            "tag": STATE_TAGS[state],
            "text": STATE_EXPLANATIONS[state],
        }
        for state in PublicExemptionState
    ]


def _export_links(request, base_path: str) -> dict:
    params = request.GET.copy()
    params.pop("format", None)
    params.pop("q", None)
    params.pop("section", None)
    links = {}
    for fmt in EXPORT_FORMATS:
        params["format"] = fmt
        links[fmt] = f"{base_path}?{params.urlencode()}"
    return links


def _used_filters(filterset) -> dict:
    if not filterset.is_bound:
        return {}
    data = filterset.form.cleaned_data if filterset.is_valid() else {}
    used = {}
    for name in FILTER_NAMES:
        raw = filterset.data.get(name)
        if raw not in (None, "") and name in data and data[name] not in (None, ""):
            used[name] = raw
    return used


@require_safe
def register_overview(request):
    """Every requested exemption, grouped by ministry, act and section."""
    fmt = _export_format(request)
    if bad := _bad_format(fmt):
        return bad
    today = timezone.localdate()
    query = request.GET.get("q", "").strip()[:200]
    citation_error = None
    if query and not fmt:
        try:
            provision = find_section(query)
        except CitationError as exc:
            citation_error = exc
        else:
            params = request.GET.copy()
            for name in ("q", "act", "ministry", "citation"):
                params.pop(name, None)
            params["section"] = provision.section_number
            url = reverse("register:act", args=[provision.act.lovdata_id])
            return redirect(f"{url}?{params.urlencode()}#{provision.section_number}")
    filterset = ExemptionFilter(
        request.GET or None, queryset=register_exemptions(today), request=request
    )
    if fmt:
        if filterset.is_bound and not filterset.is_valid():
            return HttpResponseBadRequest(
                filterset.errors.as_json(), content_type="application/json"
            )
        rows = register_rows(filterset.qs, today)
        return _export_exemptions(
            request, rows, fmt, name="unntaksregister", filters=_used_filters(filterset)
        )
    register = register_summary(filterset.qs)
    page, shown = register_page(filterset.qs, register, number=request.GET.get("page"), today=today)
    return render(
        request,
        "register/register.html",
        {
            "register": register,
            "shown": shown,
            "page": page,
            "page_numbers": page_numbers(page),
            "filterset": filterset,
            "filters_used": _used_filters(filterset),
            "query": query,
            "citation_error": citation_error,
            "legend": _legend(),
            "export": _export_links(request, request.path),
            "today": today,
            **_choices(),
        },
    )


@require_safe
def register_act(request, lovdata_id: str):
    """The register of one act: its sections with every request, anchored by section."""
    try:
        act = LegalAct.objects.select_related("ministry").get(lovdata_id__iexact=lovdata_id)
    except LegalAct.DoesNotExist as exc:
        raise Http404 from exc
    if act.lovdata_id != lovdata_id:
        return redirect("register:act", act.lovdata_id)
    fmt = _export_format(request)
    if bad := _bad_format(fmt):
        return bad
    today = timezone.localdate()
    data = request.GET.copy()
    for name in ("act", "ministry"):
        data.pop(name, None)
    filterset = ExemptionFilter(
        data or None,
        queryset=register_exemptions(today).filter(provision__act=act),
        request=request,
    )
    if fmt:
        if filterset.is_bound and not filterset.is_valid():
            return HttpResponseBadRequest(
                filterset.errors.as_json(), content_type="application/json"
            )
        rows = register_rows(filterset.qs, today)
        filters = {"act": act.lovdata_id, **_used_filters(filterset)}
        return _export_exemptions(
            request, rows, fmt, name=f"unntaksregister-{act.lovdata_id}", filters=filters
        )
    register = register_summary(filterset.qs)
    act_group = register.acts[0] if register.acts else None
    sought = None
    section = request.GET.get("section", "").strip()[:20]
    if section:
        sought = act.provisions.filter(section_number=section).first()
    page, shown = register_page(
        filterset.qs, register, number=request.GET.get("page"), section=sought, today=today
    )
    if sought is not None:
        listed = {group.provision.pk for group in act_group.sections} if act_group else set()
        if sought.pk in listed:
            sought = None  # it is listed: the anchor takes the reader there
    return render(
        request,
        "register/act.html",
        {
            "act": act,
            "act_group": act_group,
            "shown_sections": shown.acts[0].sections if shown.acts else [],
            "page": page,
            "page_numbers": page_numbers(page),
            "summary": register.summary,
            "sought": sought,
            "filterset": filterset,
            "filters_used": _used_filters(filterset),
            "legend": _legend(),
            "export": _export_links(request, request.path),
            "clear_url": request.path,
            "today": today,
            **_choices(),
        },
    )


# --- statistics ------------------------------------------------------------------------------


def _chart(slug, title, figures, *, category, unit, note=""):
    return {
        "chart": BarChart(
            slug=slug,
            title=str(title),
            rows=[figure.as_row() for figure in figures],
            category_header=str(category),
            value_header=str(unit),
        ),
        "note": note,
    }


@require_safe
def statistics(request):
    fmt = _export_format(request)
    if bad := _bad_format(fmt):
        return bad
    applications = application_statistics()
    exemptions = exemption_statistics(timezone.localdate())
    processing = applications["processing"]
    tables = {
        "applications_by_status": (_("Applications by status"), applications["by_status"]),
        "applications_by_year": (
            _("Applications by year of submission"),
            applications["by_year"],
        ),
        "applications_by_stage": (_("Applications by stage"), applications["by_stage"]),
        "applications_by_county": (
            _("Applications by county of the lead applicant"),
            applications["by_county"],
        ),
        "exemptions_by_ministry": (
            _("Requested exemptions by the ministry owning the act"),
            exemptions["by_ministry"],
        ),
        "exemptions_by_act": (_("Requested exemptions by act"), exemptions["by_act"]),
        "exemption_outcomes": (_("Decided exemptions by outcome"), exemptions["outcomes"]),
        "exemption_states": (_("All requested exemptions by state"), exemptions["states"]),
        "application_outcomes": (
            _("Decided applications by outcome"),
            applications["outcomes"],
        ),
        "processing_time": (
            _("Decided applications by processing time"),
            processing.buckets,
        ),
    }
    key_figures = {
        "applications": applications["total"],
        "exemption_requests": exemptions["total"],
        "exemptions_in_force_today": exemptions["in_force"],
        "decided_applications": processing.count,
        "processing_days_median": processing.median,
        "processing_days_p90": processing.p90,
    }
    if fmt == "json":
        return json_response(
            request,
            {
                "key_figures": key_figures,
                "tables": {
                    name: {
                        "title": str(title),
                        "rows": [
                            {"key": figure.key, "label": str(figure.label), "value": figure.value}
                            for figure in figures
                        ],
                    }
                    for name, (title, figures) in tables.items()
                },
            },
        )
    if fmt == "csv":
        rows = [["key_figures", name, name, value] for name, value in key_figures.items()]
        rows += [
            [name, figure.key, str(figure.label), figure.value]
            for name, (_title, figures) in tables.items()
            for figure in figures
        ]
        return csv_response(
            ["table", "key", "label", "value"],
            rows,
            filename=f"statistikk-{timezone.localdate():%Y-%m-%d}.csv",
        )

    apps, exemption_word = _("Applications"), _("Requested exemptions")
    charts = {
        "by_status": _chart(
            "status",
            tables["applications_by_status"][0],
            applications["by_status"],
            category=_("Status"),
            unit=apps,
        ),
        "by_year": _chart(
            "year",
            tables["applications_by_year"][0],
            applications["by_year"],
            category=_("Year"),
            unit=apps,
        ),
        "by_stage": _chart(
            "stage",
            tables["applications_by_stage"][0],
            applications["by_stage"],
            category=_("Stage"),
            unit=apps,
        ),
        "by_county": _chart(
            "county",
            tables["applications_by_county"][0],
            applications["by_county"],
            category=_("County"),
            unit=apps,
            note=_(
                "A joint application is counted once, under the county of the lead applicant; "
                "an application from a county municipality under that county."
            ),
        ),
        "by_ministry": _chart(
            "ministry",
            tables["exemptions_by_ministry"][0],
            exemptions["by_ministry"],
            category=_("Ministry"),
            unit=exemption_word,
        ),
        "by_act": _chart(
            "act",
            tables["exemptions_by_act"][0],
            exemptions["by_act"],
            category=_("Act or regulation"),
            unit=exemption_word,
        ),
        "exemption_outcomes": _chart(
            "exemption-outcomes",
            tables["exemption_outcomes"][0],
            exemptions["outcomes"],
            category=_("Outcome"),
            unit=_("Exemptions"),
        ),
        "application_outcomes": _chart(
            "application-outcomes",
            tables["application_outcomes"][0],
            applications["outcomes"],
            category=_("Outcome"),
            unit=apps,
            note=_(
                "Approved in part: approved, with at least one requested exemption refused. "
                "For a preliminary application, approved means taken forward to a final "
                "application."
            ),
        ),
        "processing": _chart(
            "processing",
            tables["processing_time"][0],
            processing.buckets,
            category=_("Processing time"),
            unit=_("Decided applications"),
        ),
    }
    return render(
        request,
        "register/statistics.html",
        {
            "applications": applications,
            "exemptions": exemptions,
            "processing": processing,
            "charts": charts,
            "export": {
                fmt: f"{request.path}?{urlencode({'format': fmt})}" for fmt in EXPORT_FORMATS
            },
        },
    )
