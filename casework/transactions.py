"""One transaction per use case, however many services it calls.

``service_atomic`` is what every service function is decorated with instead of
``transaction.atomic``: the outermost service opens the transaction (or a savepoint inside a
caller's own ``atomic``), a service it calls joins that transaction without a savepoint of
its own. An error in a nested service then rolls the whole use case back, which is what a
use case wants, and the SAVEPOINT/RELEASE pair each nested service used to cost is gone (a
whole case used to spend about 40 queries on them, bench/README.md).

A caller that catches a nested service's error and goes on (collecting every refusal of a
batch) wraps the call in ``savepoint()`` so that service rolls back on its own.
"""

import contextlib
import functools
import threading

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
    catch their errors and carry on in its transaction."""
    saved = _depth()
    _state.depth = 0
    try:
        yield
    finally:
        _state.depth = saved
