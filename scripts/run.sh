#!/bin/sh
# Set up a local virtualenv, create the SQLite database with reference and demo data, and
# start the development server on http://127.0.0.1:8000 with a background worker beside it
# (mail and letters are tasks: the worker prints the mail on this console). Safe to run again.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet -e .
export DEBUG=${DEBUG:-true}
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py load_reference_data
.venv/bin/python manage.py seed_demo
# The worker runs what the demo queued (letters, mail), then keeps polling; it stops with
# the server.
.venv/bin/python manage.py db_worker --no-reload --interval 1 &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true' EXIT INT TERM
echo "Frikommune: http://127.0.0.1:8000/ (demo logins in README.md)"
.venv/bin/python manage.py runserver 127.0.0.1:8000
