import pytest

from tests.factories import UserFactory


@pytest.fixture
def make_user():
    """``UserFactory`` with the names given, so the factory's Faker locale is not needed.

    (``tests/factories.py`` asks Faker for the locale ``nb_NO``, which Faker does not have; its
    Norwegian locale is ``no_NO``.)
    """

    def make(**fields):
        fields.setdefault("first_name", "Kari")
        fields.setdefault("last_name", "Nordmann")
        return UserFactory(**fields)

    return make


@pytest.fixture
def superuser(make_user):
    return make_user(username="admin-kdd", is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client
