"""The trial after the decision: regulation, follow-up, extension and end.

Every function checks the actor's role, locks the trial (``select_for_update``: of two
officers acting at once one wins, the other gets a ``ConflictError``, HTTP 409), fires the
trial's transition (django-fsm-2 is the only writer of its status), journals what produces a
document, writes the audit trail (who, when, from, to, why) and sends email after commit.
The legal limits are in ``trials.rules``.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from casework.choices import EntryType, ScreeningBasis
from casework.services import audit_record, journal_entry_create, mail_enqueue
from casework.transactions import service_atomic
from trials import hooks, rules
from trials.choices import (
    ExtensionStatus,
    ObligationKind,
    ReportStatus,
    Stage,
    TrialNoticeKind,
    TrialStatus,
)
from trials.exceptions import ConflictError
from trials.journal import application_case, journal_title, letter_entry
from trials.models import (
    Application,
    Evaluation,
    Extension,
    FollowUpObligation,
    Regulation,
    Report,
    ReportAttachment,
    Trial,
    TrialNotice,
)
from trials.selectors import is_kdd_leader, is_ministry_officer, user_is_applicant_for
from trials.services.applications import (
    _copy_exemption_requests,
    _copy_purposes,
    application_create,
)
from trials.uploads import check_upload


def _require_officer(actor) -> None:
    if not is_ministry_officer(actor):
        raise PermissionDenied(_("Only a case officer at the ministry can do this."))


def _require_applicant(actor, trial: Trial) -> None:
    if not user_is_applicant_for(actor, trial.application):
        raise PermissionDenied(_("Only the municipalities running the trial can do this."))


def _lock(trial: Trial) -> Trial:
    return (
        Trial.objects.select_for_update(of=("self",))
        .select_related("application__lead_organisation")
        .get(pk=trial.pk)
    )


def _move(
    trial: Trial, method, *, actor, action: str, fields=(), reason: str = "", extra=None, **kw
):
    """Fire one transition, save it (409 on a concurrent change) and audit it (``extra``:
    more for the audit record, e.g. the extension that moved the end date)."""
    if not can_proceed(method):
        raise ConflictError(
            _("The trial is %(status)s; this step is not possible now.")
            % {"status": trial.get_status_display().lower()}
        )
    from_state = trial.status
    method(**kw)
    try:
        trial.save(update_fields=[*fields, "status"])
    except ConcurrentTransition as exc:
        raise ConflictError(_("Someone else changed this trial. Reload and try again.")) from exc
    audit_record(
        actor=actor,
        action=action,
        target=trial,
        organisation=trial.application.lead_organisation,
        from_state=from_state,
        to_state=trial.status,
        reason=reason,
        data={
            **{
                key: _plain(value) for key, value in kw.items() if key not in ("officer", "reasons")
            },
            **(extra or {}),
        },
    )


def _plain(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value if isinstance(value, str | int | bool | None) else str(value)


def _required(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _upload(uploaded, field: str):
    try:
        return check_upload(uploaded)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _changed(trial: Trial, actor) -> None:
    hooks.run(hooks.on_trial_changed, trial, actor)


def _letter(*, actor, trial: Trial, kind: str, title, **context):
    """A letter to the lead municipality about the trial, journaled in the application's case."""
    application = trial.application
    return letter_entry(
        actor=actor,
        application=application,
        template="trial",
        context={"trial": trial, "kind": kind, **context},
        title=journal_title(title, title=application.title),
        recipient=application.lead_organisation,
        follow_case=True,
    )


def _trial_email_queue(trial: Trial, template: str, *, officer: bool, extra: dict) -> None:
    """Queue a mail about ``trial`` in this transaction (``trials.notifications.trial_email``,
    sent by the mail task, in the application's history). The key holds the event's values,
    so a timer that fires twice for the same deadline queues one mail."""
    event = "-".join(str(value) for value in extra.values()) or uuid.uuid4().hex
    audience = "officer" if officer else "applicant"
    mail_enqueue(
        key=f"trial/{trial.pk}/{template}/{audience}/{event}",
        renderer="trials.notifications.trial_email",
        params={"trial_id": trial.pk, "template": template, "extra": extra, "officer": officer},
        target=trial.application,
        organisation=trial.application.lead_organisation,
    )


