"""trials.services: references, submission rules, transitions, audit trail and email."""

import datetime
import hashlib
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_fsm import ConcurrentTransition

from casework.choices import MailStatus
from casework.fastpath import _CommitBump
from casework.models import (
    AuditEvent,
    AuditTrailImmutable,
    Organisation,
    OutgoingMail,
    Sequence,
)
from casework.selectors import audit_events_for
from tests.builders import OPPL_13_1
from tests.factories import municipality
from tests.files import pdf_bytes, png_bytes, upload
from trials import services
from trials.choices import ApplicationStatus, AttachmentKind, ExemptionStatus, Stage
from trials.models import Application, ExemptionRequest, InformationRequest
from trials.rules import MAX_CO_APPLICANTS, MAX_PERIOD_MONTHS, MIN_PERIOD_MONTHS
from trials.selectors import applications_for_user

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
MIDSUMMER = datetime.datetime(2027, 6, 15, 10, 0, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def _english():
    """Refusal messages are compared in English (the catalogue's source language)."""
    with translation.override("en"):
        yield


def refusal(exc_info) -> list[str]:
    return list(exc_info.value.messages)


def reload(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


# --- create: references and who may create --------------------------------------------------


def test_create_numbers_references_gaplessly_per_year(make_draft):
    with time_machine.travel(MIDSUMMER, tick=False):
        first = make_draft(title="Første")
        second = make_draft(title="Andre")
    assert first.reference == "FRI-2027-0001"
    assert second.reference == "FRI-2027-0002"
    assert first.status == ApplicationStatus.DRAFT
    assert Sequence.objects.get(name="application", year=2027).last_value == 2


def test_numbering_restarts_at_0001_in_a_new_year(make_draft):
    with time_machine.travel(datetime.datetime(2027, 12, 31, 14, 0, tzinfo=OSLO), tick=False):
        assert make_draft().reference == "FRI-2027-0001"
        assert make_draft().reference == "FRI-2027-0002"
    with time_machine.travel(datetime.datetime(2028, 1, 2, 9, 0, tzinfo=OSLO), tick=False):
        assert make_draft().reference == "FRI-2028-0001"
        assert make_draft().reference == "FRI-2028-0002"
    with time_machine.travel(datetime.datetime(2028, 1, 3, 9, 0, tzinfo=OSLO), tick=False):
        assert make_draft().reference == "FRI-2028-0003"


def test_reference_year_follows_the_norwegian_calendar(make_draft):
    """Half past midnight on 1 January in Oslo is still 31 December in UTC.

    An application created then is created in the new year (its created_at shows the new
    year in Europe/Oslo), so its reference must carry the new year as well.
    """
    with time_machine.travel(datetime.datetime(2028, 1, 1, 0, 30, tzinfo=OSLO), tick=False):
        application = make_draft()
        assert timezone.localtime(application.created_at).year == 2028
    assert application.reference == "FRI-2028-0001"


def test_a_failed_create_gives_its_number_back(make_draft):
    """The number is taken in the creating transaction: a rollback returns it."""
    with time_machine.travel(MIDSUMMER, tick=False):
        first = make_draft()
        # Make the next reference collide, so the create fails after taking number 2.
        Application.objects.filter(pk=first.pk).update(reference="FRI-2027-0002")
        with pytest.raises(IntegrityError):
            make_draft()
        Application.objects.filter(pk=first.pk).update(reference="FRI-2027-0001")
        assert make_draft().reference == "FRI-2027-0002"
        assert make_draft().reference == "FRI-2027-0003"
    assert Application.objects.filter(reference__startswith="FRI-2027-").count() == 3


def test_only_an_applicant_of_the_lead_organisation_can_create(
    lillehammer, bodo_applicant, case_officer, consultee, make_draft
):
    for outsider in (bodo_applicant, case_officer, consultee):
        with pytest.raises(PermissionDenied):
            make_draft(actor=outsider, organisation=lillehammer)
    assert not Application.objects.exists()
    assert not Sequence.objects.filter(name="application", last_value__gt=0).exists()


def test_the_period_rule_is_the_one_of_forsoksloven():
    """forsøksloven § 3: a trial runs for at most four years; every check reads these."""
    assert (MIN_PERIOD_MONTHS, MAX_PERIOD_MONTHS) == (1, 48)


@pytest.mark.parametrize("months", [0, MAX_PERIOD_MONTHS + 1])
def test_create_and_update_refuse_a_period_outside_the_law(make_draft, applicant, months):
    with pytest.raises(ValidationError) as exc:
        make_draft(period_months=months)
    assert exc.value.message_dict == {
        "period_months": [f"The period must be between 1 and {MAX_PERIOD_MONTHS} months."]
    }
    application = make_draft(period_months=MAX_PERIOD_MONTHS)
    assert application.period_months == MAX_PERIOD_MONTHS
    with pytest.raises(ValidationError):
        services.application_update(actor=applicant, application=application, period_months=months)
    assert reload(application).period_months == MAX_PERIOD_MONTHS


@pytest.mark.parametrize("months", [0, MAX_PERIOD_MONTHS + 1])
def test_the_database_refuses_a_period_outside_the_law(make_draft, months):
    application = make_draft(period_months=MIN_PERIOD_MONTHS)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(period_months=months)
    assert reload(application).period_months == MIN_PERIOD_MONTHS


def _local_governments(count: int, *, besides) -> list:
    return list(Organisation.objects.active().local_governments().exclude(pk=besides.pk)[:count])


def test_a_joint_application_has_at_most_the_cap_of_co_applicants(
    make_draft, applicant, lillehammer
):
    application = make_draft()
    too_many = _local_governments(MAX_CO_APPLICANTS + 1, besides=lillehammer)
    with pytest.raises(ValidationError) as exc:
        services.application_set_co_applicants(
            actor=applicant, application=application, organisations=too_many
        )
    assert exc.value.message_dict == {
        "co_applicants": [
            f"A joint application can have at most {MAX_CO_APPLICANTS} co-applicants."
        ]
    }
    assert not application.co_applicants.exists()
    # Neither the lead applicant nor a repeated organisation counts.
    allowed = too_many[:MAX_CO_APPLICANTS]
    services.application_set_co_applicants(
        actor=applicant, application=application, organisations=[lillehammer, *allowed, allowed[0]]
    )
    assert application.co_applicants.count() == MAX_CO_APPLICANTS


def test_saving_a_draft_is_all_or_nothing(make_draft, applicant, lillehammer):
    application = make_draft(summary="Before")
    with pytest.raises(ValidationError) as exc:
        services.application_save_draft(
            actor=applicant,
            application=application,
            summary="After",
            purposes={"democracy": "More local say."},
            co_applicants=_local_governments(MAX_CO_APPLICANTS + 1, besides=lillehammer),
        )
    assert list(exc.value.message_dict) == ["co_applicants"]
    application = reload(application)
    assert application.summary == "Before"
    assert not application.purposes.exists()
    assert not application.co_applicants.exists()


def test_saving_a_draft_writes_and_audits_only_what_changed(
    make_draft, applicant, bodo, expect_audit
):
    application = make_draft()
    with expect_audit(
        "application.updated", "application.purposes_set", "application.co_applicants_set"
    ):
        services.application_save_draft(
            actor=applicant,
            application=application,
            summary="Kort",
            purposes={"democracy": "More local say."},
            co_applicants=[bodo],
        )
    with expect_audit():
        services.application_save_draft(
            actor=applicant,
            application=reload(application),
            summary="Kort",
            purposes={"democracy": "More local say."},
            co_applicants=[bodo],
        )
    application = reload(application)
    assert application.summary == "Kort"
    assert {p.purpose: p.justification for p in application.purposes.all()} == {
        "democracy": "More local say."
    }
    assert list(application.co_applicants.all()) == [bodo]


# --- submit --------------------------------------------------------------------------------


def test_submit_a_ready_draft(
    make_ready,
    applicant,
    lillehammer,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    application = make_ready()
    moment = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    with (
        time_machine.travel(moment, tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        result = services.application_submit(actor=applicant, application=application)
        assert mail.outbox == []  # nothing is sent in the request
        queued = OutgoingMail.objects.get(target_id=str(application.pk))
        assert queued.status == MailStatus.QUEUED  # queued in the same transaction

    application = reload(application)
    assert result.status == application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at == moment
    event = audit_events_for(application).get(action="application.submitted")
    assert (event.from_state, event.to_state) == ("draft", "submitted")
    assert event.actor == applicant
    assert event.organisation == lillehammer
    # Nothing waits for the commit in memory (but the public pages' cache version, which
    # casework.fastpath replaces after every commit that wrote: losing it costs no work).
    assert [callback for callback in callbacks if not isinstance(callback, _CommitBump)] == []
    run_tasks()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kontakt@3405.kommune.example"]
    assert application.reference in message.subject
    assert application.reference in message.body
    assert f"/mine-soknader/{application.pk}/" in message.body


def test_submit_email_goes_to_every_contact_person_of_a_joint_application(
    make_ready,
    applicant,
    bodo,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    application = make_ready(co_applicants=[bodo])
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    run_tasks()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kontakt@1804.kommune.example", "kontakt@3405.kommune.example"]


def test_submit_email_falls_back_to_the_creator_without_contacts(
    make_draft,
    applicant,
    provision,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    application = make_draft(
        description="Beskrivelse",
        period_months=12,
        requested_start=timezone.localdate() + datetime.timedelta(days=30),
    )
    services.exemption_request_create(
        actor=applicant,
        application=application,
        provision=provision,
        proposed_arrangement="Annen ordning",
        justification="Fordi",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    run_tasks()
    assert [m.to for m in mail.outbox] == [[applicant.email]]


def test_submit_email_is_written_in_bokmal_by_default(
    make_ready,
    applicant,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    run_tasks()
    subject = mail.outbox[0].subject
    assert subject == submitted_subject("nb", application)
    assert subject != f"Application {application.reference} received"


def test_submit_email_is_written_in_the_lead_organisations_language(
    make_ready,
    applicant,
    lillehammer,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    lillehammer.language_form = "nn"
    lillehammer.save(update_fields=["language_form"])
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    run_tasks()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kontakt@3405.kommune.example"]
    assert application.reference in message.subject
    # The catalogues may be incomplete: compare with what the nynorsk catalogue says, and
    # (where bokmål and nynorsk differ) make sure it is not the bokmål default.
    assert message.subject == submitted_subject("nn", application)
    if submitted_subject("nn", application) != submitted_subject("nb", application):
        assert message.subject != submitted_subject("nb", application)


def submitted_subject(language: str, application) -> str:
    with translation.override(language):
        return gettext("Application %(reference)s received") % {"reference": application.reference}


def _guard_no_title(application, actor, **_):
    services.application_update(actor=actor, application=application, title="  ")


def _guard_no_description(application, actor, **_):
    services.application_update(actor=actor, application=application, description="")


def _guard_no_exemption(application, actor, **_):
    for request in application.exemption_requests.all():
        services.exemption_request_delete(actor=actor, request=request)


def _guard_no_arrangement(application, actor, **_):
    request = application.exemption_requests.get()
    services.exemption_request_update(actor=actor, request=request, proposed_arrangement=" ")


def _guard_no_justification(application, actor, **_):
    request = application.exemption_requests.get()
    services.exemption_request_update(actor=actor, request=request, justification="")


def _guard_no_period(application, actor, **_):
    services.application_update(actor=actor, application=application, period_months=None)


def _guard_no_start(application, actor, **_):
    services.application_update(actor=actor, application=application, requested_start=None)


def _guard_start_today(application, actor, **_):
    services.application_update(
        actor=actor, application=application, requested_start=timezone.localdate()
    )


def _guard_start_past(application, actor, **_):
    services.application_update(
        actor=actor,
        application=application,
        requested_start=timezone.localdate() - datetime.timedelta(days=1),
    )


OPPL = "opplæringslova § 13-1"


@pytest.mark.parametrize(
    ("make_unready", "expected"),
    [
        pytest.param(_guard_no_title, "Give the trial a title.", id="no-title"),
        pytest.param(_guard_no_description, "Describe the trial.", id="no-description"),
        pytest.param(_guard_no_exemption, "Add at least one exemption request.", id="no-exemption"),
        pytest.param(
            _guard_no_arrangement,
            f"Exemption from {OPPL}: say what shall apply instead during the trial.",
            id="no-proposed-arrangement",
        ),
        pytest.param(
            _guard_no_justification,
            f"Exemption from {OPPL}: give a justification.",
            id="no-justification",
        ),
        pytest.param(
            _guard_no_period, "Give the period of the trial in months.", id="period-missing"
        ),
        pytest.param(_guard_no_start, "Give the requested start date.", id="start-missing"),
        pytest.param(
            _guard_start_today,
            "The requested start date must lie in the future.",
            id="start-today",
        ),
        pytest.param(
            _guard_start_past,
            "The requested start date must lie in the future.",
            id="start-in-the-past",
        ),
    ],
)
def test_submit_refuses_with_the_reason(
    make_ready, applicant, make_unready, expected, django_capture_on_commit_callbacks
):
    application = make_ready()
    make_unready(application=application, actor=applicant)
    application = reload(application)
    audit_before = AuditEvent.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as exc,
    ):
        services.application_submit(actor=applicant, application=application)
    assert refusal(exc) == [expected]
    assert reload(application).status == ApplicationStatus.DRAFT
    assert reload(application).submitted_at is None
    assert AuditEvent.objects.count() == audit_before
    assert callbacks == []
    assert mail.outbox == []


def test_a_refusal_carries_the_not_ready_code(make_draft, applicant):
    """application_submit raises ValidationError(problems, code="not_ready"); the code must
    reach the caller (API clients and views tell "not ready" from other errors by it)."""
    application = make_draft(title="")
    with pytest.raises(ValidationError) as exc:
        services.application_submit(actor=applicant, application=application)
    assert {error.code for error in exc.value.error_list} == {"not_ready"}


def test_the_longest_period_and_a_start_tomorrow_are_accepted(make_ready, applicant):
    application = make_ready(
        period_months=MAX_PERIOD_MONTHS,
        requested_start=timezone.localdate() + datetime.timedelta(days=1),
    )
    services.application_submit(actor=applicant, application=application)
    assert reload(application).status == ApplicationStatus.SUBMITTED


def test_final_application_needs_the_council_decision_of_every_applicant(
    make_ready, applicant, lillehammer, bodo, make_pdf
):
    application = make_ready(co_applicants=[bodo], stage=Stage.FINAL)
    decision = application.attachments.get(kind=AttachmentKind.COUNCIL_DECISION, organisation=bodo)
    services.attachment_delete(actor=applicant, attachment=decision)
    with pytest.raises(ValidationError) as exc:
        services.application_submit(actor=applicant, application=application)
    assert refusal(exc) == [f"Attach the council decision of {bodo.display_name}."]

    services.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=make_pdf("bodo-vedtak.pdf"),
        kind=AttachmentKind.COUNCIL_DECISION,
        organisation=bodo,
    )
    lead_decision = application.attachments.get(
        kind=AttachmentKind.COUNCIL_DECISION, organisation=lillehammer
    )
    services.attachment_delete(actor=applicant, attachment=lead_decision)
    with pytest.raises(ValidationError) as exc:
        services.application_submit(actor=applicant, application=application)
    assert refusal(exc) == [f"Attach the council decision of {lillehammer.display_name}."]
    assert reload(application).status == ApplicationStatus.DRAFT


def test_final_application_needs_the_draft_regulation(make_ready, applicant):
    application = make_ready(stage=Stage.FINAL)
    regulation = application.attachments.get(kind=AttachmentKind.DRAFT_REGULATION)
    services.attachment_delete(actor=applicant, attachment=regulation)
    with pytest.raises(ValidationError) as exc:
        services.application_submit(actor=applicant, application=application)
    assert refusal(exc) == ["Attach the draft local regulation for the trial."]


def test_a_complete_final_application_can_be_submitted(make_ready, applicant, bodo):
    application = make_ready(co_applicants=[bodo], stage=Stage.FINAL)
    services.application_submit(actor=applicant, application=application)
    assert reload(application).status == ApplicationStatus.SUBMITTED


def test_a_council_decision_must_name_an_applicant_organisation(
    make_draft, applicant, bodo, make_pdf, media_root
):
    application = make_draft(stage=Stage.FINAL)
    for organisation in (None, bodo):
        with pytest.raises(ValidationError) as exc:
            services.attachment_add(
                actor=applicant,
                application=application,
                uploaded_file=make_pdf(),
                kind=AttachmentKind.COUNCIL_DECISION,
                organisation=organisation,
            )
        assert "organisation" in exc.value.message_dict


def test_submit_lists_every_reason_at_once(
    make_draft, applicant, lillehammer, bodo, provision, django_capture_on_commit_callbacks
):
    application = make_draft(title="", stage=Stage.FINAL)
    services.application_set_co_applicants(
        actor=applicant, application=application, organisations=[bodo]
    )
    services.exemption_request_create(actor=applicant, application=application, provision=provision)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as exc,
    ):
        services.application_submit(actor=applicant, application=application)
    assert refusal(exc) == [
        "Give the trial a title.",
        "Describe the trial.",
        f"Exemption from {OPPL}: say what shall apply instead during the trial.",
        f"Exemption from {OPPL}: give a justification.",
        "Give the period of the trial in months.",
        "Give the requested start date.",
        f"Attach the council decision of {lillehammer.display_name}.",
        f"Attach the council decision of {bodo.display_name}.",
        "Attach the draft local regulation for the trial.",
    ]
    assert reload(application).status == ApplicationStatus.DRAFT
    assert mail.outbox == []


def test_submit_lists_missing_exemption_with_period_and_start_problems(make_draft, applicant):
    application = make_draft(
        description="Noe",
        period_months=None,
        requested_start=timezone.localdate(),
    )
    with pytest.raises(ValidationError) as exc:
        services.application_submit(actor=applicant, application=application)
    assert refusal(exc) == [
        "Add at least one exemption request.",
        "Give the period of the trial in months.",
        "The requested start date must lie in the future.",
    ]


def test_submitting_twice_is_a_conflict(
    make_ready, applicant, django_capture_on_commit_callbacks, run_tasks
):
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    audit_before = AuditEvent.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.ConflictError),
    ):
        # ``application`` is the caller's stale copy that still says "draft".
        services.application_submit(actor=applicant, application=application)
    assert AuditEvent.objects.count() == audit_before
    run_tasks()
    assert len(mail.outbox) == 1


def test_a_co_applicant_cannot_submit_but_can_see_the_application(make_ready, bodo, bodo_applicant):
    application = make_ready(co_applicants=[bodo])
    with pytest.raises(PermissionDenied):
        services.application_submit(actor=bodo_applicant, application=application)
    assert reload(application).status == ApplicationStatus.DRAFT
    assert applications_for_user(bodo_applicant).filter(pk=application.pk).exists()


@pytest.mark.parametrize("outsider", ["bodo_applicant", "case_officer", "consultee"])
def test_outsiders_cannot_submit(make_ready, outsider, request):
    application = make_ready()
    with pytest.raises(PermissionDenied):
        services.application_submit(
            actor=request.getfixturevalue(outsider), application=application
        )
    assert reload(application).status == ApplicationStatus.DRAFT


def test_a_stale_copy_cannot_transition_after_someone_else_did(make_ready, applicant):
    application = make_ready()
    first = Application.objects.get(pk=application.pk)
    stale = Application.objects.get(pk=application.pk)
    services.application_submit(actor=applicant, application=first)

    stale.submit(at=timezone.now())
    with transaction.atomic(), pytest.raises(ConcurrentTransition):
        stale.save()
    assert reload(application).status == ApplicationStatus.SUBMITTED


def test_a_stale_withdraw_does_not_overwrite_a_submission(make_ready, applicant):
    application = make_ready()
    stale = Application.objects.get(pk=application.pk)
    services.application_submit(actor=applicant, application=application)
    stale.withdraw(reason="for sent")
    with transaction.atomic(), pytest.raises(ConcurrentTransition):
        stale.save()
    assert reload(application).status == ApplicationStatus.SUBMITTED
    assert reload(application).withdrawn_reason == ""


# --- update --------------------------------------------------------------------------------


def test_update_changes_a_draft_and_records_the_fields(make_draft, applicant, expect_audit):
    application = make_draft()
    with expect_audit("application.updated"):
        services.application_update(
            actor=applicant, application=application, title="Ny tittel", summary="Kort"
        )
    event = audit_events_for(application).get(action="application.updated")
    assert event.data["fields"] == ["summary", "title"]
    expected = {"field": "title", "old": "Felles skolerute", "new": "Ny tittel"}
    assert expected in event.data["changes"]
    assert reload(application).title == "Ny tittel"
    with expect_audit():  # nothing changed, nothing recorded
        services.application_update(actor=applicant, application=application, title="Ny tittel")


def test_update_is_refused_once_submitted(make_ready, applicant, expect_audit):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    application = reload(application)
    with expect_audit(), pytest.raises(PermissionDenied):
        services.application_update(actor=applicant, application=application, title="Endret")
    assert reload(application).title == "Felles skolerute for ungdomsskolane"


def test_update_is_refused_for_a_co_applicant(make_draft, applicant, bodo, bodo_applicant):
    application = make_draft()
    services.application_set_co_applicants(
        actor=applicant, application=application, organisations=[bodo]
    )
    with pytest.raises(PermissionDenied):
        services.application_update(actor=bodo_applicant, application=application, title="X")


def test_update_rejects_unknown_fields_and_bad_values(make_draft, applicant):
    application = make_draft()
    with pytest.raises(TypeError):
        services.application_update(actor=applicant, application=application, status="approved")
    with pytest.raises(ValidationError):
        services.application_update(actor=applicant, application=application, period_months=0)
    with pytest.raises(ValidationError):
        services.application_update(actor=applicant, application=application, categories=["e"])
    assert reload(application).status == ApplicationStatus.DRAFT


# --- withdraw ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_withdraw_needs_a_reason(make_draft, applicant, reason):
    application = make_draft()
    with pytest.raises(ValidationError) as exc:
        services.application_withdraw(actor=applicant, application=application, reason=reason)
    assert "reason" in exc.value.message_dict
    assert reload(application).status == ApplicationStatus.DRAFT


def test_withdraw_a_draft(
    make_ready, applicant, expect_audit, django_capture_on_commit_callbacks, run_tasks
):
    application = make_ready()
    with (
        expect_audit("application.withdrawn"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.application_withdraw(
            actor=applicant, application=application, reason="  Kommunestyret sa nei.  "
        )
    application = reload(application)
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.withdrawn_reason == "Kommunestyret sa nei."
    event = audit_events_for(application).get(action="application.withdrawn")
    assert (event.from_state, event.to_state) == ("draft", "withdrawn")
    assert event.reason == "Kommunestyret sa nei."
    assert event.actor == applicant
    assert set(application.exemption_requests.values_list("status", flat=True)) == {
        ExemptionStatus.WITHDRAWN
    }
    run_tasks()
    assert len(mail.outbox) == 1
    assert application.reference in mail.outbox[0].subject


def test_withdraw_a_submitted_application(make_ready, applicant, expect_audit):
    application = make_ready()
    services.exemption_request_create(
        actor=applicant,
        application=application,
        citation_text="oppl. § 14-1",
        proposed_arrangement="Annen skolerute",
        justification="Fordi",
    )
    services.application_submit(actor=applicant, application=application)
    with expect_audit("application.withdrawn"):
        services.application_withdraw(
            actor=applicant, application=application, reason="Vi venter et år."
        )
    application = reload(application)
    assert application.status == ApplicationStatus.WITHDRAWN
    event = audit_events_for(application).get(action="application.withdrawn")
    assert (event.from_state, event.to_state, event.reason) == (
        "submitted",
        "withdrawn",
        "Vi venter et år.",
    )
    statuses = list(application.exemption_requests.values_list("status", flat=True))
    assert statuses == [ExemptionStatus.WITHDRAWN, ExemptionStatus.WITHDRAWN]


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN],
)
def test_withdraw_is_refused_after_a_decision(
    make_ready,
    applicant,
    reach,
    status,
    expect_audit,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    application = reach(make_ready(), status)
    run_tasks()  # the mail of the case so far
    mail.outbox.clear()
    exemption_statuses = list(application.exemption_requests.values_list("status", flat=True))
    with (
        expect_audit(),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.ConflictError),
    ):
        services.application_withdraw(actor=applicant, application=application, reason="Angrer")
    assert reload(application).status == status
    assert mail.outbox == []
    assert (
        list(application.exemption_requests.values_list("status", flat=True)) == exemption_statuses
    )


def test_a_co_applicant_cannot_withdraw(make_ready, bodo, bodo_applicant):
    application = make_ready(co_applicants=[bodo])
    with pytest.raises(PermissionDenied):
        services.application_withdraw(
            actor=bodo_applicant, application=application, reason="Vi vil ikke"
        )
    assert reload(application).status == ApplicationStatus.DRAFT


# --- request for information and answer ----------------------------------------------------


@pytest.fixture
def under_review(make_ready, applicant, bring_under_review, run_tasks):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    application = bring_under_review(application)
    run_tasks()  # the receipt and its letter are out of the way
    mail.outbox.clear()
    return application


def test_under_review_fixture(under_review, case_officer):
    events = audit_events_for(under_review).exclude(action__startswith="mail.").order_by("id")
    assert list(events.values_list("action", flat=True))[-3:] == [
        "application.submitted",
        "application.registered",
        "application.complete",
    ]
    assert under_review.status == ApplicationStatus.UNDER_REVIEW


def test_request_information(
    under_review,
    case_officer,
    expect_audit,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    due = timezone.localdate() + datetime.timedelta(days=14)
    with (
        expect_audit("journal.entry_created", "application.information_requested"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        request = services.application_request_information(
            actor=case_officer, application=under_review, message="  Send budsjettet.  "
        )
    assert isinstance(request, InformationRequest)
    assert request.message == "Send budsjettet."
    assert request.due_date == due
    assert request.requested_by == case_officer
    assert not request.is_answered
    application = reload(under_review)
    assert application.status == ApplicationStatus.AWAITING_APPLICANT
    event = audit_events_for(application).get(action="application.information_requested")
    assert (event.from_state, event.to_state) == ("under_review", "awaiting_applicant")
    assert event.actor == case_officer
    assert event.data["due_date"] == due.isoformat()
    run_tasks()
    assert len(mail.outbox) == 1
    assert application.reference in mail.outbox[0].subject
    assert "Send budsjettet." in mail.outbox[0].body


def test_request_information_with_a_due_date(under_review, case_officer):
    due = timezone.localdate() + datetime.timedelta(days=30)
    request = services.application_request_information(
        actor=case_officer, application=under_review, message="Mer", due_date=due
    )
    assert request.due_date == due


@pytest.mark.parametrize("who", ["applicant", "bodo_applicant", "consultee"])
def test_only_a_case_officer_can_request_information(under_review, who, request, expect_audit):
    actor = request.getfixturevalue(who)
    with expect_audit(), pytest.raises(PermissionDenied):
        services.application_request_information(
            actor=actor, application=under_review, message="Mer?"
        )
    assert reload(under_review).status == ApplicationStatus.UNDER_REVIEW
    assert not InformationRequest.objects.exists()


@pytest.mark.parametrize("days", [0, -1])
def test_request_information_refuses_a_deadline_that_is_not_in_the_future(
    under_review, case_officer, days, expect_audit
):
    with expect_audit(), pytest.raises(ValidationError) as refused:
        services.application_request_information(
            actor=case_officer,
            application=under_review,
            message="Mer",
            due_date=timezone.localdate() + datetime.timedelta(days=days),
        )
    assert refused.value.message_dict == {"due_date": ["The deadline must lie in the future."]}
    assert reload(under_review).status == ApplicationStatus.UNDER_REVIEW
    assert not InformationRequest.objects.exists()


def test_request_information_needs_a_message(under_review, case_officer):
    with pytest.raises(ValidationError):
        services.application_request_information(
            actor=case_officer, application=under_review, message=" "
        )


@pytest.mark.parametrize(
    "status", [ApplicationStatus.SUBMITTED, ApplicationStatus.AWAITING_APPLICANT]
)
def test_request_information_needs_under_review(make_ready, applicant, case_officer, reach, status):
    application = reach(make_ready(), status)
    requests = InformationRequest.objects.count()  # one already when awaiting the applicant
    with pytest.raises(services.ConflictError):
        services.application_request_information(
            actor=case_officer, application=application, message="Mer?"
        )
    assert InformationRequest.objects.count() == requests


def test_answer(
    under_review,
    case_officer,
    applicant,
    make_pdf,
    expect_audit,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    request = services.application_request_information(
        actor=case_officer, application=under_review, message="Send budsjettet."
    )
    run_tasks()
    mail.outbox.clear()
    with (
        expect_audit("attachment.added", "journal.entry_created", "application.answered"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        answered = services.application_answer(
            actor=applicant,
            application=under_review,
            text="  Her er budsjettet.  ",
            files=[make_pdf("budsjett.pdf", "Budsjett")],
        )
    assert answered.pk == request.pk
    request.refresh_from_db()
    assert request.answer_text == "Her er budsjettet."
    assert request.answered_by == applicant
    assert request.answered_at is not None
    assert request.is_answered
    application = reload(under_review)
    assert application.status == ApplicationStatus.UNDER_REVIEW
    attachment = request.attachments.get()
    assert attachment.kind == AttachmentKind.ANSWER
    assert attachment.application == application
    assert attachment.original_name == "budsjett.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(pdf_bytes("Budsjett")).hexdigest()
    event = audit_events_for(application).get(action="application.answered")
    assert (event.from_state, event.to_state) == ("awaiting_applicant", "under_review")
    assert event.actor == applicant
    assert event.data == {"information_request": request.pk}
    run_tasks()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kontakt@3405.kommune.example"]
    assert application.reference in mail.outbox[0].subject


def test_answer_without_files(under_review, case_officer, applicant, expect_audit):
    services.application_request_information(
        actor=case_officer, application=under_review, message="Hvem er kontakt?"
    )
    with expect_audit("journal.entry_created", "application.answered"):
        services.application_answer(actor=applicant, application=under_review, text="Kari")
    assert reload(under_review).status == ApplicationStatus.UNDER_REVIEW


def test_answer_with_a_bad_file_changes_nothing(
    under_review, case_officer, applicant, expect_audit, media_root
):
    request = services.application_request_information(
        actor=case_officer, application=under_review, message="Send budsjettet."
    )
    with expect_audit(), pytest.raises(ValidationError):
        services.application_answer(
            actor=applicant,
            application=under_review,
            text="Her",
            files=[upload("budsjett.pdf", b"MZ\x90\x00" + b"\x00" * 60)],
        )
    request.refresh_from_db()
    assert not request.is_answered
    assert reload(under_review).status == ApplicationStatus.AWAITING_APPLICANT


def test_answer_when_not_awaiting_is_a_conflict(under_review, applicant, expect_audit):
    with expect_audit(), pytest.raises(services.ConflictError):
        services.application_answer(actor=applicant, application=under_review, text="Svar")
    assert reload(under_review).status == ApplicationStatus.UNDER_REVIEW


def test_answer_needs_text_and_the_lead_applicant(
    under_review, case_officer, bodo_applicant, applicant
):
    services.application_request_information(
        actor=case_officer, application=under_review, message="Mer?"
    )
    with pytest.raises(ValidationError):
        services.application_answer(actor=applicant, application=under_review, text=" ")
    with pytest.raises(PermissionDenied):
        services.application_answer(actor=bodo_applicant, application=under_review, text="Svar")
    assert reload(under_review).status == ApplicationStatus.AWAITING_APPLICANT


def test_attachment_add_for_an_answer_still_checks_who_acts(
    under_review, case_officer, bodo_applicant, media_root, expect_audit
):
    """attachment_add skips its editor check when given ``answer=``; the service must still
    refuse someone who is not the lead applicant (STYLE: each service checks the actor)."""
    request = services.application_request_information(
        actor=case_officer, application=under_review, message="Send budsjettet."
    )
    with expect_audit(), pytest.raises(PermissionDenied):
        services.attachment_add(
            actor=bodo_applicant,
            application=reload(under_review),
            uploaded_file=upload("budsjett.pdf", pdf_bytes()),
            kind=AttachmentKind.ANSWER,
            answer=request,
        )
    assert not request.attachments.exists()


# --- exemption requests --------------------------------------------------------------------


def test_exemption_request_with_a_citation_that_resolves(make_draft, applicant, provision):
    application = make_draft()
    request = services.exemption_request_create(
        actor=applicant, application=application, citation_text="oppl. § 13-1 andre ledd"
    )
    assert request.provision == provision
    assert request.provision.citation_key == OPPL_13_1
    assert request.subsection == 2
    assert request.citation_text == ""
    assert request.is_resolved
    assert request.status == ExemptionStatus.REQUESTED
    assert request.order == 1
    assert request.provision_label == "opplæringslova § 13-1 (2. ledd)"


def test_exemption_request_with_a_citation_that_does_not_resolve(make_draft, applicant):
    application = make_draft()
    request = services.exemption_request_create(
        actor=applicant, application=application, citation_text="  lov om noe rart § 3 "
    )
    assert request.provision is None
    assert request.citation_text == "lov om noe rart § 3"
    assert request.subsection is None
    assert not request.is_resolved
    assert request.provision_label == "lov om noe rart § 3"


def test_exemption_request_needs_a_provision_or_a_citation(make_draft, applicant, expect_audit):
    application = make_draft()
    with expect_audit(), pytest.raises(ValidationError) as exc:
        services.exemption_request_create(actor=applicant, application=application)
    assert "provision" in exc.value.message_dict


def test_duplicate_provision_is_refused(make_draft, applicant, provision, expect_audit):
    application = make_draft()
    services.exemption_request_create(actor=applicant, application=application, provision=provision)
    with expect_audit(), pytest.raises(ValidationError) as exc:
        services.exemption_request_create(
            actor=applicant, application=application, provision=provision
        )
    assert "provision" in exc.value.message_dict
    with pytest.raises(ValidationError):  # the same provision, typed
        services.exemption_request_create(
            actor=applicant, application=application, citation_text="oppl. § 13-1"
        )
    assert application.exemption_requests.count() == 1
    # Another subsection of the same section is a different request.
    other = services.exemption_request_create(
        actor=applicant, application=application, citation_text="oppl. § 13-1 andre ledd"
    )
    assert other.order == 2


def test_updating_a_request_to_an_already_requested_provision_is_refused(
    make_draft, applicant, provision, other_provision
):
    """The rule of exemption_request_create must hold for exemption_request_update too."""
    application = make_draft()
    services.exemption_request_create(actor=applicant, application=application, provision=provision)
    second = services.exemption_request_create(
        actor=applicant, application=application, provision=other_provision
    )
    with pytest.raises(ValidationError):
        services.exemption_request_update(actor=applicant, request=second, provision=provision)
    assert set(application.exemption_requests.values_list("provision", flat=True)) == {
        provision.pk,
        other_provision.pk,
    }


def test_exemption_requests_of_a_submitted_application_cannot_be_changed(
    make_ready, applicant, other_provision
):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    application = reload(application)
    request = application.exemption_requests.get()
    with pytest.raises(PermissionDenied):
        services.exemption_request_create(
            actor=applicant, application=application, provision=other_provision
        )
    with pytest.raises(PermissionDenied):
        services.exemption_request_update(actor=applicant, request=request, justification="")
    with pytest.raises(PermissionDenied):
        services.exemption_request_delete(actor=applicant, request=request)
    assert ExemptionRequest.objects.filter(application=application).count() == 1


# --- copy ----------------------------------------------------------------------------------


def test_copy_own_draft(make_ready, applicant, lillehammer, expect_audit):
    source = make_ready()
    services.exemption_request_create(
        actor=applicant,
        application=source,
        citation_text="lov om noe rart § 3",
        proposed_arrangement="Noe annet",
    )
    with expect_audit("application.created", "application.copied"):
        copy = services.application_copy(
            actor=applicant, source=source, lead_organisation=lillehammer
        )
    assert copy.pk != source.pk
    assert copy.reference != source.reference
    assert copy.status == ApplicationStatus.DRAFT
    assert copy.lead_organisation == lillehammer
    assert copy.created_by == applicant
    assert (copy.title, copy.description, copy.stage) == (
        source.title,
        source.description,
        source.stage,
    )
    fields = ("provision", "citation_text", "subsection", "proposed_arrangement", "justification")
    assert list(copy.exemption_requests.values_list(*fields)) == list(
        source.exemption_requests.values_list(*fields)
    )
    assert source.exemption_requests.count() == 2
    event = audit_events_for(copy).get(action="application.copied")
    assert event.data == {"source": source.reference, "as_final": False}


def test_copying_another_municipalitys_draft_is_refused(
    make_ready, bodo, bodo_applicant, expect_audit
):
    source = make_ready()
    with expect_audit(), pytest.raises(PermissionDenied):
        services.application_copy(actor=bodo_applicant, source=source, lead_organisation=bodo)
    assert Application.objects.count() == 1


def test_copying_another_municipalitys_submitted_application_is_refused(
    make_ready, applicant, bodo, bodo_applicant
):
    source = make_ready()
    services.application_submit(actor=applicant, application=source)
    with pytest.raises(PermissionDenied):
        services.application_copy(
            actor=bodo_applicant, source=reload(source), lead_organisation=bodo
        )


@pytest.mark.parametrize("status", [ApplicationStatus.APPROVED, ApplicationStatus.REJECTED])
def test_copying_a_decided_application_of_another_municipality(
    make_ready, applicant, bodo, bodo_applicant, reach, status, expect_audit
):
    source = reach(make_ready(), status)
    with expect_audit("application.created", "application.copied"):
        copy = services.application_copy(
            actor=bodo_applicant, source=source, lead_organisation=bodo, title="Bodøs forsøk"
        )
    assert copy.lead_organisation == bodo
    assert copy.title == "Bodøs forsøk"
    assert copy.status == ApplicationStatus.DRAFT
    request = copy.exemption_requests.get()
    assert request.provision == source.exemption_requests.get().provision
    assert request.status == ExemptionStatus.REQUESTED
    assert services.application_update(
        actor=bodo_applicant, application=copy, summary="Vår versjon"
    )
    assert reload(source).status == status


def test_copying_into_an_organisation_the_user_cannot_apply_for_is_refused(
    make_ready, applicant, bodo, reach
):
    source = reach(make_ready(), ApplicationStatus.APPROVED)
    with pytest.raises(PermissionDenied):
        services.application_copy(actor=applicant, source=source, lead_organisation=bodo)


# --- the audit trail -----------------------------------------------------------------------


def test_every_service_call_writes_exactly_its_audit_rows(
    make_draft,
    applicant,
    case_officer,
    lillehammer,
    bodo,
    provision,
    other_provision,
    make_pdf,
    media_root,
    expect_audit,
):
    with expect_audit("application.created"):
        application = make_draft(
            description="Beskrivelse",
            period_months=12,
            requested_start=timezone.localdate() + datetime.timedelta(days=60),
        )
    created = audit_events_for(application).get()
    assert (created.from_state, created.to_state) == ("", "draft")
    assert created.actor == applicant and created.organisation == lillehammer

    with expect_audit("application.updated"):
        services.application_update(actor=applicant, application=application, summary="Kort")
    with expect_audit("application.co_applicants_set"):
        services.application_set_co_applicants(
            actor=applicant, application=application, organisations=[bodo]
        )
    with expect_audit("application.purposes_set"):
        services.application_set_purposes(
            actor=applicant, application=application, purposes={"efficient": "Mindre byråkrati"}
        )
    with expect_audit("contact.added"):
        contact = services.contact_add(
            actor=applicant,
            application=application,
            organisation=bodo,
            name="Ola",
            email="ola@bodo.example",
        )
    with expect_audit("contact.removed"):
        services.contact_remove(actor=applicant, contact=contact)
    with expect_audit("exemption_request.created"):
        request = services.exemption_request_create(
            actor=applicant, application=application, provision=provision
        )
    with expect_audit("exemption_request.updated"):
        services.exemption_request_update(
            actor=applicant, request=request, proposed_arrangement="Annet", justification="Fordi"
        )
    with expect_audit("exemption_request.created", "exemption_request.deleted"):
        extra = services.exemption_request_create(
            actor=applicant, application=application, provision=other_provision
        )
        services.exemption_request_delete(actor=applicant, request=extra)
    with expect_audit("attachment.added"):
        attachment = services.attachment_add(
            actor=applicant,
            application=application,
            uploaded_file=make_pdf(),
            kind=AttachmentKind.OTHER,
        )
    with expect_audit("attachment.deleted"):
        services.attachment_delete(actor=applicant, attachment=attachment)
    with expect_audit("application.submitted"):
        services.application_submit(actor=applicant, application=application)
    with expect_audit(
        "application.registered",
        "case.opened",
        "journal.entry_created",
        "journal.entry_created",
    ):
        services.application_register(actor=case_officer, application=application)
    with expect_audit("application.complete"):
        services.application_accept_as_complete(actor=case_officer, application=application)
    with expect_audit("journal.entry_created", "application.information_requested"):
        services.application_request_information(
            actor=case_officer, application=application, message="Mer?"
        )
    with expect_audit("journal.entry_created", "application.answered"):
        services.application_answer(actor=applicant, application=application, text="Svar")
    with expect_audit("application.withdrawn"):
        services.application_withdraw(actor=applicant, application=application, reason="Nei")

    assert list(audit_events_for(application).order_by("id").values_list("action", flat=True)) == [
        "application.created",
        "application.updated",
        "application.co_applicants_set",
        "application.purposes_set",
        "contact.added",
        "contact.removed",
        "exemption_request.created",
        "exemption_request.updated",
        "exemption_request.created",
        "exemption_request.deleted",
        "attachment.added",
        "attachment.deleted",
        "application.submitted",
        "application.registered",
        "application.complete",
        "application.information_requested",
        "application.answered",
        "application.withdrawn",
    ]


def test_refused_service_calls_write_no_audit_rows(
    make_draft, applicant, bodo_applicant, provision, expect_audit
):
    application = make_draft()
    with expect_audit():
        with pytest.raises(PermissionDenied):
            services.application_update(actor=bodo_applicant, application=application, title="X")
        with pytest.raises(PermissionDenied):
            services.exemption_request_create(
                actor=bodo_applicant, application=application, provision=provision
            )
        with pytest.raises(ValidationError):
            services.application_set_purposes(
                actor=applicant, application=application, purposes={"efficient": " "}
            )
        with pytest.raises(ValidationError):
            services.application_submit(actor=applicant, application=application)


def test_audit_events_cannot_be_changed_or_deleted(make_draft):
    application = make_draft()
    event = audit_events_for(application).get()
    event.reason = "endret i ettertid"
    with pytest.raises(AuditTrailImmutable):
        event.save()
    with pytest.raises(AuditTrailImmutable):
        event.delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(reason="endret")
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditTrailImmutable):
        audit_events_for(application).update(action="application.deleted")
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.action, event.reason) == ("application.created", "")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL only")
def test_the_database_refuses_to_change_audit_events(make_draft):
    event = audit_events_for(make_draft()).get()
    table = AuditEvent._meta.db_table
    for sql in (
        f"UPDATE {table} SET reason = 'x' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()


def test_a_png_can_be_attached_to_a_draft(make_draft, applicant, media_root):
    application = make_draft()
    attachment = services.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("kart.png", png_bytes(), "image/png"),
        kind=AttachmentKind.OTHER,
    )
    assert attachment.content_type == "image/png"


def test_a_preliminary_application_taken_forward_continues_as_a_final_one(
    make_ready, applicant, lillehammer, reach
):
    preliminary = reach(
        make_ready(co_applicants=[municipality("3440")]), ApplicationStatus.APPROVED
    )
    final = services.application_copy(
        actor=applicant, source=preliminary, lead_organisation=lillehammer, as_final=True
    )
    assert final.stage == Stage.FINAL
    assert final.preliminary == preliminary
    assert final.status == ApplicationStatus.DRAFT
    assert [o.number for o in final.co_applicants.all()] == ["3440"]
    assert final.purposes.count() == preliminary.purposes.count()
    assert final.exemption_requests.count() == preliminary.exemption_requests.count()


def test_a_withdrawn_final_draft_leaves_the_way_open_for_a_new_final_application(
    make_ready, applicant, lillehammer, reach
):
    preliminary = reach(make_ready(), ApplicationStatus.APPROVED)
    first = services.application_copy(
        actor=applicant, source=preliminary, lead_organisation=lillehammer, as_final=True
    )
    with pytest.raises(ValidationError):  # one live final application at a time
        services.application_copy(
            actor=applicant, source=preliminary, lead_organisation=lillehammer, as_final=True
        )
    services.application_withdraw(actor=applicant, application=first, reason="Feil utkast")
    second = services.application_copy(
        actor=applicant, source=preliminary, lead_organisation=lillehammer, as_final=True
    )
    assert second.preliminary == preliminary
    assert second.status == ApplicationStatus.DRAFT
