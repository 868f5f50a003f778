"""Where the rate limiter counts: Redis when REDIS_URL is set, else the database.

Both are shared by every process, so a limit holds however many workers or machines serve
the API. Counts are kept per (hashed client, window) and expire with their window.
"""

from typing import Protocol

import redis
from sqlalchemy import Engine, delete, event
from sqlalchemy.dialects import postgresql, sqlite

from api.db import make_engine
from api.settings import Settings
from models import RateLimitWindow

STORE_TIMEOUT_SECONDS = 0.25  # a slow store must not stall every request behind it


class LimitStore(Protocol):
    def hit(self, client: str, window_start: int, window: int, count: int = 1) -> int:
        """Count `count` requests; return the client's count in this window so far."""
        ...


class RedisStore:
    def __init__(self, url: str) -> None:
        self.redis = redis.Redis.from_url(
            url,
            socket_timeout=STORE_TIMEOUT_SECONDS,
            socket_connect_timeout=STORE_TIMEOUT_SECONDS,
        )

    def hit(self, client: str, window_start: int, window: int, count: int = 1) -> int:
        key = f"helpdir:rate:{window_start}:{client}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.incrby(key, count)
        pipe.expire(key, window + 1)
        hits, _ = pipe.execute()
        return int(hits)


class DatabaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        insert = postgresql.insert if self.postgres else sqlite.insert
        table = RateLimitWindow.__table__
        statement = insert(table)
        self.upsert = statement.on_conflict_do_update(
            index_elements=[table.c.client, table.c.window_start],
            set_={"hits": table.c.hits + statement.excluded.hits},
        ).returning(table.c.hits)
        self.swept_before = 0

    def hit(self, client: str, window_start: int, window: int, count: int = 1) -> int:
        with self.engine.begin() as connection:
            if self.postgres:
                # A lost count after a crash is harmless; waiting for the disk is not.
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            hits = connection.execute(
                self.upsert, {"client": client, "window_start": window_start, "hits": count}
            ).scalar_one()
            if window_start > self.swept_before:
                connection.execute(
                    delete(RateLimitWindow).where(
                        RateLimitWindow.window_start < window_start  # type: ignore[arg-type]
                    )
                )
                self.swept_before = window_start
        return int(hits)


def database_store(database_url: str, app_engine: Engine) -> DatabaseStore:
    """Its own engine: counting must not wait for a slow write, nor fsync on SQLite."""
    if database_url in ("sqlite://", "sqlite:///:memory:"):
        return DatabaseStore(app_engine)  # a second engine would see another database
    engine = make_engine(database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _quick_sqlite)
    return DatabaseStore(engine)


def _quick_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute(f"PRAGMA busy_timeout={int(STORE_TIMEOUT_SECONDS * 1000)}")
    cursor.close()


def store_for(settings: Settings, app_engine: Engine) -> LimitStore | None:
    if not (settings.rate_limit_anonymous or settings.rate_limit_key):
        return None
    if settings.redis_url:
        return RedisStore(settings.redis_url)
    return database_store(settings.database_url, app_engine)
