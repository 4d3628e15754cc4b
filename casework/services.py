"""Every write to casework's models goes through these functions."""

import contextlib
import datetime
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import get_language, gettext

from casework import background, hooks, prepared
from casework.choices import (
    AccessRequestStatus,
    CaseStatus,
    EntryStatus,
    EntryType,
    LanguageForm,
    MailStatus,
    OrganisationKind,
    Role,
    ScreeningBasis,
)
from casework.exceptions import AlreadyDecided
from casework.importing import SyncResult, sync_rows
from casework.middleware import current_request_id
from casework.models import (
    POSTAL_PLACE_MAX,
    POSTAL_STREET_MAX,
    POSTCODE_PATTERN,
    AccessRequest,
    ApiKey,
    AuditEvent,
    CaseFile,
    DigestItem,
    ExternalIdentity,
    Invitation,
    JournalDocument,
    JournalEntry,
    MailPreference,
    Membership,
    Organisation,
    OutgoingMail,
    Sequence,
    postal_address_compose,
)
from casework.roles import ROLE_GROUP_NAMES, ROLE_PERMISSIONS, roles_allowed_in
from casework.selectors import journal_document_releasable, roles_manageable_by, user_has_role
from casework.storage import removed_on_error, store
from casework.transactions import defer, held, hold, in_unit_of_work, service_atomic
from casework.workdays import add_working_days


def _plain(value):
    """A value as the audit trail keeps it: JSON-safe, readable."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What an edit changed, field by field, for an audit event's ``data["changes"]``:
    ``{"field", "old", "new"}`` for each field whose value differs (the others left out)."""
    return [
        {"field": name, "old": _plain(before.get(name)), "new": _plain(value)}
        for name, value in after.items()
        if before.get(name) != value
    ]


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    organisation: Organisation | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail, in the caller's transaction."""
    event = AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        reason=reason or "",
        data=data or {},
        request_id=current_request_id(),
    )
    if target is not None:
        event.content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        event.object_id = str(target.pk)
        event.object_repr = str(target)[:300]
    if not defer("audit", event):  # in a unit of work: written with the step's others
        event.save()
    return event


def audit_write(deferred: dict[str, list]) -> None:
    """Write the audit events a unit of work (``casework.transactions.unit_of_work``) put
    off, together, in one INSERT at its end: the trail is the same, event for event."""
    events = deferred.get("audit")
    if events:
        prepared.bulk_create(AuditEvent, events)
        # bulk_create sends no post_save; the receivers that follow every audit event (the
        # prepared downloads, trials.apps) are told once for the batch, as if one was saved.
        post_save.send(
            sender=AuditEvent,
            instance=events[-1],
            created=True,
            raw=False,
            using=events[-1]._state.db,
        )


def role_groups_sync() -> dict[str, Group]:
    """Create the role groups and give them exactly the permissions of ROLE_PERMISSIONS."""
    groups = {}
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        wanted = []
        for dotted in ROLE_PERMISSIONS.get(role, []):
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
        groups[role] = group
    return groups


@service_atomic
def membership_grant(
    *, actor, user, organisation: Organisation, role: Role | str, reason: str = ""
) -> Membership:
    """Give ``user`` a role in ``organisation`` (idempotent) and put them in the role's group."""
    role = Role(role)
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
    user.groups.add(group)
    if created:
        audit_record(
            actor=actor,
            action="membership.granted",
            target=membership,
            organisation=organisation,
            to_state=role.value,
            reason=reason,
            data={"user": user.get_username(), "role": role.value},
        )
    return membership


@service_atomic
def membership_revoke(*, actor, membership: Membership, reason: str = "") -> None:
    """Remove a role; the user leaves the group when no other membership needs it."""
    user, role, organisation = membership.user, membership.role, membership.organisation
    audit_record(
        actor=actor,
        action="membership.revoked",
        target=membership,
        organisation=organisation,
        from_state=role,
        reason=reason,
        data={"user": user.get_username(), "role": role},
    )
    membership.delete()
    if not Membership.objects.filter(user=user, role=role).exists():
        user.groups.remove(*Group.objects.filter(name=ROLE_GROUP_NAMES[Role(role)]))


REFERENCE_VALID_FROM = datetime.date(2024, 1, 1)


LANGUAGE_FORM_CODES = {
    "nb": LanguageForm.BOKMAL,
    "nn": LanguageForm.NYNORSK,
    "neutral": LanguageForm.NEUTRAL,
}


def _ministry_rows(ministries: Iterable[dict[str, str]]):
    """The ministries' reference rows as ``sync_rows`` takes them, keyed by code."""
    for row in ministries:
        yield (
            row["code"],
            {
                "kind": OrganisationKind.DEPARTEMENT,
                "code": row["code"],
                "name": row["name_nb"],
                "name_nn": row["name_nn"],
                "name_en": row["name_en"],
            },
        )


def _local_government_rows(
    local_governments: Iterable[dict[str, str]],
    *,
    kind: OrganisationKind,
    county_ids: dict[str, int],
    decided: dict[tuple[str, str], LanguageForm],
):
    """The reference rows of one ``kind`` of local government as ``sync_rows`` takes them,
    keyed by number; the language form only where a decision is recorded in ``decided``."""
    for row in local_governments:
        if row["kind"] != kind:
            continue
        yield (
            row["number"],
            {
                "kind": kind,
                "number": row["number"],
                "name": row["name"],
                "parallel_names": [n.strip() for n in row["alt_names"].split(" - ") if n],
                "county_id": county_ids.get(row["county_number"]),
                "valid_from": REFERENCE_VALID_FROM,
                **(
                    {"language_form": decided[kind, row["number"]]}
                    if (kind, row["number"]) in decided
                    else {}
                ),
            },
        )


