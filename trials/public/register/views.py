"""The exemption register (/unntak/) and the statistics (/statistikk/): public, no login.

Thin views over ``trials.public.register.selectors`` and ``trials.public.statistics``; what
may be shown at all is decided in ``trials.public.selectors``. Every list can be downloaded
(``?format=csv|json``) with the columns documented in docs/open-data.md, under NLOD 2.0,
written by ``trials.public.opendata``. Every page answers conditional requests
(``public_page``).
"""

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from casework.caching import version_cached
from casework.models import Organisation
from legal.citations import CitationError
from legal.models import LegalAct
from trials.choices import PublicExemptionState
from trials.public.api.views import PublicExemptionSerializer
from trials.public.charts import BarChart
from trials.public.opendata import (
    EXPORT_FORMATS,
    csv_download,
    export_format,
    in_chunks,
    json_download,
    prepared_download,
    unknown_format,
)
from trials.public.register.selectors import (
    STATE_EXPLANATIONS,
    STATE_TAGS,
    ExemptionFilter,
    find_section,
    register_exemptions,
    register_page,
    register_row,
    register_summary,
)
from trials.public.statistics import CSV_COLUMNS, Table, public_statistics, statistics_figures
from trials.public.views import page_numbers, public_page

FILTER_NAMES = ("act", "ministry", "outcome", "in_force", "county", "citation")


def _export_register(request, filterset, fmt: str, *, name: str, filters: dict) -> HttpResponse:
    """The register rows of ``filterset`` as a download (400 for invalid filters), with the
    columns of the public API's exemptions (``PublicExemptionSerializer``), prepared once
    per version of the data (``prepared_download``)."""
    return prepared_download(
        request, lambda: _register_download(request, filterset, fmt, name=name, filters=filters)
    )


def _register_download(request, filterset, fmt: str, *, name: str, filters: dict) -> HttpResponse:
    if filterset.is_bound and not filterset.is_valid():
        return HttpResponseBadRequest(filterset.errors.as_json(), content_type="application/json")
    today = timezone.localdate()
    serializer = PublicExemptionSerializer(context={"request": request})
    records = (
        serializer.to_representation(register_row(exemption, today))
        for exemption in in_chunks(filterset.qs)
    )
    if fmt == "json":
        return json_download(request, filters=filters, count=filterset.qs.count(), results=records)
    columns = list(serializer.fields)
    rows = ([record[column] for column in columns] for record in records)
    return csv_download(columns, rows, name=name)


def _remember(request):
    """``remember(key, compute)`` for ``register_summary`` and ``register_page``: computed
    once per version of the data and filter (the page number and section aside)."""
    params = request.GET.copy()
    for name in ("page", "section"):
        params.pop(name, None)
    prefix = f"register|{request.path}|{params.urlencode()}"

    def remember(key, compute):
        return version_cached(f"{prefix}|{key}", request.page_validator.version, compute)

    return remember


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


def _page_context(request, filterset, page, today) -> dict:
    """What the register's two pages share: filters, pages, legend and downloads."""
    return {
        "filterset": filterset,
        "filters_used": _used_filters(filterset),
        "page": page,
        "page_numbers": page_numbers(page),
        "legend": _legend(),
        "export": _export_links(request, request.path),
        "today": today,
        **_choices(),
    }


def _section_redirect(request, provision):
    """The act's register opened at the section a visitor searched for (``oppl. § 14-2``)."""
    params = request.GET.copy()
    for name in ("q", "act", "ministry", "citation"):
        params.pop(name, None)
    params["section"] = provision.section_number
    url = reverse("register:act", args=[provision.act.lovdata_id])
    return redirect(f"{url}?{params.urlencode()}#{provision.section_number}")


