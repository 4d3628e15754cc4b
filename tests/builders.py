"""Applications in every state, reached the way the domain reaches them.

A draft and a ready draft are written through ``trials.services`` (what the applicant's pages
call). Submitting starts the case process, and every later state is reached by completing the
process's tasks with ``workflows.case.services.task_complete``, as the officers' and the
ministries' pages do. Nothing here writes a status field, so a builder that works is itself
evidence that the services and the process accept the path a user takes.

Plain functions without pytest, for tests (through the fixtures in tests/fixtures.py), bench/
and the demo::

    application = ready(actor=applicant, organisation=lillehammer)
    application = submit(application, actor=applicant)
    application = advance(application, to="propose", staff=staff())  # the propose task is open
    application = reach(ready(...), ApplicationStatus.REJECTED, actor=applicant, staff=staff())

The process steps, in order (``advance(to=step)`` stops with that step's task open):
register, check_completeness (registered), awaiting_applicant (more information asked for),
assess (under review), consult (in consultation), propose (consultations answered), approve
(decision proposed), decided (approved, or rejected when every exemption is refused).
"""

import contextlib
import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.choices import Role
from casework.models import Organisation
from legal.models import Provision
from tests.background import run_due_tasks
from tests.factories import ministry, person
from tests.files import pdf_bytes, upload
from trials import services
from trials.choices import (
    ApplicationStatus,
    Assessment,
    AttachmentKind,
    Outcome,
    Position,
    Purpose,
    Stage,
)
from trials.models import Application, Consultation
from workflows.case.flows import ApplicationFlow
from workflows.case.services import task_complete

# Citation keys of loaded provisions, with the ministry owning the act (who is consulted).
OPPL = "LOV-2023-06-09-30"  # opplæringslova, KD
OPPL_13_1 = f"{OPPL}/§13-1"  # Bortvising
OPPL_14_1 = f"{OPPL}/§14-1"  # Skolerute
OPPL_14_2 = f"{OPPL}/§14-2"
BHGL = "LOV-2005-06-17-64"  # barnehageloven, KD
BHGL_10 = f"{BHGL}/§10"
HOL = "LOV-2011-06-24-30"  # helse- og omsorgstjenesteloven, HOD
HOL_3_2 = f"{HOL}/§3-2"
HOL_3_3 = f"{HOL}/§3-3"
PBL = "LOV-2008-06-27-71"  # plan- og bygningsloven, KDD itself: no consultation
PBL_21_7 = f"{PBL}/§21-7"
INNLANDET, NORDLAND = "34", "18"  # county numbers

DEFAULT_EXEMPTION = {
    "provision": OPPL_13_1,
    "current_rule": "Eleven kan visast bort for inntil tre dagar.",
    "proposed_arrangement": "Rektor kan i staden vedta ein tilpassa skuledag.",
    "justification": "Bortvising fører til fråvær utan læring.",
}
DEFAULT_PURPOSES = {Purpose.BETTER_SERVICES: "Elevane får betre oppfølging."}

STEPS = (
    "register",
    "check_completeness",
    "awaiting_applicant",
    "assess",
    "consult",
    "propose",
    "approve",
    "decided",
)


# --- people --------------------------------------------------------------------------------


@dataclass
class Staff:
    """Who works on the case: KDD's case officer and approver, and one consultee per line
    ministry asked (an existing consultee of that ministry, or a new one)."""

    officer: object
    approver: object
    consultees: dict[str, object] = field(default_factory=dict)  # by ministry code

    def consultee(self, ministry_: Organisation):
        if ministry_.code not in self.consultees:
            existing = (
                get_user_model()
                .objects.filter(
                    memberships__organisation=ministry_, memberships__role=Role.CONSULTEE
                )
                .order_by("pk")
                .first()
            )
            self.consultees[ministry_.code] = existing or person(
                ministry_, Role.CONSULTEE, f"fagdep.{ministry_.code.lower()}"
            )
        return self.consultees[ministry_.code]


