"""Hot reads compiled once (casework.prepared): the same objects as the queryset, the SQL made
once per connection, and the queryset's own rules where they matter."""

import datetime
import itertools
from unittest import mock

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import F, Prefetch, Value
from django.db.models.functions import Concat
from django.db.models.sql.compiler import SQLCompiler, SQLInsertCompiler, SQLUpdateCompiler
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from casework.choices import Role
from casework.models import Membership, Organisation
from casework.prepared import (
    PreparedQuery,
    PreparedUpdate,
    bulk_create,
    bulk_update,
    insert_unless_taken,
)
from tests.factories import OrganisationFactory, member, ministry, municipality

pytestmark = pytest.mark.django_db


def memberships_query():
    return PreparedQuery(
        lambda user_id: (
            Membership.objects.filter(user_id=user_id)
            .select_related("organisation", "user")
            .order_by("role")
        )
    )


@pytest.fixture
def people():
    kdd, bodo = ministry("KDD"), municipality("1804")
    kari = member(kdd, Role.CASE_OFFICER, username="kari")
    Membership.objects.create(user=kari, organisation=bodo, role=Role.APPLICANT)
    ola = member(bodo, Role.APPLICANT, username="ola")
    return kari, ola


def compiled_sql():
    """Counts the queries Django's compiler turns into SQL."""
    return mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql)


def test_the_objects_are_those_of_the_queryset_with_their_related_rows(people):
    kari, ola = people
    query = memberships_query()
    for user in (kari, ola, kari):
        expected = list(
            Membership.objects.filter(user_id=user.pk)
            .select_related("organisation", "user")
            .order_by("role")
        )
        got = query.all(user.pk)
        assert [(m.pk, m.role, m.organisation_id) for m in got] == [
            (m.pk, m.role, m.organisation_id) for m in expected
        ]
        for membership in got:
            assert Membership.organisation.is_cached(membership)
            assert membership.organisation == Organisation.objects.get(
                pk=membership.organisation_id
            )
            assert membership.user.username == user.username
            assert membership._state.adding is False


def test_the_sql_is_compiled_once_and_run_with_each_value(people, django_assert_num_queries):
    kari, ola = people
    query = memberships_query()
    query.all(kari.pk)
    with compiled_sql() as as_sql, django_assert_num_queries(2):
        assert {m.user_id for m in query.all(ola.pk)} == {ola.pk}
        assert {m.user_id for m in query.all(kari.pk)} == {kari.pk}
    assert as_sql.call_count == 0


def test_values_lists_and_slices_as_first(people):
    kari, _ola = people
    query = PreparedQuery(
        lambda user_id: (
            Membership.objects.filter(user_id=user_id)
            .order_by("-role")
            .values_list("role", flat=True)[:1]
        )
    )
    assert query.first(kari.pk) == Role.CASE_OFFICER
    assert query.first(kari.pk + 1000) is None

    def rows(user_id):
        return (
            Membership.objects.filter(user_id=user_id)
            .order_by("role")
            .values_list("role", "organisation__code")
        )

    assert PreparedQuery(rows).all(kari.pk) == list(rows(kari.pk))
    assert len(list(rows(kari.pk))) == 2


def test_prefetch_lookups_are_followed(people):
    kari, ola = people
    query = PreparedQuery(
        lambda pk: Organisation.objects.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.order_by("user__username"))
        ).filter(pk=pk)
    )
    bodo = query.get(municipality("1804").pk)
    assert [m.user_id for m in bodo.memberships.all()] == [kari.pk, ola.pk]


def test_get_says_what_queryset_get_says(people):
    query = PreparedQuery(lambda pk: Organisation.objects.filter(pk=pk).order_by())
    with pytest.raises(Organisation.DoesNotExist):
        query.get(-1)
    many = PreparedQuery(lambda user_id: Membership.objects.filter(user_id=user_id))
    with pytest.raises(Membership.MultipleObjectsReturned):
        many.get(people[0].pk)


