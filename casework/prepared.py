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

``bulk_update(model, objs, fields)`` is ``QuerySet.bulk_update`` for a write of a fixed shape
(the same model, fields and number of objects): Django's own UPDATE (a ``CASE`` per field,
cast where the database needs it) compiled once per connection with a parameter for each
value, then run with the values each object has, each prepared by its field as ``Value``
would (``get_db_prep_value``). An object whose value is an expression, a field with its own
placeholder, a model with parents, or a request Django would refuse goes through
``bulk_update`` itself.

``bulk_create(model, objs)`` and ``insert_unless_taken(obj)`` do the same for INSERTs:
Django's own statement for that many objects (``UNNEST`` on PostgreSQL), compiled once, its
parameters each object's values as Django's INSERT compiler makes them (the field's
``pre_save`` and ``get_db_prep_save``), the returned ids set as ``bulk_create`` sets them.
``PreparedUpdate(build).update(*values, **fields)`` is ``build(*values).update(**fields)``
for a conditional UPDATE of a fixed shape, the values of its condition as ``PreparedQuery``'s.
None of these sends a signal, as the ``QuerySet`` methods they stand for send none.
"""

import copy
import threading
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, router, transaction
from django.db.models import Case, Expression, Model, QuerySet, When, prefetch_related_objects
from django.db.models.constants import OnConflict
from django.db.models.fields import AutoField, AutoFieldMixin
from django.db.models.functions import Cast
from django.db.models.sql import InsertQuery, UpdateQuery
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
        self._converters = {}

    def converters(self, expressions) -> dict:
        """``compiler.get_converters(expressions)``, found once: the columns read are the
        compiled query's own, the same objects every run (kept here, so their ids are
        theirs)."""
        key = tuple(map(id, expressions))
        found = self._converters.get(key)
        if found is None:
            found = (self.compiler.get_converters(expressions), expressions)
            if len(self._converters) < 4:  # other columns each time would be kept unbounded
                self._converters[key] = found
        return found[0]


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
        compiler.get_converters = entry.converters
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


# --- writes ---------------------------------------------------------------------------------


class _Param:
    """A parameter of compiled SQL standing for the value of one field of one object."""

    def __init__(self, obj: int, field: int, for_save: bool):
        self.obj = obj
        self.field = field
        self.for_save = for_save


class _Slot(Expression):
    """Compiles to one parameter, a ``_Param``, where ``Value(obj's value)`` would be."""

    def __init__(self, obj: int, field: int, output_field):
        super().__init__(output_field=output_field)
        self.obj_index = obj
        self.field_index = field
        self.for_save = False

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        resolved = super().resolve_expression(query, allow_joins, reuse, summarize, for_save)
        resolved.for_save = for_save  # as Value's
        return resolved

    def as_sql(self, compiler, connection):
        return "%s", [_Param(self.obj_index, self.field_index, self.for_save)]


class _CompiledUpdate:
    def __init__(self, connection, fields: list, sql: str, params: list, pk_slots, value_slots):
        self.connection = connection
        self.fields = fields
        self.sql = sql
        self.params = params
        self.pk_slots = pk_slots  # position in params -> object
        self.value_slots = value_slots  # position in params -> _Param


_updates = threading.local()


def _update_sql(model, fields: list, count: int, alias: str) -> tuple[str, list]:
    """Django's ``bulk_update`` query for ``count`` objects, stand-ins for pks and values."""
    connection = connections[alias]
    pks = [_INT_BASE - i for i in range(count)]
    values = {}
    for k, field in enumerate(fields):
        case = Case(
            *(When(pk=pk, then=_Slot(i, k, field)) for i, pk in enumerate(pks)),
            output_field=field,
        )
        if connection.features.requires_casted_case_in_updates:
            case = Cast(case, output_field=field)
        values[field.attname] = case
    query = model._default_manager.using(alias).filter(pk__in=pks).query.chain(UpdateQuery)
    query.add_update_values(values)
    query.clear_select_clause()
    if query.related_updates:
        raise ValueError("a model with parents")
    sql, params = query.get_compiler(alias).as_sql()
    return sql, list(params)


def _update_compile(model, names: tuple, count: int, alias: str) -> _CompiledUpdate | bool:
    opts = model._meta
    try:
        fields = [opts.get_field(name) for name in names]
    except LookupError:
        return False
    if (
        not names
        or opts.parents
        or not isinstance(opts.pk, AutoFieldMixin)
        or any(not f.concrete or f.many_to_many or f.primary_key for f in fields)
        or any(hasattr(f, "get_placeholder") for f in fields)
        or connections[alias].ops.bulk_batch_size([opts.pk, opts.pk, *fields], [None] * count)
        < count
    ):
        return False
    try:
        sql, params = _update_sql(model, fields, count, alias)
        same = (sql, len(params)) == _repr_sql(_update_sql(model, fields, count, alias))
    except (TypeError, ValueError, EmptyResultSet, FullResultSet):  # e.g. a pk of 32 bits
        return False
    pk_stand_ins = {_INT_BASE - i: i for i in range(count)}
    pk_slots, value_slots = {}, {}
    for position, param in enumerate(params):
        if isinstance(param, _Param):
            value_slots[position] = param
        elif isinstance(param, int) and param in pk_stand_ins:
            pk_slots[position] = pk_stand_ins[param]
    covered = {(p.obj, p.field) for p in value_slots.values()}
    if (
        not same
        or len(value_slots) != count * len(fields)
        or len(covered) != count * len(fields)
        or set(pk_slots.values()) != set(range(count))
    ):
        return False
    return _CompiledUpdate(connections[alias], fields, sql, params, pk_slots, value_slots)


def _repr_sql(compiled: tuple[str, list]) -> tuple[str, int]:
    return compiled[0], len(compiled[1])


def bulk_update(model: type[Model], objs, fields: list[str]) -> int:
    """``model._default_manager.bulk_update(objs, fields)``, compiled once per connection, model,
    fields and number of objects (see the module's doc). The rows matched."""
    objs = tuple(objs)
    alias = router.db_for_write(model)
    cache = getattr(_updates, "compiled", None)
    if cache is None:
        cache = _updates.compiled = {}
    key = (model, tuple(fields), len(objs), alias)
    entry = cache.get(key)
    if entry is None or (entry and entry.connection is not connections[alias]):
        entry = cache[key] = _update_compile(model, key[1], len(objs), alias)
    if not entry or not all(
        type(obj.pk) is int
        and not any(hasattr(getattr(obj, f.attname), "resolve_expression") for f in entry.fields)
        for obj in objs
    ):
        return model._default_manager.using(alias).bulk_update(objs, fields)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_update", fields=entry.fields)
    connection = entry.connection
    params = list(entry.params)
    for position, index in entry.pk_slots.items():
        params[position] = objs[index].pk
    for position, slot in entry.value_slots.items():
        field = entry.fields[slot.field]
        value = getattr(objs[slot.obj], field.attname)
        prepare = field.get_db_prep_save if slot.for_save else field.get_db_prep_value
        params[position] = prepare(value, connection=connection)
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        return cursor.rowcount


class _CompiledInsert:
    def __init__(self, connection, compiler, fields, sql, params, cells, columns, returning):
        self.connection = connection
        self.compiler = compiler  # for the returned columns' converters
        self.fields = fields
        self.sql = sql
        self.params = params
        self.cells = cells  # position in params -> (object, field)
        self.columns = columns  # position in params -> field (an array of every object's)
        self.returning = returning


_inserts = threading.local()


def _insert_sql(model, fields: list, count: int, alias: str, on_conflict, returning):
    """Django's INSERT of ``count`` objects, a ``_Param`` for each value."""
    query = InsertQuery(model, on_conflict=on_conflict)
    query.insert_values(fields, list(range(count)))  # objects' stand-ins: their positions
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = returning
    compiler.pre_save_val = lambda field, obj: obj
    compiler.prepare_value = lambda field, obj: _Param(obj, fields.index(field), True)
    (sql, params), *more = compiler.as_sql()
    if more:
        raise ValueError("more than one statement")
    return compiler, sql, list(params)


def _compiled_insert(model, with_pk: bool, count: int, alias: str, on_conflict, returning):
    """The INSERT compiled for this shape on this thread's connection (False: it cannot be)."""
    cache = getattr(_inserts, "compiled", None)
    if cache is None:
        cache = _inserts.compiled = {}
    key = (model, with_pk, count, alias, on_conflict, tuple(returning or ()))
    entry = cache.get(key)
    if entry is None or (entry and entry.connection is not connections[alias]):
        entry = cache[key] = _insert_compile(*key[:5], returning)
    return entry


def _insert_compile(model, with_pk: bool, count: int, alias: str, on_conflict, returning):
    connection = connections[alias]
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated]
    if not with_pk:
        fields = [f for f in fields if not isinstance(f, AutoField)]
    if (
        opts.parents
        or not fields
        or any(hasattr(f, "get_placeholder") or f.has_db_default() for f in fields)
        or connection.ops.bulk_batch_size(fields, [None] * count) < count
    ):
        return False
    compiler, sql, params = _insert_sql(model, fields, count, alias, on_conflict, returning)
    again = _insert_sql(model, fields, count, alias, on_conflict, returning)
    cells, columns = {}, {}
    for position, param in enumerate(params):
        if isinstance(param, _Param):
            cells[position] = (param.obj, param.field)
        elif isinstance(param, list) and param and all(isinstance(p, _Param) for p in param):
            if [(p.obj, p.field) for p in param] != [(i, param[0].field) for i in range(count)]:
                return False
            columns[position] = param[0].field
    covered = [*cells.values()] + [(i, k) for k in columns.values() for i in range(count)]
    if (
        (sql, len(params)) != _repr_sql(again[1:])
        or len(covered) != count * len(fields)
        or set(covered) != {(i, k) for i in range(count) for k in range(len(fields))}
    ):
        return False
    return _CompiledInsert(connection, compiler, fields, sql, params, cells, columns, returning)


