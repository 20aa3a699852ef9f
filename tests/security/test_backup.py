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
