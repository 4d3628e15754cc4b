"""What the public may see: the one place that decides (DESIGN.md § 7, issue "never public").

Public pages, feeds, exports and the public API read applications only through these
selectors. Never public: drafts (applications never submitted), contact persons and staff
names, e-mail addresses and phone numbers, internal notes, assessments and proposals before
the decision, and screened documents.
"""

import datetime
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVectorExact, SearchVectorField
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casework.choices import OrganisationKind
from casework.models import AuditEvent, JournalDocument, JournalEntry, Organisation
from casework.selectors import audit_events_for, public_journal_entries
from legal.models import LegalAct
from trials.choices import (
    CLOSED_STATUSES,
    DECIDED_STATUSES,
    ApplicationStatus,
    ConsultationStatus,
    ExemptionStatus,
    Outcome,
    PublicExemptionState,
    Stage,
)
from trials.models import (
    Application,
    Attachment,
    Call,
    Consultation,
    ConsultationAnswer,
    ExemptionRequest,
    InformationRequest,
    InterimReply,
    Trial,
)

STATUS_EXPLANATIONS = {
    ApplicationStatus.SUBMITTED: (
        _("The application has been sent to the ministry."),
        _("The ministry registers it and checks that it is complete."),
    ),
    ApplicationStatus.REGISTERED: (
        _("The ministry has registered the application and given it a case number."),
        _("The ministry checks that the application is complete."),
    ),
    ApplicationStatus.UNDER_REVIEW: (
        _("The ministry is assessing the application and each requested exemption."),
        _("The ministries that own the acts concerned may be consulted before a decision."),
    ),
    ApplicationStatus.AWAITING_APPLICANT: (
        _("The ministry has asked the applicant for more information."),
        _("The case continues when the applicant answers or the deadline passes."),
    ),
    ApplicationStatus.IN_CONSULTATION: (
        _("The ministries that own the acts concerned have been asked for their views."),
        _("When they have answered, the ministry proposes a decision."),
    ),
    ApplicationStatus.DECISION_PROPOSED: (
        _("A decision has been proposed and awaits approval by a second person."),
        _("The decision is sent to the applicant and published here."),
    ),
    ApplicationStatus.APPROVED: (
        _("The ministry has approved the trial, fully or in part."),
        _("The trial is given as a regulation for a limited period and evaluated."),
    ),
    ApplicationStatus.REJECTED: (
        _("The ministry has rejected the application."),
        _("The reasons are given in the decision."),
    ),
    ApplicationStatus.WITHDRAWN: (
        _("The applicant withdrew the application."),
        _("The case is closed."),
    ),
}


def public_applications() -> QuerySet[Application]:
    """Every application from submission on (a draft never appears, even once withdrawn)."""
    return (
        Application.objects.filter(submitted_at__isnull=False)
        .select_related("lead_organisation__county", "call")
        .prefetch_related("co_applicants")
        .defer("search_document")  # for the search only (trials.services.search)
    )


def is_decided(application: Application) -> bool:
    return application.status in DECIDED_STATUSES


def status_explanation(application: Application) -> tuple[str, str]:
    """(what the status means, what happens next) in plain language."""
    meaning, next_step = STATUS_EXPLANATIONS.get(application.status, ("", ""))
    return str(meaning), str(next_step)


def public_outcome(exemption: ExemptionRequest, application: Application) -> dict:
    """The outcome of one exemption as the public may see it: only after the decision."""
    if not is_decided(application):
        return {"outcome": "", "reasons": "", "conditions": ""}
    return {
        "outcome": exemption.outcome,
        "reasons": exemption.outcome_reasons,
        "conditions": exemption.conditions,
    }


# --- The exemption register, statistics and the public API ---------------------------------


def public_exemption_state() -> Case:
    """``PublicExemptionState`` as a database expression, so pages can filter and count by it.

    The outcome counts only once the application is decided; until then a live request is
    "awaiting decision" whatever the officers have assessed or proposed.
    """
    decided = Q(application__status__in=DECIDED_STATUSES)
    withdrawn = Q(status=ExemptionStatus.WITHDRAWN) | Q(
        application__status=ApplicationStatus.WITHDRAWN
    )
    return Case(
        When(withdrawn, then=Value(PublicExemptionState.WITHDRAWN)),
        When(decided & Q(outcome=Outcome.GRANTED), then=Value(PublicExemptionState.GRANTED)),
        When(
            decided & Q(outcome=Outcome.GRANTED_WITH_CONDITIONS),
            then=Value(PublicExemptionState.GRANTED_WITH_CONDITIONS),
        ),
        When(decided & Q(outcome=Outcome.REFUSED), then=Value(PublicExemptionState.REFUSED)),
        When(decided, then=Value(PublicExemptionState.CLOSED)),
        default=Value(PublicExemptionState.PENDING),
        output_field=CharField(),
    )


