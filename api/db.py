"""The database engine and sessions; SQLite gets the pragmas that make it safe to share."""

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine


def make_engine(
    database_url: str,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 10,
    connect_timeout: int = 5,
) -> Engine:
    """PostgreSQL: a sized pool that checks a connection before handing it out, and that
    gives up (a 503, api/errors.py) rather than hang when the server does not answer."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        connect_args={"connect_timeout": connect_timeout},
    )


def side_engine(engine: Engine) -> Engine:
    """A small engine of its own for checks made on the event loop (the dataset version,
    the rate limiter's key check), in autocommit: they never wait behind the request pool,
    nor hold a transaction open."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return engine  # an in-memory database exists only on the engine that made it
        return make_engine(url.render_as_string(hide_password=False))
    return create_engine(
        url,
        pool_size=1,
        max_overflow=0,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3, "options": "-c statement_timeout=3000"},
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
