"""Backup and restore round-trip a populated database, every table compared row by row."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, text, update

from safehome.models import AuditEvent, Unit


def _everything(db) -> dict[str, list[tuple]]:
    """Every row of every table as the database holds it (sealed columns as their stored ciphertext)."""
    rows = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows[table.name] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1'))]
    return rows


def _populate(db) -> None:
    from safehome.services import SYSTEM, demo

    demo.load_demo(db.session, SYSTEM, password=demo.DEMO_PASSWORD, today=date.today())
    db.session.commit()


def test_backup_and_restore_round_trip_every_table(app, db, runner, tmp_path):
    _populate(db)
    original = _everything(db)
    assert sum(len(rows) for rows in original.values()) > 1000
    file = tmp_path / "safehome.backup"
    made = runner.invoke(args=["backup", str(file)])
    assert made.exit_code == 0, made.output
    assert file.stat().st_size > 0

    # Damage: rows lost, rows added.
    db.session.execute(update(Unit).where(Unit.id > 10).values(bedspaces=Unit.bedspaces + 1))
    db.session.execute(delete(AuditEvent).where(AuditEvent.id > 5))
    db.session.add(AuditEvent(action="update", detail="after the backup"))
    db.session.commit()
    assert _everything(db) != original
    db.session.remove()

    restored = runner.invoke(args=["restore", str(file), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _everything(db) == original


def test_restore_refuses_a_file_that_is_not_a_backup(app, db, runner, tmp_path):
    _populate(db)
    before = _everything(db)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0
    assert _everything(db) == before
    missing = runner.invoke(args=["restore", str(tmp_path / "none"), "--yes"])
    assert missing.exit_code != 0 and "no such backup file" in missing.output


def test_a_backup_is_readable_by_its_owner_only_from_the_first_byte(app, db, runner, tmp_path, monkeypatch):
    """Even under a umask that leaves new files readable by all, the backup file is 0600 before the database
    writes its first byte into it and after, and it replaces an old, wider one without ever widening."""
    import os
    import sqlite3
    import subprocess

    folder = tmp_path / "backups"
    folder.mkdir()
    file = folder / "safehome.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    file.chmod(0o644)  # last week's backup, made before this was fixed
    seen: list[dict[str, int]] = []

    def modes() -> dict[str, int]:
        return {path.name: path.stat().st_mode & 0o777 for path in folder.iterdir()}

    def watching(real):
        def call(*args, **kwargs):
            seen.append(modes())  # the moment SQLite opens the copy, or pg_dump starts writing it
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(sqlite3, "connect", watching(sqlite3.connect))
    monkeypatch.setattr(subprocess, "run", watching(subprocess.run))
    umask = os.umask(0)
    try:
        made = runner.invoke(args=["backup", str(file)])
    finally:
        os.umask(umask)
    assert made.exit_code == 0, made.output
    assert seen, "no database writer was started"
    # Besides the old backup (left as it was until replaced), the file being written is already 0600.
    new_files = [{name: mode for name, mode in moment.items() if name != file.name} for moment in seen]
    assert all(files and set(files.values()) == {0o600} for files in new_files), seen
    assert modes() == {file.name: 0o600}


def test_a_backup_that_fails_leaves_the_last_one_and_no_partial_file(app, db, runner, tmp_path, monkeypatch):
    from safehome.services import backup

    folder = tmp_path / "backups"
    folder.mkdir()
    file = folder / "safehome.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    last = file.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup.os, "fsync", disk_full)
    assert runner.invoke(args=["backup", str(file)]).exit_code != 0
    assert [path.name for path in folder.iterdir()] == [file.name]
    assert file.read_bytes() == last
