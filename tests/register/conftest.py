"""Builders for the exemption register, statistics and public API tests.

Applications are written through ``trials.services`` and submitted for real; decisions are
reached through the case process (``tests.builders.advance``), with the clock at the
registration and decision moments a test chooses, so processing times can be anything. Only a
trial's period is moved afterwards, to put it in force or out of it.
"""

import json

import pytest
from django.core.cache import cache

from tests import builders
from tests.builders import OPPL_13_1
from tests.factories import municipality
from tests.fixtures import lillehammer_applicant
from trials import services
from trials.choices import ApplicationStatus, ExemptionStatus, Purpose, Stage
from trials.models import Trial


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The public API is throttled per client address; each test starts with a clean count."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Pages in English, so assertions read the msgids whatever the translations say."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def submitted(
    keys=(OPPL_13_1,),
    *,
    actor=None,
    organisation=None,
    title="Tilpassa skoledag",
    unresolved=(),
    submitted_at=None,
    stage=Stage.PRELIMINARY,
    **fields,
):
    """The ``submit`` fixture's application (there for module-scoped fixtures too)."""
    actor = actor or lillehammer_applicant()
    application = builders.ready(
        actor=actor,
        organisation=organisation or municipality("3405"),
        title=title,
        stage=stage,
        description="Skolane prøver ei ny ordning.",
        summary=fields.pop("summary", "Ei ny ordning for elevane."),
        exemptions=[
            *(builders.exemption(key) for key in keys),
            *(
                {
                    "citation_text": text,
                    "proposed_arrangement": "Ei anna ordning.",
                    "justification": "Betre tenester.",
                }
                for text in unresolved
            ),
        ],
        purposes={Purpose.BETTER_SERVICES: "Betre oppfølging."},
        **fields,
    )
    return builders.submit(application, actor=actor, at=submitted_at)


@pytest.fixture
def submit(applicant, lillehammer, media_root):
    """``submit([citation keys], actor=, organisation=, co_applicants=, stage=, title=,
    unresolved=[citations as written], submitted_at=)``: a submitted application."""

    def build(keys=(OPPL_13_1,), *, actor=None, **fields):
        return submitted(keys, actor=actor or applicant, **fields)

    return build


def decided(application, outcomes=None, *, staff, registered=None, decided=None, trial=None):
    """The ``decide`` fixture's decision (there for module-scoped fixtures too)."""
    application = builders.advance(
        application,
        to="decided",
        staff=staff,
        outcomes=outcomes,
        summary="Vedtak med grunngiving.",
        registered=registered,
        decided=decided,
    )
    if trial and application.status == ApplicationStatus.APPROVED:
        created = Trial.objects.filter(application=application).first()
        if created is None:  # a preliminary application gets no trial of its own
            created = services.trial_create(
                actor=staff.officer,
                application=application,
                exemptions=list(
                    application.exemption_requests.exclude(status=ExemptionStatus.REFUSED)
                ),
            )
        builders.regulation(
            created, officer=staff.officer, starts_on=trial[0], in_force_to=trial[1]
        )
    return application


@pytest.fixture
def decide(staff):
    """``decide(application, {key: (outcome, reasons, conditions)}, registered=, decided=,
    trial=(starts_on, ends_on))``: registered at ``registered`` and decided at ``decided``
    (default now) through the case process, every exemption granted unless ``outcomes`` says
    otherwise; with ``trial`` the granted exemptions form a trial of that period."""

    def apply(application, outcomes=None, **moments):
        return decided(application, outcomes, staff=staff, **moments)

    return apply


def download_json(response) -> dict:
    """The body of a JSON download (streamed: read to the end)."""
    assert response.status_code == 200, response
    return json.loads(response.getvalue())