@service_atomic
def organisations_import(
    *,
    ministries: list[dict[str, str]],
    local_governments: list[dict[str, str]],
    language_forms: list[dict[str, str]] = (),
) -> list[SyncResult]:
    """Load ministries, counties and municipalities from reference rows (idempotent).

    ``language_forms`` are the recorded decisions under språklova § 11 (the counties'); an
    organisation without a row keeps what its administrator or KDD recorded."""
    decided = {
        (row["kind"], row["number"]): LANGUAGE_FORM_CODES[row["language_form"]]
        for row in language_forms
    }
    ministries_synced = sync_rows(
        label="Departementer",
        queryset=Organisation.objects.filter(kind=OrganisationKind.DEPARTEMENT),
        key=lambda org: org.code,
        rows=_ministry_rows(ministries),
    )
    counties = Organisation.objects.active().filter(kind=OrganisationKind.FYLKESKOMMUNE)
    counties_synced = sync_rows(
        label="Fylkeskommuner",
        queryset=counties,
        key=lambda org: org.number,
        rows=_local_government_rows(
            local_governments, kind=OrganisationKind.FYLKESKOMMUNE, county_ids={}, decided=decided
        ),
    )
    # Read after the counties are synced, so a new county's municipalities find it.
    county_ids = dict(counties.values_list("number", "pk"))
    municipalities_synced = sync_rows(
        label="Kommuner",
        queryset=Organisation.objects.active().filter(kind=OrganisationKind.KOMMUNE),
        key=lambda org: org.number,
        rows=_local_government_rows(
            local_governments, kind=OrganisationKind.KOMMUNE, county_ids=county_ids, decided=decided
        ),
    )
    return [ministries_synced, counties_synced, municipalities_synced]


