"""The rules an application must meet before it can be submitted (listed all at once)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from trials.choices import AttachmentKind, Stage

MAX_PERIOD_MONTHS = 48  # forsøksloven § 3: at most four years (extensions come later)


def submission_problems(application) -> list[str]:
    """Every reason the application cannot be submitted yet; empty when it can."""
    problems = []
    if not application.title.strip():
        problems.append(_("Give the trial a title."))
    if not application.description.strip():
        problems.append(_("Describe the trial."))
    requests = list(application.exemption_requests.all())
    if not requests:
        problems.append(_("Add at least one exemption request."))
    for number, request in enumerate(requests, start=1):
        label = request.provision_label or _("request %(number)s") % {"number": number}
        if not request.proposed_arrangement.strip():
            problems.append(
                _("Exemption from %(provision)s: say what shall apply instead during the trial.")
                % {"provision": label}
            )
        if not request.justification.strip():
            problems.append(
                _("Exemption from %(provision)s: give a justification.") % {"provision": label}
            )
    if not application.period_months:
        problems.append(_("Give the period of the trial in months."))
    elif application.period_months > MAX_PERIOD_MONTHS:
        problems.append(
            _("The period can be at most %(max)s months (forsøksloven § 3).")
            % {"max": MAX_PERIOD_MONTHS}
        )
    if not application.requested_start:
        problems.append(_("Give the requested start date."))
    elif application.requested_start <= timezone.localdate():
        problems.append(_("The requested start date must lie in the future."))
    if application.stage == Stage.FINAL:
        attachments = list(application.attachments.all())
        decided = {
            a.organisation_id for a in attachments if a.kind == AttachmentKind.COUNCIL_DECISION
        }
        for organisation in application.applicant_organisations:
            if organisation.pk not in decided:
                problems.append(
                    _("Attach the council decision of %(organisation)s.")
                    % {"organisation": organisation.display_name}
                )
        if not any(a.kind == AttachmentKind.DRAFT_REGULATION for a in attachments):
            problems.append(_("Attach the draft local regulation for the trial."))
    return problems
