#!/bin/sh
# Production: the background worker (mail, letters) of the database task backend. Run it
# beside gunicorn (scripts/serve.sh), as its own service, on one host or several: each task
# is taken by one worker, and a task a dead worker left is run again after
# TASKS_STALE_AFTER_SECONDS. SIGTERM lets the current task finish.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
exec "$PYTHON" manage.py db_worker --no-reload --queue-name '*' "$@"
