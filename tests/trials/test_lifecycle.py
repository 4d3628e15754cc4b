"""The trial after the decision: every transition, each legal limit, audit, journal, 409."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from casework.models import AuditEvent, JournalEntry
from casework.selectors import audit_events_for
from tests import builders
from tests.files import pdf_bytes, upload
from trials import services
from trials.choices import ExtensionStatus, ObligationKind, ReportStatus, TrialStatus
from trials.exceptions import ConflictError
from trials.models import Trial
from trials.rules import add_months


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def fresh(trial) -> Trial:
    return Trial.objects.get(pk=trial.pk)


def last_event(trial) -> AuditEvent:
    return audit_events_for(trial).order_by("-pk").first()


def pdf(name="rapport.pdf"):
    return upload(name, pdf_bytes("Rapport"), "application/pdf")


# --- coming into force -----------------------------------------------------------------------


def test_an_approved_trial_waits_for_its_regulation(approved_trial):
    assert approved_trial.status == TrialStatus.APPROVED
    assert not approved_trial.in_force_on(timezone.localdate())


def test_recording_the_regulation_puts_the_trial_in_force_journaled_and_audited(
    approved_trial, case_officer
):
    today = timezone.localdate()
    regulation = builders.regulation(approved_trial, officer=case_officer, months=36)
    trial = fresh(approved_trial)
    assert trial.status == TrialStatus.IN_FORCE
    assert (trial.starts_on, trial.ends_on) == (today, add_months(today, 36))
    assert trial.period_ends_on == trial.ends_on and trial.officer == case_officer
    assert trial.in_force_on(today)
    entry = regulation.entry
    assert entry.entry_type == "U" and regulation.for_id in entry.title
    assert entry.documents.get().source == regulation
    moved = audit_events_for(trial).get(action="trial.in_force")
    assert (moved.actor, moved.from_state, moved.to_state) == (
        case_officer,
        TrialStatus.APPROVED,
        TrialStatus.IN_FORCE,
    )
    assert moved.reason == regulation.for_id


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"for_id": "FOR-2027-1-5-12"}, "for_id"),
        ({"for_id": "FOR-2027-02-30-12"}, "for_id"),
        ({"lovdata_url": "https://example.com/forskrift"}, "lovdata_url"),
    ],
)
def test_a_regulation_with_a_malformed_id_or_address_is_refused(
    approved_trial, case_officer, fields, field
):
    with pytest.raises(ValidationError) as refused:
        builders.regulation(approved_trial, officer=case_officer, **fields)
    assert field in refused.value.message_dict
    assert fresh(approved_trial).status == TrialStatus.APPROVED


def test_an_end_date_past_the_four_year_maximum_is_refused(approved_trial, case_officer):
    with pytest.raises(ValidationError) as refused:
        builders.regulation(approved_trial, officer=case_officer, months=49)
    assert "at most 48 months" in refused.value.message_dict["in_force_to"][0]
    builders.regulation(approved_trial, officer=case_officer, months=48)
    assert fresh(approved_trial).status == TrialStatus.IN_FORCE


def test_only_a_case_officer_records_the_regulation(approved_trial, applicant, approver):
    for someone in (applicant, approver):
        with pytest.raises(PermissionDenied):
            builders.regulation(approved_trial, officer=someone)


def test_a_second_regulation_recorded_in_a_race_gets_a_conflict(trial_in_force, case_officer):
    with pytest.raises(ConflictError):
        builders.regulation(Trial.objects.get(pk=trial_in_force.pk), officer=case_officer)


# --- extension: the legal limits ---------------------------------------------------------------


def test_an_extension_of_25_months_is_refused(trial_in_force, case_officer):
    with pytest.raises(ValidationError) as refused:
        services.trial_extend(
            actor=case_officer, trial=trial_in_force, months=25, reasons="Mer tid."
        )
    assert "at most 24 months in all" in refused.value.message_dict["months"][0]
    assert fresh(trial_in_force).ends_on == trial_in_force.ends_on


def test_extensions_add_up_to_at_most_two_years(trial_in_force, case_officer, approver):
    builders.trial_extended(trial_in_force, officer=case_officer, approver=approver, months=12)
    with pytest.raises(ValidationError) as refused:
        services.trial_extend(
            actor=case_officer, trial=trial_in_force, months=13, reasons="Eitt år til."
        )
    assert "12 months are left" in refused.value.message_dict["months"][0]
    builders.trial_extended(trial_in_force, officer=case_officer, approver=approver, months=12)
    trial = fresh(trial_in_force)
    assert trial.ends_on == add_months(trial.period_ends_on, 24)


def test_until_reform_without_a_named_reform_is_refused(trial_in_force, case_officer):
    later = add_months(trial_in_force.ends_on, 30)
    with pytest.raises(ValidationError) as refused:
        services.trial_extend(
            actor=case_officer, trial=trial_in_force, reform_date=later, reasons="Reform."
        )
    assert "Name the planned or decided reform" in refused.value.message_dict["reform_reference"][0]


def test_an_extension_until_a_named_reform_may_pass_two_years(
    trial_in_force, case_officer, approver
):
    reform = add_months(trial_in_force.ends_on, 30)
    extension = builders.trial_extended(
        trial_in_force,
        officer=case_officer,
        approver=approver,
        reform_reference="Prop. 12 L (2028–2029) ny kommunelov",
        reform_date=reform,
        reasons="Reformen tek over.",
    )
    trial = fresh(trial_in_force)
    assert trial.ends_on == reform == extension.new_ends_on
    assert trial.status == TrialStatus.IN_FORCE
    moved = audit_events_for(trial).get(action="trial.extended")
    assert moved.data["ends_on"] == reform.isoformat() and moved.reason == "Reformen tek over."
    assert extension.letter.entry_type == "U"


def test_the_municipality_applies_and_the_case_decides_an_extension(
    trial_in_force, applicant, case_officer, staff
):
    extension = services.extension_apply(
        actor=applicant, trial=trial_in_force, months=12, justification="Vi treng meir data."
    )
    assert extension.status == ExtensionStatus.REQUESTED
    with pytest.raises(ConflictError):
        services.extension_apply(
            actor=applicant, trial=trial_in_force, months=6, justification="Ein til."
        )
    extension = builders.extension_through_case(extension, staff=staff)
    assert extension.application_entry.entry_type == "I"
    assert fresh(trial_in_force).ends_on == add_months(trial_in_force.ends_on, 12)
    with pytest.raises(ConflictError):
        services.extension_decide(
            actor=case_officer, extension=extension, grant=False, reasons="For seint."
        )


def test_a_refused_extension_leaves_the_end_date(trial_in_force, applicant, staff):
    extension = services.extension_apply(
        actor=applicant, trial=trial_in_force, months=6, justification="Litt til."
    )
    extension = builders.extension_through_case(extension, staff=staff, grant=False)
    assert extension.status == ExtensionStatus.REFUSED
    assert fresh(trial_in_force).ends_on == trial_in_force.ends_on


def test_another_municipality_cannot_apply_for_an_extension(trial_in_force, bodo_applicant):
    with pytest.raises(PermissionDenied):
        services.extension_apply(
            actor=bodo_applicant, trial=trial_in_force, months=6, justification="Vi vil."
        )


def test_a_trial_not_in_force_cannot_be_extended(approved_trial, case_officer):
    with pytest.raises(ConflictError):
        services.trial_extend(actor=case_officer, trial=approved_trial, months=6, reasons="X.")


# --- follow-up: obligations, reports, evaluations -----------------------------------------------


def test_a_report_is_journaled_and_acknowledging_it_fulfils_the_obligation(
    trial_in_force, applicant, case_officer
):
    due = timezone.localdate() + datetime.timedelta(days=300)
    obligation = services.obligation_add(
        actor=case_officer, trial=trial_in_force, kind=ObligationKind.ANNUAL_REPORT, due_on=due
    )
    report = services.report_submit(
        actor=applicant,
        trial=trial_in_force,
        title="Årsrapport 2027",
        text="Fråværet gjekk ned.",
        files=[pdf()],
        obligation=obligation,
    )
    assert report.entry.entry_type == "I"
    assert [d.title for d in report.entry.documents.all()] == ["Årsrapport 2027", "rapport.pdf"]
    services.report_acknowledge(actor=case_officer, report=report, response="Takk.")
    report.refresh_from_db()
    obligation.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED and obligation.is_fulfilled
    with pytest.raises(ConflictError):
        services.report_request_more(actor=case_officer, report=report, response="Meir.")


def test_the_officer_can_ask_for_more_in_a_report(trial_in_force, applicant, case_officer):
    report = services.report_submit(
        actor=applicant, trial=trial_in_force, title="Rapport", text="Kort."
    )
    with pytest.raises(ValidationError):
        services.report_request_more(actor=case_officer, report=report, response=" ")
    services.report_request_more(actor=case_officer, report=report, response="Legg ved tal.")
    report.refresh_from_db()
    assert report.status == ReportStatus.MORE_REQUESTED and report.response == "Legg ved tal."


def test_a_report_on_an_ended_trial_is_refused(trial_in_force, applicant):
    with time_machine.travel(trial_in_force.ends_on + datetime.timedelta(days=1)):
        services.trial_end(actor=None, trial=trial_in_force)
        with pytest.raises(ConflictError) as refused:
            services.report_submit(
                actor=applicant, trial=trial_in_force, title="Sein", text="For seint."
            )
    assert "reports are submitted while it is in force" in str(refused.value)


def test_a_report_by_another_municipality_is_refused(trial_in_force, bodo_applicant):
    with pytest.raises(PermissionDenied):
        services.report_submit(actor=bodo_applicant, trial=trial_in_force, title="X", text="Y")


def test_an_evaluation_is_recorded_with_its_report(trial_in_force, case_officer):
    evaluation = services.evaluation_record(
        actor=case_officer,
        trial=trial_in_force,
        evaluator="NIBR, OsloMet",
        conclusion="Forsøket gav betre tenester.",
        document=pdf("evaluering.pdf"),
    )
    assert evaluation.entry.correspondent_name == "NIBR, OsloMet"
    assert evaluation.entry.documents.get().source == evaluation
    assert audit_events_for(trial_in_force).filter(action="trial.evaluation_recorded").exists()


# --- the end -------------------------------------------------------------------------------------


def test_the_trial_cannot_be_ended_before_its_end_date(trial_in_force, case_officer):
    with pytest.raises(ConflictError):
        services.trial_end(actor=case_officer, trial=trial_in_force)


def test_the_trial_ends_on_its_end_date(trial_in_force, case_officer):
    with time_machine.travel(trial_in_force.ends_on):
        services.trial_end(actor=case_officer, trial=trial_in_force)
    trial = fresh(trial_in_force)
    assert trial.status == TrialStatus.ENDED and trial.closed_on == trial.ends_on
    assert not trial.in_force_on(trial.ends_on - datetime.timedelta(days=1))


def test_kdd_stops_a_trial_early_with_reasons_and_a_letter(trial_in_force, case_officer):
    with pytest.raises(ValidationError):
        services.trial_stop(actor=case_officer, trial=trial_in_force, reasons="")
    letters = JournalEntry.objects.filter(entry_type="U").count()
    services.trial_stop(
        actor=case_officer, trial=trial_in_force, reasons="Kommunen ba om det.", at_request=True
    )
    trial = fresh(trial_in_force)
    assert trial.status == TrialStatus.STOPPED and trial.stopped_at_request
    assert trial.closed_on == timezone.localdate()
    assert JournalEntry.objects.filter(entry_type="U").count() == letters + 1
    event = last_event(trial)
    assert (event.action, event.from_state, event.to_state, event.reason) == (
        "trial.stopped",
        TrialStatus.IN_FORCE,
        TrialStatus.STOPPED,
        "Kommunen ba om det.",
    )
    with pytest.raises(ConflictError):
        services.trial_stop(actor=case_officer, trial=trial_in_force, reasons="Igjen.")


def test_made_permanent_names_the_law_change(trial_in_force, case_officer):
    with pytest.raises(ValidationError) as refused:
        services.trial_make_permanent(
            actor=case_officer, trial=trial_in_force, law_reference="", law_date=None
        )
    assert set(refused.value.message_dict) == {"law_reference", "law_date"}
    law_date = datetime.date(2030, 1, 1)
    services.trial_make_permanent(
        actor=case_officer,
        trial=trial_in_force,
        law_reference="LOV-2029-06-20-55",
        law_date=law_date,
        reasons="Ordninga blir innført for alle.",
    )
    trial = fresh(trial_in_force)
    assert trial.status == TrialStatus.MADE_PERMANENT
    assert (trial.law_reference, trial.law_date) == ("LOV-2029-06-20-55", law_date)


def test_an_ended_trial_can_be_made_permanent_but_not_extended(trial_in_force, case_officer):
    with time_machine.travel(trial_in_force.ends_on):
        services.trial_end(actor=None, trial=trial_in_force)
    with pytest.raises(ConflictError):
        services.trial_extend(actor=case_officer, trial=trial_in_force, months=1, reasons="X.")
    services.trial_make_permanent(
        actor=case_officer,
        trial=trial_in_force,
        law_reference="LOV-2029-06-20-55",
        law_date=datetime.date(2030, 1, 1),
    )
    assert fresh(trial_in_force).status == TrialStatus.MADE_PERMANENT


def test_a_stale_copy_cannot_overwrite_a_newer_status(trial_in_force, case_officer):
    """Two officers at once: the second acts on what it loaded and is told to reload."""
    stale = Trial.objects.get(pk=trial_in_force.pk)
    services.trial_stop(actor=case_officer, trial=trial_in_force, reasons="Først.")
    with pytest.raises(ConflictError):
        services.trial_make_permanent(
            actor=case_officer,
            trial=stale,
            law_reference="LOV-2029-06-20-55",
            law_date=datetime.date(2030, 1, 1),
        )