def bulk_create(model: type[Model], objs, ignore_conflicts: bool = False) -> list:
    """``model._default_manager.bulk_create(objs, ignore_conflicts=...)``, compiled once per
    connection, model and number of objects: Django's INSERT with a parameter for each
    value, each value made as Django makes it (the field's ``pre_save`` and
    ``get_db_prep_save``); the returned columns (the ids) set on the objects as Django sets
    them. Objects of which some have a primary key and some not, a value that is an
    expression, a field with a database default or its own placeholder, or a model with
    parents go through ``bulk_create`` itself."""
    objs = list(objs)
    if not objs:
        return objs
    alias = router.db_for_write(model)
    opts = model._meta
    connection = connections[alias]
    for obj in objs:  # as QuerySet._prepare_for_bulk_create
        if not obj._is_pk_set():
            obj.pk = opts.pk.get_pk_value_on_save(obj)
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    with_pk = {obj._is_pk_set() for obj in objs}
    mixed = len(with_pk) > 1  # some with a key, some without: two INSERTs, Django's
    has_pk = not mixed and next(iter(with_pk))
    features = connection.features
    entry = False
    if mixed:
        pass
    elif ignore_conflicts:  # as QuerySet._batched_insert: nothing returned
        if features.supports_ignore_conflicts:
            entry = _compiled_insert(model, has_pk, len(objs), alias, OnConflict.IGNORE, None)
    elif features.can_return_rows_from_bulk_insert:  # the rows' ids
        entry = _compiled_insert(model, has_pk, len(objs), alias, None, opts.db_returning_fields)
    rows = entry and _insert_values(entry, objs)
    if rows is False:
        return model._default_manager.using(alias).bulk_create(
            objs, ignore_conflicts=ignore_conflicts
        )
    returned = _insert_run(entry, alias, rows)
    for obj, results in zip(objs, returned, strict=False):  # as QuerySet.bulk_create
        for result, field in zip(results, opts.db_returning_fields, strict=False):
            if not (has_pk and field == opts.pk):
                setattr(obj, field.attname, result)
        obj._state.adding = False
        obj._state.db = alias
    return objs