@service_atomic
def user_ensure(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
):
    """Create or update a user account (idempotent); the password is set only when given."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    changed = created
    for name, value in {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "is_staff": is_staff,
        "is_superuser": is_superuser,
    }.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed = True
    if password and (created or not user.check_password(password)):
        user.set_password(password)
        changed = True
    if changed:
        user.save()
    return user


def sequence_next(*, name: str, year: int, count: int = 1) -> int:
    """The next number of a gapless per-year sequence; call inside the writing transaction.
    With ``count``, that many numbers are taken: the last of them is returned.

    One ``UPDATE ... RETURNING``: the row stays locked until the caller's transaction ends,
    so a rolled-back transaction gives its number back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside transaction.atomic()")
    table = connection.ops.quote_name(Sequence._meta.db_table)
    sql = (
        f"UPDATE {table} SET last_value = last_value + %s "  # noqa: S608 (the model's own table)
        "WHERE name = %s AND year = %s RETURNING last_value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, name, year])
        row = cursor.fetchone()
        if row is None:  # the first number of a year
            Sequence.objects.get_or_create(name=name, year=year)
            cursor.execute(sql, [count, name, year])
            row = cursor.fetchone()
    return row[0]


@dataclass
class _JournalBatch:
    """The entries of a ``journal_numbers_reserved`` block, written at its end, and what
    waits for their rows (``journal_entry_written``)."""

    entries: list = field(default_factory=list)
    then: list = field(default_factory=list)


@contextlib.contextmanager
def journal_numbers_reserved(count: int):
    """Inside the block, the next ``count`` entries of a unit of work take journal numbers
    taken with one UPDATE instead of one each (``journal_entry_create`` uses them in
    turn), and are written together when the block ends: one INSERT for the entries, one
    for their documents (before that an entry has no id: what needs it waits for
    ``journal_entry_written``). The block must make exactly that many entries, so that
    the numbers stay gapless: fewer is an error (rolled back); an error inside drops what
    is left. Outside a unit of work, or for one entry, nothing is reserved and each entry
    is written at once."""
    if count < 2 or not in_unit_of_work():
        yield
        return
    year = timezone.localtime(timezone.now()).year
    last = sequence_next(name="journal", year=year, count=count)
    numbers = list(range(last - count + 1, last + 1))
    batch = _JournalBatch()
    hold(("journal_numbers",), (year, numbers))
    hold(("journal_batch",), batch)
    try:
        yield
    finally:
        hold(("journal_numbers",), None)
        hold(("journal_batch",), None)
    if numbers:
        raise RuntimeError(f"journal numbers reserved and not used: {numbers}")
    _journal_batch_write(batch)


def _journal_batch_write(batch: _JournalBatch) -> None:
    """The entries of a block (``journal_numbers_reserved``), each as ``journal_entry_create``
    would have written it, in one INSERT, then their documents in one; each entry's number
    in its case read back (the INSERT took the next ones, ``_next_in_case``)."""
    if not batch.entries:
        return
    JournalEntry.objects.bulk_create(batch.entries)
    for entry in batch.entries:
        if not isinstance(entry.number_in_case, int):  # a database without RETURNING
            entry.refresh_from_db(fields=["number_in_case"])
        _case_hold(entry.case, entry.number_in_case)
    prepared.bulk_create(
        JournalDocument,
        [document for entry in batch.entries for document in entry.created_documents],
    )
    for callback in batch.then:
        callback()


def journal_entry_written(entry: JournalEntry, callback: Callable[[], None]) -> None:
    """Call ``callback`` once ``entry`` and its documents have their rows: now, or, for an
    entry of a ``journal_numbers_reserved`` block, when the block writes them."""
    if entry.pk is not None:
        callback()
    else:
        held(("journal_batch",)).then.append(callback)


def _journal_number(now) -> tuple[int, int]:
    """The journal year and number of an entry made ``now``: the next one reserved by
    ``journal_numbers_reserved`` (of the year it was reserved in), or a new one."""
    reserved = held(("journal_numbers",))
    if reserved is not None and reserved[1]:
        return reserved[0], reserved[1].pop(0)
    year = timezone.localtime(now).year
    return year, sequence_next(name="journal", year=year)


def mask_words(text: str, words: Iterable[str]) -> str:
    """Replace each screened word (case-insensitive, whole words) with asterisks."""
    for word in sorted({w for w in words if w}, key=len, reverse=True):
        text = re.sub(
            rf"(?<!\w){re.escape(word)}(?!\w)", "*" * len(word), text, flags=re.IGNORECASE
        )
    return text


@service_atomic
def casefile_open(
    *,
    actor,
    subject: models.Model,
    organisation: Organisation,
    title: str,
    screened_words: Iterable[str] = (),
) -> CaseFile:
    """Open the case for ``subject`` with the next gapless number of the year."""
    now = timezone.now()
    year = timezone.localtime(now).year
    case = CaseFile.objects.create(
        year=year,
        sequence=sequence_next(name="case", year=year),
        title=title,
        public_title=mask_words(title, screened_words),
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        organisation=organisation,
        responsible=actor if actor is not None and actor.is_authenticated else None,
        opened_at=now,
    )
    _case_hold(case, 0)  # a new row: no one else can see it before the commit
    audit_record(
        actor=actor,
        action="case.opened",
        target=case,
        organisation=organisation,
        to_state=case.status,
        data={"number": case.number},
    )
    return case


def _journal_documents_add(entry: JournalEntry, documents: Iterable[dict], save=True) -> None:
    entry.created_documents = []
    for index, spec in enumerate(documents):
        document = JournalDocument(
            entry=entry,
            title=spec["title"],
            is_main=spec.get("is_main", index == 0),
            content_type=spec.get("content_type", ""),
            language=spec.get("language", ""),
        )
        source = spec.get("source")
        if source is not None:
            document.source_type = ContentType.objects.get_for_model(source)
            document.source_id = str(source.pk)
        if spec.get("file") is not None:
            store(document.file, spec.get("filename", "dokument.pdf"), spec["file"])
        if save:
            document.save()
        entry.created_documents.append(document)


@service_atomic
@removed_on_error()
def journal_entry_create(
    *,
    actor,
    case: CaseFile,
    entry_type: str,
    title: str,
    correspondent: Organisation | None = None,
    correspondent_name: str = "",
    document_date: datetime.date | None = None,
    screening_basis: str = "",
    screened_words: Iterable[str] = (),
    documents: Iterable[dict] = (),
    status: str = EntryStatus.JOURNALED,
    access_postponed: bool = False,
) -> JournalEntry:
    """Register a document in ``case``; journal numbers are gapless per year.

    ``access_postponed`` lists the entry publicly at once but releases its documents only
    when the case is closed (offentleglova § 5).

    ``documents`` are dicts with ``title`` and either ``file`` (a Django File) or ``source``
    (a stored object such as an application's attachment), and optionally ``is_main``.
    """
    case, last, batched = _case_locked(case)
    entry = _entry_numbered(
        case,
        number_in_case=(
            last + batched + 1 if last is not None else _next_in_case(case, after=batched)
        ),
        entry_type=EntryType(entry_type),
        document_date=document_date or timezone.localdate(),
        title=title,
        screened_words=list(screened_words),
        public_title=mask_words(title, screened_words),
        correspondent=correspondent,
        correspondent_name=correspondent_name,
        screening_basis=screening_basis,
        access_postponed=access_postponed,
        status=status,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    batch = held(("journal_batch",))
    if batch is not None:  # written with the block's others at its end
        _journal_documents_add(entry, documents, save=False)
        batch.entries.append(entry)
        _case_hold(case, last, batched + 1)
    else:
        entry.save(force_insert=True)
        if not isinstance(entry.number_in_case, int):  # a database without RETURNING
            entry.refresh_from_db(fields=["number_in_case"])
        _journal_documents_add(entry, documents)
        _case_hold(case, entry.number_in_case)
    audit_record(
        actor=actor,
        action="journal.entry_created",
        target=case,
        organisation=case.organisation,
        data={"entry": entry.journal_number, "type": entry.entry_type, "title": entry.public_title},
    )
    return entry


def _entry_numbered(case: CaseFile, **fields) -> JournalEntry:
    """A new (unsaved) entry in ``case`` with the year's next journal number, registered now."""
    now = timezone.now()
    year, number = _journal_number(now)
    return JournalEntry(
        case=case, journal_year=year, journal_sequence=number, registered_at=now, **fields
    )


def _case_hold(case: CaseFile, last_number: int | None, batched: int = 0) -> None:
    hold(("case_numbered", case.pk), (case, last_number, batched))
    hold(("case_for", case.content_type_id, case.object_id), case)


def _case_locked(case: CaseFile) -> tuple[CaseFile, int | None, int]:
    """``case`` locked, the last number within it when known (else None: the INSERT takes
    the next, ``_next_in_case``) and how many entries after that one wait to be written
    (``journal_numbers_reserved``). A unit of work that has journaled in the case already
    holds them (the lock lasts until the commit)."""
    numbered = held(("case_numbered", case.pk))
    if numbered is not None:
        return numbered
    case = held(("case_locked", case.pk)) or (
        CaseFile.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=case.pk)
    )
    return case, None, 0


def _next_in_case(case: CaseFile, after: int = 0) -> Coalesce:
    """The next number within ``case`` (``after`` more for the entries before it in the same
    INSERT) as the INSERT's own subquery: one more than the last, 1 for the first, read back
    with the row (``NumberInCaseField``), no query of its own. Gapless and unique because the
    case file's row is locked (``_case_locked``): whoever journals in the case waits for this
    transaction, and the INSERT, a statement after the lock was taken, sees every entry
    committed before (and, like every statement, not the rows it inserts itself)."""
    last = (
        JournalEntry.objects.filter(case_id=case.pk)
        .order_by("-number_in_case")
        .values_list(F("number_in_case") + 1 + after)[:1]
    )
    return Coalesce(Subquery(last), Value(1 + after), output_field=models.PositiveIntegerField())


@service_atomic
def journal_document_store(
    *,
    document: JournalDocument,
    content: File,
    filename: str,
    title: str = "",
    letter: dict | None = None,
) -> JournalDocument:
    """Give a journal document registered without its file (a letter a task renders) the
    file; once only, so a task run twice stores one file. A failed row update removes the
    stored file again. ``letter``: the rendered letter the file was drawn from, kept for its
    web page."""
    document = JournalDocument.objects.select_for_update().get(pk=document.pk)
    if document.file:
        return document
    store(document.file, filename, content)
    if title:
        document.title = title[:300]
    if letter:
        document.letter = letter
    try:
        document.save(update_fields=["file", "title", "letter"])
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


@service_atomic
def casefile_close(*, actor, case: CaseFile) -> CaseFile:
    """Mark the case as closed (Noark status A) once it is decided."""
    if case.status == CaseStatus.CLOSED:
        return case
    case.status = CaseStatus.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="case.closed",
        target=case,
        organisation=case.organisation,
        from_state=CaseStatus.UNDER_TREATMENT,
        to_state=CaseStatus.CLOSED,
    )
    return case


