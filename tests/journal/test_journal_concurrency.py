"""Two entries journaled in the same case at once: the second waits for the case file's row
lock and its INSERT takes the number after the first's (``casework.services._next_in_case``):
gapless and unique within the case (PostgreSQL row locks)."""

import time

import pytest
from django.db import transaction

from casework.choices import EntryType
from casework.services import journal_entry_create
from tests.journal.test_access_concurrency import (  # noqa: F401 (a fixture)
    _at_once,
    needs_postgresql,
    reference_data,
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_entries_in_one_case_at_once_are_numbered_one_after_the_other(
    reference_data,  # noqa: F811
    make_case,
):
    case = make_case()

    def journal():
        with transaction.atomic():
            entry = journal_entry_create(
                actor=None,
                case=case,
                entry_type=EntryType.INCOMING,
                title="Brev",
                correspondent=case.organisation,
            )
            time.sleep(0.5)  # hold the case's lock, so the other surely waits for it
            return entry.number_in_case

    assert sorted(_at_once([journal, journal])) == [1, 2]
    assert sorted(case.entries.values_list("number_in_case", flat=True)) == [1, 2]
