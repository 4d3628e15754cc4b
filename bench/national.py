"""National-scale data on PostgreSQL in minutes (see bench/README.md).

Creates the database NAME, migrates it, loads the reference data (357 municipalities, 15
counties, the ministries, acts and provisions) and writes N submitted applications over all
of them with PostgreSQL's COPY: every row the services would have written, with the same
numbering and the same constraints (unique references, case numbers and journal numbers per
year, four-eyes on proposals, one trial per approved final application), so the pages read
what they would read in production:

- applications in every public state, with co-applicants, purposes and 1-9 exemption
  requests against real provisions (assessed, consulted and decided according to the state);
- their case files, journal entries (incoming application, receipt, consultation letters and
  answers, preliminary answers, decision letters) with documents, numbered per year;
- consultations with answers per exemption, decision proposals, trials and interim replies;
- the audit trail of every step, and the case process (viewflow) rows with their tasks, the
  open task of every case still in process;
- the search documents and summaries the services keep (``trials.services.search``).

    .venv/bin/python bench/national.py --applications 20000 --database frikommune_national
    .venv/bin/python bench/national.py --database frikommune_national --drop   # removes it
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

TOPICS = [
    ("skole", "Felles skoleledelse for grendeskolene", "skolene i kommunen"),
    ("barnehage", "Samordnet opptak til barnehage og skolefritidsordning", "barnehagene"),
    ("helse", "Helsestasjon og skolehelsetjeneste i én tjeneste", "helsetjenesten"),
    ("omsorg", "Tildeling av omsorgstjenester uten vedtak om korttidsopphold", "omsorgstjenesten"),
    ("barnevern", "Barnevern og familievern i et interkommunalt samarbeid", "barnevernet"),
    ("plan", "Forenklet behandling av reguleringsplaner", "plan- og byggesaksbehandlingen"),
    ("vei", "Overtakelse av ansvaret for fylkesveier", "veiforvaltningen"),
    ("sosial", "Sosialhjelp og kvalifisering samlet hos kommunen", "NAV-kontoret"),
    ("kollektiv", "Bestillingstransport i distriktene", "kollektivtilbudet"),
    ("landbruk", "Landbruksforvaltning felles for kommunene i regionen", "landbrukskontoret"),
    ("tannhelse", "Tannhelsetjeneste for eldre i hjemmet", "tannhelsetjenesten"),
    ("bibliotek", "Bibliotek som servicetorg", "folkebiblioteket"),
    ("voksenopplæring", "Fleksibel voksenopplæring for minoritetsspråklige", "voksenopplæringen"),
    ("brann", "Brannvern og feiing i regionalt samarbeid", "brann- og redningstjenesten"),
]
PLACES = ["nord", "sør", "øst", "vest", "indre", "ytre", "midt", "kyst"]

# Share of the public states (the rest of the lifecycle: see DESIGN.md § 4).
STATES = [
    ("submitted", 4),
    ("registered", 4),
    ("under_review", 10),
    ("awaiting_applicant", 4),
    ("in_consultation", 8),
    ("decision_proposed", 5),
    ("approved", 35),
    ("rejected", 20),
    ("withdrawn", 10),
]
DECIDED = {"approved", "rejected"}
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=0)
    parser.add_argument("--database", required=True)
    parser.add_argument(
        "--drop",
        action="store_true",
        help="drop the database first (alone, without --applications: only drop it)",
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def admin_connection():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


def database_create(name: str, drop: bool) -> None:
    from psycopg import sql

    with admin_connection() as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and drop:
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
            exists = None
        if exists:
            raise SystemExit(f"Database {name} exists: pass --drop to rebuild it.")
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(name: str) -> None:
    from psycopg import sql

    with admin_connection() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


class Writer:
    """Rows per model with their own primary keys, written with COPY at the end.

    Values are given by field name; every other column gets its field's default, as
    ``Model.objects.create`` would (a column without a default must be given).
    """

    def __init__(self):
        self.rows = defaultdict(list)
        self.next_pk = {}

    def pk(self, model) -> int:
        from django.db import connection

        if model not in self.next_pk:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
                self.next_pk[model] = cursor.fetchone()[0] + 1
        value = self.next_pk[model]
        self.next_pk[model] += 1
        return value

    def add(self, model, **values) -> int:
        if "id" not in values and model._meta.pk.name == "id":
            values["id"] = self.pk(model)
        self.rows[model].append(values)
        return values.get("id")

    def flush(self, model) -> int:
        from django.db import connection
        from django.db.models import JSONField
        from psycopg.types.json import Jsonb

        rows = self.rows.pop(model, [])
        if not rows:
            return 0
        fields = list(model._meta.local_concrete_fields)
        defaults = {f.attname: f.get_default() for f in fields}
        columns = [f.column for f in fields]
        table = model._meta.db_table
        raw = connection.connection
        with raw.cursor() as cursor:
            quoted = ", ".join(f'"{column}"' for column in columns)
            with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    values = []
                    for f in fields:
                        if f.attname in row:
                            value = row[f.attname]
                        elif f.name in row:
                            value = row[f.name]
                            if hasattr(value, "pk"):
                                value = value.pk
                        else:
                            value = defaults[f.attname]
                        if isinstance(f, JSONField) and value is not None:
                            value = Jsonb(value)
                        elif value is not None and not isinstance(
                            value, (int, str, float, datetime.date, bool)
                        ):
                            value = f.get_prep_value(value)
                        values.append(value)
                    copy.write_row(values)
        return len(rows)

    def flush_all(self, order) -> dict:
        return {model._meta.label: self.flush(model) for model in order}


def sequences_reset() -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def build(count: int, seed: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils.translation import gettext_lazy as _
    from viewflow.workflow.fields import get_flow_ref, get_task_ref
    from viewflow.workflow.models import Process, Task

    from casework.choices import OrganisationKind, Role
    from casework.models import (
        AuditEvent,
        CaseFile,
        JournalDocument,
        JournalEntry,
        Membership,
        Organisation,
        Sequence,
    )
    from legal.models import Provision
    from trials.choices import Assessment, Purpose
    from trials.journal import journal_title
    from trials.models import (
        Application,
        ApplicationPurpose,
        Call,
        Consultation,
        ConsultationAnswer,
        DecisionProposal,
        ExemptionRequest,
        InterimReply,
        Trial,
    )
    from trials.services.casehandling import DECIDING_MINISTRY
    from workflows.case.flows import ApplicationFlow
    from workflows.case.models import CaseProcess

    rng = random.Random(seed)
    w = Writer()
    User = get_user_model()
    types = {
        model: ContentType.objects.get_for_model(model)
        for model in (Application, CaseFile, ExemptionRequest, Consultation, Trial, Call)
    }

    local = list(
        Organisation.objects.filter(
            kind__in=[OrganisationKind.KOMMUNE, OrganisationKind.FYLKESKOMMUNE], active=True
        ).select_related("county")
    )
    ministries = {o.code: o for o in Organisation.objects.filter(kind=OrganisationKind.DEPARTEMENT)}
    kdd = ministries[DECIDING_MINISTRY]
    provisions = list(
        Provision.objects.filter(repealed=False).select_related("act__ministry").order_by("pk")
    )
    by_county = defaultdict(list)
    for organisation in local:
        county_id = organisation.county_id or organisation.pk
        by_county[county_id].append(organisation)

    # People: one applicant per organisation, KDD's officers and approvers, one consultee
    # per ministry (unusable passwords: they log in through OIDC).
    def user(username, first, last):
        return w.add(
            User,
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@national.example",
            password="!",
            is_active=True,
            is_staff=False,
            is_superuser=False,
            date_joined=NOW - datetime.timedelta(days=1500),
        )

    def member(user_id, organisation, role):
        w.add(
            Membership,
            user_id=user_id,
            organisation_id=organisation.pk,
            role=role,
            created_at=NOW - datetime.timedelta(days=1500),
        )

    applicants = {}
    for organisation in local:
        applicants[organisation.pk] = user(f"soker{organisation.pk}", "Søker", organisation.name)
        member(applicants[organisation.pk], organisation, Role.APPLICANT)
    officers = [user(f"saksbehandler{n}", "Saks", f"Behandler {n}") for n in range(8)]
    approvers = [user(f"leder{n}", "Leder", f"Nummer {n}") for n in range(3)]
    for officer in officers:
        member(officer, kdd, Role.CASE_OFFICER)
    for approver in approvers:
        member(approver, kdd, Role.APPROVER)
    consultees = {}
    for code, ministry in ministries.items():
        consultees[ministry.pk] = user(f"departement{ministry.pk}", "Fag", code)
        member(consultees[ministry.pk], ministry, Role.CONSULTEE)

    calls = []
    for year in (2023, 2024, 2025, 2026):
        opens = datetime.date(year, 2, 1)
        calls.append(
            (
                w.add(
                    Call,
                    title=f"Frikommuneforsøk {year}",
                    description="Invitasjon til å søke om forsøk etter forsøksloven.",
                    opens_on=opens,
                    closes_on=datetime.date(year, 6, 1),
                    stage="preliminary",
                    owner_id=kdd.pk,
                    created_at=datetime.datetime(year, 1, 15, 9, tzinfo=datetime.UTC),
                ),
                year,
            )
        )

    audit_type = types
    flow_ref = get_flow_ref(ApplicationFlow)

    def audit(at, action, target_model, target_pk, repr_, organisation_id, actor=None, **kw):
        w.add(
            AuditEvent,
            actor_id=actor,
            organisation_id=organisation_id,
            content_type_id=audit_type[target_model].pk,
            object_id=str(target_pk),
            object_repr=repr_[:300],
            action=action,
            from_state=kw.get("from_state", ""),
            to_state=kw.get("to_state", ""),
            reason=kw.get("reason", ""),
            data=kw.get("data", {}),
            created_at=at,
            request_id="",
        )

    # Events wanting numbers in time order (applications, cases, journal entries).
    pending_entries = []  # dicts completed with numbers after sorting
    entry_documents = []
    reference_numbers = defaultdict(int)

    states = [s for s, _weight in STATES]
    weights = [weight for _s, weight in STATES]
    started = NOW - datetime.timedelta(days=4 * 365)
    span = (NOW - started).total_seconds()
    moments = sorted(
        started + datetime.timedelta(seconds=rng.random() * span) for _ in range(count)
    )
    figures = defaultdict(int)

    for index, created in enumerate(moments):
        age = (NOW - created).days
        state = rng.choices(states, weights)[0]
        if age < 60 and state in DECIDED:
            state = rng.choice(["under_review", "in_consultation", "decision_proposed"])
        if age > 400 and state not in DECIDED | {"withdrawn"}:
            state = rng.choice(["approved", "rejected", "withdrawn", state])
        lead = rng.choice(local)
        county_id = lead.county_id or lead.pk
        co = []
        if rng.random() < 0.15:
            others = [o for o in by_county[county_id] if o.pk != lead.pk]
            co = rng.sample(others, min(len(others), rng.randint(1, 3)))
        topic, title, service = rng.choice(TOPICS)
        place = f"{lead.name} {rng.choice(PLACES)}"
        title = f"{title} i {place}"
        stage = "final" if rng.random() < 0.3 else "preliminary"
        call = next((pk for pk, year in calls if year == created.year), None)
        if rng.random() < 0.2:
            call = None
        year = created.year
        reference_numbers[year] += 1
        reference = f"FRI-{year}-{reference_numbers[year]:04d}"
        applicant = applicants[lead.pk]
        submitted = created + datetime.timedelta(days=rng.randint(1, 20), hours=rng.random() * 8)
        registered = submitted + datetime.timedelta(days=rng.randint(1, 10))
        decided_at = registered + datetime.timedelta(days=rng.randint(60, 300))
        if decided_at > NOW:
            decided_at = NOW - datetime.timedelta(hours=rng.randint(1, 500))
        last = {
            "submitted": submitted,
            "registered": registered,
            "withdrawn": registered if rng.random() < 0.7 else submitted,
        }.get(state, decided_at)
        is_registered = state != "submitted" and not (state == "withdrawn" and last == submitted)
        officer = rng.choice(officers)
        approver = rng.choice(approvers)
        summary = (
            f"{lead.name} vil prøve ut en ny organisering av {service} for å gi bedre "
            f"tjenester til innbyggerne og bruke ressursene bedre."
        )
        description = (
            f"Forsøket gjelder {service}. Kommunen ønsker å samle ansvaret, forenkle "
            f"saksbehandlingen og prøve ut digitale løsninger ({topic}). Erfaringene skal "
            f"evalueres underveis, og innbyggerne involveres gjennom brukerråd."
        )
        application_pk = w.pk(Application)
        chosen = rng.sample(provisions, rng.randint(1, 9))
        outcome_of = {}
        if state == "approved":
            for provision in chosen:
                outcome_of[provision.pk] = rng.choice(
                    ["granted", "granted", "granted_with_conditions", "refused"]
                )
            if all(o == "refused" for o in outcome_of.values()):
                outcome_of[chosen[0].pk] = "granted"
        closed_without_answer = state == "rejected" and rng.random() < 0.2
        if state == "rejected" and not closed_without_answer:
            outcome_of = {p.pk: "refused" for p in chosen}
        assessed = state in {"in_consultation", "decision_proposed"} | DECIDED and not (
            closed_without_answer
        )
        decision_summary = ""
        if state == "approved":
            decision_summary = (
                "Departementet godkjenner forsøket med de unntakene som er innvilget."
            )
        elif state == "rejected":
            decision_summary = (
                "Søknaden er avslått: søkeren svarte ikke på anmodningen om opplysninger."
                if closed_without_answer
                else "Departementet avslår søknaden: unntakene er ikke nødvendige for forsøket."
            )
        w.add(
            Application,
            id=application_pk,
            reference=reference,
            call_id=call,
            stage=stage,
            title=title[:200],
            summary=summary,
            description=description,
            categories=["a"],
            expected_effects="Bedre og mer samordnede tjenester.",
            effect_measurement="Brukerundersøkelser og nøkkeltall fra KOSTRA.",
            affected_services=service,
            affected_citizens="Innbyggerne som bruker tjenesten.",
            involvement="Tillitsvalgte og brukerråd er hørt.",
            requested_start=(submitted + datetime.timedelta(days=180)).date(),
            period_months=rng.choice([24, 36, 48]),
            lead_organisation_id=lead.pk,
            status=state,
            created_by_id=applicant,
            created_at=created,
            updated_at=last,
            submitted_at=submitted,
            withdrawn_reason="Kommunestyret vedtok å trekke søknaden."
            if state == "withdrawn"
            else "",
            registered_at=registered if is_registered else None,
            decided_at=decided_at if state in DECIDED else None,
            decision_summary=decision_summary,
        )
        figures["applications"] += 1
        app_repr = f"{reference} {title}"
        for organisation in co:
            w.add(
                Application.co_applicants.through,
                application_id=application_pk,
                organisation_id=organisation.pk,
            )
        for purpose in rng.sample(list(Purpose.values), rng.randint(1, 3)):
            w.add(
                ApplicationPurpose,
                application_id=application_pk,
                purpose=purpose,
                justification="Forsøket skal gi bedre tjenester og bedre ressursbruk.",
            )
        audit(
            created,
            "application.created",
            Application,
            application_pk,
            app_repr,
            lead.pk,
            applicant,
            to_state="draft",
        )
        audit(
            submitted,
            "application.submitted",
            Application,
            application_pk,
            app_repr,
            lead.pk,
            applicant,
            from_state="draft",
            to_state="submitted",
        )

        exemption_pks = []
        for order, provision in enumerate(chosen):
            outcome = outcome_of.get(provision.pk, "")
            assessment = ""
            if assessed:
                assessment = (
                    Assessment.WITHIN_SCOPE
                    if outcome != "refused"
                    else rng.choice(
                        [Assessment.OUTSIDE_LIMITS, Assessment.NOT_NEEDED, Assessment.WITHIN_SCOPE]
                    )
                )
            status = outcome or ("assessed" if assessed else "requested")
            pk = w.add(
                ExemptionRequest,
                application_id=application_pk,
                provision_id=provision.pk,
                citation_text="",
                subsection=None,
                current_rule=f"{provision.act.short_title} {provision.section} gjelder i dag.",
                proposed_arrangement=f"Under forsøket organiserer kommunen {service} selv.",
                justification="Regelen hindrer en samordnet tjeneste.",
                consequences="Innbyggernes rettigheter er uendret.",
                status=status,
                order=order,
                created_at=created,
                assessment=assessment,
                assessment_note="",
                assessed_by_id=officer if assessment else None,
                assessed_at=registered + datetime.timedelta(days=20) if assessment else None,
                outcome=outcome,
                outcome_reasons=(
                    "Unntaket er nødvendig for forsøket."
                    if outcome.startswith("granted")
                    else "Unntaket er ikke nødvendig."
                    if outcome
                    else ""
                ),
                conditions="Forsøket skal evalueres."
                if outcome == "granted_with_conditions"
                else "",
            )
            exemption_pks.append((pk, provision, outcome, assessment))
            figures["exemptions"] += 1

        if is_registered:
            case_pk = w.pk(CaseFile)
            case_title = journal_title(
                _("Application for a trial under forsøksloven – %(title)s"), title=title
            )
            closed = state in DECIDED
            w.add(
                CaseFile,
                id=case_pk,
                year=registered.year,
                sequence=0,  # numbered in time order below
                title=case_title[:300],
                public_title=case_title[:300],
                status="A" if closed else "B",
                content_type_id=types[Application].pk,
                object_id=str(application_pk),
                organisation_id=lead.pk,
                responsible_id=officer,
                opened_at=registered,
                closed_at=decided_at if closed else None,
            )
            audit(
                registered,
                "application.registered",
                Application,
                application_pk,
                app_repr,
                lead.pk,
                officer,
                from_state="submitted",
                to_state="registered",
            )
            audit(
                registered,
                "case.opened",
                CaseFile,
                case_pk,
                case_title,
                lead.pk,
                officer,
                to_state="B",
            )

            case_key = (case_pk, case_title, lead.pk, officer)

            def entry(at, kind, entry_title, correspondent, source=None, screened="", case=None):
                case_pk, case_title, lead_pk, officer = case
                pk = w.pk(JournalEntry)
                pending_entries.append(
                    {
                        "id": pk,
                        "case_id": case_pk,
                        "entry_type": kind,
                        "document_date": at.date(),
                        "registered_at": at,
                        "title": entry_title[:300],
                        "screened_words": [],
                        "public_title": entry_title[:300],
                        "correspondent_id": correspondent,
                        "correspondent_name": "",
                        "screening_basis": screened,
                        "status": "J",
                        "created_by_id": officer,
                    }
                )
                entry_documents.append(
                    {
                        "entry_id": pk,
                        "title": entry_title[:300],
                        "file": "",
                        "content_type": "" if source else "application/pdf",
                        "source_type_id": types[source[0]].pk if source else None,
                        "source_id": str(source[1]) if source else "",
                        "is_main": True,
                    }
                )
                audit(
                    at,
                    "journal.entry_created",
                    CaseFile,
                    case_pk,
                    case_title,
                    lead_pk,
                    officer,
                    data={"type": kind, "title": entry_title[:300]},
                )
                figures["journal entries"] += 1
                return pk

            entry(
                registered,
                "I",
                journal_title(_("Application for a trial – %(title)s"), title=title),
                lead.pk,
                source=(Application, application_pk),
                case=case_key,
            )
            entry(
                registered + datetime.timedelta(minutes=1),
                "U",
                journal_title(_("Receipt for application – %(title)s"), title=title),
                lead.pk,
                case=case_key,
            )
            if (last - registered).days > 31 or (
                state not in DECIDED | {"withdrawn"} and (NOW - registered).days > 31
            ):
                at = registered + datetime.timedelta(days=31)
                if at < NOW:
                    reply_entry = entry(
                        at,
                        "U",
                        journal_title(_("Preliminary answer – %(title)s"), title=title),
                        lead.pk,
                        case=case_key,
                    )
                    w.add(
                        InterimReply,
                        application_id=application_pk,
                        reason="Saken må forelegges fagdepartementene.",
                        expected_decision=(at + datetime.timedelta(days=90)).date(),
                        sent_by_id=officer,
                        sent_at=at,
                        entry_id=reply_entry,
                    )
                    audit(
                        at,
                        "application.interim_reply_sent",
                        Application,
                        application_pk,
                        app_repr,
                        lead.pk,
                        officer,
                    )
            consulted = state in {"in_consultation", "decision_proposed"} | DECIDED and not (
                closed_without_answer
            )
            if assessed:
                audit(
                    registered + datetime.timedelta(days=5),
                    "application.complete",
                    Application,
                    application_pk,
                    app_repr,
                    lead.pk,
                    officer,
                    from_state="registered",
                    to_state="under_review",
                )
                for pk, provision, _outcome, assessment in exemption_pks:
                    audit(
                        registered + datetime.timedelta(days=20),
                        "exemption.assessed",
                        ExemptionRequest,
                        pk,
                        provision.citation_key,
                        lead.pk,
                        officer,
                        to_state=assessment,
                    )
            if consulted:
                by_ministry = defaultdict(list)
                for pk, provision, _outcome, assessment in exemption_pks:
                    ministry = provision.act.ministry
                    if assessment == Assessment.WITHIN_SCOPE and ministry.code != DECIDING_MINISTRY:
                        by_ministry[ministry].append(pk)
                sent = registered + datetime.timedelta(days=25)
                for ministry, pks in sorted(by_ministry.items(), key=lambda i: i[0].name):
                    letter = entry(
                        sent,
                        "U",
                        journal_title(
                            _("Consultation on application for a trial – %(title)s"), title=title
                        ),
                        ministry.pk,
                        case=case_key,
                    )
                    answered = state != "in_consultation" or rng.random() < 0.4
                    answer_at = sent + datetime.timedelta(days=rng.randint(10, 30))
                    answer_entry = None
                    if answered:
                        answer_entry = entry(
                            answer_at,
                            "I",
                            journal_title(
                                _("Consultation answer from %(ministry)s – %(title)s"),
                                ministry=ministry.name,
                                title=title,
                            ),
                            ministry.pk,
                            case=case_key,
                        )
                    consultation = w.add(
                        Consultation,
                        application_id=application_pk,
                        ministry_id=ministry.pk,
                        status="answered" if answered else "open",
                        message="Departementet ber om synspunkter på unntakene.",
                        due_date=(sent + datetime.timedelta(days=42)).date(),
                        sent_at=sent,
                        sent_by_id=officer,
                        letter_id=letter,
                        statement="Departementet støtter forsøket." if answered else "",
                        answered_by_id=consultees[ministry.pk] if answered else None,
                        answered_at=answer_at if answered else None,
                        answer_entry_id=answer_entry,
                        closed_reason="",
                    )
                    for pk in pks:
                        w.add(
                            Consultation.exemptions.through,
                            consultation_id=consultation,
                            exemptionrequest_id=pk,
                        )
                        if answered:
                            w.add(
                                ConsultationAnswer,
                                consultation_id=consultation,
                                exemption_id=pk,
                                position="supports",
                                statement="",
                            )
                    audit(
                        sent,
                        "consultation.sent",
                        Consultation,
                        consultation,
                        title,
                        lead.pk,
                        officer,
                    )
                    if answered:
                        audit(
                            answer_at,
                            "consultation.answered",
                            Consultation,
                            consultation,
                            title,
                            ministry.pk,
                            consultees[ministry.pk],
                        )
                    figures["consultations"] += 1
            if state in {"decision_proposed"} | DECIDED and not closed_without_answer:
                proposed_at = decided_at - datetime.timedelta(days=7)
                if state == "decision_proposed":
                    proposed_at = min(NOW, registered + datetime.timedelta(days=70))
                w.add(
                    DecisionProposal,
                    application_id=application_pk,
                    summary=decision_summary or "Forslag til vedtak.",
                    outcomes={
                        str(pk): {"outcome": o or "granted"} for pk, _p, o, _a in exemption_pks
                    },
                    proposed_by_id=officer,
                    proposed_at=proposed_at,
                    status="pending" if state == "decision_proposed" else "approved",
                    reviewed_by_id=None if state == "decision_proposed" else approver,
                    reviewed_at=None if state == "decision_proposed" else decided_at,
                    review_comment="",
                )
                audit(
                    proposed_at,
                    "application.decision_proposed",
                    Application,
                    application_pk,
                    app_repr,
                    lead.pk,
                    officer,
                    from_state="under_review",
                    to_state="decision_proposed",
                )
            if state in DECIDED:
                entry(
                    decided_at,
                    "U",
                    journal_title(
                        _("Decision on application for a trial – %(title)s"), title=title
                    ),
                    lead.pk,
                    case=case_key,
                )
                audit(
                    decided_at,
                    f"application.{state}",
                    Application,
                    application_pk,
                    app_repr,
                    lead.pk,
                    approver,
                    from_state="decision_proposed",
                    to_state=state,
                )
                audit(
                    decided_at,
                    "case.closed",
                    CaseFile,
                    case_pk,
                    case_title,
                    lead.pk,
                    approver,
                    from_state="B",
                    to_state="A",
                )
            if state == "approved" and stage == "final":
                starts = (decided_at + datetime.timedelta(days=60)).date()
                trial = w.add(
                    Trial,
                    application_id=application_pk,
                    starts_on=starts,
                    ends_on=starts.replace(year=starts.year + 4),
                    created_at=decided_at,
                )
                for pk, _p, outcome, _a in exemption_pks:
                    if outcome.startswith("granted"):
                        w.add(Trial.exemptions.through, trial_id=trial, exemptionrequest_id=pk)
                audit(decided_at, "trial.created", Trial, trial, title, lead.pk, approver)
                figures["trials"] += 1
        if state == "withdrawn":
            audit(
                last,
                "application.withdrawn",
                Application,
                application_pk,
                app_repr,
                lead.pk,
                applicant,
                from_state="registered" if is_registered else "submitted",
                to_state="withdrawn",
                reason="Kommunestyret vedtok å trekke søknaden.",
            )

        # The case process (viewflow): started at submission; its open task where the case
        # stands, the steps behind it done; finished when decided or withdrawn.
        finished = state in DECIDED | {"withdrawn"}
        process = w.add(
            Process,
            flow_class=flow_ref,
            status="DONE" if state in DECIDED else "CANCELED" if finished else "NEW",
            created=submitted,
            finished=last if finished else None,
            data={},
        )
        w.add(
            CaseProcess,
            process_ptr_id=process,
            application_id=application_pk,
            officer_id=officer if is_registered else None,
        )
        steps = [
            "start",
            "register",
            "check_completeness",
            "assess",
            "consult",
            "propose",
            "approve",
            "decided",
            "end",
        ]
        current = {
            "submitted": "register",
            "registered": "check_completeness",
            "awaiting_applicant": "await_answer",
            "under_review": "assess",
            "in_consultation": "consult",
            "decision_proposed": "approve",
        }.get(state)
        done = (
            steps
            if state in DECIDED
            else steps[: steps.index(current)]
            if current in steps
            else steps[:3]
        )
        if state == "withdrawn":
            done = steps[:2] if is_registered else steps[:1]
        for step in done:
            node = getattr(ApplicationFlow, step)
            w.add(
                Task,
                process_id=process,
                flow_task=get_task_ref(node),
                flow_task_type=node.task_type,
                status="DONE",
                created=submitted,
                finished=last,
                data={},
                token="start",
            )
        if current and not finished:
            node = getattr(ApplicationFlow, current)
            human = node.task_type == "HUMAN"
            w.add(
                Task,
                process_id=process,
                flow_task=get_task_ref(node),
                flow_task_type=node.task_type,
                status="ASSIGNED" if human and is_registered else "NEW",
                created=last,
                owner_id=officer if human and is_registered else None,
                assigned=last if human and is_registered else None,
                data={},
                token="start",
            )
            if is_registered:
                node = ApplicationFlow.interim_wait
                w.add(
                    Task,
                    process_id=process,
                    flow_task=get_task_ref(node),
                    flow_task_type=node.task_type,
                    status="SCHEDULED",
                    created=registered,
                    scheduled=registered + datetime.timedelta(days=31),
                    data={},
                    token="start",
                )
        if index % 5000 == 4999:
            print(f"  {index + 1} applications prepared", flush=True)

    # Numbers in time order, gapless per year: cases and journal entries.
    case_rows = sorted(w.rows[CaseFile], key=lambda row: (row["opened_at"], row["id"]))
    per_year = defaultdict(int)
    for row in case_rows:
        per_year[row["year"]] += 1
        row["sequence"] = per_year[row["year"]]
    case_last = dict(per_year)
    per_year = defaultdict(int)
    per_case = defaultdict(int)
    for row in sorted(pending_entries, key=lambda row: (row["registered_at"], row["id"])):
        per_case[row["case_id"]] += 1
        row["number_in_case"] = per_case[row["case_id"]]
        row["journal_year"] = row["registered_at"].year
        per_year[row["journal_year"]] += 1
        row["journal_sequence"] = per_year[row["journal_year"]]
        w.add(JournalEntry, **row)
    journal_last = dict(per_year)
    for document in entry_documents:
        w.add(JournalDocument, **document)
    for name, last in (
        ("application", reference_numbers),
        ("case", case_last),
        ("journal", journal_last),
    ):
        for year, value in last.items():
            w.add(Sequence, name=name, year=year, last_value=value)

    order = [
        User,
        Membership,
        Call,
        Application,
        Application.co_applicants.through,
        ApplicationPurpose,
        ExemptionRequest,
        CaseFile,
        JournalEntry,
        JournalDocument,
        InterimReply,
        Consultation,
        Consultation.exemptions.through,
        ConsultationAnswer,
        DecisionProposal,
        Trial,
        Trial.exemptions.through,
        Process,
        CaseProcess,
        Task,
        AuditEvent,
        Sequence,
    ]
    with transaction.atomic():
        written = w.flush_all(order)
        sequences_reset()
        maintained = maintain()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"rows": written, "figures": dict(figures), "maintained": maintained}


def maintain() -> dict:
    """What the services keep beside the rows: search documents and summaries."""
    try:
        from trials.services import search
    except ImportError:
        return {}
    return {"search documents": search.search_documents_rebuild()}


def main():
    args = parse_args()
    if args.drop and not args.applications:
        database_drop(args.database)
        print(f"dropped {args.database}")
        return
    if args.applications <= 0:
        raise SystemExit("--applications N (N > 0) or --drop")
    start = time.perf_counter()
    database_create(args.database, args.drop)
    os.environ["DATABASE_URL"] = f"{SERVER}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.core.management import call_command

    with open(os.devnull, "w") as devnull:
        call_command("migrate", verbosity=0, stdout=devnull)
        call_command("load_reference_data", verbosity=0, stdout=devnull)
    prepared = time.perf_counter()
    print(
        f"{args.database}: migrated and reference data loaded in {prepared - start:.0f} s",
        flush=True,
    )
    result = build(args.applications, args.seed)
    total_rows = sum(result["rows"].values())
    print(json.dumps(result["figures"]))
    for label, rows in result["rows"].items():
        print(f"  {label:<40}{rows:>10}")
    for label, rows in result["maintained"].items():
        print(f"  maintained: {label:<28}{rows:>10}")
    print(
        f"{args.database}: {args.applications} applications, {total_rows} rows in "
        f"{time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