# --- API keys -------------------------------------------------------------------------------

API_KEY_USE_RESOLUTION = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class IssuedApiKey:
    """A key just created: the stored row and the key itself, which exists nowhere else.

    Show ``key`` to its owner once and forget it; the database keeps only its digest.
    """

    api_key: ApiKey
    key: str


@service_atomic
def api_token_create(*, actor, user, replace: bool = False) -> IssuedApiKey:
    """Give ``user`` a new API key; an existing key is replaced only when ``replace``.

    The key itself never goes into the audit trail, only its prefix (which its owner sees
    on the API key page, to tell keys apart).
    """
    exists = gettext("You already have an API key. Revoke it before you create a new one.")
    replaced = ApiKey.objects.select_for_update().filter(user=user).first()
    if replaced is not None:
        if not replace:
            raise ValidationError(exists, code="exists")
        replaced.delete()
    key = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            api_key = ApiKey.objects.create(
                user=user, prefix=key[: ApiKey.PREFIX_LENGTH], digest=ApiKey.digest_for(key)
            )
    except IntegrityError as exc:  # a second request created one at the same moment
        raise ValidationError(exists, code="exists") from exc
    data = {"user": user.get_username(), "prefix": api_key.prefix, "replaced": replaced is not None}
    if replaced is not None:
        data["replaced_prefix"] = replaced.prefix
    audit_record(actor=actor, action="api_token.created", target=user, data=data)
    return IssuedApiKey(api_key=api_key, key=key)


@service_atomic
def api_token_revoke(*, actor, user) -> bool:
    """Delete ``user``'s API key; False when there was none."""
    api_key = ApiKey.objects.select_for_update().filter(user=user).first()
    if api_key is None:
        return False
    api_key.delete()
    audit_record(
        actor=actor,
        action="api_token.revoked",
        target=user,
        data={"user": user.get_username(), "prefix": api_key.prefix},
    )
    return True


def api_key_mark_used(*, api_key: ApiKey, now: datetime.datetime | None = None) -> bool:
    """Stamp ``api_key.last_used_at``, at most once per ``API_KEY_USE_RESOLUTION``.

    Runs on every request authenticated with a key, so it writes nothing while the stamp is
    recent, and otherwise one conditional UPDATE (no save of the row, no transaction of its
    own): of two requests at the same moment only one writes. Not audited: like
    ``last_login`` it records use, not a change anyone made. True when this call wrote.
    """
    now = now or timezone.now()
    stale_before = now - API_KEY_USE_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at > stale_before:
        return False
    written = (
        ApiKey.objects.filter(pk=api_key.pk)
        .filter(models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=stale_before))
        .update(last_used_at=now)
    )
    api_key.last_used_at = now
    return bool(written)


# --- access requests (innsynskrav, offentleglova §§ 28-32) ---------------------------------

ACCESS_REQUEST_WORKING_DAYS = 3


