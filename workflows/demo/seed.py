"""Demo data for a newcomer's first look. Demo-only credentials: never in production."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from viewflow.workflow.status import STATUS

from casework.choices import OrganisationKind, Role
from casework.models import AccessRequest, Organisation, postal_address_parts
from casework.selectors import case_for, organisations_for_user
from casework.services import (
    access_request_create,
    membership_grant,
    organisation_language_form_set,
    organisation_postal_address_set,
    user_ensure,
)
from legal.models import Provision
from trials.choices import (
    Assessment,
    AttachmentKind,
    ObligationKind,
    Outcome,
    Position,
    Stage,
    TrialStatus,
)
from trials.models import Application, Call, Consultation
from trials.rules import add_months
from trials.services import (
    application_create,
    application_set_co_applicants,
    application_set_purposes,
    application_submit,
    application_withdraw,
    attachment_add,
    call_create,
    contact_add,
    evaluation_record,
    exemption_request_create,
    extension_apply,
    obligation_add,
    regulation_record,
    report_acknowledge,
    report_submit,
    trial_end,
    trial_extend,
    trial_make_permanent,
    trial_stop,
)
from workflows.access.flows import AccessRequestFlow
from workflows.access.services import access_task_complete
from workflows.case.flows import ApplicationFlow
from workflows.case.services import task_complete

DEMO_CALL_TITLE = "Invitasjon til forsøk etter forsøksloven 2027"
DEMO_PASSWORD = "frikommune-demo"  # noqa: S105 - documented demo-only credential


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    organisation: tuple[str, str]  # (kind, number or code)
    role: Role
    description: str
    superuser: bool = False


DEMO_USERS = [
    DemoUser(
        "saksbehandler",
        "Kari",
        "Nordmann",
        ("departement", "KDD"),
        Role.CASE_OFFICER,
        "KDD case officer",
    ),
    DemoUser("leder", "Ola", "Hansen", ("departement", "KDD"), Role.APPROVER, "KDD approver"),
    DemoUser(
        "kd",
        "Ingrid",
        "Berg",
        ("departement", "KD"),
        Role.CONSULTEE,
        "Consultee, Kunnskapsdepartementet",
    ),
    DemoUser(
        "hod",
        "Lars",
        "Johansen",
        ("departement", "HOD"),
        Role.CONSULTEE,
        "Consultee, Helse- og omsorgsdepartementet",
    ),
    DemoUser(
        "lillehammer",
        "Siri",
        "Haugen",
        ("kommune", "3405"),
        Role.APPLICANT,
        "Applicant, Lillehammer kommune",
    ),
    DemoUser(
        "bodo", "Per", "Olsen", ("kommune", "1804"), Role.APPLICANT, "Applicant, Bodø kommune"
    ),
    DemoUser(
        "lillehammer-admin",
        "Tone",
        "Lie",
        ("kommune", "3405"),
        Role.ADMINISTRATOR,
        "Administrator, Lillehammer kommune (its people and roles)",
    ),
    DemoUser(
        "admin",
        "Anne",
        "Admin",
        ("departement", "KDD"),
        Role.ADMINISTRATOR,
        "Administrator (also Django admin)",
        superuser=True,
    ),
]


def _organisation(kind: str, ident: str) -> Organisation:
    organisations = Organisation.objects.active().filter(kind=kind)
    if kind == OrganisationKind.DEPARTEMENT:
        return organisations.get(code=ident)
    return organisations.get(number=ident)


def seed_users(progress=lambda message: None) -> list:
    users = []
    for demo in DEMO_USERS:
        organisation = _organisation(*demo.organisation)
        user = user_ensure(
            username=demo.username,
            email=f"{demo.username}@demo.frikommune.example",
            first_name=demo.first_name,
            last_name=demo.last_name,
            password=DEMO_PASSWORD,
            is_staff=demo.superuser,
            is_superuser=demo.superuser,
        )
        membership_grant(actor=None, user=user, organisation=organisation, role=demo.role)
        progress(f"  {demo.username:<14} {demo.description}")
        users.append(user)
    return users


# Written language forms (språklova § 11) and postal addresses for the demo's letters: Bodø has
# recorded bokmål; Lillehammer and the consulted ministries stay neutral, so the officer
# chooses: nynorsk for Lillehammer, bokmål for the ministries. The demo letters show both.
DEMO_LANGUAGE_FORMS = [(("kommune", "1804"), "nb")]
DEMO_ADDRESSES = [
    (("kommune", "3405"), "Postboks 986\n2626 Lillehammer"),
    (("kommune", "1804"), "Postboks 319\n8001 Bodø"),
    (("departement", "KD"), "Postboks 8119 Dep\n0032 Oslo"),
    (("departement", "HOD"), "Postboks 8011 Dep\n0030 Oslo"),
]
OFFICER_CHOICE = {"letter_language": "nn"}  # for Lillehammer, neutral
CONSULTATION_CHOICE = {"letter_language": "nb"}  # for the ministries, neutral


def seed_language_forms(progress=lambda message: None) -> None:
    """Record the demo organisations' written forms as KDD's administrator would."""
    admin = get_user_model().objects.get(username="admin")
    for ident, form in DEMO_LANGUAGE_FORMS:
        organisation = _organisation(*ident)
        organisation_language_form_set(
            actor=admin, organisation=organisation, language_form=form, reason="Demo"
        )
        progress(f"  {organisation.name}: {organisation.get_language_form_display()}")
    for ident, address in DEMO_ADDRESSES:
        street, postcode, place = postal_address_parts(address)
        organisation_postal_address_set(
            actor=admin,
            organisation=_organisation(*ident),
            street=street,
            postcode=postcode,
            place=place,
        )


def _demo_pdf(title: str) -> SimpleUploadedFile:
    """A small, valid one-page PDF standing in for a real document in the demo."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    body += f"startxref\n{xref}\n%%EOF\n".encode()
    name = title.lower().replace(" ", "-")[:40] + ".pdf"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _provision(key: str) -> Provision:
    return Provision.objects.select_related("act").get(citation_key=key)