@pytest.mark.django_db(transaction=True)  # its database starts empty: no reference data
def test_a_lock_needs_a_transaction_as_with_the_queryset():
    if not connection.features.has_select_for_update:
        pytest.skip("needs row locks (SELECT ... FOR UPDATE); SQLite ignores them")
    organisation = OrganisationFactory()
    query = PreparedQuery(lambda pk: Organisation.objects.filter(pk=pk).select_for_update())
    with transaction.atomic():
        assert query.all(organisation.pk) == [organisation]
    with pytest.raises(TransactionManagementError):
        query.all(organisation.pk)
    with pytest.raises(TransactionManagementError):
        list(Organisation.objects.filter(pk=organisation.pk).select_for_update())


def test_a_value_that_is_no_parameter_of_the_sql_is_built_each_time(people):
    _kari, ola = people
    # None becomes IS NULL, and a string where the field wants a number cannot be compiled
    # with a stand-in: both are simply built as querysets.
    query = PreparedQuery(lambda user_id: Membership.objects.filter(user_id=user_id))
    assert query.all(None) == []
    assert {m.user_id for m in query.all(str(ola.pk))} == {ola.pk}
    sliced = PreparedQuery(lambda n: Membership.objects.order_by("pk")[:n])
    assert len(sliced.all(1)) == 1
    assert len(sliced.all(3)) == 3


def test_a_build_that_reads_more_than_its_arguments_is_built_each_time(people):
    """Something besides the values (here a counter; in life the time) would otherwise be
    kept at what it was when the SQL was first compiled."""
    kari, ola = people
    calls = itertools.count(1)
    query = PreparedQuery(
        lambda user_id: Membership.objects.filter(user_id=user_id).exclude(pk=-next(calls))
    )
    query.all(kari.pk)
    with compiled_sql() as as_sql:
        assert {m.user_id for m in query.all(ola.pk)} == {ola.pk}
        assert {m.user_id for m in query.all(kari.pk)} == {kari.pk}
    assert as_sql.call_count == 2  # each run built and compiled as a plain queryset


# --- bulk_update ---------------------------------------------------------------------------


def compiled_updates():
    return mock.patch.object(
        SQLUpdateCompiler, "as_sql", autospec=True, side_effect=SQLUpdateCompiler.as_sql
    )


def test_bulk_update_writes_what_queryset_bulk_update_writes(people, django_assert_num_queries):
    kari, _ola = people
    tromso = municipality("5501")
    first, second = Membership.objects.filter(user=kari).order_by("pk")
    later = timezone.now() + datetime.timedelta(days=3)
    for _ in range(2):  # compiled, then run from what was compiled
        first.role, first.organisation, first.created_at = Role.APPROVER, tromso, later
        second.role = Role.CONSULTEE
        with django_assert_num_queries(1):
            assert (
                bulk_update(Membership, [first, second], ["role", "organisation", "created_at"])
                == 2
            )
        rows = Membership.objects.filter(user=kari).order_by("pk")
        assert [(m.role, m.organisation_id, m.created_at) for m in rows] == [
            (Role.APPROVER, tromso.pk, later),
            (Role.CONSULTEE, second.organisation_id, second.created_at),
        ]
        later += datetime.timedelta(days=1)
    # JSON goes in as the field prepares it, a None as SQL's NULL
    bodo = Organisation.objects.get(pk=second.organisation_id)
    bodo.parallel_names = {"sme": "Bådåddjo", "quote": 'it\'s "so"'}
    tromso.parallel_names = {}
    bulk_update(Organisation, [bodo, tromso], ["parallel_names", "name"])
    assert Organisation.objects.get(pk=bodo.pk).parallel_names == bodo.parallel_names
    assert Organisation.objects.get(pk=tromso.pk).parallel_names == {}


def test_bulk_update_is_compiled_once_per_shape(people):
    memberships = list(Membership.objects.order_by("pk"))
    bulk_update(Membership, memberships[:2], ["role"])
    with compiled_updates() as as_sql:
        bulk_update(Membership, memberships[1:3], ["role"])
        bulk_update(Membership, memberships[:2], ["role"])
    assert as_sql.call_count == 0
    with compiled_updates() as as_sql:
        bulk_update(Membership, memberships[:3], ["role"])  # three objects: another shape
    assert as_sql.call_count == 2  # compiled, and compiled again to check it is the same