@service_atomic
def access_request_create(
    *,
    actor,
    entry: JournalEntry,
    email: str,
    name: str = "",
    message: str = "",
    language: str | None = None,
) -> AccessRequest:
    """Register an access request for ``entry``; due three working days later (§ 29).

    Anyone may ask, logged in or not. The email and name stay out of the audit trail: they
    are personal data kept only to answer the requester.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError(
            {"email": gettext("Enter the email address the answer should go to.")}
        ) from exc
    now = timezone.now()
    today = timezone.localdate(now)
    number = sequence_next(name="access_request", year=today.year)
    access_request = AccessRequest.objects.create(
        reference=f"INN-{today.year}-{number:04d}",
        entry=entry,
        email=email,
        name=(name or "").strip(),
        message=(message or "").strip(),
        language=(language or get_language() or "nb")[:8],
        created_at=now,
        due_date=add_working_days(today, ACCESS_REQUEST_WORKING_DAYS),
    )
    audit_record(
        actor=actor,
        action="access_request.received",
        target=access_request,
        to_state=access_request.status,
        data={
            "reference": access_request.reference,
            "entry": entry.journal_number,
            "due_date": access_request.due_date.isoformat(),
        },
    )
    hooks.run(hooks.on_access_request, access_request, actor)
    mail_enqueue(
        key=f"access_request/{access_request.pk}/receipt",
        renderer="casework.notifications.access_request_receipt",
        params={"access_request_id": access_request.pk},
        target=access_request,
    )
    return access_request


def _documents_to_release(
    entry: JournalEntry, *, basis: str, documents: Iterable[JournalDocument] | None
) -> list[JournalDocument]:
    """What a grant sends: the chosen documents of the entry, by default every one that is
    not screened on its own."""
    if basis:
        raise ValidationError(
            {"basis": gettext("A granted request has no legal basis for refusal.")}
        )
    if documents is None:
        return [d for d in entry.documents.all() if journal_document_releasable(d)]
    released = list(documents)
    if any(document.entry_id != entry.pk for document in released):
        raise ValidationError(
            {"documents": gettext("Choose documents of the requested entry only.")}
        )
    return released


def _check_refusal(*, basis: str, reason: str) -> None:
    """A refusal names its legal basis (offentleglova § 31) and explains itself."""
    errors = {}
    if basis not in ScreeningBasis.values or basis == ScreeningBasis.NONE:
        errors["basis"] = gettext("Give the legal basis for the refusal (offentleglova § 31).")
    if not reason:
        errors["reason"] = gettext("Explain the refusal to the requester.")
    if errors:
        raise ValidationError(errors)


@service_atomic
def access_request_decide(
    *,
    actor,
    access_request: AccessRequest,
    grant: bool,
    basis: str = "",
    reason: str = "",
    documents: Iterable[JournalDocument] | None = None,
) -> AccessRequest:
    """Grant or refuse an access request and tell the requester (a mail task).

    A refusal names its legal basis in offentleglova (§ 31). A grant sends ``documents``
    (by default every document of the entry that is not screened on its own) to the
    requester; choosing fewer is partial access.
    """
    if not user_has_role(actor, Role.CASE_OFFICER):
        raise PermissionDenied(gettext("Only a case officer at the ministry can decide this."))
    access_request = (
        AccessRequest.objects.select_for_update().select_related("entry").get(pk=access_request.pk)
    )
    if access_request.is_decided:
        raise AlreadyDecided()
    reason = (reason or "").strip()
    basis = basis or ""
    if grant:
        released = _documents_to_release(access_request.entry, basis=basis, documents=documents)
        status = AccessRequestStatus.GRANTED
    else:
        _check_refusal(basis=basis, reason=reason)
        released = []
        status = AccessRequestStatus.REFUSED
    access_request.status = status
    access_request.refusal_basis = basis
    access_request.decision = reason
    access_request.decided_by = actor
    access_request.decided_at = timezone.now()
    access_request.save(
        update_fields=["status", "refusal_basis", "decision", "decided_by", "decided_at"]
    )
    _access_decision_announce(actor=actor, access_request=access_request, released=released)
    return access_request


def _access_decision_announce(
    *, actor, access_request: AccessRequest, released: list[JournalDocument]
) -> None:
    """Audit the decision just saved on ``access_request`` and queue its mail to the
    requester, with the ``released`` documents."""
    document_ids = [document.pk for document in released]
    audit_record(
        actor=actor,
        action=f"access_request.{access_request.status}",
        target=access_request,
        from_state=AccessRequestStatus.RECEIVED,
        to_state=access_request.status,
        reason=access_request.decision,
        data={
            "reference": access_request.reference,
            "entry": access_request.entry.journal_number,
            "basis": access_request.refusal_basis,
            "documents": document_ids,
        },
    )
    mail_enqueue(
        key=f"access_request/{access_request.pk}/decision",
        renderer="casework.notifications.access_request_decision",
        params={"access_request_id": access_request.pk, "document_ids": document_ids},
        target=access_request,
    )


# --- logins through OIDC providers ---------------------------------------------------------


@dataclass(frozen=True)
class ExternalLogin:
    user: Any
    created: bool
    granted: list[Membership]


@service_atomic
def external_login_record(
    *,
    provider: str,
    subject: str,
    claims: dict[str, Any],
    pid_digest: str = "",
    link_by_pid: bool = False,
    organisation_numbers: Iterable[str] = (),
) -> ExternalLogin:
    """The account of a person a provider has just vouched for; a new one, without any
    role, the first time. Linked by (provider, subject); by the keyed digest of the
    national identity number only between providers that both vouch for it (Digdir's).

    Nothing is granted by logging in, except the role an organisation has chosen to give
    to everyone Ansattporten says acts for it (``Organisation.ansattporten_role``).
    """
    user, created = _identity_for_login(
        provider=provider,
        subject=subject,
        claims=claims,
        pid_digest=pid_digest,
        link_by_pid=link_by_pid,
    )
    granted = []
    if provider == "ansattporten":
        granted = _ansattporten_roles(user, {number for number in organisation_numbers if number})
    return ExternalLogin(user=user, created=created, granted=granted)


def _identity_for_login(*, provider, subject, claims, pid_digest, link_by_pid):
    """The user behind (provider, subject), linked or created on the first login; and
    whether the account is new."""
    now = timezone.now()
    acr = str(claims.get("acr") or "")[:60]
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(provider=provider, subject=subject)
        .first()
    )
    if identity is not None:
        identity.last_login_at = now
        identity.last_acr = acr
        if pid_digest and not identity.pid_digest:
            identity.pid_digest = pid_digest
        identity.save(update_fields=["last_login_at", "last_acr", "pid_digest"])
        return identity.user, False
    user = None
    if pid_digest and link_by_pid:
        linked = (
            ExternalIdentity.objects.filter(pid_digest=pid_digest).select_related("user").first()
        )
        user = linked.user if linked else None
    created = user is None
    if created:
        user = _user_create_for_login(provider=provider, subject=subject, claims=claims)
    identity = ExternalIdentity.objects.create(
        user=user,
        provider=provider,
        subject=subject,
        pid_digest=pid_digest,
        created_at=now,
        last_login_at=now,
        last_acr=acr,
    )
    audit_record(
        actor=user,
        action="identity.linked",
        target=identity,
        data={"provider": provider, "new_account": created},
    )
    return user, created


def _ansattporten_roles(user, numbers: set[str]) -> list:
    """The memberships given on login by the organisations Ansattporten says the person
    acts for, each the role the organisation chose (never administrator)."""
    granted = []
    if not numbers:
        return granted
    for organisation in (
        Organisation.objects.active()
        .filter(organisation_number__in=numbers)
        .exclude(ansattporten_role="")
    ):
        role = Role(organisation.ansattporten_role)
        if role == Role.ADMINISTRATOR or role not in roles_allowed_in(organisation):
            continue
        if not Membership.objects.filter(
            user=user, organisation=organisation, role=organisation.ansattporten_role
        ).exists():
            granted.append(
                membership_grant(
                    actor=None,
                    user=user,
                    organisation=organisation,
                    role=organisation.ansattporten_role,
                    reason=gettext(
                        "Ansattporten: acts for the organisation, which gives this role on login."
                    ),
                )
            )
    return granted


def _user_create_for_login(*, provider: str, subject: str, claims: dict[str, Any]):
    user_model = get_user_model()
    username = f"{provider}-{hashlib.sha256(subject.encode()).hexdigest()[:20]}"
    email = str(claims.get("email") or "") if claims.get("email_verified", True) else ""
    user = user_model(
        username=username,
        email=email[:254],
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    if not (user.first_name or user.last_name) and claims.get("name"):
        user.first_name = str(claims["name"])[:150]
    user.set_unusable_password()
    user.save()
    audit_record(
        actor=None,
        action="user.created",
        target=user,
        reason=gettext("First login through %(provider)s.") % {"provider": provider},
        data={"provider": provider},
    )
    return user


# --- organisations manage their own people -------------------------------------------------

INVITATION_VALID_DAYS = 14


def _require_manageable(actor, organisation: Organisation, role: Role | str) -> Role:
    """The one check of every change to an organisation's people: ``actor`` may give or
    take ``role`` there (``casework.selectors.roles_manageable_by``), else PermissionDenied."""
    role = Role(role)
    if role not in roles_manageable_by(actor, organisation):
        raise PermissionDenied(
            gettext("You may not give or take the role %(role)s in %(organisation)s.")
            % {"role": role.label, "organisation": organisation}
        )
    return role


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation just made, with the token of its link (stored only as a digest)."""

    invitation: Invitation
    token: str


@service_atomic
def invitation_create(
    *, actor, organisation: Organisation, email: str, role: Role | str, language: str = "nb"
) -> IssuedInvitation:
    """Invite ``email`` to ``role`` in ``organisation``; the link goes out by email once the
    invitation is committed. Accepted by logging in, before it expires."""
    role = _require_manageable(actor, organisation, role)
    email = (email or "").strip()
    validate_email(email)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        organisation=organisation,
        role=role,
        email=email,
        digest=Invitation.digest_for(token),
        invited_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        expires_at=now + datetime.timedelta(days=INVITATION_VALID_DAYS),
    )
    audit_record(
        actor=actor,
        action="invitation.created",
        target=invitation,
        organisation=organisation,
        to_state=role.value,
        data={"email": email, "role": role.value, "expires_at": invitation.expires_at.isoformat()},
    )
    pk = invitation.pk
    # The token travels in the outbox row only until the mail is sent (then emptied).
    mail_enqueue(
        key=f"invitation/{pk}",
        renderer="casework.notifications.invitation_mail",
        params={"invitation_id": pk, "token": token, "language": language},
        target=invitation,
        organisation=organisation,
        secret=True,
    )
    return IssuedInvitation(invitation=invitation, token=token)