def trials_in_force(today: datetime.date | None = None) -> QuerySet[Trial]:
    """Trials running on ``today``: started on or before it, ending after it."""
    today = today or timezone.localdate()
    return Trial.objects.filter(
        application__status=ApplicationStatus.APPROVED,
        starts_on__lte=today,
        ends_on__gt=today,
    )


def public_exemptions(today: datetime.date | None = None) -> QuerySet[ExemptionRequest]:
    """Every exemption request of a submitted application, annotated with ``public_state``
    and ``in_force`` (part of a trial running ``today``). Drafts never appear."""
    in_force = Trial.exemptions.through.objects.filter(
        exemptionrequest_id=OuterRef("pk"),
        trial__in=trials_in_force(today),
    )
    return (
        ExemptionRequest.objects.filter(application__submitted_at__isnull=False)
        .annotate(public_state=public_exemption_state(), in_force=Exists(in_force))
        .select_related(
            "provision__act__ministry",
            "application__lead_organisation__county",
            "application__call",
        )
    )


def public_trials() -> QuerySet[Trial]:
    """Trials are public from the decision that creates them."""
    return Trial.objects.filter(application__status=ApplicationStatus.APPROVED)


# --- Public pages: search, figures, case history and feeds (trials/public_views.py) --------

SEARCH_CONFIG = "norwegian"
SEARCH_MAX_WORDS = 12
LOCAL_GOVERNMENT_KINDS = [OrganisationKind.KOMMUNE, OrganisationKind.FYLKESKOMMUNE]
SORT_ORDERS = {
    "newest": (F("submitted_at").desc(), F("pk").desc()),
    "oldest": (F("submitted_at").asc(), F("pk").asc()),
    "title": (Lower("title").asc(), F("pk").asc()),
    "decided": (
        F("decided_at").desc(nulls_last=True),
        F("submitted_at").desc(),
        F("pk").desc(),
    ),
}


class SearchDocument(Func):
    """``to_tsvector`` of the application's search document (PostgreSQL).

    Renders exactly the expression of the GIN index in migration
    ``0007_application_search_document``, so that the planner can use the index: change the
    two together. The document is kept by ``trials.services.search``.
    """

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(F("search_document"))

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE({sql}, ''))", params


@dataclass(frozen=True)
class ApplicationSearch:
    """What a visitor asked for on /soknader/; every part optional (see PublicSearchForm)."""

    q: str = ""
    county: str = ""  # fylkesnummer: applicants in the county, the county municipality included
    municipality: str = ""  # kommunenummer: lead applicant or co-applicant
    status: str = ""
    stage: str = ""
    call: str = ""  # a call's id, or "none" for applications outside any call
    ministry: str = ""  # code of the ministry owning an act in one of the requests
    act: str = ""  # Lovdata id of an act in one of the requests
    year: int | None = None  # year of submission, within YEARS
    sort: str = "newest"


# The years a "year" filter accepts, on the pages and in the API: from forsøksloven's own
# year; anything outside is a clear 400, never a database error.
YEARS = range(1992, 3000)


def _co_applications(organisations: QuerySet[Organisation]) -> QuerySet:
    through = Application.co_applicants.through
    return through.objects.filter(organisation__in=organisations).values("application_id")


def _applicant_in(organisations: QuerySet[Organisation]) -> Q:
    """The lead applicant or a co-applicant is one of ``organisations`` (no duplicate rows)."""
    return Q(lead_organisation__in=organisations) | Q(pk__in=_co_applications(organisations))


def _requesting(exemptions: QuerySet[ExemptionRequest]) -> Q:
    return Q(pk__in=exemptions.values("application_id"))


def search_words(text: str) -> list[str]:
    words = dict.fromkeys(re.findall(r"\w+", text or ""))
    return list(words)[:SEARCH_MAX_WORDS]