DEMO_APPLICATIONS = [
    {
        "user": "lillehammer",
        "title": "Fleksibel organisering av skoledagen",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": True,
        "stop_at": "consult",
        "summary": (
            "Lillehammer kommune vil prøve å organisere elevene i grupper etter behov "
            "gjennom skoledagen, og flytte noen dager i skoleruta lokalt."
        ),
        "description": (
            "Skolene i kommunen ønsker å organisere opplæringa mer fleksibelt: elever fra "
            "flere trinn kan arbeide sammen i perioder, og skolene vil selv kunne legge "
            "inntil fem skoledager til andre tider av året for å gi plass til lengre "
            "prosjektperioder og leirskole. Forsøket skal gi mer tid til elevene og mindre "
            "tid til rapportering."
        ),
        "categories": ["a"],
        "purposes": {
            "services": "Elevene får opplæring organisert etter behov, ikke etter trinn.",
            "efficient": "Lærerressursene kan brukes der de trengs mest gjennom året.",
        },
        "expected_effects": "Bedre læringsmiljø og mer tilpasset opplæring.",
        "effect_measurement": "Elevundersøkelsen, nasjonale prøver og intervjuer med lærere.",
        "affected_services": "Grunnskolene i kommunen.",
        "affected_citizens": "Om lag 2 800 elever og deres foreldre.",
        "involvement": (
            "Utdanningsforbundet og FAU ved alle skolene har deltatt i arbeidsgrupper."
        ),
        "period_months": 36,
        "exemptions": [
            {
                "key": "LOV-2023-06-09-30/§14-2",
                "current_rule": "Elevene skal delast i klassar eller basisgrupper.",
                "proposed_arrangement": (
                    "Skolen kan dele elevane i grupper på tvers av trinn etter kva som er "
                    "pedagogisk forsvarleg i den enkelte perioden."
                ),
                "justification": "Gir rom for tilpassa opplæring og samarbeid på tvers.",
                "consequences": "Retten til eit trygt skolemiljø og tilpassa opplæring står.",
            },
            {
                "key": "LOV-2023-06-09-30/§14-1",
                "current_rule": "Skoleruta blir fastsett av kommunen for alle skolane.",
                "proposed_arrangement": "Kvar skole kan flytte inntil fem skoledagar.",
                "justification": "Gir lengre samanhengande prosjektperiodar.",
                "consequences": "Elevane får like mange skoledagar som før.",
            },
        ],
    },
    {
        "user": "bodo",
        "title": "Samordnede helse- og omsorgstjenester i én tjeneste",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": False,
        "summary": "Bodø vil samle hjemmetjenester, psykisk helse og rus i én tjeneste.",
        "description": (
            "Innbyggere med sammensatte behov møter i dag flere tjenester med hver sin "
            "vurdering. Kommunen vil prøve én felles inngang og ett tverrfaglig team."
        ),
        "categories": ["a"],
        "purposes": {"services": "Én dør inn for innbyggere med sammensatte behov."},
        "period_months": 48,
        "exemptions": [
            {
                "key": "LOV-2011-06-24-30/§3-2",
                "current_rule": "Kommunen skal tilby tjenestene som er nevnt i paragrafen.",
                "proposed_arrangement": "",
                "justification": "",
                "consequences": "",
            }
        ],
    },
    {
        "user": "lillehammer",
        "title": "Raskere behandling av byggesøknader i Lillehammer-regionen",
        "stage": Stage.FINAL,
        "in_call": False,
        "submit": True,
        "stop_at": "approve",
        "co_applicants": ["3440", "3441"],
        "summary": (
            "Lillehammer, Øyer og Gausdal vil behandle byggesøknader i et felles team med "
            "kortere frister for enkle tiltak."
        ),
        "description": (
            "Kommunene vil etablere et felles byggesakskontor. Enkle tiltak som "
            "tiltakshaver selv kan forestå, skal få svar innen to uker. Forsøket prøver "
            "kortere frister og en forenklet søknadsprosess."
        ),
        "categories": ["a", "c"],
        "purposes": {
            "services": "Innbyggerne får raskere svar.",
            "resources": "Kompetansen i tre små kommuner samles.",
        },
        "expected_effects": "Saksbehandlingstiden for enkle tiltak halveres.",
        "effect_measurement": "KOSTRA-tall for saksbehandlingstid før og under forsøket.",
        "affected_services": "Byggesaksbehandling.",
        "affected_citizens": "Tiltakshavere i de tre kommunene.",
        "involvement": "Fagforeningene og næringsforeningene er hørt.",
        "period_months": 48,
        "exemptions": [
            {
                "key": "LOV-2008-06-27-71/§21-7",
                "current_rule": "Fristen for søknader uten ansvarlige foretak er tre uker.",
                "proposed_arrangement": "Fristen er to uker for tiltak etter § 20-4.",
                "justification": "Felles kontor gjør kortere frister mulig.",
                "consequences": "Tiltakshavere får raskere svar; klageretten står.",
            }
        ],
    },
    {
        "user": "bodo",
        "title": "Digital møteinnkalling til folkevalgte organer",
        "stage": Stage.PRELIMINARY,
        "in_call": False,
        "submit": True,
        "withdraw": "Kommunen trekker søknaden etter dialog med departementet.",
        "summary": "Innkalling og saksliste bare digitalt.",
        "description": "Bodø vil kunngjøre møter i folkevalgte organer bare digitalt.",
        "categories": ["a"],
        "purposes": {"democracy": "Flere innbyggere følger møtene digitalt."},
        "period_months": 24,
        "exemptions": [
            {
                "key": "LOV-2018-06-22-83/§11-3",
                "current_rule": "Møter skal kunngjøres på en måte som gjør dem kjent.",
                "proposed_arrangement": "Kunngjøring bare på kommunens nettsider og i appen.",
                "justification": "Innbyggerne bruker digitale kanaler.",
                "consequences": "Innbyggere uten internett kan få innkalling på papir.",
            }
        ],
    },
]