@service_atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _require_manageable(actor, invitation.organisation, invitation.role)
    if not invitation.is_pending():
        raise ValidationError(gettext("This invitation is no longer open."), code="closed")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="invitation.revoked",
        target=invitation,
        organisation=invitation.organisation,
        from_state="pending",
        to_state="revoked",
    )
    return invitation


def invitation_find(token: str) -> Invitation | None:
    if not token:
        return None
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(digest=Invitation.digest_for(token))
        .first()
    )


@service_atomic
def invitation_accept(*, user, token: str) -> Membership:
    """The logged-in ``user`` takes up the invitation of ``token``: the role is theirs."""
    found = invitation_find(token)
    if found is None:
        raise ValidationError(gettext("This invitation does not exist."), code="unknown")
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    now = timezone.now()
    if invitation.accepted_at is not None:
        raise ValidationError(gettext("This invitation has already been used."), code="used")
    if invitation.revoked_at is not None:
        raise ValidationError(gettext("This invitation has been withdrawn."), code="revoked")
    if invitation.expires_at <= now:
        raise ValidationError(
            gettext("This invitation has expired. Ask for a new one."), code="expired"
        )
    if Role(invitation.role) not in roles_allowed_in(invitation.organisation):
        raise ValidationError(gettext("This role cannot be given here."), code="role")
    membership = membership_grant(
        actor=user,
        user=user,
        organisation=invitation.organisation,
        role=invitation.role,
        reason=gettext("Accepted an invitation by %(inviter)s.")
        % {"inviter": invitation.invited_by or gettext("the system")},
    )
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action="invitation.accepted",
        target=invitation,
        organisation=invitation.organisation,
        from_state="pending",
        to_state="accepted",
        data={"user": user.get_username(), "role": invitation.role},
    )
    return membership


@service_atomic
def membership_give(*, actor, organisation: Organisation, user, role: Role | str) -> Membership:
    """An administrator gives one of their organisation's people another role. Newcomers
    are invited instead, so an administrator cannot reach into accounts of other bodies."""
    role = _require_manageable(actor, organisation, role)
    is_member = Membership.objects.filter(user=user, organisation=organisation).exists()
    if not (is_member or getattr(actor, "is_superuser", False)):
        raise ValidationError(
            gettext("Only people of the organisation can be given a role; invite others."),
            code="not_member",
        )
    return membership_grant(actor=actor, user=user, organisation=organisation, role=role)


@service_atomic
def membership_take(*, actor, membership: Membership) -> None:
    """An administrator takes a role away; never the organisation's last administrator's
    own (someone must be left to manage its people)."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("organisation", "user")
        .get(pk=membership.pk)
    )
    _require_manageable(actor, membership.organisation, membership.role)
    if (
        membership.role == Role.ADMINISTRATOR
        and membership.user_id == getattr(actor, "pk", None)
        and not Membership.objects.filter(
            organisation=membership.organisation, role=Role.ADMINISTRATOR
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(
            gettext("You are the organisation's last administrator: appoint another first."),
            code="last_administrator",
        )
    membership_revoke(actor=actor, membership=membership)


@service_atomic
def organisation_ansattporten_role_set(*, actor, organisation: Organisation, role: str) -> None:
    """Whether (and with which role) a login through Ansattporten on behalf of the
    organisation gives access by itself. Never the administrator role."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if role:
        role = _require_manageable(actor, organisation, role)
        if role == Role.ADMINISTRATOR:
            raise ValidationError(
                gettext("Logging in never makes anyone an administrator."), code="role"
            )
    elif Role.ADMINISTRATOR not in roles_manageable_by(actor, organisation):
        raise PermissionDenied(gettext("Only the organisation's administrators may change this."))
    previous = organisation.ansattporten_role
    if previous == role:
        return
    organisation.ansattporten_role = role
    organisation.save(update_fields=["ansattporten_role"])
    audit_record(
        actor=actor,
        action="organisation.ansattporten_role",
        target=organisation,
        organisation=organisation,
        from_state=previous,
        to_state=str(role),
    )