def staff(*, officer=None, approver=None, **consultees) -> Staff:
    """KDD's people (the same users as the ``case_officer`` and ``approver`` fixtures unless
    given); ``consultees`` by ministry code, e.g. ``staff(KD=consultee)``."""
    return Staff(
        officer=officer or kdd_person(Role.CASE_OFFICER),
        approver=approver or kdd_person(Role.APPROVER),
        consultees=dict(consultees),
    )


def kdd_person(role: Role):
    """KDD's case officer (Sara) or leader who approves (Ola)."""
    username, first_name = {
        Role.CASE_OFFICER: ("saksbehandler.kdd", "Sara"),
        Role.APPROVER: ("leder.kdd", "Ola"),
    }[role]
    return person(ministry("KDD"), role, username, first_name=first_name)


# --- the applicant's side ------------------------------------------------------------------


def draft(*, actor, organisation, title="Felles skolerute", **fields) -> Application:
    """A draft by ``actor`` for ``organisation``."""
    return services.application_create(
        actor=actor, lead_organisation=organisation, title=title, **fields
    )


def exemption(key: str = OPPL_13_1, **texts) -> dict:
    """One exemption request for ``ready(exemptions=[...])``: against the provision with that
    citation key, with the texts a user writes (what applies instead and why)."""
    return {
        "provision": key,
        "proposed_arrangement": texts.pop("proposed_arrangement", f"Ei anna ordning enn {key}."),
        "justification": texts.pop("justification", "Betre tenester."),
        **texts,
    }


def ready(
    *,
    actor,
    organisation,
    co_applicants=(),
    stage=Stage.PRELIMINARY,
    title="Felles skolerute for ungdomsskolane",
    exemptions=(DEFAULT_EXEMPTION,),
    purposes=None,
    **fields,
) -> Application:
    """A draft that passes every submission rule.

    A description, a period of 24 months, a start date 90 days ahead, the ``exemptions``
    (default: opplæringslova § 13-1 with what shall apply instead and why; a spec with
    ``citation_text`` instead of ``provision`` is a citation the register cannot resolve),
    purposes, and a contact person per applicant organisation. ``co_applicants`` adds
    organisations; ``stage=Stage.FINAL`` also attaches every council decision and the draft
    regulation.
    """
    values = {
        "description": "Skolane prøver ut ei ny ordning for bortvising.",
        "period_months": 24,
        "requested_start": timezone.localdate() + datetime.timedelta(days=90),
        **fields,
    }
    application = draft(actor=actor, organisation=organisation, title=title, stage=stage, **values)
    if co_applicants:
        services.application_set_co_applicants(
            actor=actor, application=application, organisations=co_applicants
        )
    for spec in exemptions:
        spec = dict(spec)
        key = spec.pop("provision", None)
        services.exemption_request_create(
            actor=actor,
            application=application,
            provision=Provision.objects.select_related("act").get(citation_key=key)
            if key
            else None,
            **spec,
        )
    services.application_set_purposes(
        actor=actor, application=application, purposes=purposes or DEFAULT_PURPOSES
    )
    for organisation_ in application.applicant_organisations:
        services.contact_add(
            actor=actor,
            application=application,
            organisation=organisation_,
            name=f"Kontakt {organisation_.name}",
            email=f"kontakt@{organisation_.number}.kommune.example",
        )
    if stage == Stage.FINAL:
        _attach_final_documents(actor, application)
    return application


def _attach_final_documents(actor, application: Application) -> None:
    for organisation_ in application.applicant_organisations:
        services.attachment_add(
            actor=actor,
            application=application,
            uploaded_file=upload(
                f"vedtak-{organisation_.number}.pdf", pdf_bytes(), "application/pdf"
            ),
            kind=AttachmentKind.COUNCIL_DECISION,
            organisation=organisation_,
        )
    services.attachment_add(
        actor=actor,
        application=application,
        uploaded_file=upload("forskrift.pdf", pdf_bytes("Forskrift"), "application/pdf"),
        kind=AttachmentKind.DRAFT_REGULATION,
    )


