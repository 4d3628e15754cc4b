"""Reads about organisations and who may act for them."""

import contextlib
import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Prefetch, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.utils import timezone
from django.utils.text import Truncator, capfirst

from casework import hooks
from casework.choices import (
    AccessRequestStatus,
    CaseStatus,
    OrganisationKind,
    Role,
    ScreeningBasis,
)
from casework.models import (
    AccessRequest,
    AuditEvent,
    CaseFile,
    JournalDocument,
    JournalEntry,
    Membership,
    Organisation,
)
from casework.prepared import PreparedQuery
from casework.transactions import held, hold, in_unit_of_work


def organisations_for_user(user, *, role: Role | str | None = None) -> QuerySet[Organisation]:
    """The organisations ``user`` belongs to, optionally only those where they have ``role``."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if role is not None:
        memberships = memberships.filter(role=role)
    return Organisation.objects.filter(pk__in=memberships.values("organisation_id")).distinct()


_MEMBERSHIPS = "_casework_memberships"


@contextmanager
def memberships_remembered(user) -> Iterator[None]:
    """Within the block, role checks on this user object read its memberships only once.

    For one unit of work that asks about the same person's roles several times (completing
    a task checks them in the workflow and again in each service). The snapshot lives on
    the user object and is dropped when the outermost block ends, so it never outlives the
    unit of work; memberships are not changed inside one.
    """
    if not user.is_authenticated or hasattr(user, _MEMBERSHIPS):
        yield
        return
    setattr(user, _MEMBERSHIPS, None)  # loaded on first use
    try:
        yield
    finally:
        delattr(user, _MEMBERSHIPS)


def _remembered_memberships(user) -> list[tuple[str, int, str]] | None:
    """(role, organisation id, organisation code) of each membership inside
    ``memberships_remembered``; None outside it."""
    if not hasattr(user, _MEMBERSHIPS):
        return None
    memberships = getattr(user, _MEMBERSHIPS)
    if memberships is None:
        memberships = _MEMBERSHIPS_OF.all(user.pk)
        setattr(user, _MEMBERSHIPS, memberships)
    return memberships


_MEMBERSHIPS_OF = PreparedQuery(  # at every case step: compiled once (casework.prepared)
    lambda user_id: Membership.objects.filter(user_id=user_id).values_list(
        "role", "organisation_id", "organisation__code"
    )
)


def roles_for_user(user, *, organisation: Organisation | None = None) -> set[str]:
    """The roles ``user`` has, anywhere or in one organisation."""
    if not user.is_authenticated:
        return set()
    remembered = _remembered_memberships(user)
    if remembered is not None:
        return {
            role
            for role, organisation_id, _code in remembered
            if organisation is None or organisation_id == organisation.pk
        }
    memberships = Membership.objects.filter(user=user)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return set(memberships.values_list("role", flat=True))


def user_has_role(user, role: Role | str, *, organisation: Organisation | None = None) -> bool:
    return str(role) in roles_for_user(user, organisation=organisation)


def user_has_role_in(user, role: Role | str, *, organisation_code: str) -> bool:
    """Has ``user`` ``role`` in the organisation with this code (a ministry, e.g. KDD)?"""
    if not user.is_authenticated:
        return False
    remembered = _remembered_memberships(user)
    if remembered is not None:
        return any(
            member_role == str(role) and code == organisation_code
            for member_role, _organisation_id, code in remembered
        )
    return Membership.objects.filter(
        user=user, role=role, organisation__code=organisation_code
    ).exists()


def memberships_for_user(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organisation")


def ministry_list() -> QuerySet[Organisation]:
    return Organisation.objects.active().filter(kind=OrganisationKind.DEPARTEMENT)


def audit_events_for(target) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
    ).select_related("actor")


def audit_change_lines(data: dict, *, width: int = 80) -> list[str]:
    """An audit event's recorded changes as lines to read: "Title: 'old' → 'new'", with the
    field's name from its model in the reader's language and long texts shortened."""
    model = None
    if data.get("model"):
        with contextlib.suppress(LookupError, ValueError):
            model = django_apps.get_model(data["model"])

    def label(name: str) -> str:
        with contextlib.suppress(Exception):
            return str(capfirst(model._meta.get_field(name).verbose_name))
        return name.replace("_", " ").capitalize()

    def shown(value) -> str:
        if value in (None, "", [], {}):
            return "–"
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        elif isinstance(value, dict):
            value = ", ".join(str(key) for key in value)
        return f"«{Truncator(str(value)).chars(width)}»"

    return [
        f"{label(change['field'])}: {shown(change.get('old'))} → {shown(change.get('new'))}"
        for change in data.get("changes", [])
        if isinstance(change, dict) and "field" in change
    ]


def case_for(subject) -> CaseFile | None:
    """The case file opened for ``subject`` (e.g. an application), if any. In a unit of work
    (``casework.transactions``: a case step, which journals in it) it is read locked, once,
    and held."""
    content_type = ContentType.objects.get_for_model(subject)
    key = ("case_for", content_type.pk, str(subject.pk))
    case = held(key)
    if case is not None:
        return case
    if not in_unit_of_work():
        return _CASE_FOR.first(content_type.pk, str(subject.pk))
    case = _CASE_FOR_LOCKED.first(content_type.pk, str(subject.pk))
    if case is not None:
        hold(key, case)
        hold(("case_locked", case.pk), case)
    return case


def _case_for_query(*, lock: bool) -> PreparedQuery:
    def build(content_type_id, object_id):
        cases = CaseFile.objects.filter(content_type_id=content_type_id, object_id=object_id)
        if lock:
            cases = cases.select_for_update(of=("self",))
        return cases.select_related("organisation")[:1]  # first(): by the model's ordering

    return PreparedQuery(build)


_CASE_FOR = _case_for_query(lock=False)
_CASE_FOR_LOCKED = _case_for_query(lock=True)


def case_journal(case: CaseFile) -> QuerySet[JournalEntry]:
    return case.entries.select_related("correspondent").prefetch_related("documents")


# --- the public journal (offentleglova § 10) -----------------------------------------------

PUBLIC_ONLY = "public"
SCREENED_ONLY = "screened"


@dataclass(frozen=True)
class DocumentFile:
    file: FieldFile
    filename: str
    content_type: str


_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\"<>:|?*]+')


def _download_name(name: str, fallback_suffix: str = "") -> str:
    """A file name safe in a Content-Disposition header and on any file system."""
    name = _UNSAFE_IN_FILENAME.sub("_", name).strip(" ._") or "dokument"
    if fallback_suffix and not PurePath(name).suffix:
        name += fallback_suffix
    return name[-150:]


def journal_document_file(document: JournalDocument) -> DocumentFile | None:
    """The file behind a journal document: its own, or that of its source (e.g. an
    application's attachment, resolved through ``document.source`` and its ``file``)."""
    if document.file:
        suffix = PurePath(document.file.name).suffix.lower()[:10]
        return DocumentFile(
            document.file, _download_name(document.title, suffix), document.content_type
        )
    source = document.source if document.source_type_id else None
    stored = getattr(source, "file", None)
    if not stored:
        return None
    suffix = PurePath(stored.name).suffix.lower()[:10]
    return DocumentFile(
        stored,
        _download_name(getattr(source, "original_name", "") or document.title, suffix),
        getattr(source, "content_type", "") or document.content_type,
    )


def journal_document_releasable(document: JournalDocument) -> bool:
    """Has a file, and its source (when it has one) is not screened on its own."""
    if document.source_type_id and getattr(document.source, "screening_basis", ""):
        return False
    return journal_document_file(document) is not None


def journal_document_is_public(document: JournalDocument) -> bool:
    """Anyone may download it: the entry is public and the document is releasable."""
    return document.entry.is_public and journal_document_releasable(document)


def public_journal_entries() -> QuerySet[JournalEntry]:
    """The public journal (offentleglova § 10), newest first: the one base query of the
    journal page, the public API's journal and the public case pages.

    Screened entries are listed (that a document exists is public) but the title, the
    screened words, the person who registered it and a sender's or recipient's personal
    name never leave here (the sender or recipient shown is the organisation): the fields
    are deferred so no page can show them by accident. The order follows the
    ``journalentry_registered`` index.
    """
    return (
        JournalEntry.objects.select_related("case", "correspondent")
        .defer(
            "title",
            "screened_words",
            "created_by",
            "correspondent_name",
            "case__title",
            "case__responsible",
        )
        .order_by("-registered_at", "-pk")
    )


def public_journal(
    entries: QuerySet[JournalEntry] | None = None,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    number: tuple[int, int, int | None] | None = None,
    entry_type: str = "",
    basis: str = "",
) -> QuerySet[JournalEntry]:
    """The public journal's filter, for the page and the API alike: journal date (the day
    registered, in Norwegian time), case or document number ((year, sequence, number in
    the case or None), as ``casework.journal.forms.JournalNumberField`` reads it), type, and
    screening (``PUBLIC_ONLY``, ``SCREENED_ONLY`` or one basis)."""
    entries = public_journal_entries() if entries is None else entries
    if date_from:
        entries = entries.filter(registered_at__gte=_start_of_day(date_from))
    if date_to:
        entries = entries.filter(
            registered_at__lt=_start_of_day(date_to + datetime.timedelta(days=1))
        )
    if number is not None:
        year, sequence, number_in_case = number
        entries = entries.filter(case__year=year, case__sequence=sequence)
        if number_in_case is not None:
            entries = entries.filter(number_in_case=number_in_case)
    if entry_type:
        entries = entries.filter(entry_type=entry_type)
    if basis == PUBLIC_ONLY:
        entries = entries.filter(screening_basis=ScreeningBasis.NONE).exclude(
            access_postponed=True, case__status=CaseStatus.UNDER_TREATMENT
        )
    elif basis == SCREENED_ONLY:
        entries = entries.exclude(screening_basis=ScreeningBasis.NONE)
    elif basis:
        entries = entries.filter(screening_basis=basis)
    return entries


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def public_journal_stamp(entries: QuerySet[JournalEntry]) -> dict:
    """Newest id and newest registration or screening time of ``entries`` in one query
    (index reads): the page's validators (ETag, Last-Modified). Journal entries are only ever
    added, or screened by an officer: a new entry or a screening change is what changes a
    page; the count is counted once per stamp (``casework.caching.version_cached``)."""
    stamp = entries.order_by().aggregate(
        last_pk=Max("pk"),
        last_registered=Max("registered_at"),
        last_screening=Max("screening_changed_at"),
    )
    # an officer screening or lifting an entry changes what the page shows, too
    if stamp["last_screening"] and (
        stamp["last_registered"] is None or stamp["last_screening"] > stamp["last_registered"]
    ):
        stamp["last_registered"] = stamp["last_screening"]
    return stamp


def public_journal_page(entries: QuerySet[JournalEntry]) -> QuerySet[JournalEntry]:
    """What a journal page shows, in a fixed number of queries whatever the page size:
    entries with case and correspondent, and the documents of public entries with their
    sources (one query per kind of source)."""
    # Ordered within each entry only: the model's ordering would join the case files and
    # make the database sort every document of every listed entry's case.
    public_documents = (
        JournalDocument.objects.filter(entry__screening_basis=ScreeningBasis.NONE)
        .exclude(entry__access_postponed=True, entry__case__status=CaseStatus.UNDER_TREATMENT)
        .order_by("-is_main", "pk")
        .defer("letter")  # a letter's text is for its own page
        .prefetch_related("source")
    )
    return entries.select_related("case", "correspondent").prefetch_related(
        Prefetch("documents", queryset=public_documents, to_attr="public_documents")
    )


def document_for_user(user, pk) -> JournalDocument:
    """The journal document ``pk`` if ``user`` may download it; 404 otherwise.

    The one answer for every page and API endpoint that serves a journal document. Anyone
    (also without login) may download a document of a public entry that is not screened on
    its own (``journal_document_is_public``); any other only someone who may see the whole
    case file, as the process handling the case tells through ``hooks.case_readers``
    (workflows: KDD officers and approvers, and the ministries consulted on it), or a party
    the document was sent to (``hooks.document_readers``: an applicant's members read the
    letters to their organisation, screened or not). A document without a stored file is
    not found.
    """
    try:
        document = JournalDocument.objects.select_related("entry__case").get(pk=int(pk))
    except (JournalDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if journal_document_file(document) is None:
        raise Http404
    if journal_document_is_public(document):
        return document
    if any(may_read(user, document.entry.case) for may_read in hooks.case_readers):
        return document
    if any(may_read(user, document) for may_read in hooks.document_readers):
        return document
    raise Http404


def journal_entry_get(pk) -> JournalEntry | None:
    try:
        return JournalEntry.objects.select_related("case", "correspondent").get(pk=int(pk))
    except (JournalEntry.DoesNotExist, ValueError, TypeError):
        return None


def journal_entry_by_document_number(
    year: int, case_sequence: int, number_in_case: int
) -> JournalEntry | None:
    """The entry numbered like ``2026/000123-4`` (case number and number in the case)."""
    return (
        JournalEntry.objects.select_related("case", "correspondent")
        .filter(case__year=year, case__sequence=case_sequence, number_in_case=number_in_case)
        .first()
    )


def access_request_get(pk) -> AccessRequest | None:
    return (
        AccessRequest.objects.select_related("entry__case", "entry__correspondent", "decided_by")
        .filter(pk=pk)
        .first()
    )


def access_requests_open() -> QuerySet[AccessRequest]:
    return (
        AccessRequest.objects.filter(status=AccessRequestStatus.RECEIVED)
        .select_related("entry__case", "entry__correspondent")
        .order_by("due_date", "created_at")
    )


# --- who manages whose people --------------------------------------------------------------


def _is_coordinating_administrator(user) -> bool:
    from casework.roles import COORDINATING_MINISTRY_CODE

    return user_has_role_in(user, Role.ADMINISTRATOR, organisation_code=COORDINATING_MINISTRY_CODE)


def roles_manageable_by(user, organisation: Organisation) -> list[Role]:
    """The roles ``user`` may give and take in ``organisation``: all its kind allows for its
    own administrators, the administrator role anywhere for KDD's (who appoint the first
    one), everything for a superuser; nothing for anyone else."""
    from casework.roles import roles_allowed_in

    if user is None or not user.is_authenticated or not user.is_active:
        return []
    allowed = roles_allowed_in(organisation)
    if user.is_superuser or user_has_role(user, Role.ADMINISTRATOR, organisation=organisation):
        return allowed
    if Role.ADMINISTRATOR in allowed and _is_coordinating_administrator(user):
        return [Role.ADMINISTRATOR]
    return []


def organisations_managed_by(user) -> QuerySet[Organisation]:
    """Organisations whose people ``user`` may see and manage (some roles at least)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    if user.is_superuser or _is_coordinating_administrator(user):
        return Organisation.objects.active()
    return organisations_for_user(user, role=Role.ADMINISTRATOR).filter(active=True)


def organisation_people(organisation: Organisation) -> list[dict]:
    """Everyone with a role in ``organisation``: the user and their memberships there."""
    people: dict[int, dict] = {}
    memberships = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username", "role")
    )
    for membership in memberships:
        entry = people.setdefault(membership.user_id, {"user": membership.user, "memberships": []})
        entry["memberships"].append(membership)
    return list(people.values())
