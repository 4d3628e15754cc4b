"""Reads about organisations and who may act for them."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from casework.choices import OrganisationKind, Role
from casework.models import AuditEvent, CaseFile, JournalEntry, Membership, Organisation


def organisations_for_user(user, *, role: Role | str | None = None) -> QuerySet[Organisation]:
    """The organisations ``user`` belongs to, optionally only those where they have ``role``."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if role is not None:
        memberships = memberships.filter(role=role)
    return Organisation.objects.filter(pk__in=memberships.values("organisation_id")).distinct()


def roles_for_user(user, *, organisation: Organisation | None = None) -> set[str]:
    """The roles ``user`` has, anywhere or in one organisation."""
    if not user.is_authenticated:
        return set()
    memberships = Membership.objects.filter(user=user)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return set(memberships.values_list("role", flat=True))


def user_has_role(user, role: Role | str, *, organisation: Organisation | None = None) -> bool:
    return str(role) in roles_for_user(user, organisation=organisation)


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


def case_for(subject) -> CaseFile | None:
    """The case file opened for ``subject`` (e.g. an application), if any."""
    return (
        CaseFile.objects.filter(
            content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
        )
        .select_related("organisation")
        .first()
    )


def case_journal(case: CaseFile) -> QuerySet[JournalEntry]:
    return case.entries.select_related("correspondent").prefetch_related("documents")
