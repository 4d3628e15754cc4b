#!/bin/sh
# Set up a local virtualenv, create the SQLite database with reference and demo data, and
# start the development server on http://127.0.0.1:8000. Safe to run again.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet -e .
export DEBUG=${DEBUG:-true}
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py load_reference_data
.venv/bin/python manage.py seed_demo
echo "Frikommune: http://127.0.0.1:8000/ (demo logins in README.md)"
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