def _words_match_postgres(words: list[str]) -> Q:
    """Every word (stemmed by the Norwegian dictionary) occurs in the application's search
    document: its text, a requested provision's heading or act title, or an applicant's
    name (``trials.services.search``). One ``plainto_tsquery`` ANDs the words and leaves
    out stop words ("og", "i"); words that are all stop words match everything instead of
    nothing. The document's GIN index answers the query."""
    query = SearchQuery(" ".join(words), config=SEARCH_CONFIG, search_type="plain")
    found = Application.objects.filter(SearchVectorExact(SearchDocument(), query))
    only_stop_words = Exact(Func(query, function="numnode", output_field=IntegerField()), 0)
    return Q(pk__in=found.values("pk")) | Q(only_stop_words)


def _words_match_simple(words: list[str]) -> Q:
    """The fallback without a text-search engine (SQLite): each word a substring of the
    lower-cased search document (lower-cased in Python, so "Øyer" finds "øyer")."""
    match = Q()
    for word in words:
        match &= Q(search_document__icontains=word.lower())
    return match


def text_match(text: str) -> Q:
    """Every word found somewhere (AND of words), or the exact reference number."""
    words = search_words(text)
    if not words:
        return Q()
    if connection.vendor == "postgresql":
        match = _words_match_postgres(words)
    else:
        match = _words_match_simple(words)
    return match | Q(reference__iexact=text.strip())


def public_application_rows() -> QuerySet[Application]:
    """``public_applications()`` with what a list row, feed entry or export record shows."""
    return public_applications().prefetch_related(
        Prefetch(
            "exemption_requests",
            queryset=ExemptionRequest.objects.select_related("provision__act"),
        )
    )


def public_application_search(search: ApplicationSearch) -> QuerySet[Application]:
    """The public applications matching ``search``, in its order."""
    applications = public_application_rows()
    if search.q.strip():
        applications = applications.filter(text_match(search.q))
    if search.county:
        applications = applications.filter(
            _applicant_in(
                Organisation.objects.filter(
                    kind__in=LOCAL_GOVERNMENT_KINDS, number__startswith=search.county
                )
            )
        )
    if search.municipality:
        applications = applications.filter(
            _applicant_in(
                Organisation.objects.filter(
                    kind=OrganisationKind.KOMMUNE, number=search.municipality
                )
            )
        )
    if search.status:
        applications = applications.filter(status=search.status)
    if search.stage:
        applications = applications.filter(stage=search.stage)
    if search.call == "none":
        applications = applications.filter(call__isnull=True)
    elif search.call:
        applications = applications.filter(call_id=int(search.call))
    if search.ministry:
        applications = applications.filter(
            _requesting(
                ExemptionRequest.objects.filter(provision__act__ministry__code=search.ministry)
            )
        )
    if search.act:
        applications = applications.filter(
            _requesting(ExemptionRequest.objects.filter(provision__act__lovdata_id=search.act))
        )
    if search.year:
        applications = applications.filter(submitted_at__year=search.year)
    return applications.order_by(*SORT_ORDERS.get(search.sort, SORT_ORDERS["newest"]))


def _involved(applications: QuerySet[Application]) -> Q:
    """Organisations that lead or join one of ``applications``."""
    through = Application.co_applicants.through
    return Q(pk__in=applications.values("lead_organisation_id")) | Q(
        pk__in=through.objects.filter(application__in=applications).values("organisation_id")
    )


def public_search_options() -> dict[str, list]:
    """What the filters offer: all counties; the municipalities, calls, ministries, acts and
    years that occur among public applications (a filter never offers an empty result).

    Read from the small reference tables, each row asking whether one public application
    (or request) exists for it: index probes that stop at the first match, so the cost does
    not grow with the number of applications.
    """
    public = Application.objects.filter(submitted_at__isnull=False)
    through = Application.co_applicants.through
    leads = Exists(public.filter(lead_organisation=OuterRef("pk")))
    joins = Exists(
        through.objects.filter(organisation=OuterRef("pk"), application__submitted_at__isnull=False)
    )
    requested = ExemptionRequest.objects.filter(application__submitted_at__isnull=False)
    act_requested = Exists(requested.filter(provision__act=OuterRef("pk")))
    ministry_requested = Exists(
        LegalAct.objects.filter(ministry=OuterRef("pk")).filter(
            Exists(requested.filter(provision__act=OuterRef("pk")))
        )
    )
    return {
        "counties": list(Organisation.objects.active().counties().order_by("number")),
        "municipalities": list(
            Organisation.objects.municipalities().filter(leads | joins).order_by("name")
        ),
        "calls": list(Call.objects.order_by("-opens_on", "-pk")),
        "ministries": list(
            Organisation.objects.ministries().filter(ministry_requested).order_by("name")
        ),
        "acts": list(LegalAct.objects.filter(act_requested).order_by("short_title")),
        "years": public_submission_years(),
    }


