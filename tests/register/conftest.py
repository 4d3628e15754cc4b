"""Builders for the exemption register, statistics and public API tests.

Applications are written through ``trials.services`` and submitted for real. The decision
itself is a shortcut (as ``set_status`` in tests/trials): outcomes, dates and the trial are
put in place with queryset updates and ``services.trial_create``, so a test can choose any
outcome, processing time and trial period without walking the whole case process (one test
in test_register_pages.py does walk it, through workflows.case.services.task_complete).
"""

import datetime
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from casework.choices import Role
from legal.models import Provision
from tests.factories import member, municipality
from tests.trials.conftest import *  # noqa: F403 - people, organisations, builders
from tests.trials.conftest import pdf_bytes, upload
from trials import services
from trials.choices import (
    ApplicationStatus,
    AttachmentKind,
    ExemptionStatus,
    Outcome,
    Purpose,
    Stage,
)
from trials.models import Application, ExemptionRequest, Trial

OPPL = "LOV-2023-06-09-30"  # opplæringslova, KD
OPPL_13_1 = f"{OPPL}/§13-1"
OPPL_14_1 = f"{OPPL}/§14-1"
OPPL_14_2 = f"{OPPL}/§14-2"
BHGL = "LOV-2005-06-17-64"  # barnehageloven, KD
BHGL_10 = f"{BHGL}/§10"
HOL = "LOV-2011-06-24-30"  # helse- og omsorgstjenesteloven, HOD
HOL_3_2 = f"{HOL}/§3-2"
PBL = "LOV-2008-06-27-71"  # plan- og bygningsloven, KDD
PBL_21_7 = f"{PBL}/§21-7"

INNLANDET, NORDLAND = "34", "18"


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


@pytest.fixture
def oyer(db):
    return municipality("3440")  # Øyer, Innlandet


@pytest.fixture
def approver(kdd):
    return member(kdd, Role.APPROVER, username="leder.kdd")


@pytest.fixture
def submit(applicant, lillehammer, media_root):
    """``submit([citation keys], actor=, organisation=, co_applicants=, stage=, title=,
    unresolved=[citations as written], submitted_at=)``: a submitted application."""

    def build(
        keys=(OPPL_13_1,),
        *,
        actor=None,
        organisation=None,
        co_applicants=(),
        stage=Stage.PRELIMINARY,
        title="Tilpassa skoledag",
        unresolved=(),
        submitted_at=None,
        **fields,
    ):
        actor = actor or applicant
        application = services.application_create(
            actor=actor,
            lead_organisation=organisation or lillehammer,
            title=title,
            stage=stage,
            description="Skolane prøver ei ny ordning.",
            summary=fields.pop("summary", "Ei ny ordning for elevane."),
            period_months=24,
            requested_start=timezone.localdate() + datetime.timedelta(days=90),
            **fields,
        )
        if co_applicants:
            services.application_set_co_applicants(
                actor=actor, application=application, organisations=co_applicants
            )
        for key in keys:
            services.exemption_request_create(
                actor=actor,
                application=application,
                provision=Provision.objects.get(citation_key=key),
                proposed_arrangement=f"Ei anna ordning enn {key}.",
                justification="Betre tenester.",
            )
        for text in unresolved:
            services.exemption_request_create(
                actor=actor,
                application=application,
                citation_text=text,
                proposed_arrangement="Ei anna ordning.",
                justification="Betre tenester.",
            )
        services.application_set_purposes(
            actor=actor,
            application=application,
            purposes={Purpose.BETTER_SERVICES: "Betre oppfølging."},
        )
        for organisation_ in application.applicant_organisations:
            services.contact_add(
                actor=actor,
                application=application,
                organisation=organisation_,
                name=f"Kontakt {organisation_.name}",
                email=f"kontakt@{organisation_.number}.kommune.example",
            )
        if stage == Stage.FINAL:
            for organisation_ in application.applicant_organisations:
                services.attachment_add(
                    actor=actor,
                    application=application,
                    uploaded_file=upload(f"vedtak-{organisation_.number}.pdf", pdf_bytes()),
                    kind=AttachmentKind.COUNCIL_DECISION,
                    organisation=organisation_,
                )
            services.attachment_add(
                actor=actor,
                application=application,
                uploaded_file=upload("forskrift.pdf", pdf_bytes("Forskrift")),
                kind=AttachmentKind.DRAFT_REGULATION,
            )
        application = services.application_submit(actor=actor, application=application)
        if submitted_at is not None:
            Application.objects.filter(pk=application.pk).update(submitted_at=submitted_at)
        return Application.objects.get(pk=application.pk)

    return build


STATUS_FOR_OUTCOME = {
    Outcome.GRANTED: ExemptionStatus.GRANTED,
    Outcome.GRANTED_WITH_CONDITIONS: ExemptionStatus.GRANTED_WITH_CONDITIONS,
    Outcome.REFUSED: ExemptionStatus.REFUSED,
}


@pytest.fixture
def decide(case_officer):
    """``decide(application, {key: (outcome, reasons, conditions)}, registered=, decided=,
    trial=(starts_on, ends_on))``: the decision as proposal_approve leaves it (default: every
    exemption granted); with ``trial`` the granted exemptions form a trial of that period."""

    def apply(application, outcomes=None, *, registered=None, decided=None, trial=None):
        now = timezone.now()
        granted = []
        for exemption in application.exemption_requests.select_related("provision"):
            key = exemption.provision.citation_key if exemption.provision else ""
            outcome, reasons, conditions = (outcomes or {}).get(key, (Outcome.GRANTED, "", ""))
            ExemptionRequest.objects.filter(pk=exemption.pk).update(
                outcome=outcome,
                outcome_reasons=reasons,
                conditions=conditions,
                status=STATUS_FOR_OUTCOME[Outcome(outcome)],
            )
            if outcome != Outcome.REFUSED:
                granted.append(exemption)
        Application.objects.filter(pk=application.pk).update(
            status=ApplicationStatus.APPROVED if granted else ApplicationStatus.REJECTED,
            registered_at=registered or now,
            decided_at=decided or now,
            decision_summary="Vedtak med grunngiving.",
        )
        application = Application.objects.get(pk=application.pk)
        if trial and granted:
            created = services.trial_create(
                actor=case_officer, application=application, exemptions=granted
            )
            Trial.objects.filter(pk=created.pk).update(starts_on=trial[0], ends_on=trial[1])
        return application

    return apply


def download_json(response) -> dict:
    """The body of a JSON download (streamed: read to the end)."""
    assert response.status_code == 200, response
    return json.loads(response.getvalue())
