#!/bin/sh
# Restore a backup made by scripts/backup.sh into an EMPTY database and document folder, then
# prove nothing is lost: the files' SHA256SUMS, then the manifest (row counts per table, every
# document's checksum, the audit trail's digest). Usage: scripts/restore.sh BACKUP_FOLDER
# Reads DATABASE_URL (the new database; created when it does not exist) and MEDIA_ROOT.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
SRC=$(cd "${1:?usage: scripts/restore.sh BACKUP_FOLDER}" && pwd)
: "${DATABASE_URL:?DATABASE_URL must point at the new PostgreSQL database}"
(cd "$SRC" && sha256sum --check --quiet SHA256SUMS)
"$PYTHON" - "$DATABASE_URL" <<'PY'
import sys

import psycopg
from psycopg import sql

url = sys.argv[1]
base, name = url.rsplit("/", 1)
with psycopg.connect(base + "/postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
with psycopg.connect(url) as conn:
    tables = conn.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    ).fetchone()[0]
if tables:
    sys.exit(f"refusing to restore into {name}: it is not empty ({tables} tables)")
PY
pg_restore --no-owner --no-privileges --exit-on-error --dbname "$DATABASE_URL" "$SRC/database.dump"
MEDIA=$("$PYTHON" -c 'import os, django; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings"); django.setup(); from django.conf import settings; print(settings.MEDIA_ROOT)')
mkdir -p "$MEDIA"
tar -C "$MEDIA" -xzf "$SRC/documents.tar.gz"
"$PYTHON" manage.py backup_manifest --check "$SRC/manifest.json"
