"""Demo data for a newcomer's first look. Demo-only credentials: never in production."""

from dataclasses import dataclass

from casework.choices import OrganisationKind, Role
from casework.models import Organisation
from casework.services import membership_grant, user_ensure

DEMO_PASSWORD = "frikommune-demo"  # noqa: S105 - documented demo-only credential


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    organisation: tuple[str, str]  # (kind, number or code)
    role: Role
    description: str


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
        "admin",
        "Anne",
        "Admin",
        ("departement", "KDD"),
        Role.ADMINISTRATOR,
        "Administrator (also Django admin)",
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
            is_staff=demo.role == Role.ADMINISTRATOR,
            is_superuser=demo.role == Role.ADMINISTRATOR,
        )
        membership_grant(actor=None, user=user, organisation=organisation, role=demo.role)
        progress(f"  {demo.username:<14} {demo.description}")
        users.append(user)
    return users
