"""The domain's rules, each written once: the period a trial may run, how many organisations
may apply together, what an application must meet before it can be submitted (listed all at
once), and the legal limits of a trial after the decision (extension, end date). Forms,
serializers, services, templates, the database constraint and the tests read their limits
from here.
"""

import calendar
import datetime
import re

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from trials.choices import ApplicationStatus, AttachmentKind, Stage

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


def may_continue_as_final(preliminary, *, ignoring=None) -> bool:
    """A preliminary application taken forward continues as one final application at a time.

    A withdrawn final application no longer counts: the applicants may start a new one.
    ``ignoring`` is a final application that is itself being checked (editing its link).
    """
    if preliminary.stage != Stage.PRELIMINARY or preliminary.status != ApplicationStatus.APPROVED:
        return False
    finals = preliminary.final_applications.exclude(status=ApplicationStatus.WITHDRAWN)
    if ignoring is not None and ignoring.pk:
        finals = finals.exclude(pk=ignoring.pk)
    return not finals.exists()


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


# --- the trial after the decision (forsøksloven § 3 second paragraph) -------------------------

MAX_EXTENSION_MONTHS = 24  # forsøksloven § 3: extended by at most two years in all ...
# ... "or until a planned or decided reform takes effect": then the reform is named.
EXPIRY_WARNING_MONTHS = (12, 6)  # warnings to the municipality and the officer before the end
REPORT_REMINDER_DAYS = 14  # a reminder this many days before a report is due
FOR_ID_PATTERN = r"^FOR-(\d{4})-(\d{2})-(\d{2})-(\d{1,4})$"  # e.g. FOR-2027-01-15-42
LOVDATA_URL_PREFIXES = ("https://lovdata.no/", "https://www.lovdata.no/")


def add_months(day, months: int):
    """``day`` plus ``months`` calendar months (the last day of a shorter month if needed)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def latest_period_end(starts_on):
    """The first day a trial starting on ``starts_on`` can no longer be in force without an
    extension (``ends_on`` is exclusive: the trial runs until the day before)."""
    return add_months(starts_on, MAX_PERIOD_MONTHS)


def latest_extended_end(period_ends_on):
    """The legal maximum after extensions by months: two years beyond the original period."""
    return add_months(period_ends_on, MAX_EXTENSION_MONTHS)


def extended_end(ends_on, months, reform_date):
    """The end date an extension by ``months`` (or until a reform on ``reform_date``) gives a
    trial ending on ``ends_on``."""
    if months is None:
        return reform_date
    return add_months(ends_on, months)


def extension_months_left(trial) -> int:
    """How many months of extension by months ``trial`` has left (forsøksloven § 3)."""
    used = sum(e.months or 0 for e in trial.extensions.all() if e.status == "granted")
    return max(0, MAX_EXTENSION_MONTHS - used)


def regulation_problems(*, for_id, lovdata_url, adopted_on, in_force_from, in_force_to) -> dict:
    """Why a regulation cannot be recorded as given (field: message); empty when it can."""
    problems = {}
    match = re.match(FOR_ID_PATTERN, for_id or "")
    if match is None:
        problems["for_id"] = _("Give the regulation's id as FOR-YYYY-MM-DD-NNNN.")
    else:
        try:
            day = datetime.date(*(int(part) for part in match.groups()[:3]))
        except ValueError:
            problems["for_id"] = _("The date in the regulation's id is not a valid date.")
        else:
            if adopted_on and day != adopted_on:
                problems["for_id"] = _("The date in the id must be the date it was adopted.")
    if lovdata_url and not lovdata_url.startswith(LOVDATA_URL_PREFIXES):
        problems["lovdata_url"] = _("Give the regulation's address at lovdata.no.")
    if in_force_from and in_force_to:
        if in_force_to <= in_force_from:
            problems["in_force_to"] = _("The end date must be after the start date.")
        elif in_force_to > latest_period_end(in_force_from):
            problems["in_force_to"] = _(
                "A trial may last at most %(max)s months (forsøksloven § 3); the end date can "
                "be %(date)s at the latest."
            ) % {"max": MAX_PERIOD_MONTHS, "date": latest_period_end(in_force_from).isoformat()}
    if adopted_on and in_force_from and in_force_from < adopted_on:
        problems["in_force_from"] = _("The regulation cannot apply before it was adopted.")
    return problems


def extension_problems(*, trial, months, reform_reference, reform_date) -> dict:
    """Why ``trial`` cannot be extended as asked (field: message); empty when it can."""
    problems = {}
    granted = [e for e in trial.extensions.all() if e.status == "granted"]
    if months is None and not (reform_reference or reform_date):
        problems["months"] = _(
            "Give the number of months, or the reform the trial is extended until."
        )
        return problems
    if months is not None and (reform_reference or reform_date):
        problems["months"] = _("Extend either by months or until a reform, not both.")
        return problems
    if months is None:
        if not (reform_reference or "").strip():
            problems["reform_reference"] = _(
                "Name the planned or decided reform the trial is extended until."
            )
        if reform_date is None:
            problems["reform_date"] = _("Give the date the reform takes effect.")
        elif reform_date <= trial.ends_on:
            problems["reform_date"] = _("The reform must take effect after the current end date.")
        return problems
    used = sum(e.months or 0 for e in granted)
    if months < 1:
        problems["months"] = _("Extend by at least one month.")
    elif used + months > MAX_EXTENSION_MONTHS:
        problems["months"] = _(
            "A trial may be extended by at most %(max)s months in all (forsøksloven § 3); "
            "%(left)s months are left."
        ) % {"max": MAX_EXTENSION_MONTHS, "left": max(0, MAX_EXTENSION_MONTHS - used)}
    elif add_months(trial.ends_on, months) > latest_extended_end(trial.period_ends_on):
        problems["months"] = _(
            "The new end date would pass the legal maximum, %(date)s (forsøksloven § 3)."
        ) % {"date": latest_extended_end(trial.period_ends_on).isoformat()}
    return problems
