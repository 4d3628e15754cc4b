"""Organisations manage their own people: invitations, roles, who has access; on the pages
and over the API, audited, and never across organisations."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework import services
from casework.choices import Role
from casework.models import AuditEvent, Invitation, Membership
from tests.factories import member, ministry, municipality, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def lillehammer_admin(db):
    return person(municipality("3405"), Role.ADMINISTRATOR, "admin.lillehammer")


@pytest.fixture
def bodo_admin(db):
    return person(municipality("1804"), Role.ADMINISTRATOR, "admin.bodo")


@pytest.fixture
def kdd_admin(db):
    return person(ministry("KDD"), Role.ADMINISTRATOR, "admin.kdd")


def _invite_link(message) -> str:
    return re.search(r"https?://\S+/invitasjon/[^/\s]+/", message.body).group(0)


def test_an_administrator_invites_by_email_and_the_invitee_accepts_by_logging_in(
    client,
    lillehammer_admin,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    lillehammer = municipality("3405")
    client.force_login(lillehammer_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/organisasjon/{lillehammer.pk}/inviter/",
            {"email": "ny.ansatt@lillehammer.kommune.no", "role": Role.APPLICANT},
        )
    assert response.status_code == 302

    run_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ny.ansatt@lillehammer.kommune.no"]
    link = _invite_link(mail.outbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert token not in invitation.digest and invitation.digest == Invitation.digest_for(token)
    path = link.split("://", 1)[1].split("/", 1)[1]

    newcomer = member(municipality("1804"), Role.APPLICANT, username="newcomer")
    client.logout()
    client.cookies["django_language"] = "en"
    page = client.get(f"/{path}")
    assert page.status_code == 200 and "Log in to accept it" in page.content.decode()
    assert client.post(f"/{path}")["Location"].startswith("/logg-inn/")
    client.force_login(newcomer)
    assert client.post(f"/{path}").status_code == 302

    assert Membership.objects.filter(
        user=newcomer, organisation=lillehammer, role=Role.APPLICANT
    ).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == newcomer and invitation.accepted_at is not None
    actions = set(
        AuditEvent.objects.filter(organisation=lillehammer).values_list("action", flat=True)
    )
    assert {"invitation.created", "invitation.accepted", "membership.granted"} <= actions
    # Used once: the link does nothing for a second person.
    client.force_login(member(municipality("3405"), Role.APPLICANT, username="second"))
    client.post(f"/{path}")
    assert Membership.objects.filter(organisation=lillehammer, role=Role.APPLICANT).count() == 2


def test_an_invitation_expires(lillehammer_admin, make_user):
    issued = services.invitation_create(
        actor=lillehammer_admin,
        organisation=municipality("3405"),
        email="sent@example.no",
        role=Role.APPLICANT,
    )
    later = timezone.now() + datetime.timedelta(days=services.INVITATION_VALID_DAYS, minutes=1)
    with time_machine.travel(later), pytest.raises(ValidationError) as refused:
        services.invitation_accept(user=make_user(username="late"), token=issued.token)
    assert refused.value.code == "expired"


def test_a_withdrawn_invitation_cannot_be_accepted(client, lillehammer_admin, make_user):
    lillehammer = municipality("3405")
    issued = services.invitation_create(
        actor=lillehammer_admin, organisation=lillehammer, email="x@example.no", role="applicant"
    )
    client.force_login(lillehammer_admin)
    url = f"/organisasjon/{lillehammer.pk}/invitasjoner/{issued.invitation.pk}/trekk/"
    assert client.post(url).status_code == 302

    with pytest.raises(ValidationError) as refused:
        services.invitation_accept(user=make_user(username="x"), token=issued.token)
    assert refused.value.code == "revoked"
    assert AuditEvent.objects.filter(action="invitation.revoked").exists()


@pytest.mark.parametrize(
    ("organisation", "allowed", "refused"),
    [
        (lambda: municipality("3405"), Role.APPLICANT, Role.CASE_OFFICER),
        (lambda: ministry("KDD"), Role.APPROVER, Role.APPLICANT),
        (lambda: ministry("KD"), Role.CONSULTEE, Role.APPROVER),
    ],
)
def test_nobody_gives_a_role_their_organisation_may_not_have(organisation, allowed, refused):
    organisation = organisation()
    admin = member(organisation, Role.ADMINISTRATOR, username="admin")
    services.invitation_create(
        actor=admin, organisation=organisation, email="ok@example.no", role=allowed
    )
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=admin, organisation=organisation, email="no@example.no", role=refused
        )


def test_administrator_of_a_can_do_nothing_to_the_people_of_b(
    client, lillehammer_admin, bodo_admin
):
    bodo = municipality("1804")
    bodo_person = member(bodo, Role.APPLICANT, username="bodo.person")
    membership = Membership.objects.get(user=bodo_person)
    invitation = services.invitation_create(
        actor=bodo_admin, organisation=bodo, email="b@example.no", role=Role.APPLICANT
    ).invitation
    client.force_login(lillehammer_admin)

    assert client.get(f"/organisasjon/{bodo.pk}/").status_code == 404
    for url, data in [
        (f"/organisasjon/{bodo.pk}/inviter/", {"email": "a@example.no", "role": "applicant"}),
        (f"/organisasjon/{bodo.pk}/roller/", {"user": bodo_person.pk, "role": "applicant"}),
        (f"/organisasjon/{bodo.pk}/roller/{membership.pk}/fjern/", {}),
        (f"/organisasjon/{bodo.pk}/invitasjoner/{invitation.pk}/trekk/", {}),
        (f"/organisasjon/{bodo.pk}/ansattporten/", {"role": "applicant"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    # Reaching B's people through A's pages does not work either.
    lillehammer = municipality("3405")
    assert (
        client.post(f"/organisasjon/{lillehammer.pk}/roller/{membership.pk}/fjern/").status_code
        == 404
    )
    assert (
        client.post(
            f"/organisasjon/{lillehammer.pk}/roller/", {"user": bodo_person.pk, "role": "applicant"}
        ).status_code
        == 400
    )
    api = "/api/v1/organisations"
    assert client.get(f"{api}/{bodo.pk}/people/").status_code == 404
    assert (
        client.post(
            f"{api}/{bodo.pk}/invitations/",
            {"email": "a@example.no", "role": "applicant"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.delete(f"{api}/{bodo.pk}/memberships/{membership.pk}/").status_code == 404
    assert client.delete(f"{api}/{lillehammer.pk}/memberships/{membership.pk}/").status_code == 404
    assert client.delete(f"{api}/{bodo.pk}/invitations/{invitation.pk}/").status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
    invitation.refresh_from_db()
    assert invitation.is_pending()
    assert not Membership.objects.filter(user=bodo_person, organisation=lillehammer).exists()


def test_people_without_the_administrator_role_manage_nobody(client, applicant, lillehammer):
    client.force_login(applicant)
    assert client.get("/organisasjon/").status_code == 403
    assert client.get(f"/organisasjon/{lillehammer.pk}/").status_code == 404
    assert client.get(f"/api/v1/organisations/{lillehammer.pk}/people/").status_code == 404


def test_the_people_page_shows_who_has_access_and_gives_and_takes_roles(
    client, lillehammer_admin, applicant, lillehammer
):
    client.force_login(lillehammer_admin)
    assert client.get("/organisasjon/")["Location"] == f"/organisasjon/{lillehammer.pk}/"
    page = client.get(f"/organisasjon/{lillehammer.pk}/").content.decode()
    assert "Kari Nordmann" in page and "kari.lillehammer@example.no" in page

    response = client.post(
        f"/organisasjon/{lillehammer.pk}/roller/",
        {"user": applicant.pk, "role": Role.ADMINISTRATOR},
    )
    assert response.status_code == 302
    given = Membership.objects.get(user=applicant, role=Role.ADMINISTRATOR)
    refused = client.post(
        f"/organisasjon/{lillehammer.pk}/roller/", {"user": applicant.pk, "role": "approver"}
    )
    assert refused.status_code == 400

    client.post(f"/organisasjon/{lillehammer.pk}/roller/{given.pk}/fjern/")
    assert not Membership.objects.filter(pk=given.pk).exists()
    events = AuditEvent.objects.filter(organisation=lillehammer, actor=lillehammer_admin)
    assert set(events.values_list("action", flat=True)) >= {
        "membership.granted",
        "membership.revoked",
    }


def test_the_last_administrator_cannot_remove_themselves(client, lillehammer_admin):
    own = Membership.objects.get(user=lillehammer_admin)
    with pytest.raises(ValidationError) as refused:
        services.membership_take(actor=lillehammer_admin, membership=own)
    assert refused.value.code == "last_administrator"


def test_kdd_administrators_appoint_the_first_administrator_of_any_organisation(client, kdd_admin):
    oyer = municipality("3440")
    client.force_login(kdd_admin)
    assert client.get(f"/organisasjon/{oyer.pk}/").status_code == 200
    assert client.get("/organisasjon/", {"q": "Øyer"}).status_code == 200

    response = client.post(
        f"/api/v1/organisations/{oyer.pk}/invitations/",
        {"email": "postmottak@oyer.kommune.no", "role": Role.ADMINISTRATOR},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    refused = client.post(
        f"/api/v1/organisations/{oyer.pk}/invitations/",
        {"email": "someone@oyer.kommune.no", "role": Role.APPLICANT},
        content_type="application/json",
    )
    assert refused.status_code == 403
    people = client.get(f"/api/v1/organisations/{oyer.pk}/people/").json()
    assert people["manageable_roles"] == ["administrator"]
    assert [i["email"] for i in people["invitations"]] == ["postmottak@oyer.kommune.no"]


def test_kdd_administrators_manage_kdd_roles(client, kdd_admin, case_officer):
    kdd = ministry("KDD")
    client.force_login(kdd_admin)
    response = client.post(
        f"/api/v1/organisations/{kdd.pk}/memberships/",
        {"user": case_officer.pk, "role": Role.APPROVER},
        content_type="application/json",
    )
    assert response.status_code == 201
    membership = Membership.objects.get(user=case_officer, role=Role.APPROVER)
    assert (
        client.delete(f"/api/v1/organisations/{kdd.pk}/memberships/{membership.pk}/").status_code
        == 204
    )
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_an_organisation_chooses_whether_ansattporten_gives_access(client, lillehammer_admin):
    lillehammer = municipality("3405")
    with pytest.raises(ValidationError):
        services.organisation_ansattporten_role_set(
            actor=lillehammer_admin, organisation=lillehammer, role=Role.ADMINISTRATOR
        )
    services.organisation_ansattporten_role_set(
        actor=lillehammer_admin, organisation=lillehammer, role=Role.APPLICANT
    )
    lillehammer.refresh_from_db()
    assert lillehammer.ansattporten_role == Role.APPLICANT
    event = AuditEvent.objects.get(action="organisation.ansattporten_role")
    assert (event.from_state, event.to_state) == ("", "applicant")
    with pytest.raises(PermissionDenied):
        services.organisation_ansattporten_role_set(
            actor=member(municipality("1804"), Role.ADMINISTRATOR, username="b"),
            organisation=lillehammer,
            role="",
        )


def test_the_api_lists_people_and_invites(client, lillehammer_admin, applicant, lillehammer):
    client.force_login(lillehammer_admin)
    created = client.post(
        f"/api/v1/organisations/{lillehammer.pk}/invitations/",
        {"email": "ny@lillehammer.kommune.no", "role": Role.APPLICANT},
        content_type="application/json",
    )
    assert created.status_code == 201
    people = client.get(f"/api/v1/organisations/{lillehammer.pk}/people/").json()
    assert {p["username"] for p in people["people"]} == {"admin.lillehammer", "kari.lillehammer"}
    assert people["manageable_roles"] == ["applicant", "administrator"]
    invitation_id = created.json()["id"]
    assert (
        client.delete(
            f"/api/v1/organisations/{lillehammer.pk}/invitations/{invitation_id}/"
        ).status_code
        == 204
    )
