#!/bin/sh
# Install what the tests need into .venv and run the whole suite; arguments go to pytest.
# The suite runs in TEST_WORKERS pytest-xdist workers (default: the number of cores, at most 2;
# TEST_WORKERS=0 runs in this one process), each with its own test database; a worker that
# runs out of tests takes some of the other's (--dist worksteal), so the long browser tests at
# the end do not leave one core idle.
# The browser tests drive Debian's Chromium: installed with apt when missing and running as
# root, otherwise those tests (only those) are skipped with a message.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet -e ".[test]"
if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's chromium for the browser tests ..."
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || {
            apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null;
        } || echo "Could not install chromium: the browser tests will be skipped."
    else
        echo "Chromium is not installed (apt-get install chromium): the browser tests will be skipped."
    fi
fi
if [ -z "${TEST_WORKERS:-}" ]; then
    TEST_WORKERS=$(nproc 2>/dev/null || echo 1)
    [ "$TEST_WORKERS" -gt 2 ] && TEST_WORKERS=2
fi
# Compiled bytecode (and pytest's rewritten test modules) is kept between runs: compiling every
# module again costs each worker seconds of its start. Where PYTHONDONTWRITEBYTECODE keeps
# __pycache__ out of the tree, it goes to a cache folder outside the tree instead.
if [ -n "${PYTHONDONTWRITEBYTECODE:-}" ]; then
    unset PYTHONDONTWRITEBYTECODE
    PYTHONPYCACHEPREFIX=${PYTHONPYCACHEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/frikommune-pycache}
    export PYTHONPYCACHEPREFIX
fi
echo "Database: ${DATABASE_URL:-SQLite (default)}; workers: $TEST_WORKERS"
exec .venv/bin/python -m pytest -n "$TEST_WORKERS" --dist worksteal "$@"
