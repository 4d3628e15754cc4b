"""Builders for the public pages' tests: applications taken through the real services and
the case process (workflows.case.services.task_complete, as the officers' pages do)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from legal.models import Provision
from tests.factories import municipality
from tests.workflows.conftest import *  # noqa: F403 - application builders, officers, consultees
from trials import services
from trials.choices import Stage
from trials.models import Application
from workflows.demo.seed import drive_case

HOL_3_3 = "LOV-2011-06-24-30/§3-3"  # helse- og omsorgstjenesteloven, owned by HOD
PBL_21_7 = "LOV-2008-06-27-71/§21-7"  # plan- og bygningsloven, owned by KDD itself


@pytest.fixture
def oyer(db):
    return municipality("3440")


@pytest.fixture
def officers(case_officer, approver, consultee, hod_consultee):
    """The people ``workflows.demo.seed.drive_case`` expects, by its names."""
    return {"saksbehandler": case_officer, "leder": approver, "kd": consultee, "hod": hod_consultee}


@pytest.fixture
def publish(make_ready, applicant, officers, django_capture_on_commit_callbacks):
    """``publish(stop_at=None, refuse=None, also=(), submitted_on=None, **make_ready_args)``:
    a submitted application, taken through the case process until the task ``stop_at`` is
    open (``workflows.demo.seed.STEPS``: "check_completeness" = registered, "propose" =
    consultations answered, "decided", ...). ``also`` adds exemption
    requests by citation key; ``submitted_on`` (a date) submits it on that day."""

    def build(*, stop_at=None, refuse=None, also=(), submitted_on=None, **kwargs):
        actor = kwargs.get("actor") or applicant
        if submitted_on is not None:
            moment = datetime.datetime.combine(submitted_on, datetime.time(10))
            with time_machine.travel(timezone.make_aware(moment), tick=False):
                return build(stop_at=stop_at, refuse=refuse, also=also, **kwargs)
        application = make_ready(**kwargs)
        for key in also:
            services.exemption_request_create(
                actor=actor,
                application=application,
                provision=Provision.objects.get(citation_key=key),
                proposed_arrangement="Ei felles teneste.",
                justification="Betre tenester.",
            )
        with django_capture_on_commit_callbacks(execute=True):
            application = services.application_submit(actor=actor, application=application)
        if stop_at:
            with django_capture_on_commit_callbacks(execute=True):
                drive_case(application, {"stop_at": stop_at, "refuse": refuse}, officers)
        return Application.objects.get(pk=application.pk)

    return build


@pytest.fixture
def call(case_officer, kdd):
    return services.call_create(
        actor=case_officer,
        title="Invitasjon 2027",
        description="Kom med forslag.",
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
        closes_on=timezone.localdate() + datetime.timedelta(days=50),
        stage=Stage.PRELIMINARY,
        owner=kdd,
    )


@pytest.fixture
def dataset(publish, make_draft, bodo, bodo_applicant, oyer, call):
    """Five applications, one of them a draft:

    - ``school``: Lillehammer, submitted last year, its text says "skolen";
    - ``health``: Bodø, final stage, approved with a trial; also asks for an exemption
      from helse- og omsorgstjenesteloven (HOD), so two ministries were consulted;
    - ``joint``: Lillehammer with Øyer as co-applicant, withdrawn;
    - ``refused``: Bodø, in the call, not taken forward;
    - ``draft``: Bodø, never submitted.
    """
    last_year = timezone.localdate().replace(month=3, day=1) - datetime.timedelta(days=365)
    school = publish(
        title="Tilpassa skoledag",
        summary="Elevar får ein tilpassa dag.",
        description="Vi vil endre skolen sin praksis.",
        submitted_on=last_year,
    )
    health = publish(
        actor=bodo_applicant,
        organisation=bodo,
        stage=Stage.FINAL,
        title="Helsestasjon i éin teneste",
        summary="Eitt team for barn og unge.",
        description="Felles leiing av helsestasjonen.",
        also=[HOL_3_3],
        stop_at="decided",
    )
    joint = publish(
        co_applicants=[oyer],
        title="Felles barnevern i regionen",
        summary="To kommunar samarbeider.",
        description="Eit felles kontor.",
        stop_at="register",
    )
    services.application_withdraw(
        actor=joint.created_by, application=joint, reason="Intern grunn som ikkje er offentleg."
    )
    refused = publish(
        actor=bodo_applicant,
        organisation=bodo,
        title="Digital kunngjering",
        summary="Kunngjering berre på nett.",
        description="Møte blir kunngjorde digitalt.",
        call=call,
        stop_at="decided",
        refuse="Kan gjerast etter gjeldande rett.",
    )
    draft = make_draft(
        actor=bodo_applicant,
        organisation=bodo,
        title="Hemmeleg utkast om skolen",
        summary="Ikkje sendt.",
    )
    return {
        "school": school,
        "health": Application.objects.get(pk=health.pk),
        "joint": Application.objects.get(pk=joint.pk),
        "refused": refused,
        "draft": draft,
    }
