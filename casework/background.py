"""Background work: how tasks of Django's Tasks framework are enqueued, retried and recovered.

- ``enqueue`` puts a task in the caller's transaction when the backend is the database one
  (a rolled-back change enqueues nothing, a committed one loses nothing); with a broker
  (RQ and Redis) it enqueues after the commit, and what was lost between the commit and the
  broker is found again from the outbox rows (``casework.services.mail_requeue_queued``).
- ``retry_later`` is the retry policy every task shares: after a failure, run again after
  ``TASKS_RETRY_BASE_SECONDS`` doubled per attempt, up to ``TASKS_MAX_ATTEMPTS`` attempts.
- ``tasks_requeue_abandoned`` gives a task that a dead worker left running back to the queue;
  the project's ``db_worker`` calls it as it polls.
"""

import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.signals import pre_save
from django.utils import timezone
from django_tasks import TaskResultStatus

from casework import prepared
from casework.transactions import defer


def _in_database(task) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


def enqueue(task, *args, **kwargs) -> None:
    """Enqueue ``task`` so that it exists exactly when the caller's transaction commits.

    In a unit of work (``casework.transactions``: a person completing a case step) the
    database backend's rows are put off to the step's end and written together
    (``enqueued_write``): the same rows, one INSERT."""
    if _in_database(task):
        if not defer("task_enqueue", (task, args, kwargs)):
            task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, *args, **kwargs))


def enqueued_write(deferred: dict[str, list]) -> None:
    """Write the task rows ``enqueue`` put off, in one INSERT, each as the database
    backend's ``enqueue`` writes it (``DatabaseBackend._task_to_db_task``, with the
    ``pre_save`` its ``create`` sends), and send each the ``task_enqueued`` signal it sends."""
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult

    items = deferred.get("task_enqueue")
    if not items:
        return
    rows, backends = [], []
    for task, args, kwargs in items:
        backend = task.get_backend()
        backend.validate_task(task)
        rows.append(
            DBTaskResult(
                id=backend._get_id(),
                args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                run_after=task.run_after,
                backend_name=backend.alias,
            )
        )
        backends.append(backend)
    for row in rows:  # what save() would send (django_tasks_db sets run_after in it)
        pre_save.send(
            sender=DBTaskResult, instance=row, raw=False, using="default", update_fields=None
        )
    prepared.bulk_create(DBTaskResult, rows)
    for row, backend in zip(rows, backends, strict=True):
        task_enqueued.send(type(backend), task_result=row.task_result)


def retry_delay(attempt: int) -> datetime.timedelta:
    """The wait after failed attempt number ``attempt`` (1, 2, ...): exponential backoff."""
    return datetime.timedelta(seconds=settings.TASKS_RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def retry_later(task, *args, attempt: int, **kwargs) -> datetime.datetime | None:
    """Enqueue attempt ``attempt + 1`` of ``task`` after the backoff; None after the last."""
    if attempt >= settings.TASKS_MAX_ATTEMPTS:
        return None
    run_after = timezone.now() + retry_delay(attempt)
    enqueue(task.using(run_after=run_after), *args, attempt=attempt + 1, **kwargs)
    return run_after


def tasks_requeue_abandoned(*, now: datetime.datetime | None = None) -> int:
    """Tasks running for longer than ``TASKS_STALE_AFTER_SECONDS`` were left by a worker
    that died (killed, out of memory, the host gone): make them ready to run again. Every
    task is idempotent, so a task that was only slow is not done twice."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.TASKS_STALE_AFTER_SECONDS)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)


def task_run_again(db_result) -> None:
    """Enqueue a finished (failed) task again with its arguments, for the admin's action."""
    args = db_result.args_kwargs
    db_result.task.using(run_after=timezone.now()).enqueue(*args["args"], **args["kwargs"])
