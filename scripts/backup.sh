#!/bin/sh
# Back up the database (pg_dump, custom format) and the document storage (MEDIA_ROOT) into
# a new folder, with a manifest (row counts per table, every document's SHA-256, a digest of
# the audit trail) and SHA256SUMS of the files. Usage: scripts/backup.sh DEST_FOLDER
# Reads DATABASE_URL (PostgreSQL) and MEDIA_ROOT from the environment, as the site does.
# Run it while the site runs: pg_dump takes a consistent snapshot; the manifest is written
# first, so documents uploaded during the backup are extra, never missing.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DEST=${1:?usage: scripts/backup.sh DEST_FOLDER}
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database}"
MEDIA=$("$PYTHON" -c 'import os, django; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings"); django.setup(); from django.conf import settings; print(settings.MEDIA_ROOT)')
mkdir -p "$DEST"
"$PYTHON" manage.py backup_manifest --write "$DEST/manifest.json"
pg_dump --format=custom --no-owner --no-privileges --file "$DEST/database.dump" "$DATABASE_URL"
mkdir -p "$MEDIA"
tar -C "$MEDIA" -czf "$DEST/documents.tar.gz" .
(cd "$DEST" && sha256sum manifest.json database.dump documents.tar.gz > SHA256SUMS)
echo "backup written to $DEST"
