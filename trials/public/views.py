"""The public side, no login: front page, applications, one application, a municipality.

Pages read only through ``trials.public.selectors`` (what is public is decided there). Each
page runs a fixed number of queries whatever the amount of data, answers conditional
requests with 304 (an ETag from ``public_version()``) and may be cached for a minute.
"""

from dataclasses import asdict
from functools import wraps

from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from casework.choices import OrganisationKind
from casework.models import Organisation
from casework.selectors import journal_document_releasable
from trials.choices import Outcome
from trials.models import Application
from trials.public import selectors as public
from trials.public.export import LICENCE, csv_response, json_response
from trials.public.forms import PublicSearchForm

PAGE_SIZE = 20
PUBLIC_MAX_AGE = 60
ORGANISATION_LIST_SIZE = 50


def _etag(request, *args, **kwargs) -> str:
    """Weak: the page is the same for the same data, language and user (the CSRF token in
    the language switcher differs byte for byte, but stays valid for the cached copy)."""
    user = request.user.pk if request.user.is_authenticated else "anonymous"
    return f'W/"{public.public_version()}-{get_language()}-{user}"'


def public_page(view):
    """GET/HEAD only, 304 when nothing changed, cacheable for a minute by anyone (privately
    for a logged-in user, whose name is in the header)."""
    conditional = condition(etag_func=_etag)(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = conditional(request, *args, **kwargs)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, max_age=0)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        patch_vary_headers(response, ("Cookie",))
        return response

    return require_safe(wrapped)


def _feeds(*names: tuple[str, str, list]) -> list[dict]:
    return [{"title": title, "url": reverse(name, args=args)} for name, title, args in names]


def organisation_feed_title(name: str) -> str:
    return _("Applications and decisions: %(name)s") % {"name": name}


def act_feed_title(act: str) -> str:
    return _("Applications for exemptions from %(act)s") % {"act": act}


def _site_feeds() -> list[dict]:
    return _feeds(
        ("public:feed_new", _("New applications"), []),
        ("public:feed_decisions", _("Decisions"), []),
    )


@public_page
def home(request):
    context = {
        "figures": public.public_figures(),
        "latest_submitted": public.public_latest_submitted(),
        "latest_decisions": public.public_latest_decisions(),
        "municipality_count": Organisation.objects.active().municipalities().count(),
        "county_count": Organisation.objects.active().counties().count(),
        "feeds": _site_feeds(),
    }
    return render(request, "home.html", context)


def page_numbers(page) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last and two either side (None is a gap)."""
    last = page.paginator.num_pages
    wanted = {1, last, *range(page.number - 2, page.number + 3)}
    numbers: list[int | None] = []
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if numbers and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


@public_page
def application_list(request):
    form = PublicSearchForm(request.GET)
    search = form.search()
    applications = public.public_application_search(search)
    export = request.GET.get("format", "").strip().lower()
    base_url = request.build_absolute_uri("/").rstrip("/")
    if export == "csv":
        return csv_response(applications, base_url)
    if export == "json":
        filters = {name: value for name, value in asdict(search).items() if value not in ("", None)}
        return json_response(
            applications,
            base_url,
            source=request.build_absolute_uri(request.path),
            filters=filters,
        )
    if export:
        return HttpResponseBadRequest(
            _("Unknown format: choose csv or json."), content_type="text/plain; charset=utf-8"
        )
    form.set_options(public.public_search_options())
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "search": search,
        "page": page,
        "page_numbers": page_numbers(page),
        "licence": LICENCE,
        "feeds": _site_feeds(),
        "searching": bool(search.q) or bool(form.active_filters),
    }
    return render(request, "public/application_list.html", context)


JOURNAL_DOCUMENT_URLS = ("public:journal_document", "journal:document")


def _document_url(pk: int) -> str | None:
    """The public journal's link to a document, if the public journal (casework) serves
    documents; it decides itself, again, whether the document may be shown."""
    for name in JOURNAL_DOCUMENT_URLS:
        try:
            return reverse(name, kwargs={"pk": pk})
        except NoReverseMatch:
            continue
    return None


def _journal_rows(journal) -> list[dict]:
    rows = []
    for entry in journal:
        documents = []
        if entry.is_public:
            for document in entry.documents.all():
                # Linked only when there is a file anyone may have: the application itself
                # is journaled without one (this page shows it), and a screened attachment
                # stays listed by title alone.
                url = _document_url(document.pk) if journal_document_releasable(document) else None
                documents.append({"title": document.title, "url": url})
        correspondent = entry.correspondent.display_name if entry.correspondent_id else ""
        rows.append(
            {
                "entry": entry,
                "correspondent": correspondent
                or (entry.correspondent_name if entry.is_public else ""),
                "documents": documents,
            }
        )
    return rows


@public_page
def application_detail(request, reference: str):
    try:
        application = public.public_application_page(reference)
    except Application.DoesNotExist as exc:
        raise Http404 from exc
    journal = public.public_case_journal(application)
    meaning, next_step = public.status_explanation(application)
    exemptions = []
    for exemption in application.exemption_requests.all():
        outcome = public.public_outcome(exemption, application)
        label = Outcome(outcome["outcome"]).label if outcome["outcome"] else ""
        exemptions.append({"exemption": exemption, "outcome_label": label, **outcome})
    trial = getattr(application, "trial", None)
    lead = application.lead_organisation
    acts = {
        exemption.provision.act.lovdata_id: exemption.provision.act
        for exemption in application.exemption_requests.all()
        if exemption.provision_id
    }
    feeds = []
    if lead.number:
        title = organisation_feed_title(lead.display_name)
        feeds += _feeds(("public:feed_municipality", title, [lead.number]))
    feeds += _feeds(
        *[
            ("public:feed_act", act_feed_title(act.short_title), [lovdata_id])
            for lovdata_id, act in acts.items()
        ]
    )
    context = {
        "application": application,
        "status_label": public.public_status_label(application),
        "status_meaning": meaning,
        "status_next": next_step,
        "decided": public.is_decided(application),
        "exemptions": exemptions,
        "consultations": public.public_consultations(application),
        "timeline": public.public_timeline(application, journal),
        "journal": _journal_rows(journal),
        "case_number": journal[0].case.number if journal else "",
        "trial": trial,
        "co_applicants": list(application.co_applicants.all()),
        "today": timezone.localdate(),
        "feeds": feeds + _site_feeds(),
    }
    return render(request, "public/application_detail.html", context)


@public_page
def municipality(request, number: str):
    try:
        organisation = public.public_organisation(number)
    except Organisation.DoesNotExist as exc:
        raise Http404 from exc
    applications = public.public_applications_for_organisation(organisation)
    is_county = organisation.kind == OrganisationKind.FYLKESKOMMUNE
    search_url = reverse("public:application_list") + (
        f"?county={organisation.number}" if is_county else f"?municipality={organisation.number}"
    )
    context = {
        "organisation": organisation,
        "is_county": is_county,
        "applications": applications[:ORGANISATION_LIST_SIZE],
        "figures": public.public_figures(applications),
        "trials": list(public.public_trials_of(applications)),
        "search_url": search_url,
        "today": timezone.localdate(),
        "feeds": _feeds(
            (
                "public:feed_municipality",
                organisation_feed_title(organisation.display_name),
                [organisation.number],
            )
        ),
    }
    return render(request, "public/municipality.html", context)