def _email(trial: Trial, template: str, **extra) -> None:
    _trial_email_queue(trial, template, officer=False, extra=extra)


def _email_officer(trial: Trial, template: str, **extra) -> None:
    _trial_email_queue(trial, template, officer=True, extra=extra)


# --- coming into force --------------------------------------------------------------------------


@service_atomic
def regulation_record(
    *,
    actor,
    trial: Trial,
    for_id: str,
    title: str,
    adopted_on: datetime.date,
    in_force_from: datetime.date,
    in_force_to: datetime.date,
    text,
    lovdata_url: str,
) -> Regulation:
    """Record the regulation on the trial (forskrift om forsøk): the trial comes into force
    for the period the regulation gives (at most four years), journaled and public."""
    _require_officer(actor)
    for_id = (for_id or "").strip()
    _check_regulation(
        for_id=for_id,
        title=title,
        adopted_on=adopted_on,
        in_force_from=in_force_from,
        in_force_to=in_force_to,
        text=text,
        lovdata_url=lovdata_url,
    )
    checked = _upload(text, "text")
    trial = _lock(trial)
    _move(
        trial,
        trial.enter_into_force,
        actor=actor,
        action="trial.in_force",
        fields=["starts_on", "ends_on", "period_ends_on", "officer"],
        reason=for_id,
        starts_on=in_force_from,
        ends_on=in_force_to,
        officer=actor,
    )
    regulation = Regulation(
        trial=trial,
        for_id=for_id,
        title=title.strip(),
        adopted_on=adopted_on,
        in_force_from=in_force_from,
        in_force_to=in_force_to,
        original_name=checked.original_name,
        content_type=checked.content_type,
        lovdata_url=lovdata_url.strip(),
        recorded_by=actor,
    )
    _regulation_save(regulation, text)
    _regulation_journal(actor, regulation)
    hooks.run(hooks.on_trial_in_force, trial, actor)
    _email(trial, "trial_in_force")
    return regulation


def _regulation_save(regulation: Regulation, text) -> None:
    """Store the text and save the new regulation; one recorded by someone else since
    ``_check_regulation`` (the same id) is a conflict."""
    regulation.file.save(regulation.original_name, text, save=False)
    try:
        with transaction.atomic():
            regulation.save()
    except IntegrityError as exc:
        raise ConflictError(_("A regulation with this id is already recorded.")) from exc


def _regulation_journal(actor, regulation: Regulation) -> None:
    """Journal the saved regulation in the application's case and audit its recording."""
    trial = regulation.trial
    application = trial.application
    regulation.entry = _regulation_entry(actor, regulation, application)
    regulation.save(update_fields=["entry"])
    audit_record(
        actor=actor,
        action="regulation.recorded",
        target=trial,
        organisation=application.lead_organisation,
        data={"for_id": regulation.for_id, "regulation": regulation.pk},
    )


def _check_regulation(
    *, for_id, title, adopted_on, in_force_from, in_force_to, text, lovdata_url
) -> None:
    """Every problem with a regulation to be recorded, at once, by field."""
    errors = rules.regulation_problems(
        for_id=for_id,
        lovdata_url=(lovdata_url or "").strip(),
        adopted_on=adopted_on,
        in_force_from=in_force_from,
        in_force_to=in_force_to,
    )
    if not (title or "").strip():
        errors["title"] = _("Give the regulation's title.")
    if not (lovdata_url or "").strip():
        errors["lovdata_url"] = _("Give the regulation's address at lovdata.no.")
    if text is None:
        errors["text"] = _("Attach the text of the regulation.")
    if Regulation.objects.filter(for_id=for_id).exists():
        errors["for_id"] = _("A regulation with this id is already recorded.")
    if errors:
        raise ValidationError(errors)


