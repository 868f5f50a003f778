"""Alembic migrations on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL):
they build exactly the schema the models describe, undo cleanly and can be run again."""

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect, select, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from api import migrate
from api.app import create_app
from api.cli import app as cli
from api.db import make_engine
from api.search import is_index_object
from api.settings import Settings, get_settings
from seed.loader import load_seed

MODEL_TABLES = set(SQLModel.metadata.tables)


@pytest.fixture
def engine_for(empty_database_url: str) -> Iterator[Engine]:
    """An engine on the (initially empty) test database, disposed after the test."""
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    """Tables, less the engine's own search index (e.g. SQLite's FTS5 tables)."""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
    return {name for name in names if not is_index_object(name, "table")}


def _schema_drift(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                # as migrations/env.py: the search index objects are not in the models
                "include_name": lambda name, type_, parents: (
                    not is_index_object(name, type_, parents.get("table_name"))
                ),
            },
        )
        return list(compare_metadata(context, SQLModel.metadata))


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(select(func.count()).select_from(text(table))).scalar_one()
            for table in sorted(MODEL_TABLES)
        }


def _head(database_url: str) -> str | None:
    return ScriptDirectory.from_config(migrate.alembic_config(database_url)).get_current_head()


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_there_is_one_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migration branches need merging: {heads}"


def test_upgrade_head_on_an_empty_database_creates_every_model_table(
    empty_database_url: str, engine_for: Engine
) -> None:
    assert _tables(engine_for) == set()
    migrate.upgrade(empty_database_url)
    assert _tables(engine_for) == MODEL_TABLES | {"alembic_version"}
    assert _revision(engine_for) == _head(empty_database_url)


def test_migrated_schema_matches_the_models(empty_database_url: str, engine_for: Engine) -> None:
    migrate.upgrade(empty_database_url)
    assert _schema_drift(engine_for) == [], "models and migrations differ: add a migration"
    # The same through Alembic's own command and migrations/env.py (raises on any diff).
    command.check(migrate.alembic_config(empty_database_url))


def test_migrated_columns_have_the_models_collations(
    empty_database_url: str, engine_for: Engine
) -> None:
    """Alembic does not compare collations, so this does: a column compared byte by byte
    in the models (search words and prefixes, on PostgreSQL) is so in the database, or a
    prefix's words would not be one index range under another collation."""
    dialect = engine_for.dialect
    if dialect.name != "postgresql":
        pytest.skip("SQLite compares text byte by byte: the models name no collation there")
    migrate.upgrade(empty_database_url)
    modelled = {
        (table.name, column.name): collation
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if (collation := getattr(column.type.dialect_impl(dialect), "collation", None))
    }
    assert modelled[("search_prefix", "prefix")] == "C"
    with engine_for.connect() as conn:
        inspector = inspect(conn)
        migrated = {
            (table, column["name"]): getattr(column["type"], "collation", None)
            for table in {table for table, _ in modelled}
            for column in inspector.get_columns(table)
        }
    assert {key: migrated[key] for key in modelled} == modelled


def test_downgrade_base_removes_every_table(empty_database_url: str, engine_for: Engine) -> None:
    migrate.upgrade(empty_database_url)
    migrate.downgrade(empty_database_url, "base")
    # Alembic keeps its bookkeeping table, empty: the database is at no revision.
    assert _tables(engine_for) == {"alembic_version"}
    assert _revision(engine_for) is None
    with engine_for.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 0


def test_round_trip_upgrade_downgrade_upgrade_gives_a_working_schema(
    empty_database_url: str, engine_for: Engine
) -> None:
    migrate.upgrade(empty_database_url)
    migrate.downgrade(empty_database_url, "base")
    migrate.upgrade(empty_database_url)
    assert _tables(engine_for) == MODEL_TABLES | {"alembic_version"}
    assert _schema_drift(engine_for) == []
    with Session(engine_for) as session:
        assert load_seed(session)["service"] > 0
    client = TestClient(create_app(Settings(database_url=empty_database_url), engine=engine_for))
    response = client.get("/v1/services")
    assert response.status_code == 200
    assert response.json()["total_items"] > 0


def test_upgrading_an_up_to_date_database_changes_nothing(seeded_engine: Engine) -> None:
    url = seeded_engine.url.render_as_string(hide_password=False)
    before = _row_counts(seeded_engine)
    assert before["service"] > 0
    migrate.upgrade(url)
    assert _row_counts(seeded_engine) == before
    assert _revision(seeded_engine) == _head(url)


def test_cli_migrate_uses_database_url(
    empty_database_url: str, engine_for: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["migrate"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "migrated to head" in result.output
    assert _tables(engine_for) == MODEL_TABLES | {"alembic_version"}


REVISIONS = [
    script.revision
    for script in ScriptDirectory.from_config(migrate.alembic_config("")).walk_revisions()
]


@pytest.mark.parametrize("revision", REVISIONS)
def test_every_revision_upgrades_to_head_and_back(
    revision: str, empty_database_url: str, engine_for: Engine
) -> None:
    """A database left at any earlier release reaches head, undoes to base, and returns."""
    migrate.upgrade(empty_database_url, revision)
    assert _revision(engine_for) == revision
    migrate.upgrade(empty_database_url)
    assert _revision(engine_for) == _head(empty_database_url)
    assert _schema_drift(engine_for) == []
    migrate.downgrade(empty_database_url, revision)
    assert _revision(engine_for) == revision
    migrate.downgrade(empty_database_url, "base")
    assert _tables(engine_for) <= {"alembic_version"}
    migrate.upgrade(empty_database_url)
    assert _tables(engine_for) == MODEL_TABLES | {"alembic_version"}


def test_the_dataset_version_row_comes_with_the_migration(migrated_database_url: str) -> None:
    engine = make_engine(migrated_database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, version FROM dataset_state")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(1, 1)]
