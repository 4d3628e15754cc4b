"""Data built once per test module and shared by its tests, as Django's ``setUpTestData``.

Building an application through the case process takes a second; a module whose tests all
read the same trial or the same set of applications builds it once:

- ``module_transaction`` opens a transaction for the module (on the worker's test database).
  Each test's own transaction (pytest-django's ``db``) is a savepoint inside it, so what a
  test changes is undone before the next test, and the module's transaction is rolled back
  after its last test: no test sees another module's data.
- ``building()`` (the ``built_once`` fixture) is where a module-scoped fixture writes: the
  database is reachable, files go to the module's own media folder and mail to the locmem
  outbox, as in a test.
- Within a module, the tests that use shared data run after those that do not
  (``pytest_collection_modifyitems``): the module's transaction opens at the first test that
  asks for it and lasts to the module's end, and a test that builds its own data must not
  find the shared data beside it.
- A test gets its own deep copy of what was built (``fresh``), so changing an object in one
  test cannot leak into the next, and ``media_root`` starts from a copy of the module's files.

Not for a module with transactional tests (the live server, threads with their own
connections): they empty the database and cannot see the module's uncommitted rows.
"""

import copy
import itertools
import shutil
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.test.utils import override_settings


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """In each run of a module's tests (after pytest-django's ordering, which is kept), those
    without shared data first."""
    for item in items:
        if "built_once" in item.fixturenames and {"transactional_db", "live_server"} & set(
            item.fixturenames
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: a transactional test cannot use data built once per module "
                "(tests/once.py); build it in the test."
            )
    ordered = []
    for _, run in itertools.groupby(items, key=lambda item: item.path):
        ordered.extend(sorted(run, key=lambda item: "built_once" in item.fixturenames))
    items[:] = ordered


@pytest.fixture(scope="module")
def module_media(tmp_path_factory):
    """The folder the module's shared data stores its files in."""
    return tmp_path_factory.mktemp("module-media")


@pytest.fixture(scope="module")
def built_once(django_db_setup, django_db_blocker, module_media):
    """``with built_once(): ...`` in a module-scoped fixture: writes that last for the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()

    @contextmanager
    def building():
        with (
            django_db_blocker.unblock(),
            override_settings(
                MEDIA_ROOT=module_media,
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            ),
        ):
            yield

    yield building
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def fresh(built):
    """A test's own copy of what the module built."""
    return copy.deepcopy(built)


def media_like_module(request, folder) -> None:
    """Start a test's media folder from the module's files when it uses the module's data."""
    if "module_media" in request.fixturenames:
        shutil.copytree(request.getfixturevalue("module_media"), folder, dirs_exist_ok=True)
