"""Data key rotation: re-seal every sealed value under the current data key.

The sealed columns are found in the models' metadata (every ``SealedJSON``
column of every table), so a new sealed column is rotated without being
listed anywhere. A value needs re-sealing when its token does not start with
the current key's header (version 0x02 and the current key id): values under
an old key and version 0x01 tokens. The selection is that test, in SQL, so the
work is resumable by nature: a second run, or one after a kill, finds only
what is left, and a run with nothing left changes nothing.

Each batch is its own transaction, committed here (the one service that
commits, as a maintenance job whose point is to keep what it finished if it
is stopped). Rows are updated with the database's own statements, not the
models: re-sealing changes no fact, so ``updated_at`` keeps its value and no
model event fires. A row changed by the app between the read and the write is
left alone (it was sealed under the app's current key); the count of values
left at the end shows anything missed.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Column, LargeBinary, Table, and_, func, literal, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from safehome import crypto
from safehome.codes import AuditAction
from safehome.models import Base
from safehome.models.base import SealedJSON
from safehome.services import Actor, audit


@dataclass(frozen=True)
class RotationResult:
    key_id: str      # the current key's id (hex), never the key
    resealed: int    # values re-sealed by this run
    batches: int     # transactions committed
    remaining: int   # values still not under the current key (0: the old keys can be dropped)


def sealed_columns() -> Iterator[tuple[Table, list[Column]]]:
    """Every table with sealed columns, and those columns, from the models' metadata."""
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, SealedJSON)]
        if columns:
            yield table, columns


def _stale(column: Column, header: bytes):
    """SQL: the column holds a value that is not sealed under the current key."""
    raw = type_coerce(column, LargeBinary)
    return and_(column.is_not(None), func.substr(raw, 1, len(header)) != literal(header, LargeBinary))


def values_to_reseal(session: Session) -> int:
    """How many sealed values are not under the current key."""
    header = crypto.current_header()
    return sum(session.scalar(select(func.count()).select_from(table).where(_stale(column, header)))
               for table, columns in sealed_columns() for column in columns)


def rotate_data_key(session: Session, actor: Actor, *, batch_size: int = 500, max_batches: int | None = None,
                    progress: Callable[[int], None] | None = None) -> RotationResult:
    """Re-seal every value not under the current key, ``batch_size`` rows a transaction. Commits.

    ``max_batches`` stops after that many batches (a run to be finished later); ``progress`` is
    told how many values each batch re-sealed. A value that opens with no installed key raises
    ``crypto.SealError`` naming its table, column and row (the batches before it stay done).
    The run is audited, with counts and the key id only.
    """
    header = crypto.current_header()
    resealed = batches = 0
    try:
        for table, columns in sealed_columns():
            after = None
            while max_batches is None or batches < max_batches:
                count, after = _reseal_batch(session, table, columns, header, after, batch_size)
                if after is None:
                    break
                session.commit()
                batches += 1
                resealed += count
                if progress is not None:
                    progress(count)
    except crypto.SealError:
        session.rollback()
        _audit(session, actor, f"stopped: a value opens with no installed key; {resealed} values re-sealed")
        session.commit()
        raise
    remaining = values_to_reseal(session)
    _audit(session, actor, f"{resealed} values re-sealed in {batches} batches; {remaining} not under it")
    session.commit()
    return RotationResult(key_id=crypto.current_key_id(), resealed=resealed, batches=batches, remaining=remaining)


def _reseal_batch(session: Session, table: Table, columns: list[Column], header: bytes, after, batch_size: int):
    """Re-seal the next ``batch_size`` rows after key ``after`` that hold a stale value.

    Returns the values re-sealed and the last row's key (None when no row was left).
    """
    (key,) = table.primary_key.columns  # sealed tables have one-column keys, so rows can be paged by them
    query = select(key, *columns).where(or_(*(_stale(column, header) for column in columns)))
    if after is not None:
        query = query.where(key > after)
    rows = session.execute(query.order_by(key).limit(batch_size)).all()
    # Re-sealing changes no fact: columns that stamp every update keep their value.
    unchanged = {column.name: column for column in table.columns if column.onupdate is not None}
    count = 0
    for row in rows:
        stale = {column: row._mapping[column] for column in columns
                 if row._mapping[column] is not None and not row._mapping[column].under_current_key}
        new = {column.name: _reseal(table, column, row[0], value) for column, value in stale.items()}
        # Only if the row still holds what was read: a value the app wrote meanwhile is not overwritten.
        still = [column == value for column, value in stale.items()]
        if session.execute(update(table).where(key == row[0], *still).values(**new, **unchanged)).rowcount:
            count += len(new)
    return count, rows[-1][0] if rows else None


def _reseal(table: Table, column: Column, row_key, value: crypto.Sealed) -> crypto.Sealed:
    try:
        return crypto.reseal(value)
    except crypto.SealError as exc:
        raise crypto.SealError(f"{table.name}.{column.name} of row {row_key}: {exc}") from exc


def _audit(session: Session, actor: Actor, outcome: str) -> None:
    audit.record(session, actor, AuditAction.UPDATE, "data_key", None,
                 f"data key rotation to key id {crypto.current_key_id()}: {outcome}")