def _regulation_entry(actor, regulation: Regulation, application):
    """The outgoing journal entry with the regulation's text as its main document."""
    return journal_entry_create(
        actor=actor,
        case=application_case(application),
        entry_type=EntryType.OUTGOING,
        title=journal_title(
            gettext_lazy("Regulation on a trial %(for_id)s – %(title)s"),
            for_id=regulation.for_id,
            title=application.title,
        ),
        correspondent=application.lead_organisation,
        document_date=regulation.adopted_on,
        documents=[
            {
                "title": regulation.title,
                "source": regulation,
                "content_type": regulation.content_type,
                "is_main": True,
            }
        ],
    )


# --- follow-up ----------------------------------------------------------------------------------


@service_atomic
def obligation_add(
    *, actor, trial: Trial, kind: str, due_on: datetime.date, description: str = ""
) -> FollowUpObligation:
    """A report or evaluation the municipality must deliver by ``due_on``."""
    _require_officer(actor)
    if kind not in ObligationKind.values:
        raise ValidationError({"kind": _("Choose what must be delivered.")})
    trial = _lock(trial)
    if trial.is_closed:
        raise ConflictError(_("The trial has ended; no new obligations can be set."))
    if due_on <= timezone.localdate():
        raise ValidationError({"due_on": _("The due date must lie in the future.")})
    obligation = FollowUpObligation.objects.create(
        trial=trial,
        kind=kind,
        due_on=due_on,
        description=(description or "").strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="trial.obligation_set",
        target=trial,
        organisation=trial.application.lead_organisation,
        data={"obligation": obligation.pk, "kind": kind, "due_on": due_on.isoformat()},
    )
    _changed(trial, actor)
    return obligation


@service_atomic
def report_submit(
    *,
    actor,
    trial: Trial,
    title: str,
    text: str,
    files=(),
    obligation: FollowUpObligation | None = None,
    screening_basis: str = "",
) -> Report:
    """The municipality reports on its trial (text and attachments); only while in force."""
    _require_applicant(actor, trial)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give the report a title.")
    if not (text or "").strip():
        errors["text"] = _("Write the report.")
    if obligation is not None and obligation.trial_id != trial.pk:
        errors["obligation"] = _("Choose an obligation of this trial.")
    errors.update(_screening_problems(screening_basis))
    if errors:
        raise ValidationError(errors)
    checked = [(_upload(upload, "files"), upload) for upload in files]
    trial = _lock(trial)
    if trial.status != TrialStatus.IN_FORCE:
        raise ConflictError(
            _("The trial is %(status)s; reports are submitted while it is in force.")
            % {"status": trial.get_status_display().lower()}
        )
    report = Report.objects.create(
        trial=trial,
        obligation=obligation,
        title=title.strip(),
        text=text.strip(),
        screening_basis=screening_basis,
        submitted_by=actor,
    )
    attachments = [_report_attachment(report, check, upload) for check, upload in checked]
    application = trial.application
    report.entry = _report_entry(actor, report, attachments, application)
    report.save(update_fields=["entry"])
    audit_record(
        actor=actor,
        action="trial.report_submitted",
        target=trial,
        organisation=application.lead_organisation,
        to_state=ReportStatus.SUBMITTED,
        data={"report": report.pk, "obligation": obligation.pk if obligation else None},
    )
    return report


def _report_attachment(report: Report, check, upload) -> ReportAttachment:
    attachment = ReportAttachment(
        report=report,
        original_name=check.original_name,
        content_type=check.content_type,
        size=check.size,
        sha256=check.sha256,
    )
    attachment.file.save(check.original_name, upload, save=False)
    attachment.save()
    return attachment


