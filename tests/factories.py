"""factory_boy factories for test data; reference data (acts, municipalities) is loaded."""

import factory
from django.contrib.auth import get_user_model

from casework.choices import OrganisationKind, Role
from casework.models import Organisation
from casework.services import membership_grant


def municipality(number: str) -> Organisation:
    return Organisation.objects.active().get(kind=OrganisationKind.KOMMUNE, number=number)


def ministry(code: str) -> Organisation:
    return Organisation.objects.active().get(kind=OrganisationKind.DEPARTEMENT, code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.no")
    first_name = factory.Faker("first_name", locale="no_NO")
    last_name = factory.Faker("last_name", locale="no_NO")
    password = factory.PostGenerationMethodCall("set_password", "test-password-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.OTHER
    name = factory.Sequence(lambda n: f"Organisasjon {n}")


def member(organisation: Organisation, role: Role, **user_fields):
    """A new user with ``role`` in ``organisation``, granted through the service."""
    user = UserFactory(**user_fields)
    membership_grant(actor=None, user=user, organisation=organisation, role=role)
    return user


def person(organisation: Organisation, role: Role, username: str, **user_fields):
    """``member`` with a fixed name (Kari Nordmann unless given), so pages and letters that
    show the name read the same in every run."""
    user_fields.setdefault("first_name", "Kari")
    user_fields.setdefault("last_name", "Nordmann")
    return member(organisation, role, username=username, **user_fields)
