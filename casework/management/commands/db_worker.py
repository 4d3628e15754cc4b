"""django-tasks-db's worker, which also gives back to the queue the tasks a dead worker left
running (``casework.background.tasks_requeue_abandoned``), so a worker killed in the middle of
a task (SIGKILL, out of memory, a lost host) delays the task instead of losing it."""

import time

from django.conf import settings
from django_tasks_db.management.commands import db_worker

from casework.background import tasks_requeue_abandoned


class Recovery:
    """Called where the worker's loop checks its database connection, each time it polls;
    requeues abandoned tasks at most every quarter of ``TASKS_STALE_AFTER_SECONDS``."""

    def __init__(self, close_old_connections):
        self.close_old_connections = close_old_connections
        self.next_run = 0.0

    def __call__(self) -> None:
        self.close_old_connections()
        now = time.monotonic()
        if now < self.next_run:
            return
        self.next_run = now + max(settings.TASKS_STALE_AFTER_SECONDS / 4, 1)
        count = tasks_requeue_abandoned()
        if count:
            db_worker.logger.warning("Requeued %d abandoned task(s)", count)


class Command(db_worker.Command):
    help = "Run the background worker (database backend); requeues tasks a dead worker left"

    def handle(self, *args, **options):
        original = db_worker.close_old_connections
        db_worker.close_old_connections = Recovery(original)
        try:
            super().handle(*args, **options)
        finally:
            db_worker.close_old_connections = original