def _report_entry(actor, report: Report, attachments, application):
    """The incoming journal entry: the report as main document, its attachments after it,
    screened as the municipality asked."""
    return journal_entry_create(
        actor=actor,
        case=application_case(application),
        entry_type=EntryType.INCOMING,
        title=journal_title(
            gettext_lazy("Report on the trial – %(title)s"), title=application.title
        ),
        correspondent=application.lead_organisation,
        screening_basis=report.screening_basis,
        documents=[
            {"title": report.title, "source": report, "is_main": True},
            *(
                {"title": a.original_name, "source": a, "content_type": a.content_type}
                for a in attachments
            ),
        ],
    )


def _lock_report(report: Report) -> Report:
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("trial__application__lead_organisation", "obligation")
        .get(pk=report.pk)
    )


@service_atomic
def report_acknowledge(*, actor, report: Report, response: str = "") -> Report:
    """The officer accepts the report; the obligation it answers is fulfilled."""
    _require_officer(actor)
    report = _lock_report(report)
    if report.status != ReportStatus.SUBMITTED:
        raise ConflictError(_("The report has already been answered."))
    report.status = ReportStatus.ACKNOWLEDGED
    report.response = (response or "").strip()
    report.responded_by = actor
    report.responded_at = timezone.now()
    report.save(update_fields=["status", "response", "responded_by", "responded_at"])
    if report.obligation is not None and report.obligation.fulfilled_at is None:
        report.obligation.fulfilled_at = report.responded_at
        report.obligation.save(update_fields=["fulfilled_at"])
    audit_record(
        actor=actor,
        action="trial.report_acknowledged",
        target=report.trial,
        organisation=report.trial.application.lead_organisation,
        from_state=ReportStatus.SUBMITTED,
        to_state=ReportStatus.ACKNOWLEDGED,
        reason=report.response,
        data={"report": report.pk},
    )
    _changed(report.trial, actor)
    return report


@service_atomic
def report_request_more(*, actor, report: Report, response: str) -> Report:
    """The officer asks the municipality to complete the report (it submits a new one)."""
    _require_officer(actor)
    response = _required(response, "response", _("Say what the report lacks."))
    report = _lock_report(report)
    if report.status != ReportStatus.SUBMITTED:
        raise ConflictError(_("The report has already been answered."))
    report.status = ReportStatus.MORE_REQUESTED
    report.response = response
    report.responded_by = actor
    report.responded_at = timezone.now()
    report.save(update_fields=["status", "response", "responded_by", "responded_at"])
    audit_record(
        actor=actor,
        action="trial.report_more_requested",
        target=report.trial,
        organisation=report.trial.application.lead_organisation,
        from_state=ReportStatus.SUBMITTED,
        to_state=ReportStatus.MORE_REQUESTED,
        reason=response,
        data={"report": report.pk},
    )
    _email(report.trial, "trial_report_more", report_title=report.title, response=response)
    return report


@service_atomic
def evaluation_record(
    *,
    actor,
    trial: Trial,
    evaluator: str,
    conclusion: str,
    document=None,
    screening_basis: str = "",
) -> Evaluation:
    """KDD records an evaluation of the trial: who evaluated, the report and the conclusion."""
    _require_officer(actor)
    errors = {}
    if not (evaluator or "").strip():
        errors["evaluator"] = _("Say who evaluated the trial.")
    if not (conclusion or "").strip():
        errors["conclusion"] = _("Give the evaluation's conclusion.")
    errors.update(_screening_problems(screening_basis))
    if errors:
        raise ValidationError(errors)
    checked = _upload(document, "document") if document is not None else None
    trial = _lock(trial)
    if trial.status == TrialStatus.APPROVED:
        raise ConflictError(_("The trial has not come into force yet."))
    evaluation = Evaluation(
        trial=trial,
        evaluator=evaluator.strip(),
        conclusion=conclusion.strip(),
        screening_basis=screening_basis,
        recorded_by=actor,
    )
    if checked is not None:
        evaluation.original_name = checked.original_name
        evaluation.content_type = checked.content_type
        evaluation.file.save(checked.original_name, document, save=False)
    evaluation.save()
    application = trial.application
    evaluation.entry = _evaluation_entry(actor, evaluation, application)
    evaluation.save(update_fields=["entry"])
    audit_record(
        actor=actor,
        action="trial.evaluation_recorded",
        target=trial,
        organisation=application.lead_organisation,
        data={"evaluation": evaluation.pk},
    )
    return evaluation