def public_submission_years() -> list[int]:
    """The years with a public submission, newest first, in two queries whatever the data:
    the first and last submission (index reads), then one index probe per year between."""
    public = Application.objects.filter(submitted_at__isnull=False).order_by()
    bounds = public.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    if bounds["first"] is None:
        return []
    first = timezone.localtime(bounds["first"]).year
    last = timezone.localtime(bounds["last"]).year
    table = Application._meta.db_table
    parts, params = [], []
    for year in range(last, first - 1, -1):
        starts, ends = (
            connection.ops.adapt_datetimefield_value(
                datetime.datetime(y, 1, 1, tzinfo=timezone.get_current_timezone())
            )
            for y in (year, year + 1)
        )
        parts.append(
            f"SELECT {int(year)} WHERE EXISTS (SELECT 1 FROM {table} "  # noqa: S608
            "WHERE submitted_at >= %s AND submitted_at < %s)"
        )
        params += [starts, ends]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return sorted((row[0] for row in cursor.fetchall()), reverse=True)


def public_latest_submitted(limit: int = 5) -> QuerySet[Application]:
    return public_applications().order_by("-submitted_at", "-pk")[:limit]


def public_latest_decisions(limit: int = 5) -> QuerySet[Application]:
    decided = public_applications().filter(decided_at__isnull=False)
    return decided.order_by("-decided_at", "-pk")[:limit]


def public_figures(applications: QuerySet[Application] | None = None) -> dict[str, int]:
    """Key figures of ``applications`` (all public ones by default)."""
    applications = public_applications() if applications is None else applications
    figures = applications.order_by().aggregate(
        applications=Count("pk"),
        open=Count("pk", filter=~Q(status__in=CLOSED_STATUSES)),
        approved=Count("pk", filter=Q(status=ApplicationStatus.APPROVED)),
        rejected=Count("pk", filter=Q(status=ApplicationStatus.REJECTED)),
        withdrawn=Count("pk", filter=Q(status=ApplicationStatus.WITHDRAWN)),
    )
    figures["trials"] = public_trials().filter(application__in=applications).count()
    figures["organisations"] = (
        Organisation.objects.filter(kind__in=LOCAL_GOVERNMENT_KINDS)
        .filter(_involved(applications))
        .count()
    )
    figures["exemptions"] = ExemptionRequest.objects.filter(application__in=applications).count()
    return figures


def public_organisation(number: str) -> Organisation:
    """The municipality (four digits) or county (two digits) with that number; the active
    one first, else the last one that had the number. Raises Organisation.DoesNotExist."""
    kind = OrganisationKind.FYLKESKOMMUNE if len(number) == 2 else OrganisationKind.KOMMUNE
    organisation = (
        Organisation.objects.filter(kind=kind, number=number)
        .select_related("county")
        .order_by("-active", F("valid_to").desc(nulls_first=True), "-pk")
        .first()
    )
    if organisation is None:
        raise Organisation.DoesNotExist(number)
    return organisation


def public_applications_for_organisation(organisation: Organisation) -> QuerySet[Application]:
    """A municipality's applications (lead or co-applicant); for a county, those of the
    county municipality and of every municipality in the county."""
    if organisation.kind == OrganisationKind.FYLKESKOMMUNE:
        search = ApplicationSearch(county=organisation.number)
    else:
        search = ApplicationSearch(municipality=organisation.number)
    return public_application_search(search)


def public_applications_for_act(act: LegalAct) -> QuerySet[Application]:
    return public_application_search(ApplicationSearch(act=act.lovdata_id))


def public_trials_of(applications: QuerySet[Application]) -> QuerySet[Trial]:
    return (
        public_trials()
        .filter(application__in=applications)
        .select_related("application__lead_organisation")
        .order_by("-starts_on", "-pk")
    )


