"""Role checks while a task is completed read the person's memberships once, and only then."""

import pytest
from django.core.exceptions import PermissionDenied

from casework.choices import Role
from casework.models import Membership
from casework.selectors import (
    memberships_remembered,
    roles_for_user,
    user_has_role,
    user_has_role_in,
)
from casework.services import membership_revoke
from trials import services as trials
from trials.selectors import is_ministry_officer
from workflows.case import services

pytestmark = pytest.mark.django_db


def test_role_checks_inside_one_task_read_the_memberships_once(
    case_officer, kdd, django_assert_num_queries
):
    with memberships_remembered(case_officer), django_assert_num_queries(1):
        assert user_has_role(case_officer, Role.CASE_OFFICER)
        assert user_has_role(case_officer, Role.CASE_OFFICER, organisation=kdd)
        assert roles_for_user(case_officer, organisation=kdd) == {Role.CASE_OFFICER.value}
        assert is_ministry_officer(case_officer)
        assert not is_ministry_officer(case_officer, Role.APPROVER)
        assert not user_has_role_in(case_officer, Role.CONSULTEE, organisation_code="KD")
    assert not hasattr(case_officer, "_casework_memberships")


def test_remembered_answers_match_the_database(case_officer, consultee, kdd):
    for user in (case_officer, consultee):
        fresh = (
            roles_for_user(user),
            roles_for_user(user, organisation=kdd),
            is_ministry_officer(user),
            user_has_role_in(user, Role.CONSULTEE, organisation_code="KD"),
        )
        with memberships_remembered(user):
            remembered = (
                roles_for_user(user),
                roles_for_user(user, organisation=kdd),
                is_ministry_officer(user),
                user_has_role_in(user, Role.CONSULTEE, organisation_code="KD"),
            )
        assert remembered == fresh


def test_a_role_revoked_after_a_task_counts_for_the_next_one(
    make_ready, applicant, case_officer, open_task, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = trials.application_submit(actor=applicant, application=make_ready())
    services.task_complete(actor=case_officer, task=open_task(application, "register"), payload={})
    membership_revoke(
        actor=None, membership=Membership.objects.get(user=case_officer, role=Role.CASE_OFFICER)
    )
    with pytest.raises(PermissionDenied):
        services.task_complete(
            actor=case_officer,
            task=open_task(application, "check_completeness"),
            payload={"complete": True},
        )
