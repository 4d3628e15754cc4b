"""Roles in organisations, the groups that carry their permissions, and organisation names."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import IntegrityError, transaction
from django.utils import translation

from casework.choices import OrganisationKind, Role
from casework.models import AuditEvent, Membership, Organisation
from casework.roles import ROLE_GROUP_NAMES, ROLE_PERMISSIONS
from casework.selectors import (
    audit_events_for,
    memberships_for_user,
    organisations_for_user,
    roles_for_user,
    user_has_role,
)
from casework.services import membership_grant, membership_revoke, role_groups_sync
from tests.factories import ministry, municipality

pytestmark = pytest.mark.django_db


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


@pytest.fixture
def kari(make_user):
    return make_user(username="kari")


@pytest.fixture
def officer(make_user):
    return make_user(username="ola-kdd")


# --- granting and revoking ------------------------------------------------------------------


def test_membership_grant_puts_the_user_in_the_roles_group(kari, officer):
    bodo = municipality("1804")
    membership = membership_grant(actor=officer, user=kari, organisation=bodo, role=Role.APPLICANT)
    assert membership.user == kari
    assert membership.organisation == bodo
    assert membership.role == Role.APPLICANT
    assert group_names(kari) == {"Søker"}
    assert group_names(kari) == {ROLE_GROUP_NAMES[Role.APPLICANT]}


def test_membership_grant_accepts_the_role_as_plain_text(kari):
    membership_grant(actor=None, user=kari, organisation=ministry("KDD"), role="case_officer")
    assert group_names(kari) == {"Saksbehandler"}


def test_membership_grant_of_an_unknown_role_is_refused(kari):
    with pytest.raises(ValueError):
        membership_grant(actor=None, user=kari, organisation=ministry("KDD"), role="mayor")
    assert not Membership.objects.filter(user=kari).exists()


def test_membership_grant_is_audited(kari, officer):
    bodo = municipality("1804")
    membership = membership_grant(actor=officer, user=kari, organisation=bodo, role=Role.APPLICANT)
    [event] = audit_events_for(membership)
    assert event.action == "membership.granted"
    assert event.actor == officer
    assert event.organisation == bodo
    assert event.data == {"user": "kari", "role": "applicant"}


def test_membership_grant_twice_gives_one_membership_and_one_audit_event(kari, officer):
    bodo = municipality("1804")
    first = membership_grant(actor=officer, user=kari, organisation=bodo, role=Role.APPLICANT)
    second = membership_grant(actor=officer, user=kari, organisation=bodo, role=Role.APPLICANT)
    assert first.pk == second.pk
    assert Membership.objects.filter(user=kari).count() == 1
    assert (
        AuditEvent.objects.filter(action="membership.granted", object_id=str(first.pk)).count() == 1
    )
    assert group_names(kari) == {"Søker"}


def test_membership_revoke_removes_the_role_the_group_and_its_permissions(kari, officer):
    membership = membership_grant(
        actor=officer, user=kari, organisation=ministry("KDD"), role=Role.CASE_OFFICER
    )
    assert type(kari).objects.get(pk=kari.pk).has_perm("legal.view_legalact")

    membership_revoke(actor=officer, membership=membership)

    assert not Membership.objects.filter(user=kari).exists()
    assert group_names(kari) == set()
    assert not type(kari).objects.get(pk=kari.pk).has_perm("legal.view_legalact")


def test_membership_revoke_is_audited(kari, officer):
    bodo = municipality("1804")
    membership = membership_grant(actor=officer, user=kari, organisation=bodo, role=Role.APPLICANT)
    membership_pk = membership.pk
    membership_revoke(actor=officer, membership=membership)
    revoked = AuditEvent.objects.get(action="membership.revoked", object_id=str(membership_pk))
    assert revoked.actor == officer
    assert revoked.organisation == bodo
    assert revoked.data == {"user": "kari", "role": "applicant"}


def test_membership_revoke_keeps_the_group_while_another_membership_needs_it(kari, officer):
    in_bodo = membership_grant(
        actor=officer, user=kari, organisation=municipality("1804"), role=Role.APPLICANT
    )
    in_nordland = membership_grant(
        actor=officer,
        user=kari,
        organisation=Organisation.objects.active().counties().get(number="18"),
        role=Role.APPLICANT,
    )

    membership_revoke(actor=officer, membership=in_bodo)
    assert group_names(kari) == {"Søker"}

    membership_revoke(actor=officer, membership=in_nordland)
    assert group_names(kari) == set()


def test_membership_revoke_leaves_the_users_other_roles_alone(kari, officer):
    kdd = ministry("KDD")
    as_officer = membership_grant(
        actor=officer, user=kari, organisation=kdd, role=Role.CASE_OFFICER
    )
    membership_grant(actor=officer, user=kari, organisation=kdd, role=Role.APPROVER)

    membership_revoke(actor=officer, membership=as_officer)

    assert group_names(kari) == {"Leder"}
    assert roles_for_user(kari) == {Role.APPROVER}


# --- who may act for which organisation -----------------------------------------------------


@pytest.fixture
def kari_in_two_organisations(kari):
    membership_grant(actor=None, user=kari, organisation=municipality("1804"), role=Role.APPLICANT)
    membership_grant(actor=None, user=kari, organisation=ministry("KD"), role=Role.CONSULTEE)
    return kari


def test_organisations_for_user_lists_every_organisation_the_user_belongs_to(
    kari_in_two_organisations,
):
    organisations = organisations_for_user(kari_in_two_organisations)
    assert set(organisations) == {municipality("1804"), ministry("KD")}
    assert list(organisations_for_user(kari_in_two_organisations, role=Role.APPLICANT)) == [
        municipality("1804")
    ]
    assert list(organisations_for_user(kari_in_two_organisations, role=Role.APPROVER)) == []


def test_organisations_for_user_lists_an_organisation_once_for_several_roles(kari):
    kdd = ministry("KDD")
    membership_grant(actor=None, user=kari, organisation=kdd, role=Role.CASE_OFFICER)
    membership_grant(actor=None, user=kari, organisation=kdd, role=Role.APPROVER)
    assert list(organisations_for_user(kari)) == [kdd]


def test_roles_for_user_anywhere_and_in_one_organisation(kari_in_two_organisations):
    kari = kari_in_two_organisations
    assert roles_for_user(kari) == {Role.APPLICANT, Role.CONSULTEE}
    assert roles_for_user(kari, organisation=municipality("1804")) == {Role.APPLICANT}
    assert roles_for_user(kari, organisation=ministry("KD")) == {Role.CONSULTEE}
    assert roles_for_user(kari, organisation=ministry("KDD")) == set()


def test_user_has_role_only_where_it_was_granted(kari_in_two_organisations):
    kari = kari_in_two_organisations
    assert user_has_role(kari, Role.APPLICANT)
    assert user_has_role(kari, "applicant", organisation=municipality("1804"))
    assert not user_has_role(kari, Role.APPLICANT, organisation=ministry("KD"))
    assert not user_has_role(kari, Role.APPLICANT, organisation=municipality("1806"))
    assert not user_has_role(kari, Role.CASE_OFFICER)


def test_user_without_memberships_has_no_roles(kari):
    assert list(organisations_for_user(kari)) == []
    assert roles_for_user(kari) == set()
    assert not user_has_role(kari, Role.APPLICANT)


def test_anonymous_visitor_has_no_organisations_and_no_roles():
    visitor = AnonymousUser()
    assert list(organisations_for_user(visitor)) == []
    assert roles_for_user(visitor) == set()
    assert roles_for_user(visitor, organisation=municipality("1804")) == set()
    assert not user_has_role(visitor, Role.APPLICANT)
    assert list(memberships_for_user(visitor)) == []


# --- role groups ----------------------------------------------------------------------------


def expected_permissions(role: Role) -> set[str]:
    """The permissions of ROLE_PERMISSIONS that exist (those of later apps are skipped)."""
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    return {name for name in ROLE_PERMISSIONS[role] if name in existing}


def group_permissions(group: Group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_role_groups_exist_after_migrate_with_exactly_their_permissions():
    for role, name in ROLE_GROUP_NAMES.items():
        group = Group.objects.get(name=name)
        assert group_permissions(group) == expected_permissions(role), name


def test_administrator_group_may_change_acts_and_applicants_may_not():
    assert "legal.change_legalact" in group_permissions(Group.objects.get(name="Administrator"))
    assert "legal.change_legalact" not in group_permissions(Group.objects.get(name="Søker"))
    assert "casework.view_auditevent" in group_permissions(Group.objects.get(name="Saksbehandler"))


def test_member_gets_the_permissions_of_the_role(make_user):
    administrator = make_user(username="admin-role")
    membership_grant(
        actor=None, user=administrator, organisation=ministry("KDD"), role=Role.ADMINISTRATOR
    )
    assert administrator.has_perm("legal.change_legalact")
    assert administrator.has_perm("casework.add_organisation")
    assert not administrator.has_perm("casework.delete_organisation")

    consultee = make_user(username="fagdep")
    membership_grant(actor=None, user=consultee, organisation=ministry("KD"), role=Role.CONSULTEE)
    assert consultee.has_perm("legal.view_provision")
    assert not consultee.has_perm("legal.change_legalact")


def test_role_groups_sync_restores_permissions_removed_by_hand():
    group = Group.objects.get(name="Administrator")
    group.permissions.clear()
    group.permissions.add(Permission.objects.get(codename="delete_organisation"))

    role_groups_sync()

    assert group_permissions(group) == expected_permissions(Role.ADMINISTRATOR)


# --- organisation names and numbers ---------------------------------------------------------


def test_organisation_display_name_includes_parallel_names():
    assert municipality("5001").display_name == "Trondheim – Tråante"
    assert str(municipality("5538")) == "Storfjord – Omasvuotna – Omasvuono"
    assert municipality("0301").display_name == "Oslo"


def test_organisation_display_name_follows_the_active_language():
    kd = ministry("KD")
    with translation.override("nb"):
        assert kd.display_name == "Kunnskapsdepartementet"
    with translation.override("en"):
        assert kd.display_name == "Ministry of Education and Research"
    ud = ministry("UD")
    with translation.override("nn"):
        assert ud.display_name == "Utanriksdepartementet"


def test_organisation_without_an_english_name_keeps_its_norwegian_name_in_english():
    with translation.override("en"):
        assert municipality("5001").display_name == "Trondheim – Tråante"
        assert municipality("1804").display_name == "Bodø"


def test_english_name_is_shown_with_the_parallel_names():
    organisation = Organisation(
        kind=OrganisationKind.OTHER,
        name="Sametinget",
        name_en="The Sami Parliament",
        parallel_names=["Sámediggi"],
    )
    with translation.override("en"):
        assert organisation.display_name == "The Sami Parliament – Sámediggi"


def test_two_active_municipalities_cannot_share_a_number():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind=OrganisationKind.KOMMUNE, number="5001", name="Kopi")
    assert Organisation.objects.filter(kind=OrganisationKind.KOMMUNE, number="5001").count() == 1


def test_a_closed_municipality_may_keep_the_number_its_successor_took_over():
    closed = Organisation.objects.create(
        kind=OrganisationKind.KOMMUNE, number="5001", name="Trondheim (før 2018)", active=False
    )
    assert closed.pk
    assert Organisation.objects.active().municipalities().get(number="5001").name == "Trondheim"


def test_official_number_is_unique_within_each_kind_of_organisation():
    # Fylkesnummer 03 is taken by Oslo fylkeskommune; another kind of body may use it.
    other_kind = Organisation.objects.create(kind=OrganisationKind.OTHER, number="03", name="X")
    assert other_kind.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind=OrganisationKind.FYLKESKOMMUNE, number="03", name="Y")


def test_two_active_ministries_cannot_share_a_code():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind=OrganisationKind.DEPARTEMENT, code="KDD", name="Kopi")