def _evaluation_entry(actor, evaluation: Evaluation, application):
    """The incoming journal entry of an evaluation, with its report as main document when
    one was attached."""
    documents = []
    if evaluation.original_name:
        documents.append(
            {
                "title": evaluation.original_name,
                "source": evaluation,
                "content_type": evaluation.content_type,
                "is_main": True,
            }
        )
    return journal_entry_create(
        actor=actor,
        case=application_case(application),
        entry_type=EntryType.INCOMING,
        title=journal_title(
            gettext_lazy("Evaluation of the trial – %(title)s"), title=application.title
        ),
        correspondent_name=evaluation.evaluator,
        screening_basis=evaluation.screening_basis,
        documents=documents,
    )


def _screening_problems(screening_basis: str) -> dict:
    """An empty basis means public; anything else must be one of the legal bases."""
    if screening_basis and screening_basis not in ScreeningBasis.values:
        return {"screening_basis": _("Choose a basis for screening.")}
    return {}


# --- extension ----------------------------------------------------------------------------------


def _extension_terms(trial, months, reform_reference, reform_date) -> None:
    errors = rules.extension_problems(
        trial=trial, months=months, reform_reference=reform_reference, reform_date=reform_date
    )
    if errors:
        raise ValidationError(errors)


def _new_end(trial: Trial, extension: Extension) -> datetime.date:
    return rules.extended_end(trial.ends_on, extension.months, extension.reform_date)


@service_atomic
def extension_apply(
    *,
    actor,
    trial: Trial,
    justification: str,
    months: int | None = None,
    reform_reference: str = "",
    reform_date: datetime.date | None = None,
) -> Extension:
    """The municipality applies for an extension before the trial ends: a case with the
    steps of an application (``hooks.on_extension_applied`` starts it; the officer
    registers it, see ``trials.services.extensions``)."""
    _require_applicant(actor, trial)
    justification = _required(justification, "justification", _("Say why the trial should go on."))
    trial = _lock(trial)
    extension = _new_extension(
        trial,
        months,
        reform_reference,
        reform_date,
        waiting=_("An application for extension is already waiting for a decision."),
        justification=justification,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="trial.extension_applied",
        target=trial,
        organisation=trial.application.lead_organisation,
        to_state=ExtensionStatus.REQUESTED,
        reason=justification,
        data={"extension": extension.pk},
    )
    hooks.run(hooks.on_extension_applied, extension, actor)
    return extension


@service_atomic
def extension_decide(*, actor, extension: Extension, grant: bool, reasons: str):
    """Decide an application for extension: it is decided in its case, with four eyes, so
    this does the decisive step ``actor`` may do now (``hooks.extension_deciders``: the case
    officer proposes ``grant`` with ``reasons``; an approver who did not propose confirms
    a proposal saying the same, or returns one that does not). 409 at any other step."""
    reasons = _required(reasons, "reasons", _("Give the reasons for the decision."))
    if extension.status != ExtensionStatus.REQUESTED:
        raise ConflictError(_("The application for extension has already been decided."))
    for decider in hooks.extension_deciders:
        result = decider(actor=actor, extension=extension, grant=grant, reasons=reasons)
        if result is not None:
            return result
    raise ConflictError(
        _("The application for extension is decided in its case: complete its open task.")
    )


