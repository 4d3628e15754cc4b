"""KDD extends a trial on its own initiative (no application from the municipality): an
extension is a decision, so the officer's extension is a proposal that another person at KDD
approves (four eyes), in the extension's case, which starts at that approval."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from casework.selectors import audit_events_for
from tests import builders
from trials import services
from trials.choices import ExtensionStatus, ProposalStatus
from trials.exceptions import ConflictError
from trials.models import Trial
from trials.rules import add_months
from workflows.case import selectors
from workflows.case.services import task_claim

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def fresh(trial) -> Trial:
    return Trial.objects.get(pk=trial.pk)


def extend(trial, officer, months=12, reasons="Forsøket treng meir tid."):
    return services.trial_extend(actor=officer, trial=trial, months=months, reasons=reasons)


def test_an_extension_on_kdds_initiative_waits_for_a_second_person(
    trial_in_force, case_officer, approver
):
    old_end = trial_in_force.ends_on
    extension = extend(trial_in_force, case_officer)
    assert extension.status == ExtensionStatus.REQUESTED and extension.on_own_initiative
    assert fresh(trial_in_force).ends_on == old_end  # nothing moves before the approval
    proposal = extension.proposals.get()
    assert proposal.status == ProposalStatus.PENDING and proposal.proposed_by == case_officer
    # the case starts at the approval: nothing to register or assess
    assert builders.extension_step(extension) == "approve"
    assert extension.case_process.officer == case_officer
    task = builders.extension_task(extension, "approve")
    assert selectors.queue(approver).filter(pk=task.pk).exists()

    builders.extension_complete(extension, "approve", approver, {"decision": "approve"})
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.GRANTED and extension.decided_by == approver
    assert fresh(trial_in_force).ends_on == add_months(old_end, 12) == extension.new_ends_on
    assert extension.letter is not None
    events = {e.action: e for e in audit_events_for(trial_in_force)}
    initiated = events["trial.extension_initiated"]
    assert (initiated.actor, initiated.to_state, initiated.reason) == (
        case_officer,
        "assessed",
        "Forsøket treng meir tid.",
    )
    assert events["trial.extension_proposed"].actor == case_officer
    extended = events["trial.extended"]
    assert extended.actor == approver and extended.from_state == extended.to_state == "in_force"
    assert extension.case_process.status == "DONE"


def test_the_officer_who_proposed_cannot_approve_their_own_extension(
    trial_in_force, kdd, case_officer
):
    from casework.choices import Role
    from tests.factories import person

    both = person(kdd, Role.APPROVER, "begge.kdd")
    person(kdd, Role.CASE_OFFICER, "begge.kdd")
    extension = extend(trial_in_force, both)
    task = builders.extension_task(extension, "approve")
    assert "four-eyes" in selectors.task_refusal(both, task)
    assert not selectors.queue(both).filter(pk=task.pk).exists()
    with pytest.raises(PermissionDenied):
        task_claim(actor=both, task=task)
    with pytest.raises(PermissionDenied):  # nor through the trials API's and page's "decide"
        services.extension_decide(actor=both, extension=extension, grant=True, reasons="Ja.")
    assert fresh(trial_in_force).ends_on == trial_in_force.ends_on


def test_a_returned_extension_goes_back_to_its_proposer(trial_in_force, case_officer, approver):
    extension = extend(trial_in_force, case_officer)
    builders.extension_complete(
        extension, "approve", approver, {"decision": "return", "comment": "For lang tid."}
    )
    assert extension.proposals.get().status == ProposalStatus.RETURNED
    task = builders.extension_task(extension, "propose")
    assert task.owner == case_officer
    returned = audit_events_for(trial_in_force).get(action="trial.extension_proposal_returned")
    assert (returned.actor, returned.reason) == (approver, "For lang tid.")
    builders.extension_complete(
        extension, "propose", case_officer, {"decision": "refuse", "reasons": "Vi let det vere."}
    )
    builders.extension_complete(extension, "approve", approver, {"decision": "approve"})
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.REFUSED
    assert fresh(trial_in_force).ends_on == trial_in_force.ends_on


def test_the_limits_hold_at_the_proposal(trial_in_force, case_officer):
    with pytest.raises(ValidationError) as refused:
        extend(trial_in_force, case_officer, months=25)
    assert "at most 24 months in all" in refused.value.message_dict["months"][0]
    assert not trial_in_force.extensions.exists()


def test_a_second_extension_while_one_waits_is_409(trial_in_force, case_officer):
    extend(trial_in_force, case_officer)
    with pytest.raises(ConflictError):
        extend(trial_in_force, case_officer, months=6)


def test_an_applicant_cannot_extend(trial_in_force, applicant):
    with pytest.raises(PermissionDenied):
        extend(trial_in_force, applicant)
