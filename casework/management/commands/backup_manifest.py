"""What a backup must give back: row counts per table, every stored document's checksum, and
a digest of the whole audit trail.

``backup_manifest --write FILE`` describes the running database and document storage;
``backup_manifest --check FILE`` compares the running ones (just restored) against it and
fails, naming every difference, when anything is lost or changed. scripts/backup.sh and
scripts/restore.sh run it.
"""

import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from casework.models import AuditEvent

AUDIT_FIELDS = ("pk", "action", "object_id", "from_state", "to_state", "reason", "created_at")


def table_counts() -> dict[str, int]:
    tables = sorted(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def document_checksums(root: Path) -> dict[str, str]:
    sums = {}
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            sums[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def audit_digest() -> str:
    """One SHA-256 over every audit event in order: equal only if the trail is intact."""
    digest = hashlib.sha256()
    rows = AuditEvent.objects.order_by("pk").values_list(*AUDIT_FIELDS, "data")
    for row in rows.iterator(chunk_size=2000):
        digest.update(json.dumps(row, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def manifest() -> dict:
    return {
        "database": connection.vendor,
        "tables": table_counts(),
        "documents": document_checksums(Path(settings.MEDIA_ROOT)),
        "audit_events": AuditEvent.objects.count(),
        "audit_digest": audit_digest(),
        "models": sorted(m._meta.label for m in apps.get_models()),
    }


def differences(expected: dict, actual: dict) -> list[str]:
    found = []
    for table, count in expected["tables"].items():
        got = actual["tables"].get(table)
        if got != count:
            found.append(f"table {table}: {count} rows backed up, {got} restored")
    for name, checksum in expected["documents"].items():
        got = actual["documents"].get(name)
        if got is None:
            found.append(f"document {name}: missing")
        elif got != checksum:
            found.append(f"document {name}: checksum differs")
    if expected["audit_digest"] != actual["audit_digest"]:
        found.append("audit trail: differs from the backup")
    return found


class Command(BaseCommand):
    help = "Write or check a backup manifest (row counts, document checksums, audit digest)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--write", metavar="FILE")
        group.add_argument("--check", metavar="FILE")

    def handle(self, *args, write=None, check=None, **options):
        current = manifest()
        if write:
            Path(write).write_text(json.dumps(current, indent=2, sort_keys=True))
            self.stdout.write(
                f"manifest: {len(current['tables'])} tables, "
                f"{sum(current['tables'].values())} rows, {len(current['documents'])} documents, "
                f"{current['audit_events']} audit events"
            )
            return
        try:
            expected = json.loads(Path(check).read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the manifest {check}: {exc}") from exc
        found = differences(expected, current)
        if found:
            raise CommandError("restore incomplete:\n  " + "\n  ".join(found))
        self.stdout.write(
            f"restore complete: {len(expected['tables'])} tables, "
            f"{sum(expected['tables'].values())} rows, {len(expected['documents'])} documents "
            f"and {expected['audit_events']} audit events as backed up"
        )
