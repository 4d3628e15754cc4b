"""The ministry's case handling through the services: every step journaled and audited."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from casework.choices import CaseStatus, EntryType, Role
from casework.models import AuditEvent, JournalEntry
from casework.selectors import case_for
from legal.models import Provision
from tests.factories import member, ministry
from trials import services
from trials.choices import (
    ApplicationStatus,
    Assessment,
    ConsultationStatus,
    ExemptionStatus,
    Outcome,
    Position,
    Stage,
)
from trials.models import Application, Trial

pytestmark = pytest.mark.django_db

HOL_3_2 = "LOV-2011-06-24-30/§3-2"  # helse- og omsorgstjenesteloven, owned by HOD
KOML_11_3 = "LOV-2018-06-22-83/§11-3"  # kommuneloven chapter 11: a § 4 limit


@pytest.fixture
def approver(kdd):
    return member(kdd, Role.APPROVER, username="leder.kdd")


@pytest.fixture
def second_officer(kdd):
    return member(kdd, Role.CASE_OFFICER, username="saksbehandler2")


@pytest.fixture
def hod_consultee(db):
    return member(ministry("HOD"), Role.CONSULTEE, username="fagdep.hod")


@pytest.fixture
def submitted(make_ready, applicant, django_capture_on_commit_callbacks):
    """A submitted application; ``also=[citation keys]`` adds exemption requests first."""

    def build(also=(), **kwargs):
        application = make_ready(**kwargs)
        for key in also:
            _add_exemption(application, kwargs.get("actor", applicant), key)
        with django_capture_on_commit_callbacks(execute=True):
            return services.application_submit(
                actor=kwargs.get("actor", applicant), application=application
            )

    return build


def _add_exemption(application, applicant, key):
    return services.exemption_request_create(
        actor=applicant,
        application=application,
        provision=Provision.objects.get(citation_key=key),
        proposed_arrangement="Ny ordning i forsøksperioden.",
        justification="Gir betre tenester.",
    )


def _to_review(application, officer):
    services.application_register(actor=officer, application=application)
    return services.application_accept_as_complete(actor=officer, application=application)


def _assess_all(application, officer, assessment=Assessment.WITHIN_SCOPE):
    for exemption in application.exemption_requests.all():
        services.exemption_assess(
            actor=officer, exemption=exemption, assessment=assessment, note="Vurdert."
        )


def test_registration_opens_a_numbered_case_with_incoming_and_receipt_entries(
    submitted, case_officer, django_capture_on_commit_callbacks, run_tasks
):
    application = submitted()
    run_tasks()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.application_register(actor=case_officer, application=application)
    run_tasks()  # the worker renders the receipt letter and sends the mail
    year = timezone.localdate().year
    assert case.number == f"{year}/000001"
    assert case.status == CaseStatus.UNDER_TREATMENT
    entries = list(case.entries.order_by("number_in_case"))
    assert [e.entry_type for e in entries] == [EntryType.INCOMING, EntryType.OUTGOING]
    assert entries[0].correspondent == application.lead_organisation
    assert entries[1].documents.get().file.read().startswith(b"%PDF")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REGISTERED
    assert len(mail.outbox) == 1 and case.number in mail.outbox[0].body


def test_journal_numbers_are_gapless_across_cases(submitted, case_officer, bodo_applicant, bodo):
    first = submitted()
    second = submitted(actor=bodo_applicant, organisation=bodo, title="Bodø-forsøket")
    services.application_register(actor=case_officer, application=first)
    services.application_register(actor=case_officer, application=second)
    sequences = sorted(JournalEntry.objects.values_list("journal_sequence", flat=True))
    assert sequences == [1, 2, 3, 4]
    assert case_for(second).sequence == case_for(first).sequence + 1


def test_only_case_officers_register(submitted, applicant, approver):
    application = submitted()
    for user in (applicant, approver):
        with pytest.raises(PermissionDenied):
            services.application_register(actor=user, application=application)


def test_consultations_cannot_finish_while_one_is_open(submitted, case_officer, consultee):
    """The check is the condition of the UPDATE that moves the application: refused with the
    same reason, and nothing moved or audited."""
    application = submitted(stage=Stage.FINAL, also=[HOL_3_2])
    _to_review(application, case_officer)
    _assess_all(application, case_officer)
    consultations = services.consultations_start(actor=case_officer, application=application)
    kd = next(c for c in consultations if c.ministry.code == "KD")
    services.consultation_answer(
        actor=consultee,
        consultation=kd,
        positions={kd.exemptions.get().pk: (Position.SUPPORTS, "")},
    )

    with pytest.raises(services.ConflictError) as refused:
        services.consultations_finish(actor=case_officer, application=application)

    assert str(refused.value) == gettext("Some consultations are still open.")

    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.IN_CONSULTATION
    assert not AuditEvent.objects.filter(action="application.consultation_finished").exists()


def test_complete_case_with_consultation_of_two_ministries_ends_in_partial_approval(
    submitted,
    applicant,
    case_officer,
    consultee,
    hod_consultee,
    approver,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    application = submitted(stage=Stage.FINAL, also=[HOL_3_2])
    hod_exemption = application.exemption_requests.get(provision__citation_key=HOL_3_2)
    _to_review(application, case_officer)
    _assess_all(application, case_officer)

    needed = services.consultations_needed(application)
    assert {m.code for m in needed} == {"KD", "HOD"}
    consultations = services.consultations_start(actor=case_officer, application=application)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.IN_CONSULTATION
    by_code = {c.ministry.code: c for c in consultations}

    with pytest.raises(PermissionDenied):  # KD cannot answer HOD's consultation
        services.consultation_answer(actor=consultee, consultation=by_code["HOD"], positions={})
    kd_exemption = by_code["KD"].exemptions.get()
    services.consultation_answer(
        actor=consultee,
        consultation=by_code["KD"],
        positions={kd_exemption.pk: (Position.SUPPORTS, "")},
        statement="KD støttar forsøket.",
    )
    services.consultation_answer(
        actor=hod_consultee,
        consultation=by_code["HOD"],
        positions={hod_exemption.pk: (Position.OPPOSES, "Svekkjer retten til tenester.")},
    )
    services.consultations_finish(actor=case_officer, application=application)

    proposal = services.decision_propose(
        actor=case_officer,
        application=application,
        outcomes={
            kd_exemption.pk: {"outcome": Outcome.GRANTED},
            hod_exemption.pk: {"outcome": Outcome.REFUSED, "reasons": "HOD går imot."},
        },
        summary="Forsøket blir godkjent for skoledelen.",
    )
    with pytest.raises(PermissionDenied):  # four eyes: nobody approves their own proposal
        services.proposal_approve(actor=case_officer, proposal=proposal)
    run_tasks()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.proposal_approve(actor=approver, proposal=proposal)

    assert decided.status == ApplicationStatus.APPROVED
    kd_exemption.refresh_from_db()
    hod_exemption.refresh_from_db()
    assert kd_exemption.status == ExemptionStatus.GRANTED
    assert hod_exemption.status == ExemptionStatus.REFUSED
    trial = Trial.objects.get(application=application)
    assert list(trial.exemptions.all()) == [kd_exemption]
    case = case_for(application)
    assert case.status == CaseStatus.CLOSED
    titles = list(case.entries.values_list("entry_type", flat=True))
    # I application, U receipt, U×2 consultation letters, I×2 answers, U decision
    assert titles.count(EntryType.OUTGOING) == 4 and titles.count(EntryType.INCOMING) == 3
    run_tasks()
    assert len(mail.outbox) == 1 and "FRI-" in mail.outbox[0].subject
    actions = set(
        AuditEvent.objects.filter(object_id=str(application.pk)).values_list("action", flat=True)
    )
    assert {
        "application.registered",
        "application.complete",
        "exemption.assessed",
        "consultation.sent",
        "consultation.answered",
        "application.decision_proposed",
        "application.approved",
    } <= actions


def test_returned_proposal_goes_back_to_review_and_can_be_proposed_again(
    submitted, case_officer, approver
):
    application = submitted()
    _to_review(application, case_officer)
    _assess_all(application, case_officer)
    assert services.consultations_start(actor=case_officer, application=application) != []
    services.consultation_close(
        actor=case_officer, consultation=application.consultations.get(), reason="Ikkje svar."
    )
    services.consultations_finish(actor=case_officer, application=application)
    exemption = application.exemption_requests.get()
    outcomes = {exemption.pk: {"outcome": Outcome.GRANTED}}
    proposal = services.decision_propose(
        actor=case_officer, application=application, outcomes=outcomes, summary="Godkjent."
    )
    with pytest.raises(ValidationError):
        services.proposal_return(actor=approver, proposal=proposal, comment="")
    services.proposal_return(actor=approver, proposal=proposal, comment="Grunngi betre.")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW
    again = services.decision_propose(
        actor=case_officer, application=application, outcomes=outcomes, summary="Betre."
    )
    with pytest.raises(services.ConflictError):
        services.proposal_approve(actor=approver, proposal=proposal)
    assert services.proposal_approve(actor=approver, proposal=again).status == "approved"


def test_refused_request_needs_reasons_and_a_limit_cannot_be_granted(
    submitted, applicant, case_officer, approver
):
    application = submitted(also=[KOML_11_3])
    limited = application.exemption_requests.get(provision__citation_key=KOML_11_3)
    _to_review(application, case_officer)
    assert services.assessment_suggestion(limited) == Assessment.OUTSIDE_LIMITS
    for exemption in application.exemption_requests.all():
        services.exemption_assess(
            actor=case_officer,
            exemption=exemption,
            assessment=services.assessment_suggestion(exemption),
            note="Følgjer registeret.",
        )
    # opplæringslova has its own trial provision and kommuneloven is KDD's: nobody to consult
    assert services.consultations_start(actor=case_officer, application=application) == []
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW
    with pytest.raises(ValidationError) as error:
        services.decision_propose(
            actor=case_officer,
            application=application,
            outcomes={
                e.pk: {"outcome": Outcome.GRANTED} for e in application.exemption_requests.all()
            },
            summary="Alt godkjent.",
        )
    assert f"outcome_{limited.pk}" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.decision_propose(
            actor=case_officer,
            application=application,
            outcomes={
                e.pk: {"outcome": Outcome.REFUSED} for e in application.exemption_requests.all()
            },
            summary="Avslag.",
        )
    assert f"reasons_{limited.pk}" in error.value.message_dict
    proposal = services.decision_propose(
        actor=case_officer,
        application=application,
        outcomes={
            e.pk: {"outcome": Outcome.REFUSED, "reasons": "Utanfor § 4."}
            for e in application.exemption_requests.all()
        },
        summary="Avslag.",
    )
    assert services.proposal_approve(actor=approver, proposal=proposal).status == "rejected"
    assert not Trial.objects.filter(application=application).exists()


def test_request_for_information_answered_resumes_review(
    submitted, applicant, case_officer, django_capture_on_commit_callbacks
):
    application = submitted()
    services.application_register(actor=case_officer, application=application)
    request = services.application_request_information(
        actor=case_officer, application=application, message="Legg ved vedtaket."
    )
    assert request.due_date == timezone.localdate() + datetime.timedelta(days=14)
    services.information_request_extend(
        actor=case_officer,
        application=application,
        due_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    services.application_answer(actor=applicant, application=application, text="Her er det.")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW


def test_closing_without_answer_rejects_with_a_letter(submitted, case_officer):
    application = submitted()
    services.application_register(actor=case_officer, application=application)
    services.application_request_information(
        actor=case_officer, application=application, message="Kva er planen?"
    )
    closed = services.application_close_without_answer(
        actor=case_officer, application=application, reason="Søkjaren svarte ikkje."
    )
    assert closed.status == ApplicationStatus.REJECTED
    assert case_for(application).entries.filter(entry_type=EntryType.OUTGOING).count() == 3


def test_interim_reply_is_journaled_and_emailed(
    submitted, case_officer, django_capture_on_commit_callbacks, run_tasks
):
    application = submitted()
    services.application_register(actor=case_officer, application=application)
    run_tasks()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.interim_reply_send(
            actor=case_officer,
            application=application,
            reason="Fagdepartementet treng meir tid.",
            expected_decision=timezone.localdate() + datetime.timedelta(days=45),
        )
    assert reply.entry.entry_type == EntryType.OUTGOING
    run_tasks()
    assert len(mail.outbox) == 1
    assert "Fagdepartementet treng meir tid." in mail.outbox[0].body


def test_consultation_answer_is_refused_twice(submitted, case_officer, consultee):
    application = submitted()
    _to_review(application, case_officer)
    _assess_all(application, case_officer)
    consultation = services.consultations_start(actor=case_officer, application=application)[0]
    exemption = consultation.exemptions.get()
    positions = {exemption.pk: (Position.NO_VIEW, "")}
    services.consultation_answer(actor=consultee, consultation=consultation, positions=positions)
    with pytest.raises(services.ConflictError):
        services.consultation_answer(
            actor=consultee, consultation=consultation, positions=positions
        )
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.ANSWERED
    assert consultation.answers.count() == 1