def submit(application: Application, *, actor, at: datetime.datetime | None = None):
    """Submit (at the moment ``at``, default now): the case process starts."""
    with _clock(at):
        services.application_submit(actor=actor, application=application)
    return Application.objects.get(pk=application.pk)


# --- the case process ----------------------------------------------------------------------


def open_task(application: Application, step: str):
    """The one open task of ``step`` (a node name of ApplicationFlow), or None."""
    return (
        ApplicationFlow.task_class.objects.select_related("process")
        .filter(
            process__caseprocess__application=application,
            flow_task=_node(step),
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .order_by("pk")
        .first()
    )


def current_step(application: Application) -> str | None:
    """The first step of STEPS whose task is open, or None (decided, waiting for the
    applicant, or no process)."""
    open_now = set(
        ApplicationFlow.task_class.objects.filter(
            process__caseprocess__application=application,
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        ).values_list("flow_task", flat=True)
    )
    return next((s for s in STEPS if hasattr(ApplicationFlow, s) and _node(s) in open_now), None)


def advance(
    application: Application,
    *,
    to: str,
    staff: Staff,
    outcomes: dict | None = None,
    refuse: str = "",
    summary: str = "Forsøket fyller vilkårene i forsøksloven §§ 1 og 3 og ligger innenfor § 4.",
    statement: str = "Departementet støtter forsøket.",
    registered: datetime.datetime | None = None,
    decided: datetime.datetime | None = None,
    letter_language: str = "",
) -> Application:
    """Take a submitted application through the case process, from where it stands until
    the task of step ``to`` is open (see STEPS); ``to="decided"`` ends with the approver's
    approval. Without a consultation to wait for, ``to="consult"`` stops at the proposal.

    ``outcomes`` (``{citation key: (outcome, reasons, conditions)}``) is what the officer
    proposes for those exemptions, every other one granted; ``refuse`` refuses every exemption
    with that reason (and is the summary). ``statement`` is each ministry's answer.
    ``registered`` and ``decided`` (aware datetimes) put the clock at those moments for the
    registration and for the steps after it. ``letter_language`` is the officer's choice of
    written form for the letters to a neutral recipient (språklova § 11).
    """
    target = STEPS.index(to)
    chosen = {"letter_language": letter_language} if letter_language else {}
    while (step := current_step(application)) is not None and STEPS.index(step) < target:
        with _clock(registered if step == "register" else decided):
            if step == "register":
                _complete(application, step, staff.officer, dict(chosen))
            elif step == "check_completeness":
                _complete(application, step, staff.officer, {**_completeness(to), **chosen})
            elif step == "assess":
                _assess_all(application, staff.officer)
            elif step == "consult":
                _answer_consultations(application, staff, statement)
            elif step == "propose":
                _propose(application, staff.officer, outcomes or {}, refuse or "", summary, chosen)
            else:
                _complete(application, step, staff.approver, {"decision": "approve"})
    run_due_tasks()  # the worker has stored the letters and sent the mail
    return _fresh(application)


def _node(step: str):
    return getattr(ApplicationFlow, step)


def _completeness(to: str) -> dict:
    if to == "awaiting_applicant":
        return {"complete": False, "message": "Send oss vedtaket i kommunestyret."}
    return {"complete": True}


def _complete(application: Application, step: str, actor, payload: dict) -> None:
    task = open_task(application, step)
    if task is None:
        raise LookupError(f"{application.reference}: no open {step} task")
    task_complete(actor=actor, task=task, payload=payload)


def _assess_all(application: Application, officer) -> None:
    _complete(
        application,
        "assess",
        officer,
        {
            "assessments": {
                e.pk: {"assessment": Assessment.WITHIN_SCOPE, "note": ""}
                for e in application.exemption_requests.all()
            }
        },
    )


def _answer_consultations(application: Application, staff: Staff, statement: str) -> None:
    """Every consulted ministry supports every exemption it was asked about."""
    while (task := open_task(application, "consult")) is not None:
        consultation = Consultation.objects.select_related("ministry").get(
            pk=task.data["consultation"]
        )
        task_complete(
            actor=staff.consultee(consultation.ministry),
            task=task,
            payload={
                "positions": {
                    e.pk: {"position": Position.SUPPORTS, "statement": ""}
                    for e in consultation.exemptions.all()
                },
                "statement": statement,
            },
        )


def _propose(
    application: Application, officer, outcomes: dict, refuse: str, summary: str, chosen=None
):
    proposed = {}
    for exemption_ in application.exemption_requests.select_related("provision"):
        key = exemption_.provision.citation_key if exemption_.provision else ""
        if refuse:
            outcome, reasons, conditions = Outcome.REFUSED, refuse, ""
        else:
            outcome, reasons, conditions = outcomes.get(key, (Outcome.GRANTED, "", ""))
        proposed[exemption_.pk] = {
            "outcome": outcome,
            "reasons": reasons,
            "conditions": conditions,
        }
    _complete(
        application,
        "propose",
        officer,
        {
            "outcomes": proposed,
            "summary": refuse or summary,
            **(chosen or {}),
        },
    )


# --- any status ----------------------------------------------------------------------------

ROUTES = {
    ApplicationStatus.SUBMITTED: "register",
    ApplicationStatus.REGISTERED: "check_completeness",
    ApplicationStatus.AWAITING_APPLICANT: "awaiting_applicant",
    ApplicationStatus.UNDER_REVIEW: "assess",
    ApplicationStatus.IN_CONSULTATION: "consult",
    ApplicationStatus.DECISION_PROPOSED: "approve",
    ApplicationStatus.APPROVED: "decided",
    ApplicationStatus.REJECTED: "decided",
}


def reach(application: Application, status: str, *, actor, staff: Staff) -> Application:
    """Take a ready draft (or a submitted application) of ``actor``, its lead applicant, to
    ``status``: submitted and driven through the case process; REJECTED refuses every
    exemption, WITHDRAWN is withdrawn by ``actor`` after submission. A DRAFT stays as it is."""
    if status == ApplicationStatus.DRAFT:
        return _fresh(application)
    if application.status == ApplicationStatus.DRAFT:
        application = submit(application, actor=actor)
    if status == ApplicationStatus.WITHDRAWN:
        services.application_withdraw(
            actor=actor, application=application, reason="Kommunen trekkjer søknaden."
        )
        return _fresh(application)
    refuse = "Kan gjerast etter gjeldande rett." if status == ApplicationStatus.REJECTED else ""
    application = advance(application, to=ROUTES[status], staff=staff, refuse=refuse)
    if application.status != status:
        raise AssertionError(f"reached {application.status}, not {status}")
    return application


# --- helpers -------------------------------------------------------------------------------


def _fresh(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


def _clock(moment: datetime.datetime | None):
    """The clock stopped at ``moment`` (time-machine), or left alone."""
    if moment is None:
        return contextlib.nullcontext()
    import time_machine  # a test dependency: only needed when a moment is given

    return time_machine.travel(moment, tick=False)


# --- the trial after the decision ----------------------------------------------------------

_regulation_numbers = iter(range(1, 10_000))


def regulation(
    trial, *, officer, starts_on: datetime.date | None = None, months: int = 24, **fields
):
    """Record the regulation on ``trial`` (it comes into force): in force from ``starts_on``
    (default: today) for ``months`` months (or until ``in_force_to``), adopted today or on
    the start date if that is earlier, with a Lovdata id numbered per test run."""
    from trials.rules import add_months

    starts_on = starts_on or timezone.localdate()
    adopted = fields.pop("adopted_on", min(timezone.localdate(), starts_on))
    number = next(_regulation_numbers)
    values = {
        "for_id": f"FOR-{adopted:%Y-%m-%d}-{number:04d}",
        "title": f"Forskrift om forsøk med {trial.application.title.lower()}",
        "adopted_on": adopted,
        "in_force_from": starts_on,
        "in_force_to": add_months(starts_on, months),
        "text": upload("forskrift.pdf", pdf_bytes("Forskrift"), "application/pdf"),
        "lovdata_url": f"https://lovdata.no/dokument/LF/forskrift/{adopted:%Y-%m-%d}-{number}",
        **fields,
    }
    return services.regulation_record(actor=officer, trial=trial, **values)


def trial(*, actor, organisation, staff: Staff, **fields):
    """An approved final application by ``actor`` for ``organisation``: its trial (approved,
    not yet in force)."""
    application = reach(
        ready(actor=actor, organisation=organisation, stage=Stage.FINAL, **fields),
        ApplicationStatus.APPROVED,
        actor=actor,
        staff=staff,
    )
    return application.trial


# --- an application for extension: a case with the same steps --------------------------------

EXTENSION_STEPS = ("register", "assess", "consult", "propose", "approve")


def extension_task(extension, step: str):
    """The open task of ``step`` in the case of ``extension`` (an Extension), or None."""
    return (
        ApplicationFlow.task_class.objects.select_related("process")
        .filter(
            process__caseprocess__extension=extension,
            flow_task=_node(step),
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .order_by("pk")
        .first()
    )


def extension_step(extension) -> str | None:
    """The first step of EXTENSION_STEPS whose task is open in the extension's case."""
    return next((s for s in EXTENSION_STEPS if extension_task(extension, s) is not None), None)


def extension_complete(extension, step: str, actor, payload: dict) -> None:
    """Complete the open ``step`` task of the extension's case as the pages and API do."""
    task_complete(actor=actor, task=extension_task(extension, step), payload=payload)


def extension_through_case(extension, *, staff: Staff, grant: bool = True, consult=True):
    """Take an application for extension through its case to the decision: registered, its
    terms assessed as applied for, the ministries answered (``consult``), proposed by the
    officer and approved by the approver."""
    officer = staff.officer
    extension_complete(extension, "register", officer, {})
    terms = {
        "months": extension.months,
        "reform_reference": extension.reform_reference,
        "reform_date": extension.reform_date,
    }
    extension_complete(
        extension,
        "assess",
        officer,
        {**terms, "note": "Vilkåra i § 3 er oppfylte.", "skip_consultation": not consult},
    )
    while (task := extension_task(extension, "consult")) is not None:
        consultation = Consultation.objects.get(pk=task.data["consultation"])
        positions = {
            e.pk: {"position": Position.SUPPORTS, "statement": ""}
            for e in consultation.exemptions.all()
        }
        task_complete(
            actor=staff.consultee(consultation.ministry),
            task=task,
            payload={"positions": positions, "statement": "Departementet støttar forlenginga."},
        )
    decision = "grant" if grant else "refuse"
    extension_complete(
        extension, "propose", officer, {"decision": decision, "reasons": "Godt grunngitt."}
    )
    extension_complete(extension, "approve", staff.approver, {"decision": "approve"})
    run_due_tasks()
    extension.refresh_from_db()
    return extension


def trial_extended(trial, *, officer, approver, reasons: str = "Meir tid.", **terms):
    """KDD extends ``trial`` on its own initiative: the officer's proposal
    (``trials.services.trial_extend``), approved by ``approver`` in the extension's case."""
    extension = services.trial_extend(actor=officer, trial=trial, reasons=reasons, **terms)
    extension_complete(extension, "approve", approver, {"decision": "approve"})
    extension.refresh_from_db()
    return extension
