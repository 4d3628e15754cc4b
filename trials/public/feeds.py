"""Atom feeds of new applications and decisions: all, per municipality or county, per act.

Each entry is one event (an application submitted, or decided); its id is the application's
public page with ``#submitted`` or ``#decided``, so a reader sees a decision as news even
when it already showed the submission.
"""

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from casework.models import Organisation
from legal import selectors as legal_selectors
from legal.models import LegalAct
from trials.labels import status_label
from trials.public import selectors as public
from trials.public import views as public_views
from trials.public.views import public_page

FEED_SIZE = 50


class ApplicationEventsFeed(Feed):
    feed_type = Atom1Feed
    kinds: tuple[str, ...] = ("submitted", "decided")

    def __call__(self, request, *args, **kwargs):
        self.request = request  # one instance per request: see feed_view()
        return super().__call__(request, *args, **kwargs)

    # --- the feed -------------------------------------------------------------------------

    def applications(self, obj):
        return public.public_application_rows()

    def items(self, obj):
        return public.public_feed_events(self.applications(obj), kinds=self.kinds, limit=FEED_SIZE)

    def author_name(self):
        return _("Ministry of Local Government and Regional Development")

    def link(self, obj):
        return reverse("public:application_list")

    def feed_guid(self, obj):
        return self.request.build_absolute_uri()

    # --- one entry ------------------------------------------------------------------------

    def item_title(self, event):
        application = event.application
        if event.kind == "decided":
            return _("Decision: %(outcome)s – %(title)s") % {
                "outcome": status_label(application),
                "title": application.title,
            }
        return _("New application from %(applicant)s: %(title)s") % {
            "applicant": application.lead_organisation.display_name,
            "title": application.title,
        }

    def item_description(self, event):
        application = event.application
        if event.kind == "decided" and application.decision_summary:
            return application.decision_summary
        return application.summary or application.title

    def item_link(self, event):
        page = reverse("public:application_detail", args=[event.application.reference])
        return page + "#decision" if event.kind == "decided" else page

    def item_guid(self, event):
        page = reverse("public:application_detail", args=[event.application.reference])
        return self.request.build_absolute_uri(f"{page}#{event.kind}")

    def item_pubdate(self, event):
        return event.at

    def item_updateddate(self, event):
        return event.at

    def item_author_name(self, event):
        if event.kind == "decided":
            return self.author_name()
        return event.application.lead_organisation.display_name

    def item_categories(self, event):
        return [event.application.get_stage_display()]


class NewApplicationsFeed(ApplicationEventsFeed):
    kinds = ("submitted",)

    def title(self):
        return _("New applications for trials under forsøksloven")

    def subtitle(self):
        return _("Applications submitted to the ministry, newest first.")


class DecisionsFeed(ApplicationEventsFeed):
    kinds = ("decided",)

    def title(self):
        return _("Decisions on applications for trials under forsøksloven")

    def subtitle(self):
        return _("The ministry's decisions, newest first.")

    def link(self, obj):
        return reverse("public:application_list") + "?sort=decided"


class OrganisationFeed(ApplicationEventsFeed):
    """A municipality's (or a county's) new applications and decisions."""

    def get_object(self, request, number):
        try:
            return public.public_organisation(number)
        except Organisation.DoesNotExist as exc:
            raise Http404 from exc

    def applications(self, obj):
        return public.public_applications_for_organisation(obj)

    def title(self, obj):
        return public_views.organisation_feed_title(obj.display_name)

    def subtitle(self, obj):
        return _("New applications for trials and decisions on them, newest first.")

    def link(self, obj):
        return reverse("public:municipality", args=[obj.number])


class ActFeed(ApplicationEventsFeed):
    """Applications asking for exemptions from one act, and the decisions on them."""

    def get_object(self, request, lovdata_id):
        try:
            return legal_selectors.act_get(lovdata_id)
        except LegalAct.DoesNotExist as exc:
            raise Http404 from exc

    def applications(self, obj):
        return public.public_applications_for_act(obj)

    def title(self, obj):
        return public_views.act_feed_title(obj.short_title)

    def subtitle(self, obj):
        return _("New applications for trials and decisions on them, newest first.")

    def link(self, obj):
        return reverse("public:application_list") + f"?act={obj.lovdata_id}"


def feed_view(feed_class: type[Feed]):
    """A view making a fresh feed per request (the feed keeps the request while it runs)."""

    def view(request, *args, **kwargs):
        return feed_class()(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = feed_class.__name__
    view.__doc__ = feed_class.__doc__
    return public_page(view)


new_applications = feed_view(NewApplicationsFeed)
decisions = feed_view(DecisionsFeed)
organisation = feed_view(OrganisationFeed)
act = feed_view(ActFeed)
