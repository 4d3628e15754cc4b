"""The team view for KDD's leaders: workload, overdue counts, age of cases, reassignment."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from casework.models import AuditEvent
from tests import builders

pytestmark = pytest.mark.django_db


def test_a_leader_sees_who_has_what_and_reassigns_from_the_team_view(
    client, publish, case_officer, approver, kdd
):
    from casework.choices import Role
    from tests.factories import person

    colleague = person(kdd, Role.CASE_OFFICER, "kollega.kdd", first_name="Nils")
    application = publish(stop_at="check_completeness")
    task = builders.open_task(application, "check_completeness")
    assert task.owner == case_officer
    client.cookies["django_language"] = "en"
    client.force_login(approver)
    url = reverse("workflows:team")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=20), tick=False):
        response = client.get(url)
    assert response.status_code == 200
    members = {m.person.username: m for m in response.context["members"]}
    assert [r.task.pk for r in members[case_officer.username].rows] == [task.pk]
    assert members[case_officer.username].overdue == 1
    assert members[case_officer.username].oldest_case_days >= 20
    assert members[colleague.username].rows == []
    html = response.content.decode()
    assert f'action="{reverse("workflows:team_reassign", args=[task.pk])}"' in html

    response = client.post(
        reverse("workflows:team_reassign", args=[task.pk]), {"user": colleague.pk}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#task-{task.pk}")
    task.refresh_from_db()
    assert task.owner == colleague
    assert AuditEvent.objects.filter(action="task.reassigned", actor=approver).exists()


def test_only_leaders_see_the_team_view(client, case_officer, consultee):
    for user in (case_officer, consultee):
        client.force_login(user)
        assert client.get(reverse("workflows:team")).status_code == 403