@public_page
def register_overview(request):
    """Every requested exemption, grouped by ministry, act and section."""
    fmt = export_format(request)
    if bad := unknown_format(fmt):
        return bad
    today = timezone.localdate()
    query = request.GET.get("q", "").strip()[:200]
    citation_error = None
    if query and not fmt:
        try:
            return _section_redirect(request, find_section(query))
        except CitationError as exc:
            citation_error = exc
    filterset = ExemptionFilter(
        request.GET or None, queryset=register_exemptions(today), request=request
    )
    if fmt:
        return _export_register(
            request, filterset, fmt, name="unntaksregister", filters=_used_filters(filterset)
        )
    remember = _remember(request)
    register = remember("summary", lambda: register_summary(filterset.qs))
    page, shown = register_page(
        filterset.qs, register, number=request.GET.get("page"), today=today, remember=remember
    )
    context = {
        "register": register,
        "shown": shown,
        "query": query,
        "citation_error": citation_error,
        **_page_context(request, filterset, page, today),
    }
    return render(request, "register/register.html", context)


def _act_or_404(lovdata_id: str) -> LegalAct:
    try:
        return LegalAct.objects.select_related("ministry").get(lovdata_id__iexact=lovdata_id)
    except LegalAct.DoesNotExist as exc:
        raise Http404 from exc


@public_page
def register_act(request, lovdata_id: str):
    """The register of one act: its sections with every request, anchored by section."""
    act = _act_or_404(lovdata_id)
    if act.lovdata_id != lovdata_id:
        return redirect("register:act", act.lovdata_id)
    fmt = export_format(request)
    if bad := unknown_format(fmt):
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
        filters = {"act": act.lovdata_id, **_used_filters(filterset)}
        name = f"unntaksregister-{act.lovdata_id}"
        return _export_register(request, filterset, fmt, name=name, filters=filters)
    remember = _remember(request)
    register = remember("summary", lambda: register_summary(filterset.qs))
    act_group = register.acts[0] if register.acts else None
    section = request.GET.get("section", "").strip()[:20]
    sought = act.provisions.filter(section_number=section).first() if section else None
    page, shown = register_page(
        filterset.qs,
        register,
        number=request.GET.get("page"),
        section=sought,
        today=today,
        remember=remember,
    )
    listed = {group.provision.pk for group in act_group.sections} if act_group else set()
    context = {
        "act": act,
        "act_group": act_group,
        "shown_sections": shown.acts[0].sections if shown.acts else [],
        "summary": register.summary,
        # A listed section needs no notice: the anchor takes the reader there.
        "sought": sought if sought is not None and sought.pk not in listed else None,
        "clear_url": request.path,
        **_page_context(request, filterset, page, today),
    }
    return render(request, "register/act.html", context)


# --- statistics ------------------------------------------------------------------------------


def _chart(table: Table) -> dict:
    spec = table.spec
    chart = BarChart(
        slug=spec.slug,
        title=str(spec.title),
        rows=[figure.as_row() for figure in table.figures],
        category_header=str(spec.category),
        value_header=str(spec.unit),
    )
    return {"chart": chart, "note": spec.note}


@public_page
def statistics(request):
    """The statistics page, and the same tables as CSV or JSON (``TABLES``)."""
    fmt = export_format(request)
    if bad := unknown_format(fmt):
        return bad
    # Counted once per version of the data (the page, CSV and JSON alike).
    today = timezone.localdate()
    figures = version_cached(
        "statistics", request.page_validator.version, lambda: statistics_figures(today)
    )
    found = public_statistics(today, figures)
    if fmt == "json":
        return json_download(request, **found.as_json())
    if fmt == "csv":
        return csv_download(CSV_COLUMNS, found.csv_rows(), name="statistikk")
    context = {
        "applications": found.applications,
        "exemptions": found.exemptions,
        "processing": found.processing,
        "trials": found.trials,
        "trial_tables": [table for table in found.tables if table.spec.name.startswith("trials_")],
        "letter_tables": [
            table for table in found.tables if table.spec.name.startswith("letters_")
        ],
        "charts": {table.spec.chart: _chart(table) for table in found.tables if table.spec.chart},
        "export": {fmt: f"{request.path}?{urlencode({'format': fmt})}" for fmt in EXPORT_FORMATS},
    }
    return render(request, "register/statistics.html", context)
