"""The audit trail: who did what, when, from which state to which and why; never rewritten."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from casework.choices import Role
from casework.middleware import RequestIdMiddleware, current_request_id
from casework.models import AuditEvent, AuditTrailImmutable, Membership
from casework.selectors import audit_events_for
from casework.services import audit_record
from tests.factories import OrganisationFactory, municipality

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger (casework migration 0002) exists on PostgreSQL only",
)


@pytest.fixture
def event(make_user):
    return audit_record(
        actor=make_user(),
        action="organisation.renamed",
        target=OrganisationFactory(name="Gamle navn"),
        reason="Kommunen har skiftet navn.",
    )


def test_audit_record_stores_who_did_what_to_which_object_and_why(make_user):
    officer = make_user(username="saksbehandler")
    bodo = municipality("1804")
    target = OrganisationFactory(name="Salten friluftsråd")

    event = audit_record(
        actor=officer,
        action="application.registered",
        target=target,
        organisation=bodo,
        from_state="submitted",
        to_state="registered",
        reason="Søknaden er komplett.",
        data={"case_number": "2026/000123", "pages": 3},
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == officer
    assert stored.organisation == bodo
    assert stored.action == "application.registered"
    assert stored.target == target
    assert stored.content_type == ContentType.objects.get_for_model(target)
    assert stored.object_id == str(target.pk)
    assert stored.object_repr == "Salten friluftsråd"
    assert stored.from_state == "submitted"
    assert stored.to_state == "registered"
    assert stored.reason == "Søknaden er komplett."
    assert stored.data == {"case_number": "2026/000123", "pages": 3}
    assert stored.created_at is not None
    assert list(audit_events_for(target)) == [stored]


def test_audit_record_by_the_system_or_an_anonymous_visitor_has_no_actor():
    by_system = audit_record(actor=None, action="reference_data.loaded")
    by_visitor = audit_record(actor=AnonymousUser(), action="access_request.received")
    assert by_system.actor is None
    assert by_visitor.actor is None
    assert by_system.target is None
    assert by_system.object_id == ""
    assert by_system.data == {}


def test_audit_record_shortens_a_very_long_object_name():
    target = OrganisationFactory(name="Å" * 200)
    target.name = "Å" * 400  # longer than the audit column, as str() of other objects may be
    event = audit_record(actor=None, action="x", target=target)
    assert len(AuditEvent.objects.get(pk=event.pk).object_repr) == 300


def test_audit_record_outside_a_request_has_no_request_id():
    assert current_request_id() == ""
    assert audit_record(actor=None, action="timer.fired").request_id == ""


def test_audit_record_inside_a_request_carries_the_proxys_request_id():
    recorded = []

    def view(request):
        recorded.append(audit_record(actor=None, action="application.viewed"))
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers={"X-Request-ID": "proxy-4f2a.1"})
    response = RequestIdMiddleware(view)(request)

    assert recorded[0].request_id == "proxy-4f2a.1"
    assert response["X-Request-ID"] == "proxy-4f2a.1"
    assert current_request_id() == ""


def test_request_without_a_usable_request_id_gets_a_generated_one():
    recorded = []

    def view(request):
        recorded.append(audit_record(actor=None, action="application.viewed"))
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers={"X-Request-ID": "not allowed; drop table"})
    response = RequestIdMiddleware(view)(request)

    generated = response["X-Request-ID"]
    assert generated != "not allowed; drop table"
    assert len(generated) == 32
    assert recorded[0].request_id == generated


def test_client_request_id_is_echoed_in_the_response(client):
    response = client.get("/", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response["X-Request-ID"] == "abc-123"


def test_change_made_through_the_admin_is_audited_with_the_request_id(
    superuser_client, superuser, make_user
):
    user = make_user(username="kari")
    bodo = municipality("1804")

    response = superuser_client.post(
        "/admin/casework/membership/add/",
        {
            "user": user.pk,
            "organisation": bodo.pk,
            "role": Role.APPLICANT,
            "created_at_0": "2026-01-05",
            "created_at_1": "10:00:00",
        },
        headers={"X-Request-ID": "admin-req-1"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["X-Request-ID"] == "admin-req-1"
    membership = Membership.objects.get(user=user, organisation=bodo, role=Role.APPLICANT)
    [event] = audit_events_for(membership)
    assert event.action == "membership.granted"
    assert event.actor == superuser
    assert event.request_id == "admin-req-1"


# --- append-only ----------------------------------------------------------------------------


def test_audit_event_cannot_be_saved_again(event):
    event.reason = "Skrevet om i ettertid."
    with pytest.raises(AuditTrailImmutable):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).reason == "Kommunen har skiftet navn."


def test_audit_event_loaded_from_the_database_cannot_be_saved(event):
    loaded = AuditEvent.objects.get(pk=event.pk)
    with pytest.raises(AuditTrailImmutable):
        loaded.save(update_fields=["reason"])


def test_audit_event_cannot_be_deleted(event):
    with pytest.raises(AuditTrailImmutable):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_changed_in_bulk(event):
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.all().update(action="x")
    assert AuditEvent.objects.get(pk=event.pk).reason == "Kommunen har skiftet navn."


def test_audit_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@needs_postgresql
def test_database_refuses_update_of_audit_events_even_in_raw_sql(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():  # noqa: SIM117
        with connection.cursor() as cursor:
            cursor.execute("UPDATE casework_auditevent SET reason = 'x'")
    assert AuditEvent.objects.get(pk=event.pk).reason == "Kommunen har skiftet navn."


@needs_postgresql
def test_database_refuses_delete_of_audit_events_even_in_raw_sql(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():  # noqa: SIM117
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM casework_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@needs_postgresql
def test_database_refuses_truncate_of_audit_events(event):
    """Production databases have no 'allow' setting: TRUNCATE is refused like DELETE (the
    test database allows it for its own cleanup, so the test takes that away first)."""
    with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():  # noqa: SIM117
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL frikommune.audit_truncate = ''")
            cursor.execute("TRUNCATE casework_auditevent CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@needs_postgresql
def test_database_still_accepts_new_audit_events_in_raw_sql(event):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO casework_auditevent (object_id, object_repr, action, from_state, "
            "to_state, reason, data, created_at, request_id) "
            "VALUES ('', '', 'raw.insert', '', '', '', '{}', now(), '')"
        )
    assert AuditEvent.objects.filter(action="raw.insert").count() == 1


# --- admin ----------------------------------------------------------------------------------


def test_admin_lists_audit_events(superuser_client, event):
    response = superuser_client.get("/admin/casework/auditevent/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "organisation.renamed" in html
    assert "Gamle navn" in html
    assert 'href="/admin/casework/auditevent/add/"' not in html


def test_admin_shows_an_audit_event_read_only(superuser_client, event):
    response = superuser_client.get(f"/admin/casework/auditevent/{event.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kommunen har skiftet navn." in html
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert 'name="reason"' not in html
    assert f'href="/admin/casework/auditevent/{event.pk}/delete/"' not in html


def test_admin_refuses_to_change_an_audit_event(superuser_client, event):
    response = superuser_client.post(
        f"/admin/casework/auditevent/{event.pk}/change/", {"reason": "Skrevet om."}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == "Kommunen har skiftet navn."


def test_admin_refuses_to_delete_an_audit_event(superuser_client, event):
    assert superuser_client.get(f"/admin/casework/auditevent/{event.pk}/delete/").status_code == 403
    assert (
        superuser_client.post(f"/admin/casework/auditevent/{event.pk}/delete/").status_code == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_refuses_to_add_an_audit_event(superuser_client):
    assert superuser_client.get("/admin/casework/auditevent/add/").status_code == 403


def test_admin_offers_no_bulk_delete_of_audit_events(superuser_client, event):
    changelist = superuser_client.get("/admin/casework/auditevent/").content.decode()
    assert 'value="delete_selected"' not in changelist

    superuser_client.post(
        "/admin/casework/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
