"""Nothing non-public ever reaches a public page, feed, export or API answer.

Every field that must never be published gets a unique marker (``LEAK-MARKER-<field>``);
then every public address is fetched without login and no marker may appear anywhere in it.
The data is made the way users make it: the applicant through ``trials.services``, the
ministry through the case process (``workflows.case.services.task_complete``).

The public addresses are collected by URL name. Pages other developers build may not exist
yet: ``test_public_address_exists`` reports each missing one as SKIPPED with its name, and
``test_no_public_address_shows_anything_non_public`` checks all that exist, so the test
grows as the pages land.
"""

import contextlib
import datetime

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.choices import EntryType, Role, ScreeningBasis
from casework.models import CaseFile, JournalDocument
from casework.selectors import case_for
from casework.services import journal_entry_create
from legal.models import Provision
from tests import builders
from tests.factories import member, ministry, municipality
from tests.files import pdf_bytes, upload
from trials import services
from trials.choices import (
    ApplicationStatus,
    Assessment,
    AttachmentKind,
    Outcome,
    Position,
    Purpose,
    Stage,
)
from trials.models import Application, Trial
from workflows.case import services as workflow
from workflows.case.flows import ApplicationFlow

pytestmark = pytest.mark.django_db

OPPL_13_1 = "LOV-2023-06-09-30/§13-1"  # opplæringslova (KD)
HOL_3_2 = "LOV-2011-06-24-30/§3-2"  # helse- og omsorgstjenesteloven (HOD)
BHGL_10 = "LOV-2005-06-17-64/§10"  # barnehageloven (KD)
ACTS = ["LOV-2023-06-09-30", "LOV-2011-06-24-30", "LOV-2005-06-17-64"]


def marker(field: str) -> str:
    return f"LEAK-MARKER-{field}"


MARKERS = [
    marker(name)
    for name in (
        # people: contact persons, and the users behind every role
        "contact-name",
        "contact-email",
        "contact-phone",
        "contact-job-title",
        "applicant-first-name",
        "applicant-last-name",
        "applicant-email",
        "applicant-username",
        "officer-first-name",
        "officer-last-name",
        "officer-email",
        "officer-username",
        "approver-first-name",
        "approver-last-name",
        "approver-email",
        "approver-username",
        "consultee-first-name",
        "consultee-last-name",
        "consultee-email",
        "consultee-username",
        # the ministry's work before the decision
        "assessment-note",
        "proposal-summary",
        "proposal-reasons",
        "proposal-conditions",
        "return-comment",
        "consultation-letter",
        "consultation-statement",
        "consultation-position-statement",
        # letters to the applicant and its answers (sent, but kept out to be safe)
        "information-request",
        "information-answer",
        "interim-reply-reason",
        "withdrawn-reason",
        # screened material
        "screened-word",
        "screened-document-title",
        "screened-attachment-name",
        "screened-attachment-description",
        # drafts
        "draft-title",
        "draft-summary",
        "draft-description",
        "withdrawn-draft-title",
        # the trial after the decision: internal follow-up, screened reports and evaluations,
        # and a draft that builds on the trial
        "obligation-description",
        "report-response",
        "screened-report-text",
        "screened-evaluation-conclusion",
        "trial-draft-title",
    )
]


def _person(organisation, role, key: str):
    return member(
        organisation,
        role,
        username=f"leak-marker-{key}-username",
        first_name=marker(f"{key}-first-name"),
        last_name=marker(f"{key}-last-name"),
        email=f"leak-marker-{key}-email@example.no",
    )


