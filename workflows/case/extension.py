"""The case of an application for extension: ApplicationFlow with ``process.extension`` set.

The nodes are the application's; what differs is the work of four steps, done here through
``trials.services`` (register: journal the application; assess: the terms; propose: grant or
refuse; approve: four eyes, then the one function that moves the end date). The consultation
steps are the application's own. ``workflows.case.services.task_complete`` picks these
handlers for an extension's case.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from trials import services as trials
from trials.choices import ProposalStatus
from workflows.case import selectors
from workflows.case.flows import ApplicationFlow
from workflows.case.models import CaseProcess
from workflows.tasks import TaskDone


def extension_case_start(extension, actor) -> CaseProcess:
    """The municipality applied for an extension: its case starts (in the same transaction)."""
    return ApplicationFlow.start.run(
        application=extension.trial.application, extension=extension, actor=actor
    )


def _extension(task):
    return selectors.case_process(task).extension


def _register(actor, task, application, payload, files):
    trials.extension_register(actor=actor, extension=_extension(task))
    process = selectors.case_process(task)
    process.officer = actor
    process.save(update_fields=["officer"])


def _assess(actor, task, application, payload, files):
    extension = trials.extension_assess(
        actor=actor,
        extension=_extension(task),
        months=payload.get("months"),
        reform_reference=payload.get("reform_reference", ""),
        reform_date=payload.get("reform_date"),
        note=payload.get("note", ""),
    )
    if not payload.get("skip_consultation"):
        trials.extension_consultations_start(
            actor=actor,
            extension=extension,
            due_date=payload.get("consultation_due_date"),
            message=payload.get("consultation_message", ""),
        )


def _grant(payload) -> bool:
    decision = payload.get("decision")
    if decision not in ("grant", "refuse"):
        raise ValidationError({"decision": _("Choose grant or refuse.")})
    return decision == "grant"


def _propose(actor, task, application, payload, files):
    trials.extension_propose(
        actor=actor,
        extension=_extension(task),
        grant=_grant(payload),
        reasons=payload.get("reasons", ""),
    )


def _approve(actor, task, application, payload, files):
    proposal = selectors.pending_proposal(application.pk)
    if proposal is None or proposal.extension_id != _extension(task).pk:
        raise TaskDone(_("The proposal has already been approved or returned."))
    if payload.get("decision") == "approve":
        trials.extension_proposal_approve(
            actor=actor, proposal=proposal, comment=payload.get("comment", "")
        )
    elif payload.get("decision") == "return":
        trials.extension_proposal_return(
            actor=actor, proposal=proposal, comment=payload.get("comment", "")
        )
    else:
        raise ValidationError({"decision": _("Choose approve or return.")})


HANDLERS = {
    "register": _register,
    "assess": _assess,
    "propose": _propose,
    "approve": _approve,
}


def _open_task(extension, node):
    return (
        ApplicationFlow.task_class.objects.filter(
            process__caseprocess__extension=extension,
            flow_task=node,
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .select_related("process")
        .first()
    )


def extension_decide_in_case(*, actor, extension, grant: bool, reasons: str):
    """The trials API's and page's "decide" on an application for extension, as the case's
    decisive step ``actor`` may do now: the proposal (propose task open) or the approval of
    a proposal saying the same (else it is returned with ``reasons``). None (409) when the
    case is at another step or has no case."""
    from workflows.case.services import task_complete  # services imports this module

    task = _open_task(extension, ApplicationFlow.propose)
    if task is not None:
        payload = {"decision": "grant" if grant else "refuse", "reasons": reasons}
        task_complete(actor=actor, task=task, payload=payload)
        return extension
    task = _open_task(extension, ApplicationFlow.approve)
    proposal = extension.proposals.filter(status=ProposalStatus.PENDING).first()
    if task is None or proposal is None:
        return None
    same = proposal.grants_extension == bool(grant)
    payload = {"decision": "approve" if same else "return", "comment": "" if same else reasons}
    task_complete(actor=actor, task=task, payload=payload)
    return extension