DEMO_APPLICATIONS += [
    {
        "user": "bodo",
        "title": "Helsestasjon og skolehelsetjeneste i én tjeneste",
        "stage": Stage.FINAL,
        "in_call": False,
        "submit": True,
        "stop_at": "decided",
        "summary": "Bodø samler helsestasjon, skolehelsetjeneste og psykisk helse for barn.",
        "description": (
            "Barn og unge skal møte ett team fra fødsel til videregående skole. Forsøket "
            "prøver en felles ledelse og felles journalføring på tvers av tjenestene."
        ),
        "categories": ["a"],
        "purposes": {"services": "Barn og familier får én kontaktperson."},
        "expected_effects": "Tidligere hjelp og færre overganger.",
        "effect_measurement": "Ventetid, brukerundersøkelser og tall fra KOSTRA.",
        "affected_services": "Helsestasjon, skolehelsetjeneste, psykisk helse for barn.",
        "affected_citizens": "Om lag 12 000 barn og unge og deres familier.",
        "involvement": "Fagforbundet, NSF og ungdomsrådet har deltatt.",
        "period_months": 48,
        "exemptions": [
            {
                "key": "LOV-2011-06-24-30/§3-3",
                "current_rule": "Kommunen skal organisere det forebyggende arbeidet særskilt.",
                "proposed_arrangement": "Det forebyggende arbeidet organiseres i ett team.",
                "justification": "Gir sammenheng i tjenestene.",
                "consequences": "Rettighetene til barna og familiene står uendret.",
            }
        ],
    },
    {
        "user": "lillehammer",
        "title": "Kulturskole på tvers av kommunegrensene",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": True,
        "stop_at": "decided",
        "refuse": "Kulturskolen kan allerede organiseres interkommunalt etter gjeldende rett.",
        "summary": "Felles kulturskole med nabokommunene uten egne kulturskoletilbud.",
        "description": "Lillehammer vil gi kulturskoletilbud til elever i nabokommunene.",
        "categories": ["b"],
        "purposes": {"resources": "Lærerne i kulturskolen brukes bedre."},
        "period_months": 36,
        "exemptions": [
            {
                "key": "LOV-2023-06-09-30/§26-1",
                "current_rule": "Kvar kommune skal ha eit kulturskoletilbod.",
                "proposed_arrangement": "Tilbodet kan givast av ein annan kommune.",
                "justification": "Små kommunar får eit betre tilbod.",
                "consequences": "Ingen.",
            }
        ],
    },
    {
        "user": "bodo",
        "title": "Forenklet rapportering til statsforvalteren",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": True,
        "stop_at": "awaiting",
        "summary": "Bodø vil rapportere om barnehagene én gang i året i stedet for løpende.",
        "description": "Kommunen ønsker å samle rapporteringen om barnehagetilsynet.",
        "categories": ["c"],
        "purposes": {"efficient": "Mindre tid til rapportering og mer tid til tilsyn."},
        "period_months": 24,
        "exemptions": [
            {
                "key": "LOV-2005-06-17-64/§10",
                "current_rule": "Barnehagemyndigheten skal føre tilsyn og rapportere.",
                "proposed_arrangement": "Samlet årlig rapport.",
                "justification": "Mindre rapportering i tråd med tillitsreformen.",
                "consequences": "Tilsynet med barnehagene blir som før.",
            }
        ],
    },
    {
        "user": "lillehammer",
        "title": "Felles tilsyn med barnehagene i Lillehammer-regionen",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": True,
        "stop_at": "register",
        "summary": "Tilsynet med barnehagene gjøres av et felles team for regionen.",
        "description": "Tre kommuner vil føre tilsyn med barnehagene gjennom ett felles team.",
        "categories": ["a"],
        "purposes": {"resources": "Et større fagmiljø for tilsyn."},
        "period_months": 36,
        "exemptions": [
            {
                "key": "LOV-2005-06-17-64/§11",
                "current_rule": "Barnehagemyndigheten skal være uavhengig.",
                "proposed_arrangement": "Tilsynet utføres av et felles interkommunalt team.",
                "justification": "Sikrer uavhengighet bedre enn i dag.",
                "consequences": "Ingen.",
            }
        ],
    },
    {
        "user": "bodo",
        "title": "Samlokalisert NAV og kommunale tjenester i distriktene",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": True,
        "stop_at": "check_completeness",
        "summary": "Innbyggerne i distriktene møter NAV og kommunen ett sted.",
        "description": "Bodø vil prøve felles tjenestekontor i bygdene.",
        "categories": ["a"],
        "purposes": {"services": "Kortere vei til tjenestene."},
        "period_months": 36,
        "exemptions": [
            {
                "key": "LOV-2011-06-24-30/§3-2",
                "current_rule": "Kommunen skal tilby tjenestene som er nevnt.",
                "proposed_arrangement": "Tjenestene tilbys fra et felles kontor.",
                "justification": "Bedre tilgjengelighet i distriktene.",
                "consequences": "Ingen endring i rettighetene.",
            }
        ],
    },
    {
        "user": "lillehammer",
        "title": "Innføringsklasse for nyankomne elever på tvers av skolene",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": True,
        "stop_at": "assess",
        "summary": (
            "Elever som nylig har kommet til Norge, får det første året i en felles "
            "innføringsklasse i stedet for på nærskolen."
        ),
        "description": (
            "Lillehammer vil samle innføringsopplæringen på én skole med et eget lærerteam, "
            "og la elevene gå over til nærskolen når de kan følge den ordinære opplæringen."
        ),
        "categories": ["b"],
        "purposes": {"services": "Bedre språkopplæring det første året."},
        "period_months": 36,
        "exemptions": [
            {
                "key": "LOV-2023-06-09-30/§3-7",
                "current_rule": "Innføringsopplæring kan gis i inntil to år, etter vedtak.",
                "proposed_arrangement": "Innføringsklassen er hovedregelen det første året.",
                "justification": "Et samlet fagmiljø gir bedre opplæring.",
                "consequences": "Foreldrene kan be om plass på nærskolen som i dag.",
            }
        ],
    },
    {
        "user": "bodo",
        "title": "Skoleskyss etter behov i spredtbygde strøk",
        "stage": Stage.PRELIMINARY,
        "in_call": True,
        "submit": True,
        "stop_at": "propose",
        "summary": "Bodø vil tilby bestillingsskyss i stedet for faste ruter i distriktene.",
        "description": (
            "Elever i bygdene bestiller skyss med en app eller på telefon; skyssen kjører "
            "når det er elever å hente, og ventetiden på skolen blir kortere."
        ),
        "categories": ["a"],
        "purposes": {"efficient": "Kortere reisetid for elevene og lavere kostnader."},
        "period_months": 24,
        "exemptions": [
            {
                "key": "LOV-2023-06-09-30/§4-1",
                "current_rule": "Elever har rett til skyss etter faste avstandsgrenser.",
                "proposed_arrangement": "Skyssen gis som bestillingstransport.",
                "justification": "Et bedre tilbud for elevene med de samme rettighetene.",
                "consequences": "Retten til skyss er den samme; bare formen endres.",
            }
        ],
    },
]