def _new_extension(
    trial: Trial, months, reform_reference: str, reform_date, *, waiting: str, **fields
) -> Extension:
    """A new extension of a locked trial in force, within forsøksloven § 3's limits; refused
    while another waits for a decision (``waiting`` says so)."""
    if trial.status != TrialStatus.IN_FORCE:
        raise ConflictError(_("Only a trial in force can be extended."))
    if trial.extensions.filter(status=ExtensionStatus.REQUESTED).exists():
        raise ConflictError(waiting)
    _extension_terms(trial, months, reform_reference, reform_date)
    return Extension.objects.create(
        trial=trial,
        months=months,
        reform_reference=(reform_reference or "").strip(),
        reform_date=reform_date,
        **fields,
    )


def _decide(*, actor, trial: Trial, extension: Extension, grant: bool, reasons: str):
    now = timezone.now()
    extension.decided_by = actor
    extension.decided_at = now
    extension.reasons = reasons
    extension.previous_ends_on = trial.ends_on
    if grant:
        if trial.status != TrialStatus.IN_FORCE:
            raise ConflictError(_("Only a trial in force can be extended."))
        _extension_terms(trial, extension.months, extension.reform_reference, extension.reform_date)
        new_end = _new_end(trial, extension)
        _move(
            trial,
            trial.extend,
            actor=actor,
            action="trial.extended",
            fields=["ends_on"],
            reason=reasons,
            extra={"extension": extension.pk},
            ends_on=new_end,
        )
        extension.status = ExtensionStatus.GRANTED
        extension.new_ends_on = new_end
    else:
        extension.status = ExtensionStatus.REFUSED
        audit_record(
            actor=actor,
            action="trial.extension_refused",
            target=trial,
            organisation=trial.application.lead_organisation,
            from_state=ExtensionStatus.REQUESTED,
            to_state=ExtensionStatus.REFUSED,
            reason=reasons,
            data={"extension": extension.pk},
        )
    extension.letter = _letter(
        actor=actor,
        trial=trial,
        kind="extension_granted" if grant else "extension_refused",
        title=gettext_lazy("Decision on extension of the trial – %(title)s"),
        extension=extension,
    )
    extension.save()
    if grant:
        _changed(trial, actor)
    _email(trial, "trial_decided", letter_id=extension.letter.pk)
    return extension


# --- who follows the trial up -------------------------------------------------------------------


@service_atomic
def trial_officer_reassign(*, actor, trial: Trial, officer, reason: str = "") -> Trial:
    """A KDD leader gives the follow-up of ``trial`` to another case officer at KDD (its
    open follow-up tasks go along: ``hooks.on_trial_officer_changed``)."""
    if not is_kdd_leader(actor):
        raise PermissionDenied(
            _("Only KDD's leaders (approvers and administrators) can reassign the follow-up.")
        )
    if officer is None or not officer.is_active or not is_ministry_officer(officer):
        raise ValidationError({"officer": _("Choose a case officer at the ministry.")})
    trial = _lock(trial)
    previous = trial.officer
    if previous is not None and previous.pk == officer.pk:
        raise ValidationError(
            {"officer": _("%(name)s already follows up this trial.") % {"name": officer}}
        )
    trial.officer = officer
    try:
        trial.save(update_fields=["officer"])
    except ConcurrentTransition as exc:
        raise ConflictError(_("Someone else changed this trial. Reload and try again.")) from exc
    audit_record(
        actor=actor,
        action="trial.officer_reassigned",
        target=trial,
        organisation=trial.application.lead_organisation,
        reason=(reason or "").strip(),
        data={
            "from": previous.get_username() if previous is not None else None,
            "to": officer.get_username(),
        },
    )
    hooks.run(hooks.on_trial_officer_changed, trial, previous, actor)
    return trial


# --- the end ------------------------------------------------------------------------------------


@service_atomic
def trial_end(*, actor, trial: Trial, reason: str = "") -> Trial:
    """Record that the trial ended on its end date (the timer does it by itself)."""
    if actor is not None:
        _require_officer(actor)
    trial = _lock(trial)
    today = timezone.localdate()
    if trial.status == TrialStatus.IN_FORCE and today < trial.ends_on:
        raise ConflictError(
            _("The trial runs until %(date)s; to end it before, stop it with reasons.")
            % {"date": trial.ends_on.isoformat()}
        )
    reason = (reason or "").strip() or _("The end date was reached.")
    _move(
        trial,
        trial.end,
        actor=actor,
        action="trial.ended",
        fields=["closed_on", "closure_reason"],
        reason=reason,
        on=trial.ends_on,
        reasons=reason,
    )
    _changed(trial, actor)
    return trial