@service_atomic
def organisation_language_form_set(
    *, actor, organisation: Organisation, language_form: str, reason: str = ""
) -> Organisation:
    """Record the written form the organisation has chosen (språklova § 11): bokmål, nynorsk
    or neutral (""). Its own administrators and KDD's may; every change is audited."""
    if language_form not in LanguageForm.values:
        raise ValidationError(
            {"language_form": gettext("Choose bokmål, nynorsk or neutral.")}, code="invalid"
        )
    if not roles_manageable_by(actor, organisation):
        raise PermissionDenied(
            gettext("Only the organisation's administrators and KDD may record its written form.")
        )
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    previous = organisation.language_form
    if previous == language_form:
        return organisation
    organisation.language_form = language_form
    organisation.save(update_fields=["language_form"])
    audit_record(
        actor=actor,
        action="organisation.language_form",
        target=organisation,
        organisation=organisation,
        from_state=previous or "neutral",
        to_state=language_form or "neutral",
        reason=(reason or "").strip(),
    )
    return organisation


@service_atomic
def organisation_postal_address_set(
    *, actor, organisation: Organisation, street: str, postcode: str, place: str
) -> Organisation:
    """Record the postal address letters to the organisation are addressed to: street or PO
    box, a Norwegian postcode (four digits) and place. Its own administrators and KDD's may;
    every change is audited with the address before and after."""
    street = "\n".join(line.strip() for line in (street or "").splitlines() if line.strip())
    postcode, place = (postcode or "").strip(), (place or "").strip()
    errors = {}
    if not street:
        errors["street"] = gettext("Give the street address or PO box.")
    elif len(street) > POSTAL_STREET_MAX:
        errors["street"] = gettext("At most %(max)d characters.") % {"max": POSTAL_STREET_MAX}
    if not re.match(POSTCODE_PATTERN, postcode):
        errors["postcode"] = gettext("A Norwegian postcode has four digits, e.g. 2609.")
    if not place:
        errors["place"] = gettext("Give the place (poststed).")
    elif len(place) > POSTAL_PLACE_MAX:
        errors["place"] = gettext("At most %(max)d characters.") % {"max": POSTAL_PLACE_MAX}
    if errors:
        raise ValidationError(errors)
    if not roles_manageable_by(actor, organisation):
        raise PermissionDenied(
            gettext("Only the organisation's administrators and KDD may change its address.")
        )
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    previous = organisation.postal_address
    address = postal_address_compose(street, postcode, place)
    if previous == address:
        return organisation
    organisation.postal_address = address
    organisation.save(update_fields=["postal_address"])
    audit_record(
        actor=actor,
        action="organisation.postal_address",
        target=organisation,
        organisation=organisation,
        data={
            "model": "casework.organisation",
            "changes": [{"field": "postal_address", "old": previous, "new": address}],
        },
    )
    return organisation


def login_lockout_record(*, username: str, user=None) -> None:
    """An account just got locked out after repeated failed password logins."""
    audit_record(
        actor=None,
        action="login.locked_out",
        target=user,
        data={"username": username[:150]},
    )


# --- the outbox: mail sent by tasks ------------------------------------------------------------


def mail_enqueue(
    *,
    key: str,
    renderer: str,
    params: dict[str, Any],
    target: models.Model | None = None,
    organisation: Organisation | None = None,
    secret: bool = False,
    new_key: bool = False,
) -> OutgoingMail:
    """Queue one mail in the caller's transaction: its outbox row and the task that sends it.

    ``renderer`` is the dotted path of a function that takes ``params`` and returns the
    ``EmailMessage`` (or None when there is nobody to send it to); it runs in the task, so
    nothing is rendered or sent in the request. ``key`` names the event (unique): queuing the
    same key again returns the row already queued. ``secret`` params (a link's token) are
    emptied once the mail is sent. ``new_key``: the key was just made up (a random one), so
    the row is written without looking for it first.
    """
    from casework.tasks import mail_deliver

    fields = {
        "renderer": renderer,
        "params": params,
        "secret_params": secret,
        "organisation": organisation,
        "target_type": (
            ContentType.objects.get_for_model(target, for_concrete_model=False)
            if target is not None
            else None
        ),
        "target_id": str(target.pk) if target is not None else "",
    }
    if new_key:
        mail, created = OutgoingMail.objects.create(key=key[:200], **fields), True
    else:
        mail, created = _mail_row(key[:200], fields)
    if created:
        background.enqueue(mail_deliver, mail.pk)
    return mail


def _mail_row(key: str, fields: dict) -> tuple[OutgoingMail, bool]:
    """``get_or_create`` the other way round: a key is nearly always new, so INSERT it first,
    skipped when the key is taken (``ON CONFLICT DO NOTHING RETURNING id``: one query, no
    savepoint), and read the row queued before only then."""
    mail = OutgoingMail(key=key, **fields)
    if prepared.insert_unless_taken(mail):
        return mail, True
    return OutgoingMail.objects.get(key=key), False


def _mail_audit(mail: OutgoingMail, action: str, *, actor=None, reason: str = "") -> None:
    """The mail in the history of its object (addresses stay out: personal data)."""
    event = AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=mail.organisation,
        action=action,
        reason=reason,
        data={
            "mail": mail.pk,
            "subject": mail.subject,
            "recipients": len(mail.recipients),
            "attempts": mail.attempts,
        },
        request_id=current_request_id(),
        content_type_id=mail.target_type_id,
        object_id=mail.target_id,
        object_repr=mail.key[:300],
    )
    event.save()