# Where a demo case stops, in the order of the process ("awaiting": the officer asked the
# applicant for more information; "decided": the approver approved the proposal).
STEPS = [
    "register",
    "check_completeness",
    "awaiting",
    "assess",
    "consult",
    "propose",
    "approve",
    "decided",
]
INFORMATION_WANTED = (
    "Send oss kommunestyrets vedtak om å søke, og si hvordan tillitsvalgte er involvert."
)
GROUNDS_FOR_APPROVAL = "Forsøket fyller vilkårene i forsøksloven §§ 1 og 3 og ligger innenfor § 4."


def _open_task(application, step):
    return ApplicationFlow.task_class.objects.filter(
        process__caseprocess__application=application,
        flow_task=getattr(ApplicationFlow, step),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    ).first()


def _do(application, step, actor, payload) -> None:
    task_complete(actor=actor, task=_open_task(application, step), payload=payload)


# One function per step a demo case goes through: each does the step as its person would.


def _register(application, spec, users) -> None:
    _do(application, "register", users["saksbehandler"], dict(OFFICER_CHOICE))


def _check_completeness(application, spec, users) -> None:
    if spec.get("stop_at") == "awaiting":
        payload = {"complete": False, "message": INFORMATION_WANTED, **OFFICER_CHOICE}
    else:
        payload = {"complete": True}
    _do(application, "check_completeness", users["saksbehandler"], payload)


