"""Hot reads of a fixed shape, compiled once: ``PreparedQuery``.

Turning a queryset into SQL costs Django's compiler more CPU than PostgreSQL needs to run a
small indexed query: of the 4 ms the lock a case step takes (the task with its process,
application, lead organisation and officer, ``FOR UPDATE OF`` three of them) cost in Python
on the benchmark machine, 3 ms were compiling it (bench/README.md, "Python time"). A read
whose shape never changes, only the values it looks for, is compiled once per database
connection and then run with the new values: the same SQL, the same rows, the same model
objects (the queryset's own iterable class turns the rows into objects, its
``prefetch_related`` lookups are followed, and compile as usual).

The SQL is kept for the life of the process: a query whose SQL depends on settings that
change at run time (none of ours does) must not be prepared.

``build(*values)`` returns the queryset for ``values`` (ints and strings, e.g. primary
keys). It is called twice with stand-in values to compile it; each stand-in must come out as
a parameter of the SQL (a filter's value; not a slice, not a ``None``), and both calls must
give the same SQL (a ``build`` that reads the time, say, does not). When they do not, or a
value is of another kind, the query is built and run as usual: never a wrong answer, only a
slower one.
"""

import copy
import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet, prefetch_related_objects
from django.db.transaction import TransactionManagementError

# Stand-ins for the values while compiling: nothing a real query looks for.
_INT_BASE = -(2**62)
_STR_BASE = "\x1fprepared-query-value-"


def _stand_in(position: int, value):
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return _INT_BASE - position if isinstance(value, int) else f"{_STR_BASE}{position}"


class _Compiled:
    """One query's SQL and compiler for one connection, and where its values go."""

    def __init__(self, template: QuerySet, compiler, sql: str, params: tuple, slots: dict):
        self.template = template
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.slots = slots  # position in params -> position in values


class _QueryView:
    """The template's query, but compiling to the SQL already made (what the iterable asks
    of ``queryset.query``)."""

    def __init__(self, query, compiler):
        self._query = query
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler

    def __getattr__(self, name):
        return getattr(self._query, name)


class _QuerySetView:
    """The template queryset as the iterable reads it, with the query above."""

    def __init__(self, template: QuerySet, compiler):
        self._template = template
        self.query = _QueryView(template.query, compiler)

    def __getattr__(self, name):
        return getattr(self._template, name)


class PreparedQuery:
    """A read of a fixed shape, compiled once per connection (see the module's doc)."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._local = threading.local()  # connections are per thread, and so is their SQL

    def _compile(self, values: tuple) -> _Compiled | bool:
        stand_ins = tuple(_stand_in(i, v) for i, v in enumerate(values))
        if None in stand_ins:
            return False
        try:
            template = self._build(*stand_ins)
            compiler = template.query.get_compiler(using=template.db)
            sql, params = compiler.as_sql()
            # built again with the same stand-ins, it must give the same SQL: a ``build``
            # that reads anything besides its arguments (the time, a setting) would otherwise
            # run with the value it had when first compiled
            again = self._build(*stand_ins)
            same = again.query.get_compiler(using=again.db).as_sql() == (sql, params)
        except (TypeError, ValueError):  # a string where the field wants a number, ...
            return False
        if not same:
            return False
        slots = {i: stand_ins.index(p) for i, p in enumerate(params) if p in stand_ins}
        if sorted(set(slots.values())) != list(range(len(values))):
            return False  # a value is not a parameter of the SQL: built each time
        return _Compiled(template, compiler, sql, tuple(params), slots)

    def all(self, *values) -> list:
        """The objects (or rows) the queryset for ``values`` returns."""
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = {}
        kinds = tuple(type(value) for value in values)
        entry = compiled.get(kinds)
        if entry is None or (
            entry and entry.compiler.connection is not connections[entry.template.db]
        ):
            entry = compiled[kinds] = self._compile(values)
        if not entry:
            return list(self._build(*values))
        template = entry.template
        connection = entry.compiler.connection
        if (
            template.query.select_for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):  # as the compiler says
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(entry.params)
        for i, value_index in entry.slots.items():
            params[i] = values[value_index]
        compiler = copy.copy(entry.compiler)
        compiler.as_sql = lambda *args, **kwargs: (entry.sql, params)
        objects = list(template._iterable_class(_QuerySetView(template, compiler)))
        if template._prefetch_related_lookups and objects:
            prefetch_related_objects(objects, *template._prefetch_related_lookups)
        return objects

    def first(self, *values):
        """The first object, or None (order the queryset and slice it ``[:1]`` in ``build``)."""
        objects = self.all(*values)
        return objects[0] if objects else None

    def get(self, *values):
        """The one object, as ``QuerySet.get``: DoesNotExist or MultipleObjectsReturned."""
        objects = self.all(*values)
        if len(objects) == 1:
            return objects[0]
        model = self._build(*values).model
        if not objects:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(
            f"get() returned more than one {model._meta.object_name}."
        )
