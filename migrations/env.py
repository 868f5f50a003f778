"""Alembic environment: migrates the database named by helpdir's settings."""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from api.db import make_engine
from api.search import is_index_object
from api.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Leave the engines' own search objects (SQLite's FTS5 tables, PostgreSQL's vector
    column and GIN index) out of autogenerate and `alembic check`: migration 0004 makes
    them, not the models."""
    return not is_index_object(name, type_, parent_names.get("table_name"))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # A caller (the CLI, the tests) may hand over a connection; else use DATABASE_URL.
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("helpdir migrations run online only")
run_migrations_online()