def _assess(application, spec, users) -> None:
    assessments = {
        e.pk: {"assessment": Assessment.WITHIN_SCOPE, "note": ""}
        for e in application.exemption_requests.all()
    }
    _do(
        application,
        "assess",
        users["saksbehandler"],
        {"assessments": assessments, **CONSULTATION_CHOICE},
    )


def _answer_consultations(application, spec, users) -> None:
    """Every consulted ministry supports the trial (a case without consultations skips)."""
    consult = _open_task(application, "consult")
    while consult is not None:
        consultation = Consultation.objects.get(pk=consult.data["consultation"])
        consultee = users["kd"] if consultation.ministry.code == "KD" else users["hod"]
        positions = {
            e.pk: {"position": Position.SUPPORTS, "statement": ""}
            for e in consultation.exemptions.all()
        }
        task_complete(
            actor=consultee,
            task=consult,
            payload={"positions": positions, "statement": "Departementet støtter forsøket."},
        )
        consult = _open_task(application, "consult")


def _propose(application, spec, users) -> None:
    refuse = spec.get("refuse")
    outcome = (
        {"outcome": Outcome.REFUSED, "reasons": refuse} if refuse else {"outcome": Outcome.GRANTED}
    )
    payload = {
        "outcomes": {e.pk: dict(outcome) for e in application.exemption_requests.all()},
        "summary": refuse or GROUNDS_FOR_APPROVAL,
        **OFFICER_CHOICE,
    }
    _do(application, "propose", users["saksbehandler"], payload)


def _approve(application, spec, users) -> None:
    _do(application, "approve", users["leder"], {"decision": "approve"})


# Each step and the step a case stopping there has not done.
CASE_STEPS = [
    ("register", _register),
    ("check_completeness", _check_completeness),
    ("assess", _assess),
    ("consult", _answer_consultations),
    ("propose", _propose),
    ("approve", _approve),
]


def drive_case(application, spec, users) -> None:
    """Take a submitted demo application through the process up to ``spec["stop_at"]``: do
    each step before it (the completeness check of an "awaiting" case asks the applicant)."""
    stop_at = STEPS.index(spec.get("stop_at", "register"))
    for step, do in CASE_STEPS:
        if step == "consult" and _open_task(application, "consult") is None:
            continue  # not consulted: no step to stop at either
        if stop_at <= STEPS.index(step):
            return
        do(application, spec, users)
        if step == "check_completeness" and spec.get("stop_at") == "awaiting":
            return


def _demo_users() -> dict:
    usernames = [demo.username for demo in DEMO_USERS]
    return {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}


def _demo_call(officer) -> Call:
    """The demo's call for applications (made once)."""
    return Call.objects.filter(title=DEMO_CALL_TITLE).first() or call_create(
        actor=officer,
        title=DEMO_CALL_TITLE,
        description=(
            "Kommunal- og distriktsdepartementet inviterer kommuner og fylkeskommuner til å "
            "søke om forsøk etter forsøksloven. Send først en forhåndssøknad; de som tas "
            "videre, sender endelig søknad vedtatt av kommunestyret eller fylkestinget."
        ),
        opens_on=timezone.localdate() - datetime.timedelta(days=30),
        closes_on=timezone.localdate() + datetime.timedelta(days=60),
        stage=Stage.PRELIMINARY,
        owner=_organisation(OrganisationKind.DEPARTEMENT, "KDD"),
    )


