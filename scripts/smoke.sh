#!/usr/bin/env bash
# Production smoke (CI, after the PostgreSQL tests): serve the site the way README's
# "Production" section says, with scripts/serve.sh (collectstatic into a temporary folder,
# gunicorn, DEBUG off, Redis as the cache) on a fresh PostgreSQL database with the reference
# and demo data, then request every public page, a feed, the exports, the public API, the API
# docs and a logged-in page, and the static files (scripts/smoke_check.py). Exits non-zero on
# any failure; the database, the folders and gunicorn are removed at the end.
#
#   SMOKE_POSTGRES_URL  database to create and drop (postgres://postgres@127.0.0.1:5432/frikommune_smoke)
#   SMOKE_REDIS_URL     Redis for the cache (redis://127.0.0.1:6379/1), keys under a prefix of this run
#   PYTHON              interpreter with the project installed (.venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
PG_URL=${SMOKE_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/frikommune_smoke}
REDIS_URL=${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/1}

database() {  # database create|drop
    "$PYTHON" - "$1" "$PG_URL" <<'PY'
import sys

import psycopg
from psycopg import sql

action, url = sys.argv[1:]
name = url.rsplit("/", 1)[1]
with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    if action == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
PY
}

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM -- "-$SERVER_PID" 2>/dev/null || true  # serve.sh's process group: gunicorn
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    database drop || true
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DEBUG=false TESTING=false
export SECRET_KEY="smoke-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export ALLOWED_HOSTS=127.0.0.1 DATABASE_URL="$PG_URL"
export CACHE_BACKEND=django.core.cache.backends.redis.RedisCache CACHE_LOCATION="$REDIS_URL"
export CACHE_KEY_PREFIX="smoke-$PORT-$$"
export TRUSTED_PROXY_COUNT=1  # smoke_check.py plays the TLS-terminating reverse proxy
export STATIC_ROOT="$WORK/static" MEDIA_ROOT="$WORK/media"
export WEB_BIND="127.0.0.1:$PORT" WEB_CONCURRENCY=2

"$PYTHON" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1]).ping()' "$REDIS_URL" || {
    echo "The production smoke needs Redis at $REDIS_URL (SMOKE_REDIS_URL)." >&2
    exit 1
}
echo "== Smoke: fresh database ${PG_URL##*/} with reference and demo data"
database create
"$PYTHON" manage.py migrate --noinput --verbosity 0
"$PYTHON" manage.py load_reference_data >/dev/null
"$PYTHON" manage.py seed_demo >/dev/null

echo "== Smoke: scripts/serve.sh on $WEB_BIND (DEBUG off, Redis cache, static in $STATIC_ROOT)"
PYTHON="$PYTHON" setsid ./scripts/serve.sh >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
if ! "$PYTHON" scripts/smoke_check.py "http://$WEB_BIND" "$SERVER_PID"; then
    echo "-- server log (last 40 lines):"
    tail -n 40 "$WORK/server.log"
    exit 1
fi
