"""Running the background tasks inside a test, as ``manage.py db_worker --batch`` would:
every task that is due, including those the tasks enqueue, in the test's transaction."""

from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


class TaskFailed(AssertionError):
    pass


def run_due_tasks(*, limit: int = 500, allow_failures: bool = False) -> int:
    """Run the due tasks until none is left; returns how many ran. A task that ends failed
    fails the test unless ``allow_failures``."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    count = 0
    while count < limit:
        result = DBTaskResult.objects.ready().first()
        if result is None:
            return count
        result.claim("tests")
        worker.run_task(result)
        count += 1
        result.refresh_from_db()
        if result.status == TaskResultStatus.FAILED and not allow_failures:
            raise TaskFailed(f"{result.task_path} failed:\n{result.traceback}")
    raise AssertionError(f"more than {limit} tasks: one enqueues itself without end?")