def test_bulk_update_of_an_expression_is_djangos(people):
    kari, _ola = people
    first, second = Membership.objects.filter(user=kari).order_by("pk")
    first.role = Concat(Value("x"), F("role"))
    second.role = Role.APPROVER
    with compiled_updates() as as_sql:
        assert bulk_update(Membership, [first, second], ["role"]) == 1 + 1
    assert as_sql.call_count == 1  # Django's own, built for these values
    assert Membership.objects.get(pk=first.pk).role == "x" + Role.CASE_OFFICER
    assert Membership.objects.get(pk=second.pk).role == Role.APPROVER


def test_bulk_update_refuses_what_queryset_bulk_update_refuses(people):
    kari, _ola = people
    membership = Membership.objects.filter(user=kari).first()
    with pytest.raises(ValueError, match="primary key fields"):
        bulk_update(Membership, [membership], ["id"])
    with pytest.raises(ValueError, match="primary key set"):
        bulk_update(Membership, [Membership(role=Role.APPROVER)], ["role"])
    with pytest.raises(FieldDoesNotExist):
        bulk_update(Membership, [membership], ["no_such_field"])
    unsaved = Membership(user=kari, organisation=OrganisationFactory.build(), role=Role.APPROVER)
    unsaved.pk = membership.pk
    with pytest.raises(ValueError, match="unsaved related object"):
        bulk_update(Membership, [unsaved], ["organisation"])


# --- bulk_create ---------------------------------------------------------------------------


def compiled_inserts():
    return mock.patch.object(
        SQLInsertCompiler, "as_sql", autospec=True, side_effect=SQLInsertCompiler.as_sql
    )


def organisation_rows(pks) -> list:
    return list(
        Organisation.objects.filter(pk__in=pks)
        .order_by("pk")
        .values_list("kind", "name", "parallel_names", "valid_from")
    )


@pytest.mark.parametrize("count", [1, 3])
def test_bulk_create_inserts_what_queryset_bulk_create_inserts(count, django_assert_num_queries):
    def build(prefix):
        return [
            OrganisationFactory.build(
                name=f"{prefix} {i}",
                parallel_names={"sme": f"Bådåddjo {i}", "quote": 'it\'s "so"'} if i else {},
                valid_from=datetime.date(2030, 1, 1 + i) if i else None,
            )
            for i in range(count)
        ]

    theirs = Organisation.objects.bulk_create(build("A"))
    for _ in range(2):  # compiled, then run from what was compiled
        ours = build("A")
        with django_assert_num_queries(1):
            assert bulk_create(Organisation, ours) == ours
        assert all(o.pk is not None and not o._state.adding and o._state.db for o in ours)
        assert organisation_rows([o.pk for o in ours]) == organisation_rows([o.pk for o in theirs])
    with compiled_inserts() as as_sql:
        bulk_create(Organisation, build("B"))
    assert as_sql.call_count == 0


def test_bulk_create_with_primary_keys_given():
    top = Organisation.objects.order_by("-pk").first().pk
    for start in (top + 10, top + 20):
        ours = [OrganisationFactory.build(pk=start + i) for i in range(2)]
        bulk_create(Organisation, ours)
        assert [o.pk for o in ours] == [start, start + 1]
        assert not ours[0]._state.adding
        assert Organisation.objects.filter(pk__in=[start, start + 1]).count() == 2
    mixed = [OrganisationFactory.build(pk=top + 30), OrganisationFactory.build()]
    with compiled_inserts() as as_sql:
        bulk_create(Organisation, mixed)  # some with a key, some without: Django's own
    assert as_sql.call_count == 2
    assert Organisation.objects.filter(pk__in=[o.pk for o in mixed]).count() == 2


def test_bulk_create_ignoring_conflicts_as_django(people):
    kari, ola = people
    organisation = Organisation.objects.filter(memberships__user=ola).get()
    for role in (Role.APPROVER, Role.CONSULTEE):
        objs = [
            Membership(user=kari, organisation=organisation, role=role),
            Membership(user=ola, organisation=organisation, role=Role.APPLICANT),  # there
        ]
        bulk_create(Membership, objs, ignore_conflicts=True)
        assert all(o.pk is None and o._state.adding for o in objs)  # nothing returned
    assert set(
        Membership.objects.filter(organisation=organisation).values_list("user_id", "role")
    ) == {
        (kari.pk, Role.APPLICANT),
        (kari.pk, Role.APPROVER),
        (kari.pk, Role.CONSULTEE),
        (ola.pk, Role.APPLICANT),
    }


