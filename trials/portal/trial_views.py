"""The municipalities' trial pages (/mine-forsok/): their own trials, reports, extension.

Read through ``trials.selectors`` (another organisation's trial is 404), written only
through ``trials.services``. Plain HTML forms that work without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casework.downloads import file_response
from trials import selectors, services
from trials.exceptions import ConflictError
from trials.portal.forms import CopyForm
from trials.portal.trial_forms import ExtensionApplyForm, ReportForm
from trials.portal.views import FIRST_STEP, _applicant_organisations, _step_url
from trials.public.selectors import public_trials


@login_required
def trial_list(request):
    trials = selectors.trials_for_user(request.user)
    return render(request, "trials/trial_list.html", {"trials": trials})


@login_required
def trial_detail(request, pk: int):
    trial = selectors.trial_get_for_user(request.user, pk)
    return render(
        request,
        "trials/trial_detail.html",
        {
            "trial": trial,
            "actions": selectors.trial_actions(request.user, trial),
            "extensions": selectors.extension_rows(trial),
            "history": selectors.trial_history(trial, applicant=True),
            # the decisions on the trial and its extensions are letters of the case
            "letters": list(selectors.letters_for_user(request.user, trial.application)),
        },
    )


@login_required
@require_GET
def trial_extension_letter(request, pk: int, extension_pk: int):
    """The decision letter on an extension of the municipality's own trial (PDF)."""
    trial = selectors.trial_get_for_user(request.user, pk)
    extension = next((e for e in trial.extensions.all() if e.pk == extension_pk), None)
    if extension is None or extension.letter_id is None:
        raise Http404
    document = selectors.letter_document(extension.letter)
    if document is None:
        messages.info(request, _("The decision letter is being prepared. Try again in a minute."))
        return redirect(
            reverse("trials:trial_detail", kwargs={"pk": trial.pk}) + "#extensions-heading"
        )
    return file_response(document, as_attachment=False)


def _conflict(request, trial, exc: ConflictError):
    messages.error(request, str(exc))
    return redirect("trials:trial_detail", pk=trial.pk)


def _allowed(request, trial, action: str) -> None:
    if action not in selectors.trial_actions(request.user, trial):
        raise PermissionDenied(_("This is not possible for this trial now."))


@login_required
@require_http_methods(["GET", "POST"])
def trial_report(request, pk: int):
    trial = selectors.trial_get_for_user(request.user, pk)
    _allowed(request, trial, "report")
    obligations = [o for o in trial.obligations.all() if not o.is_fulfilled]
    form = ReportForm(request.POST or None, request.FILES or None, obligations=obligations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        obligation = next((o for o in obligations if o.pk == data["obligation"]), None)
        try:
            services.report_submit(
                actor=request.user,
                trial=trial,
                title=data["title"],
                text=data["text"],
                files=data["files"],
                obligation=obligation,
                screening_basis=data["screening_basis"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            return _conflict(request, trial, exc)
        else:
            messages.success(request, _("The report is sent to the ministry."))
            return redirect("trials:trial_detail", pk=trial.pk)
    return render(
        request,
        "trials/trial_form.html",
        {"trial": trial, "form": form, "heading": _("Report on the trial"), "multipart": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def trial_extension(request, pk: int):
    trial = selectors.trial_get_for_user(request.user, pk)
    _allowed(request, trial, "apply_extension")
    form = ExtensionApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_apply(actor=request.user, trial=trial, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            return _conflict(request, trial, exc)
        else:
            messages.success(request, _("The application for extension is sent to the ministry."))
            return redirect("trials:trial_detail", pk=trial.pk)
    return render(
        request,
        "trials/trial_form.html",
        {"trial": trial, "form": form, "heading": _("Apply for an extension")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def trial_build_on(request, pk: int):
    """“Do what they did”: a new application from a public trial."""
    trial = public_trials().select_related("application").filter(pk=pk).first()
    if trial is None:
        raise Http404
    organisations = _applicant_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only staff of a municipality or county can apply."))
    form = CopyForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.application_from_trial(
                actor=request.user,
                trial=trial,
                lead_organisation=form.cleaned_data["lead_organisation"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _(
                    "The new draft %(reference)s builds on the trial “%(title)s”, with its "
                    "exemptions, arrangements and justifications. Check every step before you "
                    "submit."
                )
                % {"reference": draft.reference, "title": trial.application.title},
            )
            return redirect(_step_url(draft, FIRST_STEP))
    return render(request, "trials/trial_build_on.html", {"trial": trial, "form": form})