@service_atomic
def mail_mark_sent(*, mail: OutgoingMail, subject: str, recipients: list[str]) -> OutgoingMail:
    mail = OutgoingMail.objects.select_for_update().get(pk=mail.pk)
    mail.status = MailStatus.SENT
    mail.subject = subject[:300]
    mail.recipients = recipients
    mail.attempts += 1
    mail.sent_at = timezone.now()
    mail.last_error = ""
    if mail.secret_params:
        mail.params = {}
    mail.save(
        update_fields=[
            "status",
            "subject",
            "recipients",
            "attempts",
            "sent_at",
            "last_error",
            "params",
        ]
    )
    _mail_audit(mail, "mail.sent")
    return mail


@service_atomic
def mail_mark_skipped(*, mail: OutgoingMail) -> OutgoingMail:
    """Nobody to send it to (no contact address): recorded, not retried."""
    mail = OutgoingMail.objects.select_for_update().get(pk=mail.pk)
    mail.status = MailStatus.SKIPPED
    mail.save(update_fields=["status"])
    _mail_audit(mail, "mail.skipped")
    return mail


@service_atomic
def mail_mark_failed(
    *, mail: OutgoingMail, error: BaseException, final: bool, subject: str = ""
) -> OutgoingMail:
    """One attempt failed; after the last one the mail is failed, in its object's history
    and in the admin (outgoing mail, and the failed task) to be sent again."""
    mail = OutgoingMail.objects.select_for_update().get(pk=mail.pk)
    mail.attempts += 1
    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    mail.subject = subject[:300] or mail.subject
    fields = ["attempts", "last_error", "subject"]
    if final:
        mail.status = MailStatus.FAILED
        fields.append("status")
    mail.save(update_fields=fields)
    if final:
        _mail_audit(mail, "mail.failed", reason=mail.last_error)
    return mail


@service_atomic
def mail_resend(*, actor, mail: OutgoingMail) -> OutgoingMail:
    """An administrator sends a failed mail again: back in the queue with fresh attempts."""
    from casework.tasks import mail_deliver

    mail = OutgoingMail.objects.select_for_update().get(pk=mail.pk)
    if mail.status == MailStatus.SENT:
        return mail
    mail.status = MailStatus.QUEUED
    mail.attempts = 0
    mail.save(update_fields=["status", "attempts"])
    _mail_audit(mail, "mail.resent", actor=actor)
    background.enqueue(mail_deliver, mail.pk)
    return mail


def mail_requeue_queued(*, older_than: datetime.timedelta) -> int:
    """Enqueue again every mail still queued after ``older_than`` (for a broker backend,
    where a task can be lost between the commit and the broker). Sending is idempotent."""
    from casework.tasks import mail_deliver

    cutoff = timezone.now() - older_than
    count = 0
    for pk in OutgoingMail.objects.filter(
        status=MailStatus.QUEUED, created_at__lt=cutoff
    ).values_list("pk", flat=True):
        background.enqueue(mail_deliver, pk)
        count += 1
    return count


# --- mails about work: one by one or a daily digest ---------------------------------------------


@transaction.atomic
def mail_preference_set(*, actor, daily_digest: bool) -> MailPreference:
    """The person's own choice: a mail for each piece of new work, or one digest a day."""
    preference, _created = MailPreference.objects.select_for_update().get_or_create(user=actor)
    before = preference.daily_digest
    if before != daily_digest:
        preference.daily_digest = daily_digest
        preference.save(update_fields=["daily_digest"])
        audit_record(
            actor=actor,
            action="mail_preference.changed",
            target=actor,
            from_state="digest" if before else "each",
            to_state="digest" if daily_digest else "each",
        )
    return preference


def digest_item_add(*, user, subject: str, body: str, key: str = "") -> DigestItem | None:
    """Hold a mail back for the person's next daily digest. ``key`` names the event (unique
    when given): held again, it is not held twice (None then)."""
    item = DigestItem(user=user, subject=subject[:300], body=body, key=key[:200])
    if not key:
        item.save()
        return item
    return item if prepared.insert_unless_taken(item) else None


@transaction.atomic
def digest_mark_sent(*, items) -> None:
    DigestItem.objects.filter(pk__in=[item.pk for item in items]).update(sent_at=timezone.now())


# --- screening a journal entry (offentleglova) -------------------------------------------------


@transaction.atomic
def journal_entry_screen(
    *, actor, entry: JournalEntry, basis: str, words: Iterable[str] = (), reason: str = ""
) -> JournalEntry:
    """Screen an entry (its documents are withheld from the public on ``basis``) and hide
    ``words`` of its title in the public journal (asterisks); ``basis`` empty lifts the
    screening. Audited with the basis before and after."""
    if not user_has_role(actor, Role.CASE_OFFICER):
        raise PermissionDenied(gettext("Only a case officer at the ministry can do this."))
    if basis not in ScreeningBasis.values:
        raise ValidationError({"basis": gettext("Choose a basis for screening.")})
    words = [w.strip() for w in words if w and w.strip()]
    missing = [
        w for w in words if not re.search(rf"(?<!\w){re.escape(w)}(?!\w)", entry.title, re.I)
    ]
    if missing:
        raise ValidationError(
            {
                "words": gettext("These words are not in the title: %(words)s")
                % {"words": ", ".join(missing)}
            }
        )
    if words and not basis:
        raise ValidationError(
            {"basis": gettext("Give the legal basis for hiding words of the title.")}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": gettext("Say why the screening changes.")})
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    before = entry.screening_basis
    before_words = list(entry.screened_words)
    entry.screening_basis = basis
    entry.screened_words = words
    entry.public_title = mask_words(entry.title, words)
    entry.screening_changed_at = timezone.now()
    entry.save(
        update_fields=["screening_basis", "screened_words", "public_title", "screening_changed_at"]
    )
    audit_record(
        actor=actor,
        action="journal_entry.screened" if basis else "journal_entry.screening_lifted",
        target=entry,
        organisation=entry.case.organisation,
        from_state=before,
        to_state=basis,
        reason=reason.strip(),
        data={"entry": entry.journal_number, "words_before": before_words, "words": words},
    )
    return entry
