"""An organisation's postal address (its letters' address block): its own administrator
records it in the portal, with a Norwegian postcode, audited; KDD's officers see it on the
case page and are told before a letter goes out to an organisation that has none."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from casework.choices import Role
from casework.models import AuditEvent, postal_address_parts
from casework.services import organisation_postal_address_set
from tests import builders
from tests.factories import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_lh(lillehammer):
    return person(lillehammer, Role.ADMINISTRATOR, "admin.lillehammer", first_name="Tone")


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_administrator_records_the_postal_address_audited(client, admin_lh, lillehammer):
    lillehammer.postal_address = "Postboks 986\n2626 Lillehammer"
    lillehammer.save(update_fields=["postal_address"])
    client.cookies["django_language"] = "en"
    client.force_login(admin_lh)
    url = reverse("people:organisation", args=[lillehammer.pk])
    page = _text(client.get(url))
    assert "Postal address" in page
    assert 'value="2626"' in page and "Postboks 986</textarea>" in page

    response = client.post(
        reverse("people:postal_address", args=[lillehammer.pk]),
        {"street": "Kirkegata 2", "postcode": "2609", "place": "Lillehammer"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    assert "The postal address has been saved." in _text(response)
    lillehammer.refresh_from_db()
    assert lillehammer.postal_address == "Kirkegata 2\n2609 Lillehammer"
    assert lillehammer.postal_address_lines == ["Kirkegata 2", "2609 Lillehammer"]
    event = AuditEvent.objects.get(action="organisation.postal_address")
    assert event.actor == admin_lh and event.created_at is not None
    assert event.data["changes"] == [
        {
            "field": "postal_address",
            "old": "Postboks 986\n2626 Lillehammer",
            "new": "Kirkegata 2\n2609 Lillehammer",
        }
    ]


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"street": "Kirkegata 2", "postcode": "26O9", "place": "Lillehammer"},
            "postcode",
            "four digits",
        ),
        (
            {"street": "Kirkegata 2", "postcode": "260", "place": "Lillehammer"},
            "postcode",
            "four digits",
        ),
        ({"street": "", "postcode": "2609", "place": "Lillehammer"}, "street", "PO box"),
        ({"street": "Kirkegata 2", "postcode": "2609", "place": " "}, "place", "poststed"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_values_kept(
    client, admin_lh, lillehammer, data, field, message
):
    client.cookies["django_language"] = "en"
    client.force_login(admin_lh)
    response = client.post(reverse("people:postal_address", args=[lillehammer.pk]), data)
    assert response.status_code == 400
    form = response.context["address_form"]
    assert message in " ".join(form.errors[field])
    text = _text(response)
    assert "There is a problem" in text
    if data["street"]:
        assert f"{data['street']}</textarea>" in text
    assert f'value="{data["postcode"]}"' in text
    lillehammer.refresh_from_db()
    assert lillehammer.postal_address == ""
    assert not AuditEvent.objects.filter(action="organisation.postal_address").exists()


def test_only_the_organisations_administrators_and_kdd_may_change_it(
    client, lillehammer, applicant, bodo
):
    bodo_admin = person(bodo, Role.ADMINISTRATOR, "admin.bodo")
    data = {"street": "Kirkegata 2", "postcode": "2609", "place": "Lillehammer"}
    for user in (applicant, bodo_admin):
        client.force_login(user)
        response = client.post(reverse("people:postal_address", args=[lillehammer.pk]), data)
        assert response.status_code == 404
        with pytest.raises(PermissionDenied):
            organisation_postal_address_set(actor=user, organisation=lillehammer, **data)
    lillehammer.refresh_from_db()
    assert lillehammer.postal_address == ""


def test_the_service_holds_the_rules_too(admin_lh, lillehammer):
    with pytest.raises(ValidationError) as error:
        organisation_postal_address_set(
            actor=admin_lh, organisation=lillehammer, street="", postcode="12345", place=""
        )
    assert set(error.value.message_dict) == {"street", "postcode", "place"}


def test_the_stored_address_reads_back_into_its_parts():
    assert postal_address_parts("Postboks 986\n2626 Lillehammer") == (
        "Postboks 986",
        "2626",
        "Lillehammer",
    )
    assert postal_address_parts("Rådhuset\nStorgata 1\n8006 Bodø") == (
        "Rådhuset\nStorgata 1",
        "8006",
        "Bodø",
    )
    assert postal_address_parts("Somewhere abroad") == ("Somewhere abroad", "", "")


def test_the_officer_sees_the_address_and_is_warned_before_a_letter_without_one(
    client, publish, case_officer, lillehammer, admin_lh, media_root
):
    application = publish(stop_at="check_completeness")
    client.cookies["django_language"] = "en"
    client.force_login(case_officer)
    case_url = reverse("workflows:case", args=[application.pk])
    assert "No postal address recorded for Lillehammer" in _text(client.get(case_url))
    task = builders.open_task(application, "check_completeness")
    task_page = _text(client.get(reverse("workflows:task", args=[task.pk])))
    assert "No postal address for the letter" in task_page
    assert re.search(r"will have only the name of:</p> <ul><li>Lillehammer</li></ul>", task_page)

    organisation_postal_address_set(
        actor=admin_lh,
        organisation=lillehammer,
        street="Postboks 986",
        postcode="2626",
        place="Lillehammer",
    )
    case_page = _text(client.get(case_url))
    assert "Postboks 986<br>2626 Lillehammer" in case_page
    assert "No postal address recorded" not in case_page
    task_page = _text(client.get(reverse("workflows:task", args=[task.pk])))
    assert "No postal address for the letter" not in task_page


def _admin_data(admin_client, organisation, **changes) -> tuple[str, dict]:
    """The admin's change form of ``organisation`` as it stands, with ``changes``."""
    from django import forms

    url = reverse("admin:casework_organisation_change", args=[organisation.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.JSONField):
            value = field.prepare_value(value)
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else value
    return url, {**data, **changes}


def test_a_change_in_the_admin_goes_through_the_service_audited(admin_client, lillehammer):
    admin_client.cookies["django_language"] = "en"
    url, data = _admin_data(admin_client, lillehammer, postal_address="Kirkegata 2\nLillehammer")
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the form again: no postcode line
    assert "postcode (four digits)" in str(response.context["adminform"].form.errors)
    lillehammer.refresh_from_db()
    assert lillehammer.postal_address == ""

    data["postal_address"] = "Kirkegata 2\n2609 Lillehammer"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    lillehammer.refresh_from_db()
    assert lillehammer.postal_address == "Kirkegata 2\n2609 Lillehammer"
    event = AuditEvent.objects.get(action="organisation.postal_address")
    assert event.actor.is_superuser
    assert event.data["changes"][0]["new"] == "Kirkegata 2\n2609 Lillehammer"


def test_the_officer_is_warned_on_a_trials_action_that_sends_a_letter(
    client, trial_in_force, case_officer
):
    client.cookies["django_language"] = "en"
    client.force_login(case_officer)
    stop = _text(client.get(reverse("workflows:trial_action", args=[trial_in_force.pk, "avslutt"])))
    assert "No postal address for the letter" in stop
    obligation = reverse("workflows:trial_action", args=[trial_in_force.pk, "oppfolging"])
    assert "No postal address for the letter" not in _text(client.get(obligation))