def test_bulk_create_of_an_expression_is_djangos():
    objs = [
        OrganisationFactory.build(name=Concat(Value("Ny"), Value("by"))),
        OrganisationFactory.build(),
    ]
    bulk_create(Organisation, [OrganisationFactory.build(), OrganisationFactory.build()])
    with compiled_inserts() as as_sql:
        bulk_create(Organisation, objs)
    assert as_sql.call_count == 1  # Django's own, built for these values
    assert Organisation.objects.get(pk=objs[0].pk).name == "Nyby"


def test_the_converters_of_a_prepared_read_are_found_once(people):
    kari, ola = people
    query = memberships_query()
    first = query.all(kari.pk)
    with mock.patch.object(
        SQLCompiler, "get_converters", autospec=True, side_effect=SQLCompiler.get_converters
    ) as get_converters:
        again = query.all(ola.pk) + query.all(kari.pk)
    assert get_converters.call_count == 0
    # the values still come through the fields' converters (a datetime made aware, ...)
    assert [m.created_at for m in again[-len(first) :]] == [m.created_at for m in first]
    assert all(m.created_at.tzinfo is not None for m in again)


def test_insert_unless_taken_says_whether_it_inserted(people):
    kari, ola = people
    organisation = Organisation.objects.filter(memberships__user=ola).get()
    taken = Membership(user=ola, organisation=organisation, role=Role.APPLICANT)
    assert insert_unless_taken(taken) is False
    assert taken.pk is None and taken._state.adding
    with compiled_inserts() as as_sql:
        for role in (Role.APPROVER, Role.CONSULTEE):
            new = Membership(user=kari, organisation=organisation, role=role)
            assert insert_unless_taken(new) is True
            assert Membership.objects.get(pk=new.pk).role == role
            assert not new._state.adding
    assert as_sql.call_count == 0
    assert Membership.objects.filter(user=ola).count() == 1


# --- PreparedUpdate -------------------------------------------------------------------------


def roles_of():
    return PreparedUpdate(
        lambda user_id, *roles: Membership.objects.filter(user_id=user_id, role__in=roles)
    )


def test_prepared_update_updates_what_queryset_update_updates(people):
    kari, ola = people
    update = roles_of()
    later = timezone.now() + datetime.timedelta(days=2)
    assert update.update(kari.pk, Role.CASE_OFFICER, Role.APPLICANT, created_at=later) == 2
    tromso = municipality("5501")
    with compiled_updates() as as_sql:  # another field set: compiled (twice, to compare)
        assert update.update(ola.pk, Role.APPLICANT, Role.APPROVER, organisation=tromso) == 1
    assert as_sql.call_count == 2
    with compiled_updates() as as_sql:  # the same shapes: run from what was compiled
        assert update.update(ola.pk, Role.APPROVER, Role.CONSULTEE, organisation=tromso) == 0
        assert update.update(kari.pk, Role.APPLICANT, Role.APPLICANT, created_at=later) == 1
    assert as_sql.call_count == 0
    assert {m.created_at for m in Membership.objects.filter(user=kari)} == {later}
    assert Membership.objects.get(user=ola).organisation_id == tromso.pk
    assert Membership.objects.filter(organisation=tromso).count() == 1


def test_prepared_update_of_an_expression_or_other_values_is_djangos(people):
    kari, _ola = people
    update = roles_of()
    update.update(kari.pk, Role.APPLICANT, role=Role.APPLICANT)
    with compiled_updates() as as_sql:
        assert update.update(kari.pk, Role.APPLICANT, role=Concat(Value("x"), F("role"))) == 1
        assert update.update(None, Role.CASE_OFFICER, role=Role.APPROVER) == 0  # IS NULL
    assert as_sql.call_count == 2
    assert Membership.objects.filter(user=kari, role="x" + Role.APPLICANT).count() == 1
    with pytest.raises(TypeError, match="model instance"):
        update.update(kari.pk, Role.CASE_OFFICER, role=kari)