def _draft(spec, user, lead, call) -> Application:
    """The application of ``spec`` as its applicant writes it: the form, purposes,
    co-applicants, a contact person, the exemption requests and (final ones) attachments."""
    application = application_create(
        actor=user,
        lead_organisation=lead,
        title=spec["title"],
        stage=spec["stage"],
        call=call if spec["in_call"] else None,
        summary=spec["summary"],
        description=spec["description"],
        categories=spec["categories"],
        expected_effects=spec.get("expected_effects", ""),
        effect_measurement=spec.get("effect_measurement", ""),
        affected_services=spec.get("affected_services", ""),
        affected_citizens=spec.get("affected_citizens", ""),
        involvement=spec.get("involvement", ""),
        period_months=spec["period_months"],
        requested_start=datetime.date(timezone.localdate().year + 1, 8, 1),
    )
    application_set_purposes(actor=user, application=application, purposes=spec["purposes"])
    co_applicants = [
        _organisation(OrganisationKind.KOMMUNE, n) for n in spec.get("co_applicants", [])
    ]
    if co_applicants:
        application_set_co_applicants(
            actor=user, application=application, organisations=co_applicants
        )
    contact_add(
        actor=user,
        application=application,
        organisation=lead,
        name=user.get_full_name(),
        job_title="Rådgiver",
        email=user.email,
        phone="+47 61 00 00 00",
    )
    for exemption in spec["exemptions"]:
        exemption_request_create(
            actor=user,
            application=application,
            provision=_provision(exemption["key"]),
            current_rule=exemption["current_rule"],
            proposed_arrangement=exemption["proposed_arrangement"],
            justification=exemption["justification"],
            consequences=exemption["consequences"],
        )
    if spec["stage"] == Stage.FINAL:
        _attach_council_decisions(application, user)
    return application


def _attach_council_decisions(application, user) -> None:
    """A final application's council decision per applicant and the draft regulation."""
    for organisation in application.applicant_organisations:
        attachment_add(
            actor=user,
            application=application,
            uploaded_file=_demo_pdf(f"Kommunestyrevedtak {organisation.name}"),
            kind=AttachmentKind.COUNCIL_DECISION,
            organisation=organisation,
        )
    attachment_add(
        actor=user,
        application=application,
        uploaded_file=_demo_pdf("Utkast til forskrift om forsok"),
        kind=AttachmentKind.DRAFT_REGULATION,
    )


def _seed_application(spec, users, call, progress) -> Application:
    """The application of ``spec`` in its state: written, submitted and driven through the
    case to where it stops, or withdrawn; one that exists already is left as it is."""
    user = users[spec["user"]]
    lead = organisations_for_user(user, role=Role.APPLICANT).get()
    existing = Application.objects.filter(lead_organisation=lead, title=spec["title"]).first()
    if existing is not None:
        progress(f"  {existing.reference} {existing.status:<10} {existing.title} (finnes)")
        return existing
    application = _draft(spec, user, lead, call)
    if spec["submit"]:
        application = application_submit(actor=user, application=application)
        drive_case(application, spec, users)
        application.refresh_from_db()
    if spec.get("withdraw"):
        application = application_withdraw(
            actor=user, application=application, reason=spec["withdraw"]
        )
    progress(f"  {application.reference} {application.status:<10} {application.title}")
    return application


def seed_applications(progress=lambda message: None) -> list[Application]:
    """Applications in several states from two municipalities, one of them joint."""
    users = _demo_users()
    call = _demo_call(users["saksbehandler"])
    return [_seed_application(spec, users, call, progress) for spec in DEMO_APPLICATIONS]


# --- trials after the decision: one in every status ------------------------------------------


def _trial_spec(user, title, summary, key, arrangement, lifecycle, co_applicants=()) -> dict:
    """A final application taken to its decision, whose trial then lives ``lifecycle``."""
    return {
        "user": user,
        "title": title,
        "stage": Stage.FINAL,
        "in_call": False,
        "submit": True,
        "stop_at": "decided",
        "summary": summary,
        "description": summary + " Forsøket evalueres av et forskningsmiljø.",
        "categories": ["a"],
        "purposes": {"services": "Innbyggerne får bedre og raskere tjenester."},
        "period_months": 36,
        "co_applicants": list(co_applicants),
        "exemptions": [
            {
                "key": key,
                "current_rule": "Loven krever dagens ordning.",
                "proposed_arrangement": arrangement,
                "justification": "Ordningen er prøvd i mindre skala med gode resultater.",
                "consequences": "Innbyggernes rettigheter står uendret.",
            }
        ],
        "trial": lifecycle,
    }


