"""What the public may see: the one place that decides (DESIGN.md § 7, issue "never public").

Public pages, feeds, exports and the public API read applications only through these
selectors. Never public: drafts (applications never submitted), contact persons and staff
names, e-mail addresses and phone numbers, internal notes, assessments and proposals before
the decision, and screened documents.
"""

import datetime
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
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


class ApplicationText(Func):
    """``to_tsvector`` of an application's title, summary and description (PostgreSQL).

    Renders exactly the expression of the GIN index in migration ``0003_public_search``, so
    that the planner can use the index: change the two together.
    """

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(F("title"), F("summary"), F("description"))

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(f"COALESCE({sql}, '')")
            params.extend(expression_params)
        joined = " || ' ' || ".join(parts)
        return f"to_tsvector('{SEARCH_CONFIG}'::regconfig, {joined})", params


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


def _word_match_postgres(word: str) -> Q:
    """The word (stemmed by the Norwegian dictionary) occurs in the application's text, in a
    requested provision's heading or act title, or in an applicant's name. A stop word
    ("og", "i") matches everything instead of nothing."""
    query = SearchQuery(word, config=SEARCH_CONFIG, search_type="plain")
    texts = Application.objects.alias(document=ApplicationText()).filter(document=query)
    exemptions = ExemptionRequest.objects.alias(
        document=SearchVector(
            "provision__heading",
            "provision__act__short_title",
            "provision__act__title",
            "citation_text",
            config=SEARCH_CONFIG,
        )
    ).filter(document=query)
    organisations = Organisation.objects.alias(
        document=SearchVector("name", "name_nn", "name_en", config=SEARCH_CONFIG)
    ).filter(document=query)
    only_stop_words = Exact(Func(query, function="numnode", output_field=IntegerField()), 0)
    return (
        Q(pk__in=texts.values("pk"))
        | _requesting(exemptions)
        | _applicant_in(organisations)
        | Q(only_stop_words)
    )


def _word_match_simple(word: str) -> Q:
    """The fallback without a text-search engine (SQLite): the word as a substring. SQLite
    folds the case of ASCII letters only, so "øyer" is also tried as "Øyer" and "ØYER"."""
    match = Q()
    for form in {word, word.lower(), word.capitalize(), word.upper()}:
        exemptions = ExemptionRequest.objects.filter(
            Q(provision__heading__icontains=form)
            | Q(provision__act__short_title__icontains=form)
            | Q(provision__act__title__icontains=form)
            | Q(citation_text__icontains=form)
        )
        organisations = Organisation.objects.filter(
            Q(name__icontains=form) | Q(name_nn__icontains=form) | Q(name_en__icontains=form)
        )
        match |= (
            Q(title__icontains=form)
            | Q(summary__icontains=form)
            | Q(description__icontains=form)
            | _requesting(exemptions)
            | _applicant_in(organisations)
        )
    return match


def text_match(text: str) -> Q:
    """Every word found somewhere (AND of words), or the exact reference number."""
    word_match = _word_match_postgres if connection.vendor == "postgresql" else _word_match_simple
    words = search_words(text)
    if not words:
        return Q()
    match = Q()
    for word in words:
        match &= word_match(word)
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
    years that occur among public applications (a filter never offers an empty result)."""
    public = public_applications()
    requested = ExemptionRequest.objects.filter(application__in=public)
    return {
        "counties": list(Organisation.objects.active().counties().order_by("number")),
        "municipalities": list(
            Organisation.objects.municipalities().filter(_involved(public)).order_by("name")
        ),
        "calls": list(Call.objects.order_by("-opens_on", "-pk")),
        "ministries": list(
            Organisation.objects.ministries()
            .filter(legal_acts__provisions__exemption_requests__in=requested)
            .distinct()
            .order_by("name")
        ),
        "acts": list(
            LegalAct.objects.filter(provisions__exemption_requests__in=requested)
            .distinct()
            .order_by("short_title")
        ),
        "years": [moment.year for moment in public.datetimes("submitted_at", "year", "DESC")],
    }


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
    """Changes whenever something the public pages show may have changed: the pages' ETag.

    Two index lookups: the last change to a public application and the last audit event
    (every service writes one: journal entries, consultations, decisions, trials).
    """
    last_change = public_applications().order_by().aggregate(at=Max("updated_at"))["at"]
    last_event = AuditEvent.objects.aggregate(pk=Max("pk"))["pk"]
    stamp = last_change.timestamp() if last_change else 0
    return f"{stamp:.6f}-{last_event or 0}"
