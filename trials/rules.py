"""The domain's rules, each written once: the period a trial may run, how many organisations
may apply together, and what an application must meet before it can be submitted (listed all
at once). Forms, serializers, services, templates, the database constraint and the tests read
their limits from here.
"""

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from trials.choices import AttachmentKind, Stage

# forsøksloven § 3: a trial runs for at most four years (an extension is decided separately).
MIN_PERIOD_MONTHS = 1
MAX_PERIOD_MONTHS = 48
PERIOD_LIMITS = {"min": MIN_PERIOD_MONTHS, "max": MAX_PERIOD_MONTHS}
_PERIOD_RANGE = gettext_noop("The period must be between %(min)s and %(max)s months.")
_PERIOD_HELP = gettext_noop("At most %(max)s months (forsøksloven § 3).")


def period_within_law(months: int) -> bool:
    """True when a trial may run ``months`` months (forsøksloven § 3)."""
    return MIN_PERIOD_MONTHS <= months <= MAX_PERIOD_MONTHS


def period_range_message() -> str:
    return _(_PERIOD_RANGE) % PERIOD_LIMITS


def period_help_text() -> str:
    return _(_PERIOD_HELP) % PERIOD_LIMITS


# A joint application: the lead applicant and at most this many other municipalities or counties.
MAX_CO_APPLICANTS = 100
_CO_APPLICANTS_CAP = gettext_noop("A joint application can have at most %(max)s co-applicants.")


def co_applicants_problem(count: int) -> str | None:
    """Why ``count`` co-applicants (the lead not counted) are too many; None when allowed."""
    if count > MAX_CO_APPLICANTS:
        return _(_CO_APPLICANTS_CAP) % {"max": MAX_CO_APPLICANTS}
    return None


# For declarations evaluated at import time (form fields, serializers, model help texts).
period_range_message_lazy = lazy(period_range_message, str)
period_help_text_lazy = lazy(period_help_text, str)
# The English text, for the OpenAPI examples.
PERIOD_RANGE_EXAMPLE = _PERIOD_RANGE % PERIOD_LIMITS


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
    # The services and the database keep a given period within the law.
    if not application.period_months:
        problems.append(_("Give the period of the trial in months."))
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