@service_atomic
def trial_stop(*, actor, trial: Trial, reasons: str, at_request: bool = False) -> Trial:
    """KDD stops the trial before its end date, at the municipality's request or not."""
    _require_officer(actor)
    reasons = _required(reasons, "reasons", _("Give the reasons for stopping the trial."))
    trial = _lock(trial)
    _move(
        trial,
        trial.stop,
        actor=actor,
        action="trial.stopped",
        fields=["closed_on", "closure_reason", "stopped_at_request"],
        reason=reasons,
        on=timezone.localdate(),
        reasons=reasons,
        at_request=bool(at_request),
    )
    _letter(
        actor=actor,
        trial=trial,
        kind="stopped",
        title=gettext_lazy("The trial is stopped – %(title)s"),
    )
    _changed(trial, actor)
    _email(trial, "trial_decided")
    return trial


@service_atomic
def trial_make_permanent(
    *, actor, trial: Trial, law_reference: str, law_date: datetime.date, reasons: str = ""
) -> Trial:
    """Record that the arrangement tried is made permanent by a change in the law."""
    _require_officer(actor)
    errors = {}
    if not (law_reference or "").strip():
        errors["law_reference"] = _("Name the law change that makes the arrangement permanent.")
    if law_date is None:
        errors["law_date"] = _("Give the date the law change takes effect.")
    if errors:
        raise ValidationError(errors)
    trial = _lock(trial)
    _move(
        trial,
        trial.make_permanent,
        actor=actor,
        action="trial.made_permanent",
        fields=["closed_on", "closure_reason", "law_reference", "law_date"],
        reason=(reasons or "").strip(),
        on=law_date,
        reasons=(reasons or "").strip(),
        law_reference=law_reference.strip(),
        law_date=law_date,
    )
    _letter(
        actor=actor,
        trial=trial,
        kind="made_permanent",
        title=gettext_lazy("The trial is made permanent – %(title)s"),
    )
    _changed(trial, actor)
    _email(trial, "trial_decided")
    return trial


# --- the follow-up timers -----------------------------------------------------------------------


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _warning_days(trial: Trial) -> list[tuple[int, datetime.date]]:
    return [
        (months, rules.add_months(trial.ends_on, -months)) for months in rules.EXPIRY_WARNING_MONTHS
    ]


def follow_up_next_at(trial: Trial) -> datetime.datetime | None:
    """When the follow-up timers must next look at ``trial``: the end date, an expiry warning
    not yet sent, a reminder before a report is due, the day after it is due; None once the
    trial is closed."""
    trial = Trial.objects.get(pk=trial.pk)
    if trial.status != TrialStatus.IN_FORCE:
        return None
    sent = set(trial.notices.values_list("kind", "obligation_id", "about", "months_before"))
    moments = [trial.ends_on]
    for months, day in _warning_days(trial):
        if (TrialNoticeKind.EXPIRY_WARNING, None, trial.ends_on, months) not in sent:
            moments.append(day)
    for obligation in trial.obligations.filter(fulfilled_at__isnull=True):
        reminder = obligation.due_on - datetime.timedelta(days=rules.REPORT_REMINDER_DAYS)
        if (TrialNoticeKind.REPORT_REMINDER, obligation.pk, obligation.due_on, 0) not in sent:
            moments.append(reminder)
        if (TrialNoticeKind.REPORT_OVERDUE, obligation.pk, obligation.due_on, 0) not in sent:
            moments.append(obligation.due_on + datetime.timedelta(days=1))
    return _start_of_day(min(moments))


