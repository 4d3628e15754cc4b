"""The public side, no login: front page, applications, one application, a municipality.

Pages read only through ``trials.public.selectors`` (what is public is decided there). Each
page runs a fixed number of queries whatever the amount of data, answers conditional
requests with 304 and may be cached for a minute (``public_page``).
"""

from dataclasses import asdict

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.caching import (
    Validator,
    conditional_page,
    request_version_cached,
    version_cached,
)
from casework.choices import OrganisationKind
from casework.models import Organisation
from casework.selectors import journal_document_releasable
from trials import labels
from trials.choices import Outcome
from trials.models import Application
from trials.public import selectors as public
from trials.public.export import export_applications
from trials.public.forms import PublicSearchForm
from trials.public.opendata import LICENSE, export_format, unknown_format

PAGE_SIZE = 20
ORGANISATION_LIST_SIZE = 50


def public_version_today() -> str:
    """``public_version()`` (anything public changed) and today's date (what is in force
    today changes at midnight)."""
    return f"{public.public_version()}-{timezone.localdate().isoformat()}"


def public_data_version(request, *args, **kwargs) -> Validator:
    """The validator of every page of trials.public: ``public_version_today()``."""
    return Validator(public_version_today())


# GET/HEAD only, 304 while nothing public changed, cacheable for a minute (casework.caching).
public_page = conditional_page(public_data_version)


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
        "figures": request_version_cached(request, "figures", public.public_figures),
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
    fmt = export_format(request)
    if bad := unknown_format(fmt):
        return bad
    if fmt:
        filters = {name: value for name, value in asdict(search).items() if value not in ("", None)}
        return export_applications(request, applications, fmt, filters=filters)
    # The options change only with the data: read once per version of it.
    options = version_cached(
        "search-options", request.page_validator.version, public.public_search_options
    )
    form.set_options(options)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "search": search,
        "page": page,
        "page_numbers": page_numbers(page),
        "licence": LICENSE,
        "feeds": _site_feeds(),
        "searching": bool(search.q) or bool(form.active_filters),
    }
    return render(request, "public/application_list.html", context)


def _journal_rows(journal) -> list[dict]:
    """The case's entries as the public journal (casework.journal) shows them: the sender or
    recipient organisation, never a person's name, and the documents of public entries."""
    rows = []
    for entry in journal:
        documents = []
        if entry.is_public:
            for document in entry.documents.all():
                # Linked only when there is a file anyone may have: the application itself
                # is journaled without one (this page shows it), and a screened attachment
                # stays listed by title alone.
                url = (
                    reverse("journal:document", kwargs={"pk": document.pk})
                    if journal_document_releasable(document)
                    else None
                )
                documents.append({"title": document.title, "url": url})
        correspondent = entry.correspondent.display_name if entry.correspondent_id else ""
        rows.append({"entry": entry, "correspondent": correspondent, "documents": documents})
    return rows


def _exemption_rows(application: Application) -> list[dict]:
    """Each requested exemption with its outcome as the public may see it."""
    exemptions = []
    for exemption in application.exemption_requests.all():
        outcome = public.public_outcome(exemption, application)
        label = Outcome(outcome["outcome"]).label if outcome["outcome"] else ""
        exemptions.append({"exemption": exemption, "outcome_label": label, **outcome})
    return exemptions


def _application_feeds(application: Application) -> list[dict]:
    """The lead applicant's feed and one per act the application asks exemptions from."""
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
    return feeds


@public_page
def application_detail(request, reference: str):
    try:
        application = public.public_application_page(reference)
    except Application.DoesNotExist as exc:
        raise Http404 from exc
    journal = public.public_case_journal(application)
    meaning, next_step = labels.public_explanation(application)
    context = {
        "application": application,
        "status_label": labels.status_label(application),
        "status_meaning": meaning,
        "status_next": next_step,
        "decided": public.is_decided(application),
        "exemptions": _exemption_rows(application),
        "consultations": public.public_consultations(application),
        "timeline": public.public_timeline(application, journal),
        "journal": _journal_rows(journal),
        "case_number": journal[0].case.number if journal else "",
        "trial": getattr(application, "trial", None),
        "co_applicants": list(application.co_applicants.all()),
        "today": timezone.localdate(),
        "feeds": _application_feeds(application) + _site_feeds(),
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
        "applications": request_version_cached(
            request, "applications", lambda: list(applications[:ORGANISATION_LIST_SIZE])
        ),
        "figures": request_version_cached(
            request, "figures", lambda: public.public_figures(applications)
        ),
        "trials": request_version_cached(
            request, "trials", lambda: list(public.public_trials_of(applications))
        ),
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
