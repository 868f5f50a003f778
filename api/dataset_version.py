"""The published directory's version: bumped first by every write, read by every cached GET."""

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlalchemy.pool import PoolProxiedConnection
from sqlmodel import Session

from api.db import side_engine
from models import DatasetState
from models.base import utcnow

_READ_SQL = "SELECT version, changed_at, previous_changed_at FROM dataset_state WHERE id = 1"


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    number: int
    changed_at: datetime
    # Last-Modified has whole seconds. If the version before this one changed within the
    # same second, a client's If-Modified-Since cannot tell the two apart, so it must not
    # get a 304 from the date alone (If-None-Match is always exact).
    date_tells_versions_apart: bool = True


def lock_dataset(session: Session) -> None:
    """Bump the version as the transaction's first statement. The row lock this takes makes
    writers take turns, so a reader that sees version N also sees every change before it."""
    bumped = session.execute(
        update(DatasetState)
        .where(DatasetState.id == 1)  # type: ignore[arg-type]
        .values(
            version=DatasetState.version + 1,
            previous_changed_at=DatasetState.changed_at,
            changed_at=utcnow(),
        )
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        # Only a schema made without the migrations (create_all) lacks the row.
        session.add(DatasetState(id=1, version=1))
        session.flush()
    session.info["dataset_locked_by"] = session.get_transaction()


def holds_dataset_lock(session: Session) -> bool:
    transaction = session.get_transaction()
    return transaction is not None and session.info.get("dataset_locked_by") is transaction


class VersionReader:
    """Reads the version on a DBAPI connection of its own, kept open, in autocommit: a
    cached read neither waits behind the request pool nor holds a transaction open. Used
    from the event loop only, so never by two requests at once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = side_engine(engine)
        self.errors = self.engine.dialect.loaded_dbapi.Error
        self.connection: PoolProxiedConnection | None = None
        self.last: DatasetVersion | None = None

    def read(self) -> DatasetVersion:
        """Raises DatabaseUnavailable when the database does not answer."""
        for attempt in (1, 2):  # a connection the server dropped gets one fresh retry
            try:
                return self._read()
            except self.errors as error:
                self._drop()
                if attempt == 2:
                    raise DatabaseUnavailable from error
        raise AssertionError("unreachable")

    def _read(self) -> DatasetVersion:
        if self.connection is None:
            self.connection = self.engine.raw_connection()
        cursor = self.connection.cursor()
        try:
            cursor.execute(_READ_SQL)
            number, changed_at, previous = cursor.fetchone()
        finally:
            cursor.close()
        if self.last is None or self.last.number != number:
            changed = _as_utc(changed_at)
            distinct = previous is None or _as_utc(previous).replace(
                microsecond=0
            ) < changed.replace(microsecond=0)
            self.last = DatasetVersion(number, changed, distinct)
        return self.last

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.invalidate()
            self.connection = None


class DatabaseUnavailable(Exception):
    pass


def _as_utc(changed_at: datetime | str) -> datetime:
    if isinstance(changed_at, str):  # SQLite stores text
        changed_at = datetime.fromisoformat(changed_at)
    if changed_at.tzinfo is None:
        changed_at = changed_at.replace(tzinfo=UTC)
    return changed_at