def _insert_values(entry: _CompiledInsert, objs: list) -> list | bool:
    """Each object's values as Django's INSERT compiler prepares them, or False for one that
    is an expression (Django's own bulk_create resolves it)."""
    connection = entry.connection
    rows = []
    for obj in objs:
        row = []
        for field in entry.fields:
            value = field.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):
                return False
            row.append(field.get_db_prep_save(value, connection=connection))
        rows.append(row)
    return rows


def _insert_run(entry: _CompiledInsert, alias: str, rows: list) -> list:
    params = list(entry.params)
    for position, (obj, field) in entry.cells.items():
        params[position] = rows[obj][field]
    for position, field in entry.columns.items():
        params[position] = [row[field] for row in rows]
    connection = entry.connection
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        if not entry.returning:
            return []
        if len(rows) > 1:
            returned = connection.ops.fetch_returned_insert_rows(cursor)
        else:  # no row: an INSERT skipped (ON CONFLICT DO NOTHING)
            row = connection.ops.fetch_returned_insert_columns(
                cursor, entry.compiler.returning_params
            )
            returned = [] if row is None else [row]
    cols = [field.get_col(entry.compiler.query.get_meta().db_table) for field in entry.returning]
    converters = entry.compiler.get_converters(cols)
    if converters:
        returned = entry.compiler.apply_converters(returned, converters)
    return list(returned)


