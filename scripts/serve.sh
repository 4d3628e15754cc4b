#!/bin/sh
# Production: apply migrations, collect the static files, check the deployment and serve the
# site with gunicorn. Everything comes from the environment (README "Production",
# .env.example): the worker count from WEB_CONCURRENCY, the address from WEB_BIND.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py collectstatic --noinput --verbosity 0
# Refuses to start on an error (no static manifest, ...); warnings are printed.
"$PYTHON" manage.py check --deploy
exec "$PYTHON" -m gunicorn --config config/gunicorn.py config.wsgi
