"""The fixtures every test directory shares, registered once by ``pytest_plugins`` in
tests/conftest.py (no conftest star-imports another).

People and organisations from the loaded reference data, and applications built with
tests/builders.py: through the services and the case process, never by writing a status.
"""

import datetime
from contextlib import contextmanager

import pytest
import time_machine
from django.test import TestCase
from django.utils import timezone

from casework.choices import Role
from casework.models import AuditEvent
from legal.models import Provision
from tests import builders
from tests.background import run_due_tasks
from tests.factories import ministry, municipality, person
from tests.files import pdf_bytes, upload
from tests.once import fresh, media_like_module
from trials import services
from trials.choices import Stage
from trials.models import Application

# --- background tasks ----------------------------------------------------------------------


@pytest.fixture
def run_tasks(db):
    """``run_tasks()``: the worker's batch run, in the test (tests/background.py): mail is
    in ``mail.outbox`` and letters' PDFs stored only after it."""
    return run_due_tasks


# --- files ---------------------------------------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path, request):
    """Stored files go to a temporary folder (holding the files of the module's shared data,
    tests/once.py, when the test uses it)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    media_like_module(request, settings.MEDIA_ROOT)
    return settings.MEDIA_ROOT


@pytest.fixture
def make_pdf():
    """``make_pdf("vedtak.pdf")``: a fresh upload of a small valid PDF."""

    def build(name: str = "vedtak.pdf", text: str = "Vedtak"):
        return upload(name, pdf_bytes(text), "application/pdf")

    return build


# --- organisations and people --------------------------------------------------------------


@pytest.fixture
def lillehammer(db):
    return municipality("3405")


@pytest.fixture
def bodo(db):
    return municipality("1804")


@pytest.fixture
def oyer(db):
    return municipality("3440")  # Øyer, Innlandet


@pytest.fixture
def kdd(db):
    return ministry("KDD")


def lillehammer_applicant():
    """An applicant of Lillehammer (the lead organisation in most tests)."""
    return person(municipality("3405"), Role.APPLICANT, "kari.lillehammer")


def consultee_of(code: str):
    """The line ministry's consultee of the ``consultee`` and ``hod_consultee`` fixtures."""
    username, first_name = {"KD": ("fagdep.kd", "Per"), "HOD": ("fagdep.hod", "Lars")}[code]
    return person(ministry(code), Role.CONSULTEE, username, first_name=first_name)


@pytest.fixture
def applicant(lillehammer):
    return lillehammer_applicant()


def bodo_person():
    return person(municipality("1804"), Role.APPLICANT, "ola.bodo", first_name="Ola")


@pytest.fixture
def bodo_applicant(bodo):
    return bodo_person()


@pytest.fixture
def case_officer(kdd):
    return builders.kdd_person(Role.CASE_OFFICER)


@pytest.fixture
def approver(kdd):
    return builders.kdd_person(Role.APPROVER)


@pytest.fixture
def consultee(db):
    return consultee_of("KD")


@pytest.fixture
def hod_consultee(db):
    return consultee_of("HOD")


def kdd_staff():
    """Who works on the cases the builders drive: the users of the fixtures above."""
    return builders.staff(KD=consultee_of("KD"), HOD=consultee_of("HOD"))


@pytest.fixture
def staff(case_officer, approver, consultee, hod_consultee):
    return builders.staff(officer=case_officer, approver=approver, KD=consultee, HOD=hod_consultee)


@pytest.fixture
def provision(db):
    return Provision.objects.select_related("act").get(citation_key=builders.OPPL_13_1)


@pytest.fixture
def other_provision(db):
    return Provision.objects.select_related("act").get(citation_key=builders.OPPL_14_1)


# --- applications --------------------------------------------------------------------------


@pytest.fixture
def make_draft(applicant, lillehammer):
    """``make_draft(**fields)``: a draft by ``applicant`` for Lillehammer (or as given)."""

    def build(*, actor=None, organisation=None, title="Felles skolerute", **fields):
        return builders.draft(
            actor=actor or applicant,
            organisation=organisation or lillehammer,
            title=title,
            **fields,
        )

    return build


@pytest.fixture
def make_ready(applicant, lillehammer, media_root):
    """``make_ready(actor=, organisation=, co_applicants=, stage=, exemptions=, **fields)``: a
    draft by ``applicant`` for Lillehammer that passes every submission rule
    (``tests.builders.ready``)."""

    def build(*, actor=None, organisation=None, **fields):
        return builders.ready(
            actor=actor or applicant, organisation=organisation or lillehammer, **fields
        )

    return build


@pytest.fixture
def reach(staff):
    """``reach(ready_application, status)``: submitted by its author and taken through the
    case process to ``status`` (``tests.builders.reach``)."""

    def apply(application: Application, status: str, *, actor=None) -> Application:
        return builders.reach(
            application, status, actor=actor or application.created_by, staff=staff
        )

    return apply


@pytest.fixture
def bring_under_review(staff):
    """``bring_under_review(submitted)``: KDD registers the application and accepts it as
    complete, through the case process; returns it fresh (its assessment task open)."""

    def apply(application: Application) -> Application:
        return builders.advance(application, to="assess", staff=staff)

    return apply


