"""Who sees and may do what: trials.selectors is the one place that decides."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from casework.choices import Role
from casework.services import membership_grant
from tests import builders
from tests.factories import UserFactory, municipality, person
from tests.files import pdf_bytes, upload
from tests.fixtures import bodo_person, lillehammer_applicant
from tests.once import fresh
from trials import services
from trials.choices import ApplicationStatus, AttachmentKind
from trials.models import Application
from trials.selectors import (
    application_get_for_user,
    applications_for_user,
    attachments_for_user,
    available_actions,
    user_can_edit,
)

S = ApplicationStatus


@pytest.fixture
def approver(kdd):
    return person(kdd, Role.APPROVER, "leder.kdd", first_name="Lise")


@pytest.fixture(scope="module")
def _world(built_once):
    with built_once():
        lillehammer, applicant = municipality("3405"), lillehammer_applicant()
        bodo, bodo_applicant = municipality("1804"), bodo_person()
        a_draft = builders.ready(actor=applicant, organisation=lillehammer, title="A utkast")
        a_submitted = builders.ready(actor=applicant, organisation=lillehammer, title="A innsendt")
        b_draft = builders.draft(actor=bodo_applicant, organisation=bodo, title="B utkast")
        b_submitted = builders.ready(actor=bodo_applicant, organisation=bodo, title="B innsendt")
        joint = builders.ready(
            actor=applicant, organisation=lillehammer, title="Felles", co_applicants=[bodo]
        )
        applications = {
            "a_draft": (a_draft, applicant),
            "a_submitted": (a_submitted, applicant),
            "b_draft": (b_draft, bodo_applicant),
            "b_submitted": (b_submitted, bodo_applicant),
            "joint": (joint, applicant),
        }
        attachments = {
            name: services.attachment_add(
                actor=actor,
                application=application,
                uploaded_file=upload(f"{name}.pdf", pdf_bytes(name)),
                kind=AttachmentKind.OTHER,
            )
            for name, (application, actor) in applications.items()
        }
        services.application_submit(actor=applicant, application=a_submitted)
        services.application_submit(actor=bodo_applicant, application=b_submitted)
        return SimpleNamespace(
            a_draft=Application.objects.get(pk=a_draft.pk),
            a_submitted=Application.objects.get(pk=a_submitted.pk),
            b_draft=Application.objects.get(pk=b_draft.pk),
            b_submitted=Application.objects.get(pk=b_submitted.pk),
            joint=Application.objects.get(pk=joint.pk),
            attachments=attachments,
        )


@pytest.fixture
def world(_world, db, media_root):
    """Lillehammer (A) and Bodø (B) each with a draft and a submitted application, and a
    joint draft led by Lillehammer with Bodø as co-applicant; each with one attachment
    (built once for the module, tests/once.py)."""
    return fresh(_world)


def visible(user, world) -> set[str]:
    names = {"a_draft", "a_submitted", "b_draft", "b_submitted", "joint"}
    pks = set(applications_for_user(user).values_list("pk", flat=True))
    return {name for name in names if getattr(world, name).pk in pks}


def visible_attachments(user, world) -> set[str]:
    pks = set(attachments_for_user(user).values_list("pk", flat=True))
    return {name for name, attachment in world.attachments.items() if attachment.pk in pks}


# --- the matrix ----------------------------------------------------------------------------


def test_an_applicant_sees_own_drafts_and_submitted_and_joint_but_not_others(applicant, world):
    assert visible(applicant, world) == {"a_draft", "a_submitted", "joint"}


def test_the_other_municipality_sees_its_own_and_the_joint_application(bodo_applicant, world):
    assert visible(bodo_applicant, world) == {"b_draft", "b_submitted", "joint"}


def test_a_co_applicant_sees_the_joint_application_but_cannot_edit_it(bodo_applicant, world):
    joint = application_get_for_user(bodo_applicant, world.joint.pk)
    assert joint.pk == world.joint.pk
    assert user_can_edit(bodo_applicant, joint) is False
    assert available_actions(bodo_applicant, joint) == []


def test_a_kdd_case_officer_sees_submitted_applications_but_never_drafts(case_officer, world):
    assert visible(case_officer, world) == {"a_submitted", "b_submitted"}
    for draft in (world.a_draft, world.b_draft, world.joint):
        with pytest.raises(Http404):
            application_get_for_user(case_officer, draft.pk)


def test_a_kdd_approver_sees_submitted_applications_but_never_drafts(approver, world):
    assert visible(approver, world) == {"a_submitted", "b_submitted"}


@pytest.mark.parametrize(
    "status",
    [S.REGISTERED, S.UNDER_REVIEW, S.AWAITING_APPLICANT, S.APPROVED, S.REJECTED, S.WITHDRAWN],
)
def test_a_case_officer_keeps_seeing_an_application_after_submission(
    case_officer, world, reach, status
):
    reach(world.a_submitted, status)
    assert "a_submitted" in visible(case_officer, world)


def test_a_case_officer_never_sees_a_draft_withdrawn_before_submission(
    case_officer, applicant, world
):
    """KDD sees applications "once submitted"; a draft the municipality withdrew before
    submitting never was, and its content stays the municipality's own."""
    services.application_withdraw(actor=applicant, application=world.a_draft, reason="Ikke nå")
    assert "a_draft" not in visible(case_officer, world)


