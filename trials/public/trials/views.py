"""The public register of trials: /forsok/ (search, filters, CSV/JSON, Atom) and
/forsok/<id>/. Read only through ``trials.public.trials.selectors``; cached and answered
with 304 like every public page (``public_page``)."""

from dataclasses import asdict

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from trials.models import Trial
from trials.public.feeds import feed_view
from trials.public.opendata import (
    LICENSE,
    csv_download,
    export_format,
    in_chunks,
    json_download,
    unknown_format,
)
from trials.public.trials import selectors
from trials.public.trials.forms import TrialSearchForm
from trials.public.views import page_numbers, public_page
from trials.selectors import trial_history

PAGE_SIZE = 20
COLUMNS = [
    "id",
    "reference",
    "title",
    "status",
    "lead_organisation_number",
    "lead_organisation",
    "co_applicants",
    "county",
    "starts_on",
    "ends_on",
    "in_force_today",
    "extended",
    "regulation",
    "acts",
    "exemptions",
    "url",
]


def trial_record(trial: Trial, base_url: str, today) -> dict:
    """One trial as an open-data record (the CSV, the JSON and the public API)."""
    application = trial.application
    lead = application.lead_organisation
    county = lead.county.name if lead.county_id else lead.name
    exemptions = [e for e in trial.exemptions.all() if e.provision_id]
    return {
        "id": trial.pk,
        "reference": application.reference,
        "title": application.title,
        "status": trial.status,
        "lead_organisation_number": lead.number,
        "lead_organisation": lead.name,
        "co_applicants": [o.name for o in application.co_applicants.all()],
        "county": county,
        "starts_on": trial.starts_on,
        "ends_on": trial.ends_on,
        "in_force_today": trial.in_force_on(today),
        "extended": bool(getattr(trial, "granted_extensions", 0)),
        "regulation": [r.for_id for r in trial.regulations.all()],
        "acts": sorted({e.provision.act.lovdata_id for e in exemptions}),
        "exemptions": [e.provision.citation_key for e in exemptions],
        "url": base_url + reverse("public:trial_detail", args=[trial.pk]),
    }


@public_page
def trial_list(request):
    form = TrialSearchForm(request.GET)
    search = form.search()
    trials = selectors.public_trial_search(search)
    fmt = export_format(request)
    if bad := unknown_format(fmt):
        return bad
    today = timezone.localdate()
    if fmt:
        base_url = request.build_absolute_uri("/").rstrip("/")
        records = (trial_record(trial, base_url, today) for trial in in_chunks(trials))
        if fmt == "json":
            filters = {k: v for k, v in asdict(search).items() if v not in ("", None)}
            return json_download(request, filters=filters, count=trials.count(), results=records)
        return csv_download(COLUMNS, ([r[c] for c in COLUMNS] for r in records), name="forsok")
    form.set_options(selectors.public_trial_options())
    page = Paginator(trials, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "public/trial_list.html",
        {
            "form": form,
            "page": page,
            "page_numbers": page_numbers(page),
            "today": today,
            "licence": LICENSE,
            "feeds": [{"title": _("Trials"), "url": reverse("public:trial_feed")}],
            "searching": bool(search.q) or bool(form.active_filters),
        },
    )


@public_page
def trial_detail(request, pk: int):
    try:
        trial = selectors.public_trial_page(pk)
    except (Trial.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    return render(
        request,
        "public/trial_detail.html",
        {
            "trial": trial,
            "today": timezone.localdate(),
            "history": trial_history(trial, public=True),
            "followers": list(trial.followers.all()),
        },
    )


class TrialFeed(Feed):
    """New and changed trials: one entry per trial, updated when it comes into force, is
    extended or ends."""

    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def title(self):
        return _("Trials under forsøksloven")

    def subtitle(self):
        return _("Approved trials, their period and status.")

    def link(self):
        return reverse("public:trial_list")

    def feed_guid(self, obj):
        return self.request.build_absolute_uri()

    def items(self):
        return selectors.public_trials_changed_since()

    def item_title(self, trial):
        return f"{trial.application.title} ({trial.get_status_display()})"

    def item_description(self, trial):
        return _("%(organisation)s: %(start)s – %(end)s") % {
            "organisation": trial.application.lead_organisation.display_name,
            "start": trial.starts_on.isoformat(),
            "end": trial.ends_on.isoformat(),
        }

    def item_link(self, trial):
        return reverse("public:trial_detail", args=[trial.pk])

    def item_pubdate(self, trial):
        return trial.created_at

    def item_author_name(self, trial):
        return trial.application.lead_organisation.display_name


trial_feed = feed_view(TrialFeed)