def public_application_page(reference: str) -> Application:
    """One public application with everything its public page shows (a fixed number of
    queries whatever its size); raises Application.DoesNotExist for drafts and unknowns."""
    return (
        public_applications()
        .select_related("trial")
        .prefetch_related(
            "purposes",
            Prefetch(
                "exemption_requests",
                queryset=ExemptionRequest.objects.select_related("provision__act__ministry"),
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.filter(screening_basis="").select_related(
                    "organisation"
                ),
                to_attr="public_attachments",
            ),
            Prefetch(
                "consultations",
                queryset=Consultation.objects.select_related(
                    "ministry", "answer_entry__case"
                ).prefetch_related(
                    Prefetch(
                        "answers",
                        queryset=ConsultationAnswer.objects.select_related(
                            "exemption__provision__act"
                        ).order_by("exemption__order", "exemption_id"),
                    )
                ),
            ),
            Prefetch(
                "information_requests",
                queryset=InformationRequest.objects.order_by("requested_at", "pk"),
            ),
            Prefetch("interim_replies", queryset=InterimReply.objects.order_by("sent_at", "pk")),
        )
        .get(reference=reference)
    )


def public_case_journal(application: Application) -> list[JournalEntry]:
    """The entries of the application's case as the public journal lists them, oldest first,
    with their documents (to be linked only for entries without a screening basis)."""
    return list(
        public_journal_entries()
        .filter(
            case__content_type__app_label=Application._meta.app_label,
            case__content_type__model=Application._meta.model_name,
            case__object_id=str(application.pk),
        )
        .order_by("number_in_case")
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=JournalDocument.objects.only(
                    "pk",
                    "entry",
                    "title",
                    "is_main",
                    "file",
                    "content_type",
                    "source_type",
                    "source_id",
                ).prefetch_related("source"),
            )
        )
    )


def public_consultations(application: Application) -> list[dict]:
    """Each line ministry's consultation: sent, due, answered or closed. The positions are
    public only after the decision, and only when the answer is not screened."""
    decided = is_decided(application)
    rows = []
    for consultation in application.consultations.all():
        answer_public = consultation.answer_entry is None or consultation.answer_entry.is_public
        show_positions = decided and answer_public
        rows.append(
            {
                "ministry": consultation.ministry,
                "status": consultation.status,
                "status_label": consultation.get_status_display(),
                "sent_at": consultation.sent_at,
                "due_date": consultation.due_date,
                "answered_at": consultation.answered_at,
                "answer_entry": consultation.answer_entry,
                "positions": list(consultation.answers.all()) if show_positions else [],
                "statement": consultation.statement if show_positions else "",
                "positions_pending": not decided
                and consultation.status == ConsultationStatus.ANSWERED,
            }
        )
    return rows


@dataclass(frozen=True)
class PublicEvent:
    """One step of the case as the public sees it (never an internal note or reason)."""

    at: datetime.datetime
    text: str
    detail: str = ""
    entry: JournalEntry | None = None


