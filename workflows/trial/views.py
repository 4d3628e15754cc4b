"""KDD's trial pages (/saksbehandling/forsok/): record the regulation, set obligations,
answer reports, record evaluations, decide extensions, stop, end, made permanent; and the
follow-up tasks for overdue reports. Thin: selectors read, services write."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from trials import selectors, services
from trials.choices import ExtensionStatus, TrialStatus
from trials.exceptions import ConflictError
from workflows.case.selectors import task_rows
from workflows.trial import forms
from workflows.trial import services as follow_up


def _officer_only(user) -> None:
    if not (
        selectors.is_ministry_officer(user)
        or selectors.is_ministry_officer(user, "approver")
        or selectors.is_kdd_leader(user)
    ):
        raise PermissionDenied(_("Only the ministry's case officers can see this page."))


@login_required
def trial_list(request):
    _officer_only(request.user)
    trials = selectors.trials_for_user(request.user)
    status = request.GET.get("status", "")
    if status in TrialStatus.values:
        trials = trials.filter(status=status)
    return render(
        request,
        "workflows/trial/list.html",
        {
            "trials": trials[:500],
            "status": status,
            "statuses": TrialStatus.choices,
            "tasks": follow_up.overdue_tasks(),
        },
    )


@login_required
def trial_detail(request, pk: int):
    _officer_only(request.user)
    trial = selectors.trial_get_for_user(request.user, pk)
    actions = selectors.trial_actions(request.user, trial)
    return render(
        request,
        "workflows/trial/detail.html",
        {
            "trial": trial,
            "actions": actions,
            "action_links": [a for a in ACTIONS.values() if a.slug in actions],
            "report_actions": selectors.is_ministry_officer(request.user),
            "tasks": follow_up.overdue_tasks(trial),
            "extension_tasks": task_rows(list(follow_up.extension_tasks(trial))),
            "extensions": selectors.extension_rows(trial),
            "extension_case_ids": follow_up.extension_case_ids(trial),
            "history": selectors.trial_history(trial),
        },
    )


@dataclass(frozen=True)
class Action:
    slug: str
    url: str
    title: str
    form: type
    run: object
    done: str
    multipart: bool = False
    sends_letter: bool = False  # a letter to the applicants (trials.services.trials._letter)


def _regulation(user, trial, data):
    services.regulation_record(actor=user, trial=trial, **data)


def _obligation(user, trial, data):
    services.obligation_add(actor=user, trial=trial, **data)


def _evaluation(user, trial, data):
    services.evaluation_record(actor=user, trial=trial, **data)


def _extend(user, trial, data):
    services.trial_extend(actor=user, trial=trial, **data)


def _decide(user, trial, data):
    extension = trial.extensions.filter(status=ExtensionStatus.REQUESTED).first()
    if extension is None:
        raise ConflictError(_("The application for extension has already been decided."))
    services.extension_decide(actor=user, extension=extension, **data)


def _officer(user, trial, data):
    services.trial_officer_reassign(
        actor=user, trial=trial, officer=data["officer"], reason=data["reason"]
    )


def _stop(user, trial, data):
    services.trial_stop(actor=user, trial=trial, **data)


def _end(user, trial, data):
    services.trial_end(actor=user, trial=trial, **data)


def _permanent(user, trial, data):
    services.trial_make_permanent(actor=user, trial=trial, **data)


ACTIONS = {
    a.url: a
    for a in (
        Action(
            "regulation",
            "forskrift",
            gettext_lazy("Record the regulation"),
            forms.RegulationForm,
            _regulation,
            gettext_lazy("The regulation is recorded: the trial is in force."),
            True,
        ),
        Action(
            "obligation",
            "oppfolging",
            gettext_lazy("Set a follow-up obligation"),
            forms.ObligationForm,
            _obligation,
            gettext_lazy("The obligation is set."),
        ),
        Action(
            "evaluation",
            "evaluering",
            gettext_lazy("Record an evaluation"),
            forms.EvaluationForm,
            _evaluation,
            gettext_lazy("The evaluation is recorded."),
            True,
        ),
        Action(
            "decide_extension",
            "forlengelse",
            gettext_lazy("Decide the application for extension"),
            forms.DecideExtensionForm,
            _decide,
            gettext_lazy("The extension is decided."),
            sends_letter=True,
        ),
        Action(
            "extend",
            "forleng",
            gettext_lazy("Propose to extend the trial"),
            forms.ExtendForm,
            _extend,
            gettext_lazy(
                "The extension is proposed. Another person at KDD approves it (four eyes) "
                "before the end date moves."
            ),
            sends_letter=True,
        ),
        Action(
            "officer",
            "saksbehandler",
            gettext_lazy("Give the follow-up to another case officer"),
            forms.OfficerForm,
            _officer,
            gettext_lazy("Another case officer follows up the trial now."),
        ),
        Action(
            "stop",
            "avslutt",
            gettext_lazy("Stop the trial early"),
            forms.StopForm,
            _stop,
            gettext_lazy("The trial is stopped."),
            sends_letter=True,
        ),
        Action(
            "end",
            "slutt",
            gettext_lazy("Record that the trial ended"),
            forms.EndForm,
            _end,
            gettext_lazy("The trial has ended."),
        ),
        Action(
            "make_permanent",
            "permanent",
            gettext_lazy("Record that it is made permanent"),
            forms.PermanentForm,
            _permanent,
            gettext_lazy("The trial is recorded as made permanent."),
            sends_letter=True,
        ),
    )
}


@login_required
@require_http_methods(["GET", "POST"])
def trial_action(request, pk: int, action: str):
    _officer_only(request.user)
    trial = selectors.trial_get_for_user(request.user, pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if spec.slug not in selectors.trial_actions(request.user, trial):
        raise PermissionDenied(_("This is not possible for this trial now."))
    form = spec.form(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            spec.run(request.user, trial, form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return redirect("workflows:trial", pk=trial.pk)
        else:
            messages.success(request, str(spec.done))
            if request.POST.get("next") == "team":  # reassigned from the team view
                return redirect(reverse("workflows:team") + f"#trial-{trial.pk}")
            return redirect("workflows:trial", pk=trial.pk)
    extension = trial.extensions.filter(status=ExtensionStatus.REQUESTED).first()
    return render(
        request,
        "workflows/trial/action.html",
        {
            "trial": trial,
            "form": form,
            "spec": spec,
            "extension": extension,
            "letter_unaddressed": [
                organisation
                for organisation in trial.application.applicant_organisations
                if not organisation.postal_address_lines
            ]
            if spec.sends_letter
            else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_answer(request, pk: int, report_pk: int):
    _officer_only(request.user)
    trial = selectors.trial_get_for_user(request.user, pk)
    report = trial.reports.filter(pk=report_pk).first()
    if report is None:
        raise Http404
    form = forms.ReportResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "acknowledge":
                services.report_acknowledge(
                    actor=request.user, report=report, response=data["response"]
                )
            else:
                services.report_request_more(
                    actor=request.user, report=report, response=data["response"]
                )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return redirect("workflows:trial", pk=trial.pk)
        else:
            messages.success(request, _("Your answer to the report is recorded."))
            return redirect("workflows:trial", pk=trial.pk)
    spec = Action(
        "report",
        "",
        _("Answer the report “%(title)s”") % {"title": report.title},
        forms.ReportResponseForm,
        None,
        "",
    )
    return render(
        request,
        "workflows/trial/action.html",
        {"trial": trial, "form": form, "spec": spec, "report": report},
    )


@login_required
@require_http_methods(["GET", "POST"])
def overdue_followed_up(request, pk: int, task_pk: int):
    _officer_only(request.user)
    trial = selectors.trial_get_for_user(request.user, pk)
    task = follow_up.overdue_tasks(trial).filter(pk=task_pk).first()
    if task is None:
        raise Http404
    form = forms.FollowedUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up.overdue_task_complete(
                actor=request.user, task=task, note=form.cleaned_data["note"]
            )
        except ConflictError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The overdue report is followed up."))
        return redirect("workflows:trial", pk=trial.pk)
    spec = Action(
        "task", "", _("The report is overdue: follow it up"), forms.FollowedUpForm, None, ""
    )
    return render(
        request, "workflows/trial/action.html", {"trial": trial, "form": form, "spec": spec}
    )