DEMO_TRIAL_APPLICATIONS = [
    _trial_spec(
        "lillehammer",
        "Felles barnehagemyndighet i Lillehammer-regionen",
        "Lillehammer og Øyer lar én felles enhet være barnehagemyndighet.",
        "LOV-2005-06-17-64/§10",
        "Én felles enhet for kommunene godkjenner og fører tilsyn med barnehagene.",
        "extended_reform",
        co_applicants=["3440"],
    ),
    _trial_spec(
        "bodo",
        "Tilpasset skoledag i stedet for bortvisning",
        "Bodø prøver tilpasset skoledag i stedet for bortvisning fra skolen.",
        "LOV-2023-06-09-30/§13-1",
        "Rektor kan vedta en tilpasset skoledag på skolen i stedet for bortvisning.",
        "ended",
    ),
    _trial_spec(
        "lillehammer",
        "Lokal skolerute for ungdomsskolene",
        "Lillehammer lar hver ungdomsskole fastsette sin egen skolerute.",
        "LOV-2023-06-09-30/§14-1",
        "Hver skole kan flytte inntil fem skoledager.",
        "made_permanent",
    ),
    _trial_spec(
        "bodo",
        "Ett felles byggesakskontor med nabokommunene",
        "Bodø behandler byggesøknader for nabokommunene i ett felles kontor.",
        "LOV-2008-06-27-71/§21-7",
        "Fristen for byggesaker regnes fra søknaden kom inn til det felles kontoret.",
        "stopped",
    ),
]
DEMO_APPLICATIONS += DEMO_TRIAL_APPLICATIONS
# The approved final application of the list above it gets a trial in force, a report due.
TRIAL_LIFECYCLES = {
    "Helsestasjon og skolehelsetjeneste i én tjeneste": "in_force",
    **{spec["title"]: spec["trial"] for spec in DEMO_TRIAL_APPLICATIONS},
}


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    return add_months(today, -months)


def _regulation(trial, officer, *, starts_on, months, number):
    regulation_record(
        actor=officer,
        trial=trial,
        for_id=f"FOR-{starts_on:%Y-%m-%d}-{number:04d}",
        title=f"Forskrift om forsøk med {trial.application.title.lower()}",
        adopted_on=starts_on,
        in_force_from=starts_on,
        in_force_to=add_months(starts_on, months),
        text=_demo_pdf(f"Forskrift om forsok {number}"),
        lovdata_url=f"https://lovdata.no/dokument/LF/forskrift/{starts_on:%Y-%m-%d}-{number}",
    )
    trial.refresh_from_db()


def _report(trial, officer, applicant, title, text):
    report = report_submit(actor=applicant, trial=trial, title=title, text=text)
    report_acknowledge(actor=officer, report=report, response="Takk for rapporten.")


def _extension_task(extension, step):
    return ApplicationFlow.task_class.objects.filter(
        process__caseprocess__extension=extension,
        flow_task=getattr(ApplicationFlow, step),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    ).first()


def _extension_in_process(trial, officer, applicant) -> None:
    """The municipality applies for a year's extension; the officer registers it and assesses
    its terms, and the case waits for the consulted ministry's answer."""
    extension = extension_apply(
        actor=applicant,
        trial=trial,
        months=12,
        justification="Vi trenger ett år til for å måle effekten på skolehelsetjenesten.",
    )
    task_complete(actor=officer, task=_extension_task(extension, "register"), payload={})
    task_complete(
        actor=officer,
        task=_extension_task(extension, "assess"),
        payload={
            "months": 12,
            "note": "Forlengelsen holder seg innenfor to år (forsøksloven § 3).",
            "consultation_message": "Vi ber om departementets syn på forlengelsen.",
        },
    )


def _live(trial, lifecycle: str, officer, applicant, number: int) -> None:
    """Take an approved trial where ``lifecycle`` says, through the services."""
    if lifecycle == "in_force":
        _live_in_force(trial, officer, applicant, number)
    elif lifecycle == "extended_reform":
        _live_extended_for_reform(trial, officer, applicant, number)
    elif lifecycle in ("ended", "made_permanent"):
        _live_ended(trial, officer, applicant, number, permanent=lifecycle == "made_permanent")
    elif lifecycle == "stopped":
        _live_stopped(trial, officer, number)


def _live_in_force(trial, officer, applicant, number: int) -> None:
    """In force for six months, with a report and the evaluation due, and an extension in
    process."""
    today = timezone.localdate()
    _regulation(trial, officer, starts_on=_months_ago(today, 6), months=42, number=number)
    obligation_add(
        actor=officer,
        trial=trial,
        kind=ObligationKind.ANNUAL_REPORT,
        due_on=today + datetime.timedelta(days=30),
        description="Rapport om første driftsår.",
    )
    obligation_add(
        actor=officer,
        trial=trial,
        kind=ObligationKind.EVALUATION,
        due_on=add_months(trial.ends_on, -3),
    )
    _extension_in_process(trial, officer, applicant)