def public_withdrawn_at(application: Application) -> datetime.datetime | None:
    """When the application was withdrawn: the time only, never the audit trail's reason."""
    if application.status != ApplicationStatus.WITHDRAWN:
        return None
    return (
        audit_events_for(application)
        .filter(action="application.withdrawn")
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def public_timeline(application: Application, journal: list[JournalEntry]) -> list[PublicEvent]:
    """The public events of the case, oldest first: from the application's own dates, its
    requests for information, interim replies and consultations, each linked to the case
    journal's entry where there is one (events at the same moment keep this order)."""
    entries = {entry.pk: entry for entry in journal}
    events = [
        *_arrival_events(application, journal),
        *_information_request_events(application),
        *_interim_reply_events(application, entries),
        *_consultation_events(application, entries),
        *_outcome_events(application),
    ]
    return sorted(events, key=lambda event: event.at)


def _journaled_application(application: Application, journal: list[JournalEntry]):
    """The entry that journals the application itself: its document's source is the
    application (the case's subject, so the same content type as the case's)."""
    return next(
        (
            entry
            for entry in journal
            for document in entry.documents.all()
            if document.source_type_id == entry.case.content_type_id
            and document.source_id == str(application.pk)
        ),
        None,
    )


def _arrival_events(application: Application, journal: list[JournalEntry]) -> list[PublicEvent]:
    events = [
        PublicEvent(
            application.submitted_at,
            _("Submitted by %(applicant)s") % {"applicant": application.lead_organisation},
        )
    ]
    if application.registered_at:
        case_number = journal[0].case.number if journal else ""
        events.append(
            PublicEvent(
                application.registered_at,
                _("Registered by the ministry"),
                _("Case number %(number)s") % {"number": case_number} if case_number else "",
                _journaled_application(application, journal),
            )
        )
    return events


def _information_request_events(application: Application) -> list[PublicEvent]:
    events = []
    for request in application.information_requests.all():
        events.append(
            PublicEvent(
                request.requested_at,
                _("The ministry asked the applicant for more information"),
                _("Answer due %(date)s") % {"date": date_format(request.due_date)},
            )
        )
        if request.answered_at:
            events.append(PublicEvent(request.answered_at, _("The applicant answered the request")))
    return events


def _interim_reply_events(application: Application, entries: dict) -> list[PublicEvent]:
    return [
        PublicEvent(
            reply.sent_at,
            _("Preliminary answer sent to the applicant"),
            _("Decision expected by %(date)s") % {"date": date_format(reply.expected_decision)},
            entries.get(reply.entry_id),
        )
        for reply in application.interim_replies.all()
    ]


def _consultation_events(application: Application, entries: dict) -> list[PublicEvent]:
    events = []
    for consultation in application.consultations.all():
        ministry = consultation.ministry.display_name
        events.append(
            PublicEvent(
                consultation.sent_at,
                _("Consultation sent to %(ministry)s") % {"ministry": ministry},
                _("Answer due %(date)s") % {"date": date_format(consultation.due_date)},
                entries.get(consultation.letter_id),
            )
        )
        if consultation.answered_at:
            events.append(
                PublicEvent(
                    consultation.answered_at,
                    _("%(ministry)s answered the consultation") % {"ministry": ministry},
                    "",
                    entries.get(consultation.answer_entry_id),
                )
            )
    return events


def _outcome_events(application: Application) -> list[PublicEvent]:
    events = []
    if application.decided_at:
        events.append(
            PublicEvent(
                application.decided_at,
                _("Decision: %(outcome)s") % {"outcome": public_status_label(application)},
            )
        )
    withdrawn_at = public_withdrawn_at(application)
    if withdrawn_at:
        events.append(PublicEvent(withdrawn_at, _("The applicant withdrew the application")))
    return events


PRELIMINARY_OUTCOME_LABELS = {
    ApplicationStatus.APPROVED: pgettext_lazy("application status", "Taken forward"),
    ApplicationStatus.REJECTED: pgettext_lazy("application status", "Not taken forward"),
}


def public_status_label(application: Application) -> str:
    """The status in words; a preliminary application is "taken forward" or not."""
    if application.stage == Stage.PRELIMINARY and application.status in PRELIMINARY_OUTCOME_LABELS:
        return str(PRELIMINARY_OUTCOME_LABELS[application.status])
    return str(application.get_status_display())


@dataclass(frozen=True)
class FeedEvent:
    kind: str  # "submitted" or "decided"
    at: datetime.datetime
    application: Application


def public_feed_events(
    applications: QuerySet[Application],
    *,
    kinds: tuple[str, ...] = ("submitted", "decided"),
    limit: int = 50,
) -> list[FeedEvent]:
    """The latest submissions and/or decisions among ``applications``, newest first."""
    events = []
    if "submitted" in kinds:
        events += [
            FeedEvent("submitted", application.submitted_at, application)
            for application in applications.order_by("-submitted_at", "-pk")[:limit]
        ]
    if "decided" in kinds:
        events += [
            FeedEvent("decided", application.decided_at, application)
            for application in applications.filter(decided_at__isnull=False).order_by(
                "-decided_at", "-pk"
            )[:limit]
        ]
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:limit]


def public_version() -> str:
    """Changes whenever something the public pages show may have changed: the pages' ETag,
    and the version their figures are cached under (``casework.caching.version_cached``).

    One query of two index reads: the last change to a public application (the partial
    index on ``updated_at``) and the last audit event (every service writes one: journal
    entries, consultations, decisions, trials), both committed together with the change.
    """
    applications = Application._meta.db_table
    events = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT updated_at FROM {applications} WHERE submitted_at IS NOT NULL "  # noqa: S608
            f"ORDER BY updated_at DESC LIMIT 1), (SELECT id FROM {events} ORDER BY id DESC LIMIT 1)"
        )
        last_change, last_event = cursor.fetchone()
    return f"{last_change or 0}-{last_event or 0}"