def insert_unless_taken(obj: Model) -> bool:
    """INSERT ``obj`` unless a unique value of it is taken; True (and its pk set) when it
    was inserted. PostgreSQL's ``ON CONFLICT DO NOTHING`` / SQLite's ``INSERT OR IGNORE``
    with ``RETURNING`` its pk, which gives no row when the row was skipped: one query, no
    savepoint. Compiled once per connection and model, as ``bulk_create``."""
    model, opts = type(obj), obj._meta
    alias = router.db_for_write(model)
    entry = _compiled_insert(model, False, 1, alias, OnConflict.IGNORE, [opts.pk])
    rows = entry and _insert_values(entry, [obj])
    if rows is False:
        raise ValueError(f"{opts.label} cannot be inserted unless taken")
    returned = _insert_run(entry, alias, rows)
    if not returned:
        return False
    obj.pk = returned[0][0]
    obj._state.adding, obj._state.db = False, alias
    return True


class _CompiledUpdateOf:
    def __init__(self, connection, alias, fields, sql, params, where_slots, set_slots):
        self.connection = connection
        self.alias = alias
        self.fields = fields  # the fields set, in the order of the names
        self.sql = sql
        self.params = params
        self.where_slots = where_slots  # position in params -> position in values
        self.set_slots = set_slots  # position in params -> _Param (its field: a name's index)


class PreparedUpdate:
    """``build(*values).update(**fields)``, an UPDATE of a fixed shape (the same condition,
    the same fields set), compiled once per connection: Django's own UPDATE with the stand-ins
    of ``PreparedQuery`` for the values of the condition and a parameter for each field set,
    run with each new value prepared as ``QuerySet.update`` prepares it (a model instance by
    its key, then ``get_db_prep_save``). A value of the condition that is no parameter of
    the SQL, or an expression to set, is built and run as usual."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._local = threading.local()

    def _sql(self, stand_ins: tuple, names: tuple):
        queryset = self._build(*stand_ins)
        opts = queryset.model._meta
        fields = [opts.get_field(name) for name in names]
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(
            {
                name: _Slot(0, k, field)
                for k, (name, field) in enumerate(zip(names, fields, strict=True))
            }
        )
        query.clear_select_clause()
        if query.related_updates or query.order_by:
            raise ValueError("a model with parents, or an ordered update")
        sql, params = query.get_compiler(queryset.db).as_sql()
        return sql, list(params), fields, queryset.db

    def _compile(self, values: tuple, names: tuple) -> _CompiledUpdateOf | bool:
        stand_ins = tuple(_stand_in(i, v) for i, v in enumerate(values))
        if None in stand_ins:
            return False
        try:
            sql, params, fields, alias = self._sql(stand_ins, names)
            again = self._sql(stand_ins, names)
        except (TypeError, ValueError, EmptyResultSet, FullResultSet):
            return False
        where_slots, set_slots = {}, {}
        for position, param in enumerate(params):
            if isinstance(param, _Param):
                set_slots[position] = param
            elif isinstance(param, int | str) and param in stand_ins:
                where_slots[position] = stand_ins.index(param)
        if (
            (sql, len(params)) != _repr_sql(again[:2])
            or sorted(p.field for p in set_slots.values()) != list(range(len(names)))
            or set(where_slots.values()) != set(range(len(values)))
        ):
            return False
        connection = connections[alias]
        return _CompiledUpdateOf(connection, alias, fields, sql, params, where_slots, set_slots)

    def update(self, *values, **fields) -> int:
        """The rows updated, as ``QuerySet.update``."""
        names = tuple(fields)
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = {}
        key = (tuple(type(value) for value in values), names)
        entry = compiled.get(key)
        if entry is None or (entry and entry.connection is not connections[entry.alias]):
            entry = compiled[key] = self._compile(values, names)
        if not entry or any(hasattr(v, "resolve_expression") for v in fields.values()):
            return self._build(*values).update(**fields)
        params = list(entry.params)
        for position, index in entry.where_slots.items():
            params[position] = values[index]
        for position, slot in entry.set_slots.items():
            field = entry.fields[slot.field]
            value = fields[names[slot.field]]
            if hasattr(value, "prepare_database_save"):  # as SQLUpdateCompiler.as_sql
                if not field.remote_field:
                    return self._build(*values).update(**fields)  # its TypeError
                value = value.prepare_database_save(field)
            params[position] = field.get_db_prep_save(value, connection=entry.connection)
        with (
            transaction.mark_for_rollback_on_error(using=entry.alias),
            entry.connection.cursor() as cursor,
        ):
            cursor.execute(entry.sql, params)
            return cursor.rowcount
