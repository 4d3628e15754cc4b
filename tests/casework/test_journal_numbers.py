"""Journal numbers taken together for a step's entries (``journal_numbers_reserved``) stay
gapless: a block that leaves one unused fails, and its transaction gives them all back."""

import pytest
from django.db import transaction

from casework.models import Sequence
from casework.services import journal_numbers_reserved
from casework.transactions import unit_of_work

pytestmark = pytest.mark.django_db


def _last() -> int:
    return max(Sequence.objects.filter(name="journal").values_list("last_value", flat=True) or [0])


def test_numbers_reserved_and_not_used_are_an_error_and_given_back():
    before = _last()
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        unit_of_work(lambda deferred: None),
        journal_numbers_reserved(2),
    ):
        pass  # no entry made
    assert _last() == before


def test_nothing_is_reserved_outside_a_unit_of_work():
    before = _last()
    with transaction.atomic(), journal_numbers_reserved(3):
        pass
    assert _last() == before