def _task(application, step):
    return ApplicationFlow.task_class.objects.get(
        process__caseprocess__application=application,
        flow_task=getattr(ApplicationFlow, step),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def _tasks(application, step):
    return list(
        ApplicationFlow.task_class.objects.filter(
            process__caseprocess__application=application,
            flow_task=getattr(ApplicationFlow, step),
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
    )


def _fresh(application) -> Application:
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def world(settings, tmp_path, django_capture_on_commit_callbacks):
    """Applications in every public state, with a marker in every non-public field."""
    settings.MEDIA_ROOT = tmp_path / "media"
    lillehammer, bodo, oyer = municipality("3405"), municipality("1804"), municipality("3440")
    kdd = ministry("KDD")
    applicant = _person(lillehammer, Role.APPLICANT, "applicant")
    bodo_applicant = member(bodo, Role.APPLICANT, username="bodo.applicant")
    officer = _person(kdd, Role.CASE_OFFICER, "officer")
    approver = _person(kdd, Role.APPROVER, "approver")
    consultees = {
        "KD": _person(ministry("KD"), Role.CONSULTEE, "consultee"),
        "HOD": member(ministry("HOD"), Role.CONSULTEE, username="hod.consultee"),
    }

    def ready(actor, organisation, keys, *, title, stage=Stage.PRELIMINARY, co_applicants=()):
        application = services.application_create(
            actor=actor,
            lead_organisation=organisation,
            title=title,
            stage=stage,
            summary=f"Offentleg samandrag av {title}.",
            description="Ei ny ordning.",
            period_months=24,
            requested_start=timezone.localdate() + datetime.timedelta(days=60),
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
                proposed_arrangement="Ei anna ordning.",
                justification="Betre tenester.",
            )
        services.application_set_purposes(
            actor=actor, application=application, purposes={Purpose.BETTER_SERVICES: "Betre."}
        )
        for organisation_ in application.applicant_organisations:
            services.contact_add(
                actor=actor,
                application=application,
                organisation=organisation_,
                name=marker("contact-name"),
                job_title=marker("contact-job-title"),
                email="leak-marker-contact-email@example.no",
                phone=marker("contact-phone"),
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
        return application

    def submit(actor, application):
        with django_capture_on_commit_callbacks(execute=True):
            return services.application_submit(actor=actor, application=application)

    def run(application, step, actor, payload):
        with django_capture_on_commit_callbacks(execute=True):
            workflow.task_complete(actor=actor, task=_task(application, step), payload=payload)

    def consult_all(application, *, statement="", position_statement=""):
        for task in _tasks(application, "consult"):
            consultation = services_consultation(task)
            position = (
                Position.SUPPORTS_WITH_CONDITIONS if position_statement else Position.SUPPORTS
            )
            with django_capture_on_commit_callbacks(execute=True):
                workflow.task_complete(
                    actor=consultees[consultation.ministry.code],
                    task=task,
                    payload={
                        "positions": {
                            e.pk: {"position": position, "statement": position_statement}
                            for e in consultation.exemptions.all()
                        },
                        "statement": statement,
                    },
                )

    # A. Decided (approved, final stage, with its trial): it went through everything.
    decided = ready(
        applicant,
        lillehammer,
        [OPPL_13_1, HOL_3_2],
        title="Godkjent forsøk",
        stage=Stage.FINAL,
        co_applicants=[oyer],
    )
    services.attachment_add(
        actor=applicant,
        application=decided,
        uploaded_file=upload(f"{marker('screened-attachment-name')}.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
        description=marker("screened-attachment-description"),
        screening_basis=ScreeningBasis.OFFL_13,
    )
    decided = submit(applicant, decided)
    run(decided, "register", officer, {})
    run(
        decided,
        "check_completeness",
        officer,
        {"complete": False, "message": marker("information-request")},
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_answer(
            actor=applicant, application=_fresh(decided), text=marker("information-answer")
        )
    services.interim_reply_send(
        actor=officer,
        application=_fresh(decided),
        reason=marker("interim-reply-reason"),
        expected_decision=timezone.localdate() + datetime.timedelta(days=30),
    )
    run(
        decided,
        "assess",
        officer,
        {
            "assessments": {
                e.pk: {"assessment": Assessment.WITHIN_SCOPE, "note": "Innanfor."}
                for e in decided.exemption_requests.all()
            },
            "consultation_message": marker("consultation-letter"),
        },
    )
    consult_all(decided, statement="Departementet støttar forsøket.")
    outcomes = {
        e.pk: {"outcome": Outcome.GRANTED, "reasons": "", "conditions": ""}
        for e in decided.exemption_requests.all()
    }
    run(decided, "propose", officer, {"outcomes": outcomes, "summary": "Forsøket er godkjent."})
    run(decided, "approve", approver, {"decision": "return", "comment": marker("return-comment")})
    run(decided, "propose", officer, {"outcomes": outcomes, "summary": "Forsøket er godkjent."})
    run(decided, "approve", approver, {"decision": "approve"})
    decided = _fresh(decided)
    assert decided.status == ApplicationStatus.APPROVED
    today = timezone.localdate()
    trial = Trial.objects.get(application=decided)
    builders.regulation(
        trial,
        officer=officer,
        starts_on=today - datetime.timedelta(days=1),
        in_force_to=today + datetime.timedelta(days=400),
    )
    obligation = services.obligation_add(
        actor=officer,
        trial=trial,
        kind="annual_report",
        due_on=today + datetime.timedelta(days=100),
        description=marker("obligation-description"),
    )
    report = services.report_submit(
        actor=applicant, trial=trial, title="Årsrapport", text="Open tekst.", obligation=obligation
    )
    services.report_acknowledge(actor=officer, report=report, response=marker("report-response"))
    services.report_submit(
        actor=applicant,
        trial=trial,
        title="Skjerma vedlegg til rapporten",
        text=marker("screened-report-text"),
        screening_basis=ScreeningBasis.OFFL_13,
    )
    services.evaluation_record(
        actor=officer,
        trial=trial,
        evaluator="Forskingsinstituttet",
        conclusion=marker("screened-evaluation-conclusion"),
        screening_basis=ScreeningBasis.OFFL_26,
    )
    trial_draft = services.application_from_trial(
        actor=bodo_applicant, trial=trial, lead_organisation=bodo
    )
    services.application_update(
        actor=bodo_applicant, application=trial_draft, title=marker("trial-draft-title")
    )

    # Screened journal entry (words hidden) with a screened document, in the decided case.
    journal_entry_create(
        actor=officer,
        case=case_for(decided),
        entry_type=EntryType.INTERNAL,
        title=f"Notat om {marker('screened-word')} i saka",
        screened_words=[marker("screened-word")],
        screening_basis=ScreeningBasis.OFFL_13,
        documents=[
            {
                "title": marker("screened-document-title"),
                "file": ContentFile(b"%PDF-1.4 screened"),
                "filename": "notat.pdf",
                "content_type": "application/pdf",
            }
        ],
    )

    # B. A pending proposal: assessments, consultation answers and proposed reasons exist.
    pending = submit(
        applicant, ready(applicant, lillehammer, [OPPL_13_1, BHGL_10], title="Foreslått vedtak")
    )
    run(pending, "register", officer, {})
    run(pending, "check_completeness", officer, {"complete": True})
    run(
        pending,
        "assess",
        officer,
        {
            "assessments": {
                e.pk: {"assessment": Assessment.WITHIN_SCOPE, "note": marker("assessment-note")}
                for e in pending.exemption_requests.all()
            },
            "consultation_message": marker("consultation-letter"),
        },
    )
    consult_all(
        pending,
        statement=marker("consultation-statement"),
        position_statement=marker("consultation-position-statement"),
    )
    run(
        pending,
        "propose",
        officer,
        {
            "outcomes": {
                e.pk: {
                    "outcome": Outcome.GRANTED_WITH_CONDITIONS,
                    "reasons": marker("proposal-reasons"),
                    "conditions": marker("proposal-conditions"),
                }
                for e in pending.exemption_requests.all()
            },
            "summary": marker("proposal-summary"),
        },
    )
    assert _fresh(pending).status == ApplicationStatus.DECISION_PROPOSED

    # C. In consultation: the letters are out, nothing answered.
    consulting = submit(bodo_applicant, ready(bodo_applicant, bodo, [HOL_3_2], title="På høyring"))
    run(consulting, "register", officer, {})
    run(consulting, "check_completeness", officer, {"complete": True})
    run(
        consulting,
        "assess",
        officer,
        {
            "assessments": {
                e.pk: {"assessment": Assessment.WITHIN_SCOPE, "note": marker("assessment-note")}
                for e in consulting.exemption_requests.all()
            },
            "consultation_message": marker("consultation-letter"),
        },
    )

    # D. Withdrawn after submission, with its (internal) reason.
    withdrawn = submit(applicant, ready(applicant, lillehammer, [BHGL_10], title="Trekt søknad"))
    services.application_withdraw(
        actor=applicant, application=withdrawn, reason=marker("withdrawn-reason")
    )

    # E. Drafts: one still a draft, one withdrawn before it was ever submitted.
    draft = ready(applicant, lillehammer, [OPPL_13_1], title=marker("draft-title"))
    services.application_update(
        actor=applicant,
        application=draft,
        summary=marker("draft-summary"),
        description=marker("draft-description"),
    )
    withdrawn_draft = ready(
        applicant, lillehammer, [HOL_3_2], title=marker("withdrawn-draft-title")
    )
    services.application_withdraw(actor=applicant, application=withdrawn_draft, reason="Nei.")

    return {
        "public": [decided, _fresh(pending), _fresh(consulting), _fresh(withdrawn)],
        "drafts": [draft, withdrawn_draft, trial_draft],
        "trials": [trial],
        "organisations": ["3405", "1804", "3440", "34", "18"],
    }


def services_consultation(task):
    from trials.models import Consultation

    return Consultation.objects.select_related("ministry").get(pk=task.data["consultation"])


# --- the public addresses ----------------------------------------------------------------------

FORMATS = ({}, {"format": "csv"}, {"format": "json"})


def public_addresses(world) -> tuple[list[str], list[str]]:
    """(paths to fetch, URL names that do not exist yet)."""
    references = [a.reference for a in world["public"]]
    drafts = [a.reference for a in world["drafts"]]
    wanted: list[tuple[str, list, list[dict]]] = [
        ("home", [], [{}]),
        ("public:application_list", [], [{}, {"status": "withdrawn"}, {"page": 2}]),
        *[("public:application_detail", [ref], [{}]) for ref in references + drafts],
        *[("public:municipality", [n], [{}]) for n in world["organisations"]],
        ("public:feed_new", [], [{}]),
        ("public:feed_decisions", [], [{}]),
        *[("public:feed_municipality", [n], [{}]) for n in world["organisations"]],
        *[("public:feed_act", [act], [{}]) for act in ACTS],
        ("journal:list", [], [{}, {"basis": "screened"}, {"entry_type": "X"}]),
        ("journal:access_request", [], [{}]),
        ("register:overview", [], [*FORMATS, {"outcome": "pending"}]),
        *[("register:act", [act], list(FORMATS)) for act in ACTS],
        ("register:statistics", [], list(FORMATS)),
        ("legal:act_list", [], [{}]),
        *[("legal:act_detail", [act], [{}]) for act in ACTS],
        ("public_api:application-list", [], [{}, {"page_size": 500}, {"status": "withdrawn"}]),
        *[("public_api:application-detail", [ref], [{}]) for ref in references],
        ("public_api:exemption-list", [], [{}, {"outcome": "pending"}]),
        ("public_api:journal-list", [], [{}, {"basis": "screened"}]),
        ("public:trial_list", [], [*FORMATS, {"status": "in_force"}, {"q": "skole"}]),
        *[("public:trial_detail", [t.pk], [{}]) for t in world["trials"]],
        ("public:trial_feed", [], [{}]),
        ("public_api:trial-list", [], [{}, {"status": "in_force"}]),
        *[("public_api:trial-detail", [t.pk], [{}]) for t in world["trials"]],
        ("api-schema", [], [{}]),
    ]
    paths, missing = [], []
    for name, args, variants in wanted:
        try:
            path = reverse(name, args=args)
        except NoReverseMatch:
            if name not in missing:
                missing.append(name)
            continue
        for params in variants:
            query = "&".join(f"{k}={v}" for k, v in params.items())
            paths.append(f"{path}?{query}" if query else path)
    return paths, missing


URL_NAMES = [
    ("home", []),
    ("public:application_list", []),
    ("public:application_detail", ["FRI-2026-0001"]),
    ("public:municipality", ["3405"]),
    ("public:feed_new", []),
    ("public:feed_decisions", []),
    ("public:feed_municipality", ["3405"]),
    ("public:feed_act", ["LOV-2023-06-09-30"]),
    ("journal:list", []),
    ("journal:access_request", []),
    ("register:overview", []),
    ("register:act", ["LOV-2023-06-09-30"]),
    ("register:statistics", []),
    ("legal:act_list", []),
    ("legal:act_detail", ["LOV-2023-06-09-30"]),
    ("public_api:application-list", []),
    ("public_api:exemption-list", []),
    ("public_api:journal-list", []),
    ("public:trial_list", []),
    ("public:trial_detail", [1]),
    ("public:trial_feed", []),
    ("public_api:trial-list", []),
    ("public_api:trial-detail", [1]),
]


@pytest.mark.parametrize(("name", "args"), URL_NAMES, ids=[name for name, _ in URL_NAMES])
def test_public_address_exists(name, args):
    """Each public address the leak test should cover; SKIPPED while it is not built yet."""
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"{name} does not exist yet: the leak test cannot cover it until it does")


def test_no_public_address_shows_anything_non_public(client, world):
    cache.clear()  # the public API is throttled per client address
    paths, missing = public_addresses(world)
    assert len(paths) > 20
    print(f"Leak test: {len(paths)} public addresses")
    leaks, failures = [], []
    for path in paths:
        cache.clear()
        response = client.get(path)
        if response.status_code >= 400 and path.split("?")[0] not in _drafts(world):
            failures.append(f"{path}: HTTP {response.status_code}")
        text = b"".join(response) if response.streaming else response.content
        body = text.decode("utf-8", errors="replace").lower()
        found = [m for m in MARKERS if m.lower() in body]
        if found:
            leaks.append(f"{path}: {', '.join(found)}")
    assert not leaks, "Non-public data on public addresses:\n" + "\n".join(leaks)
    assert not failures, "\n".join(failures)
    if missing:
        print("Not yet built, so not covered:", ", ".join(missing))


def _drafts(world) -> set[str]:
    paths = set()
    for application in world["drafts"]:
        for name in ("public:application_detail", "public_api:application-detail"):
            with contextlib.suppress(NoReverseMatch):
                paths.add(reverse(name, args=[application.reference]))
    return paths


def test_drafts_are_not_found_on_any_public_address(client, world):
    for path in _drafts(world):
        assert client.get(path).status_code == 404, path


def test_the_markers_really_are_in_the_database(world):
    """Guards the test itself: every marker sits where it should, so a clean page means
    the page filtered it out (not that the data was never there)."""
    from django.contrib.auth import get_user_model

    from casework.models import JournalEntry
    from trials.models import (
        Attachment,
        Consultation,
        ConsultationAnswer,
        ContactPerson,
        DecisionProposal,
        Evaluation,
        ExemptionRequest,
        InformationRequest,
        InterimReply,
        Report,
    )

    found = {
        "contact": ContactPerson.objects.filter(name=marker("contact-name")).exists(),
        "user": get_user_model().objects.filter(first_name=marker("officer-first-name")).exists(),
        "assessment": ExemptionRequest.objects.filter(
            assessment_note=marker("assessment-note")
        ).exists(),
        "proposal": DecisionProposal.objects.filter(
            summary=marker("proposal-summary"), status="pending"
        ).exists(),
        "returned": DecisionProposal.objects.filter(
            review_comment=marker("return-comment")
        ).exists(),
        "consultation": Consultation.objects.filter(
            statement=marker("consultation-statement")
        ).exists(),
        "letter": Consultation.objects.filter(message=marker("consultation-letter")).exists(),
        "position": ConsultationAnswer.objects.filter(
            statement=marker("consultation-position-statement")
        ).exists(),
        "information": InformationRequest.objects.filter(
            message=marker("information-request"), answer_text=marker("information-answer")
        ).exists(),
        "interim": InterimReply.objects.filter(reason=marker("interim-reply-reason")).exists(),
        "screened title": JournalEntry.objects.filter(
            title__contains=marker("screened-word"), screening_basis="offl_13"
        ).exists(),
        "screened document": JournalDocument.objects.filter(
            title=marker("screened-document-title")
        ).exists(),
        "attachment": Attachment.objects.filter(
            original_name__startswith=marker("screened-attachment-name"), screening_basis="offl_13"
        ).exists(),
        "draft": Application.objects.filter(
            title=marker("draft-title"), status=ApplicationStatus.DRAFT
        ).exists(),
        "case": CaseFile.objects.exists(),
        "report": Report.objects.filter(
            text=marker("screened-report-text"), screening_basis="offl_13"
        ).exists(),
        "evaluation": Evaluation.objects.filter(
            conclusion=marker("screened-evaluation-conclusion")
        ).exists(),
        "trial draft": Application.objects.filter(
            title=marker("trial-draft-title"), based_on_trial__isnull=False
        ).exists(),
    }
    assert all(found.values()), [name for name, ok in found.items() if not ok]
