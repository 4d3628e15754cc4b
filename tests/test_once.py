"""Data built once per module (tests/once.py) is what each test sees, whatever the tests
before it changed, and only the tests that ask for it see it."""

from types import SimpleNamespace

import pytest

from tests import builders
from tests.factories import municipality
from tests.fixtures import lillehammer_applicant
from tests.once import fresh, pytest_collection_modifyitems
from trials import services
from trials.models import Application


@pytest.fixture(scope="module")
def _shared_draft(built_once):
    with built_once():
        return builders.draft(
            actor=lillehammer_applicant(), organisation=municipality("3405"), title="Delt utkast"
        )


@pytest.fixture
def shared_draft(_shared_draft, db):
    return fresh(_shared_draft)


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_from_the_data_as_built(shared_draft, applicant, round_):
    assert shared_draft.title == "Delt utkast"
    assert Application.objects.get(pk=shared_draft.pk).title == "Delt utkast"
    services.application_update(
        actor=applicant, application=shared_draft, title=f"Endra i runde {round_}"
    )
    assert Application.objects.get(pk=shared_draft.pk).title == f"Endra i runde {round_}"


def test_a_test_without_the_shared_data_does_not_find_it(db):
    # Listed last, run first: the module's tests without shared data go before the others.
    assert not Application.objects.filter(title__startswith="Delt utkast").exists()


def _item(name, *fixtures, path="tests/test_a.py"):
    return SimpleNamespace(nodeid=f"{path}::{name}", path=path, fixturenames=list(fixtures))


def test_within_a_module_the_tests_without_shared_data_go_first():
    items = [
        _item("shared_1", "built_once", "db"),
        _item("own_1", "db"),
        _item("other_module", "db", path="tests/test_b.py"),
        _item("shared_2", "built_once", "db", path="tests/test_b.py"),
        _item("own_2", "db", path="tests/test_b.py"),
    ]
    pytest_collection_modifyitems(items)
    assert [item.nodeid.split("::")[1] for item in items] == [
        "own_1",
        "shared_1",
        "other_module",
        "own_2",
        "shared_2",
    ]


def test_a_transactional_test_may_not_use_shared_data():
    with pytest.raises(pytest.UsageError, match="cannot use data built once per module"):
        pytest_collection_modifyitems([_item("live", "built_once", "transactional_db")])