def _live_extended_for_reform(trial, officer, applicant, number: int) -> None:
    """Near its end and extended until a reform of the law comes into force (four eyes)."""
    today = timezone.localdate()
    _regulation(trial, officer, starts_on=_months_ago(today, 44), months=46, number=number)
    _report(trial, officer, applicant, "Årsrapport 2", "Tilsynene er samordnet.")
    extension = trial_extend(
        actor=officer,
        trial=trial,
        reform_reference="Ny barnehagelov, Prop. 45 L (2027–2028)",
        reform_date=add_months(trial.ends_on, 30),
        reasons="Forsøket videreføres til den nye barnehageloven trer i kraft.",
    )
    approver = get_user_model().objects.get(username="leder")  # four eyes
    task_complete(
        actor=approver,
        task=_extension_task(extension, "approve"),
        payload={"decision": "approve"},
    )


def _live_ended(trial, officer, applicant, number: int, *, permanent: bool) -> None:
    """Run its course with a final report and an evaluation, then ended; ``permanent``: and
    made permanent by a change of the law."""
    today = timezone.localdate()
    _regulation(trial, officer, starts_on=_months_ago(today, 40), months=36, number=number)
    _report(trial, officer, applicant, "Sluttrapport", "Forsøket ga gode resultater.")
    evaluation_record(
        actor=officer,
        trial=trial,
        evaluator="NIBR, OsloMet",
        conclusion="Ordningen ga bedre tjenester uten å svekke rettssikkerheten.",
        document=_demo_pdf("Evalueringsrapport"),
    )
    trial_end(actor=None, trial=trial)
    if permanent:
        trial_make_permanent(
            actor=officer,
            trial=trial,
            law_reference="LOV-2026-06-20-55 (endring i opplæringslova § 14-1)",
            law_date=add_months(trial.ends_on, 1),
            reasons="Stortinget har gjort ordningen permanent for alle kommuner.",
        )


def _live_stopped(trial, officer, number: int) -> None:
    """Stopped early at the municipalities' request."""
    today = timezone.localdate()
    _regulation(trial, officer, starts_on=_months_ago(today, 10), months=36, number=number)
    trial_stop(
        actor=officer,
        trial=trial,
        reasons="Kommunene ba om å avslutte forsøket fordi samarbeidet ble lagt ned.",
        at_request=True,
    )


def seed_trials(progress=lambda message: None) -> list:
    """The demo's approved trials, each in its status; a trial already moved is left."""
    users = _demo_users()
    officer = users["saksbehandler"]
    trials = []
    for number, (title, lifecycle) in enumerate(TRIAL_LIFECYCLES.items(), start=1):
        application = Application.objects.select_related("trial").get(title=title)
        trial = application.trial
        if trial.status == TrialStatus.APPROVED:
            applicant = application.created_by
            _live(trial, lifecycle, officer, applicant, number)
            trial.refresh_from_db()
        progress(f"  {application.reference} {trial.status:<14} {title}")
        trials.append(trial)
    return trials


DEMO_ACCESS_REQUESTS = [
    # (title of the application whose case is asked about, requester, granted by the officer)
    ("Helsestasjon og skolehelsetjeneste i én tjeneste", "journalist@avisa.example", False),
    ("Kulturskole på tvers av kommunegrensene", "forsker@universitetet.example", True),
]


def seed_access_requests(progress=lambda message: None) -> list[AccessRequest]:
    """Access requests (innsynskrav) from the public: one waiting in the officers' queue,
    one granted."""
    officer = get_user_model().objects.get(username="saksbehandler")
    requests = []
    for title, email, decide in DEMO_ACCESS_REQUESTS:
        existing = AccessRequest.objects.filter(email=email).first()
        if existing is not None:
            progress(f"  {existing.reference} {existing.status:<10} {email} (finnes)")
            requests.append(existing)
            continue
        application = Application.objects.get(title=title)
        entry = (
            case_for(application)
            .entries.filter(screening_basis="")
            .order_by("-number_in_case")
            .first()
        )
        access_request = access_request_create(
            actor=None,
            entry=entry,
            email=email,
            name="",
            message="Jeg ber om innsyn i dokumentet.",
            language="nb",
        )
        if decide:
            task = AccessRequestFlow.task_class.objects.get(
                process__accessrequestprocess__access_request=access_request,
                flow_task=AccessRequestFlow.decide_access,
            )
            access_task_complete(actor=officer, task=task, payload={"decision": "grant"})
            access_request.refresh_from_db()
        progress(f"  {access_request.reference} {access_request.status:<10} {email}")
        requests.append(access_request)
    return requests