def test_a_consultee_sees_no_applications_here(consultee, world):
    assert visible(consultee, world) == set()
    assert not applications_for_user(consultee).exists()


def test_an_anonymous_user_sees_nothing(world):
    anonymous = AnonymousUser()
    assert not applications_for_user(anonymous).exists()
    assert not attachments_for_user(anonymous).exists()
    with pytest.raises(Http404):
        application_get_for_user(anonymous, world.a_submitted.pk)
    assert user_can_edit(anonymous, world.a_draft) is False
    assert available_actions(anonymous, world.a_draft) == []


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.CONSULTEE, Role.CASE_OFFICER])
def test_other_roles_in_the_municipality_do_not_see_its_drafts(lillehammer, world, role):
    """Only the applicant role gives access to a municipality's applications."""
    user = person(lillehammer, role, f"{role}.lillehammer")
    assert not {"a_draft", "joint"} & visible(user, world)


def test_a_user_without_memberships_sees_nothing(world):
    user = UserFactory(username="uten.rolle", first_name="Nils", last_name="Nordmann")
    assert visible(user, world) == set()


def test_an_applicant_of_both_organisations_sees_each_application_once(lillehammer, bodo, world):
    user = person(lillehammer, Role.APPLICANT, "begge")
    membership_grant(actor=None, user=user, organisation=bodo, role=Role.APPLICANT)
    pks = list(applications_for_user(user).values_list("pk", flat=True))
    assert len(pks) == len(set(pks)) == 5
    assert attachments_for_user(user).count() == 5


# --- application_get_for_user --------------------------------------------------------------


def test_application_get_for_user_returns_own_application(applicant, world):
    application = application_get_for_user(applicant, world.a_draft.pk)
    assert application == world.a_draft
    assert application_get_for_user(applicant, str(world.a_draft.pk)) == world.a_draft


@pytest.mark.parametrize("name", ["b_draft", "b_submitted"])
def test_application_get_for_user_hides_others_applications(applicant, world, name):
    with pytest.raises(Http404):
        application_get_for_user(applicant, getattr(world, name).pk)


@pytest.mark.parametrize("pk", ["abc", "", None, "1; DROP TABLE x", 10**9, -1, "1.5"])
def test_application_get_for_user_raises_404_for_garbage(applicant, world, pk):
    with pytest.raises(Http404):
        application_get_for_user(applicant, pk)


# --- editing and actions -------------------------------------------------------------------


def test_the_lead_applicant_can_edit_only_while_draft(applicant, bodo_applicant, world):
    assert user_can_edit(applicant, world.a_draft) is True
    assert user_can_edit(applicant, world.joint) is True
    assert user_can_edit(applicant, world.a_submitted) is False
    assert user_can_edit(bodo_applicant, world.a_draft) is False
    assert user_can_edit(bodo_applicant, world.joint) is False


def test_nobody_at_kdd_can_edit_an_applicants_draft(case_officer, approver, world):
    for user in (case_officer, approver):
        assert user_can_edit(user, world.a_draft) is False
        assert user_can_edit(user, world.a_submitted) is False


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.DRAFT, ["submit", "withdraw"]),
        (S.SUBMITTED, ["withdraw"]),
        (S.REGISTERED, ["withdraw"]),
        (S.UNDER_REVIEW, ["withdraw"]),
        (S.AWAITING_APPLICANT, ["answer", "withdraw"]),
        (S.IN_CONSULTATION, ["withdraw"]),
        (S.DECISION_PROPOSED, ["withdraw"]),
        (S.APPROVED, []),
        (S.REJECTED, []),
        (S.WITHDRAWN, []),
    ],
)
def test_available_actions_per_status(
    applicant, bodo_applicant, case_officer, world, reach, status, expected
):
    application = reach(world.joint, status)
    assert available_actions(applicant, application) == expected
    assert available_actions(bodo_applicant, application) == []  # the co-applicant
    assert available_actions(case_officer, application) == []
    assert user_can_edit(applicant, application) is (status == S.DRAFT)


# --- attachments ---------------------------------------------------------------------------


def test_attachments_follow_the_application_rule(
    applicant, bodo_applicant, case_officer, approver, consultee, world
):
    assert visible_attachments(applicant, world) == {"a_draft", "a_submitted", "joint"}
    assert visible_attachments(bodo_applicant, world) == {"b_draft", "b_submitted", "joint"}
    assert visible_attachments(case_officer, world) == {"a_submitted", "b_submitted"}
    assert visible_attachments(approver, world) == {"a_submitted", "b_submitted"}
    assert visible_attachments(consultee, world) == set()


def test_attachments_of_a_submitted_application_become_visible_to_kdd(
    applicant, case_officer, world
):
    assert "joint" not in visible_attachments(case_officer, world)
    services.application_submit(actor=applicant, application=world.joint)
    assert "joint" in visible_attachments(case_officer, world)