def _notice(trial, kind, about, *, obligation=None, months_before=0) -> bool:
    """Record that a notice goes out; False when it already went (run twice: sent once)."""
    try:
        with transaction.atomic():
            TrialNotice.objects.create(
                trial=trial,
                kind=kind,
                about=about,
                obligation=obligation,
                months_before=months_before,
            )
    except IntegrityError:
        return False
    return True


@service_atomic
def follow_up_run(*, trial: Trial) -> list[FollowUpObligation]:
    """What is due for ``trial`` today: the automatic end on the end date (unless extended),
    expiry warnings 12 and 6 months before the end to the municipality and the officer, a
    reminder before a report is due. Returns the obligations that have just passed their due
    date unfulfilled (the case process gives the officer a task for each)."""
    trial = _lock(trial)
    if trial.status != TrialStatus.IN_FORCE:
        return []
    today = timezone.localdate()
    if today >= trial.ends_on:
        trial_end(actor=None, trial=trial)
        return []
    for months, day in _warning_days(trial):
        if day <= today and _notice(
            trial, TrialNoticeKind.EXPIRY_WARNING, trial.ends_on, months_before=months
        ):
            audit_record(
                actor=None,
                action="trial.expiry_warning_sent",
                target=trial,
                organisation=trial.application.lead_organisation,
                data={"ends_on": trial.ends_on.isoformat(), "months_before": months},
            )
            _email(trial, "trial_expiry_warning", months=months)
            _email_officer(trial, "trial_expiry_warning", months=months)
    overdue = []
    for obligation in trial.obligations.filter(fulfilled_at__isnull=True):
        reminder = obligation.due_on - datetime.timedelta(days=rules.REPORT_REMINDER_DAYS)
        if reminder <= today <= obligation.due_on and _notice(
            trial, TrialNoticeKind.REPORT_REMINDER, obligation.due_on, obligation=obligation
        ):
            audit_record(
                actor=None,
                action="trial.report_reminder_sent",
                target=trial,
                organisation=trial.application.lead_organisation,
                data={"obligation": obligation.pk, "due_on": obligation.due_on.isoformat()},
            )
            _email(trial, "trial_report_reminder", obligation_id=obligation.pk)
        if obligation.due_on < today and _notice(
            trial, TrialNoticeKind.REPORT_OVERDUE, obligation.due_on, obligation=obligation
        ):
            if obligation.reports.filter(status=ReportStatus.SUBMITTED).exists():
                continue  # delivered, waiting for the officer: no task needed
            audit_record(
                actor=None,
                action="trial.report_overdue",
                target=trial,
                organisation=trial.application.lead_organisation,
                data={"obligation": obligation.pk, "due_on": obligation.due_on.isoformat()},
            )
            _email_officer(trial, "trial_report_overdue", obligation_id=obligation.pk)
            overdue.append(obligation)
    return overdue


# --- "do what they did" ---------------------------------------------------------------------


@transaction.atomic
def application_from_trial(*, actor, trial: Trial, lead_organisation) -> Application:
    """A new draft (a preliminary application, which needs no council decision yet) for
    ``lead_organisation`` that builds on a public trial: its granted
    exemptions with what applies instead and why, its purposes with their justifications,
    and a reference to the trial (shown on the trial's public page once submitted)."""
    source = trial.application
    draft = application_create(
        actor=actor,
        lead_organisation=lead_organisation,
        title=source.title,
        stage=Stage.PRELIMINARY,
        summary=source.summary,
        description=source.description,
        categories=list(source.categories),
    )
    draft.based_on_trial = trial
    draft.save(update_fields=["based_on_trial", "updated_at"])
    _copy_purposes(source, to=draft)
    _copy_exemption_requests(trial.exemptions.order_by("order", "pk"), to=draft, renumber=True)
    audit_record(
        actor=actor,
        action="application.built_on_trial",
        target=draft,
        organisation=lead_organisation,
        data={"trial": trial.pk, "source": source.reference},
    )
    return draft
