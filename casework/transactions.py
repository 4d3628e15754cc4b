"""One transaction per use case, however many services it calls.

``service_atomic`` is what every service function is decorated with instead of
``transaction.atomic``: the outermost service opens the transaction (or a savepoint inside a
caller's own ``atomic``), a service it calls joins that transaction without a savepoint of
its own. An error in a nested service then rolls the whole use case back, which is what a
use case wants, and the SAVEPOINT/RELEASE pair each nested service used to cost is gone (a
whole case used to spend about 40 queries on them, bench/README.md).

A caller that catches a nested service's error and goes on (collecting every refusal of a
batch) wraps the call in ``savepoint()`` so that service rolls back on its own.

``unit_of_work()`` is one step of a use case done under a lock (a person completing a task):
rows the caller has read and locked are ``hold``-en for the services it calls, which take them
with ``held`` instead of locking and reading them again, and writes a service may put off to
the end (``defer``: audit events) are written together when the step ends without error.
"""

import contextlib
import functools
import threading
from collections.abc import Callable

from django.db import transaction

_state = threading.local()


def _depth() -> int:
    return getattr(_state, "depth", 0)


def service_atomic(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nested = _depth() > 0
        _state.depth = _depth() + 1
        try:
            with transaction.atomic(savepoint=not nested):
                return func(*args, **kwargs)
        finally:
            _state.depth -= 1

    return wrapper


@contextlib.contextmanager
def savepoint():
    """Services called inside roll back on their own (a savepoint each), so the caller may
    catch their errors and carry on in its transaction. Writes deferred inside are kept
    only when the block ends without error (what it rolled back is not written later)."""
    saved = _depth()
    outer = getattr(_state, "deferred", None)
    _state.depth = 0
    if outer is not None:
        _state.deferred = {}
    try:
        yield
        if outer is not None:
            for kind, items in _state.deferred.items():
                outer.setdefault(kind, []).extend(items)
    finally:
        _state.depth = saved
        _state.deferred = outer


@contextlib.contextmanager
def unit_of_work(flush: Callable[[dict[str, list]], None]):
    """One step under a lock (see the module's doc): ``flush(deferred)`` writes what was
    deferred inside, by kind, when the block ends without error (still in its transaction).
    Nested, the inner block joins the outer one."""
    if getattr(_state, "deferred", None) is not None:
        yield
        return
    _state.deferred, _state.held = {}, {}
    try:
        yield
        deferred = _state.deferred
    finally:
        _state.deferred, _state.held = None, None
    flush(deferred)


def defer(kind: str, item) -> bool:
    """Put ``item`` off to the end of the unit of work; False when none is open (the caller
    then writes it now)."""
    deferred = getattr(_state, "deferred", None)
    if deferred is None:
        return False
    deferred.setdefault(kind, []).append(item)
    return True


def deferred_take(kind: str) -> list:
    """What was put off of ``kind`` so far, taken out of the unit of work (the caller writes
    it now: something in the step is about to read those rows)."""
    deferred = getattr(_state, "deferred", None)
    if not deferred:
        return []
    return deferred.pop(kind, [])


def deferred_peek(kind: str) -> list:
    """What was put off of ``kind`` so far, left in place."""
    return list((getattr(_state, "deferred", None) or {}).get(kind, []))


def in_unit_of_work() -> bool:
    return getattr(_state, "held", None) is not None


def hold(key, value) -> None:
    """Keep ``value`` (a row read under lock in this transaction, or what follows from it)
    for the rest of the unit of work, under ``key``; nothing outside one."""
    held_values = getattr(_state, "held", None)
    if held_values is not None:
        held_values[key] = value


def held(key):
    """What the unit of work holds under ``key``, or None."""
    return (getattr(_state, "held", None) or {}).get(key)
