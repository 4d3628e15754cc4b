"""scripts/backup.sh and scripts/restore.sh: a seeded database and its documents are backed
up, restored into a new database and folder, and nothing is lost (row counts per table,
every document's checksum, the audit trail)."""

import io
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from casework.models import AuditEvent
from tests.conftest import record_bokmal_for_neutral

ROOT = Path(settings.BASE_DIR)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or shutil.which("pg_dump") is None,
        reason="backup and restore are for PostgreSQL (pg_dump, pg_restore)",
    ),
]


def _url(name: str) -> str:
    conf = connection.settings_dict
    host = conf["HOST"] or "127.0.0.1"
    return f"postgres://{conf['USER']}@{host}:{conf['PORT'] or 5432}/{name}"


def _run(script: str, *args, database: str, media: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "MEDIA_ROOT": str(media),
        "SECRET_KEY": "backup-test",
        "DEBUG": "true",
    }
    return subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / script), *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """A transactional test's database is emptied after it: each loads what it needs."""
    call_command("load_reference_data", verbosity=0, stdout=io.StringIO())
    record_bokmal_for_neutral()


@pytest.fixture
def new_database():
    name = f"frikommune_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def test_a_backup_restores_into_a_new_database_with_nothing_lost(
    publish, media_root, tmp_path, new_database
):
    publish(stop_at="decided")
    assert any(Path(media_root).rglob("*.pdf")), "the seeded case has stored documents"
    assert AuditEvent.objects.count() > 10
    source = connection.settings_dict["NAME"]

    backup = _run("backup.sh", tmp_path / "backup", database=source, media=media_root)
    assert backup.returncode == 0, backup.stderr
    assert {p.name for p in (tmp_path / "backup").iterdir()} == {
        "manifest.json",
        "database.dump",
        "documents.tar.gz",
        "SHA256SUMS",
    }

    restored_media = tmp_path / "restored-media"
    restore = _run("restore.sh", tmp_path / "backup", database=new_database, media=restored_media)
    assert restore.returncode == 0, restore.stderr + restore.stdout
    assert "restore complete" in restore.stdout
    assert sorted(p.name for p in restored_media.rglob("*.pdf")) == sorted(
        p.name for p in Path(media_root).rglob("*.pdf")
    )


def test_a_restore_that_lost_something_says_what(publish, media_root, tmp_path, new_database):
    publish(stop_at="decided")
    source = connection.settings_dict["NAME"]
    assert _run("backup.sh", tmp_path / "b", database=source, media=media_root).returncode == 0
    # a document lost from the archive after the backup was made: restore must notice
    lost = next(Path(media_root).rglob("*.pdf"))
    subprocess.run(  # noqa: S603
        [
            "/bin/sh",
            "-c",
            f"cd {tmp_path / 'b'} && mkdir x && tar -C x -xzf documents.tar.gz "
            f"&& rm x/{lost.relative_to(media_root)} && tar -C x -czf documents.tar.gz . "
            "&& sha256sum manifest.json database.dump documents.tar.gz > SHA256SUMS",
        ],
        check=True,
    )
    restore = _run("restore.sh", tmp_path / "b", database=new_database, media=tmp_path / "m")
    assert restore.returncode != 0
    assert f"document {lost.relative_to(media_root)}: missing" in restore.stderr


def test_restore_refuses_a_database_that_is_not_empty(publish, media_root, tmp_path):
    publish(stop_at="register")
    source = connection.settings_dict["NAME"]
    assert _run("backup.sh", tmp_path / "b", database=source, media=media_root).returncode == 0
    restore = _run("restore.sh", tmp_path / "b", database=source, media=tmp_path / "m")
    assert restore.returncode != 0
    assert "not empty" in restore.stderr
