"""What the task page shows for the steps of an extension's case that differ from an
application's (``workflows.case.extension``): the step's template, its form's arguments,
its button and the message after it."""

from django.utils.translation import gettext_lazy

SUBMIT_LABELS = {
    "register": gettext_lazy("Register the application for extension"),
    "assess": gettext_lazy("Save the assessment"),
    "propose": gettext_lazy("Send the proposal for approval"),
    "approve": gettext_lazy("Confirm the decision"),
}
SUCCESS_MESSAGES = {
    "register": gettext_lazy("The application for extension is registered."),
    "assess": gettext_lazy("The assessment is recorded."),
    "propose": gettext_lazy("The proposed decision is sent for approval."),
    "approve": gettext_lazy("Your decision on the proposal is recorded."),
    "consult": gettext_lazy("Your answer to the consultation is sent."),
    "consultation_overdue": gettext_lazy("Your choice is recorded."),
}


def extension_success(step: str) -> str:
    return str(SUCCESS_MESSAGES.get(step, SUCCESS_MESSAGES["assess"]))


def extension_step_parts(context) -> tuple[dict, dict]:
    """(form kwargs, extra template context) of an extension's register, assess, propose or
    approve step."""
    extension = context.extension
    answers = context.answers
    exemptions = context.step_exemptions
    for exemption in exemptions:
        exemption.answers = answers.get(exemption.pk, [])
    extra = {
        "extension": extension,
        "trial": extension.trial,
        "trial_exemptions": exemptions,
        "proposal": context.proposal,
        "step_template": f"workflows/steps/extension_{context.step}.html",
        "submit_label": SUBMIT_LABELS[context.step],
    }
    form_kwargs = {"extension": extension} if context.step == "assess" else {}
    return form_kwargs, extra