def published(
    *,
    staff,
    actor=None,
    organisation=None,
    stop_at=None,
    refuse=None,
    also=(),
    submitted_on=None,
    **fields,
) -> Application:
    """The ``publish`` fixture's application (there for module-scoped fixtures too)."""
    actor = actor or lillehammer_applicant()
    moment = None
    if submitted_on is not None:
        moment = timezone.make_aware(datetime.datetime.combine(submitted_on, datetime.time(10)))
    with time_machine.travel(moment, tick=False) if moment else _nothing():
        application = builders.ready(
            actor=actor,
            organisation=organisation or municipality("3405"),
            exemptions=[
                builders.DEFAULT_EXEMPTION,
                *(
                    builders.exemption(
                        key,
                        proposed_arrangement="Ei felles teneste.",
                        justification="Betre tenester.",
                    )
                    for key in also
                ),
            ],
            **fields,
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            application = builders.submit(application, actor=actor)
        if stop_at:
            with TestCase.captureOnCommitCallbacks(execute=True):
                application = builders.advance(
                    application, to=stop_at, staff=staff, refuse=refuse or ""
                )
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def publish(applicant, lillehammer, staff, media_root):
    """``publish(stop_at=None, refuse=None, also=(), submitted_on=None, **make_ready_args)``:
    a submitted application, taken through the case process until the task ``stop_at`` is
    open (``tests.builders.STEPS``: "check_completeness" = registered, "propose" =
    consultations answered, "decided", ...). ``also`` adds exemption requests by citation key;
    ``submitted_on`` (a date) submits it on that day. Emails are sent as after a commit."""

    def build(*, actor=None, **kwargs):
        return published(staff=staff, actor=actor or applicant, **kwargs)

    return build


@contextmanager
def _nothing():
    yield


def open_call():
    """KDD's call for applications, open for 50 more days."""
    return services.call_create(
        actor=builders.kdd_person(Role.CASE_OFFICER),
        title="Invitasjon 2027",
        description="Kom med forslag.",
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
        closes_on=timezone.localdate() + datetime.timedelta(days=50),
        stage=Stage.PRELIMINARY,
        owner=ministry("KDD"),
    )


@pytest.fixture(scope="module")
def _call(built_once):
    with built_once():
        return open_call()


@pytest.fixture
def call(_call, db):
    """KDD's open call for applications (built once for the module)."""
    return fresh(_call)


def five_applications(call) -> dict:
    """The ``dataset`` fixture's applications."""
    last_year = timezone.localdate().replace(month=3, day=1) - datetime.timedelta(days=365)
    staff, applicant = kdd_staff(), lillehammer_applicant()
    bodo, bodo_applicant = municipality("1804"), bodo_person()
    school = published(
        staff=staff,
        actor=applicant,
        title="Tilpassa skoledag",
        summary="Elevar får ein tilpassa dag.",
        description="Vi vil endre skolen sin praksis.",
        submitted_on=last_year,
    )
    health = published(
        staff=staff,
        actor=bodo_applicant,
        organisation=bodo,
        stage=Stage.FINAL,
        title="Helsestasjon i éin teneste",
        summary="Eitt team for barn og unge.",
        description="Felles leiing av helsestasjonen.",
        also=[builders.HOL_3_3],
        stop_at="decided",
    )
    joint = published(
        staff=staff,
        actor=applicant,
        co_applicants=[municipality("3440")],
        title="Felles barnevern i regionen",
        summary="To kommunar samarbeider.",
        description="Eit felles kontor.",
        stop_at="register",
    )
    services.application_withdraw(
        actor=joint.created_by, application=joint, reason="Intern grunn som ikkje er offentleg."
    )
    refused = published(
        staff=staff,
        actor=bodo_applicant,
        organisation=bodo,
        title="Digital kunngjering",
        summary="Kunngjering berre på nett.",
        description="Møte blir kunngjorde digitalt.",
        call=call,
        stop_at="decided",
        refuse="Kan gjerast etter gjeldande rett.",
    )
    draft = builders.draft(
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


@pytest.fixture(scope="module")
def _dataset(built_once, _call):
    with built_once():
        return five_applications(_call)


@pytest.fixture
def dataset(_dataset, db, media_root):
    """Five applications, one of them a draft (built once for the module):

    - ``school``: Lillehammer, submitted last year, its text says "skolen";
    - ``health``: Bodø, final stage, approved with a trial; also asks for an exemption
      from helse- og omsorgstjenesteloven (HOD), so two ministries were consulted;
    - ``joint``: Lillehammer with Øyer as co-applicant, withdrawn;
    - ``refused``: Bodø, in the call, not taken forward;
    - ``draft``: Bodø, never submitted.
    """
    return fresh(_dataset)


@pytest.fixture
def open_task():
    """``open_task(application, "register")``: the open task of that step (the first one of
    several consultations)."""

    def find(application, step):
        task = builders.open_task(application, step)
        assert task is not None, f"no open {step} task"
        return task

    return find


@pytest.fixture
def expect_audit():
    """``with expect_audit("application.created"): ...``: exactly these new audit rows."""

    @contextmanager
    def check(*actions: str):
        before = AuditEvent.objects.count()
        last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        yield
        new = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id"))
        assert [event.action for event in new] == list(actions)
        assert AuditEvent.objects.count() - before == len(actions)

    return check


# --- trials after the decision ---------------------------------------------------------------


@pytest.fixture(scope="module")
def _approved_trial(built_once):
    with built_once():
        return builders.trial(
            actor=lillehammer_applicant(), organisation=municipality("3405"), staff=kdd_staff()
        )


@pytest.fixture
def approved_trial(_approved_trial, db, media_root):
    """Lillehammer's approved final application: its trial, approved and not yet in force
    (built once for the module, tests/once.py)."""
    return fresh(_approved_trial)


@pytest.fixture
def trial_in_force(approved_trial, case_officer):
    """``approved_trial`` with its regulation recorded: in force from today for 24 months."""
    builders.regulation(approved_trial, officer=case_officer)
    approved_trial.refresh_from_db()
    return approved_trial
