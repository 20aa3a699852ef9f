"""Backup and restore of the whole database: SQLite through its online backup API, PostgreSQL through
pg_dump / pg_restore (from ``PGBIN`` if set, else found on PATH).

A SQLite backup is a consistent copy taken while the app keeps running (the
backup API copies pages under a read transaction; WAL readers are not held up).
A PostgreSQL backup is pg_dump's custom format, restored in one transaction.
Either file is created 0600: it holds every case in clear but for the sealed
fields (README, "Backups").
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from safehome.errors import ValidationError


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why (never any data)."""


def _sqlite_path(database_uri: str) -> Path:
    database = make_url(database_uri).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_tool(name: str) -> str:
    folder = os.environ.get("PGBIN")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).exists():
        raise BackupError(f"{name} not found: set PGBIN to PostgreSQL's bin folder or put it on PATH")
    return found


def _libpq(database_uri: str) -> tuple[str, dict]:
    """A libpq connection URL without the password, and the environment carrying it (kept off the command line)."""
    url = make_url(database_uri)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict, stdout=subprocess.PIPE) -> None:
    result = subprocess.run(command, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        # pg tools' stderr names objects, not rows; keep only its last line.
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {last}")


def backup(database_uri: str, file: Path) -> None:
    """Write a consistent copy of the database to ``file`` (replaced if it exists), readable by its owner only.

    The copy goes into a new file beside ``file``, created 0600 before anything is written into it (SQLite's
    backup and pg_dump's output alike), and is renamed over ``file`` once whole: at no moment is a backup
    readable by anyone else, or a half-written one there under its name.
    """
    file = Path(file)
    try:
        handle, partial = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(f"cannot write a backup in {file.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            if make_url(database_uri).get_backend_name() == "sqlite":
                source = sqlite3.connect(_sqlite_path(database_uri))
                target = sqlite3.connect(partial)
                try:
                    with target:
                        source.backup(target)
                finally:
                    target.close()
                    source.close()
            else:
                url, env = _libpq(database_uri)
                _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--dbname", url], env, stdout=out)
            os.fsync(out.fileno())
        os.replace(partial, file)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def restore(database_uri: str, file: Path) -> None:
    """Replace the database's contents with the backup in ``file``."""
    file = Path(file)
    if not file.is_file():
        raise ValidationError.one("file", "no such backup file")
    if make_url(database_uri).get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValidationError.one("file", "is not a sound SQLite backup")
            target = sqlite3.connect(_sqlite_path(database_uri))
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError:
            raise ValidationError.one("file", "is not a SQLite backup") from None
        finally:
            source.close()
        return
    url, env = _libpq(database_uri)
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--dbname", url, str(file)], env)
