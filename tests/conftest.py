"""Fixtures: a migrated, seeded database (SQLite, or PostgreSQL when TEST_DATABASE_URL is
set) shared by read-only tests, and fresh empty databases for tests that write."""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api import migrate
from api.app import create_app
from api.db import make_engine
from api.settings import Settings
from seed.loader import load_seed

# The suite sends thousands of requests from one client; tests of the limiter turn it on.
os.environ.setdefault("RATE_LIMIT_ANONYMOUS", "0")
os.environ.setdefault("RATE_LIMIT_KEY", "0")
# Built data packages go to a scratch directory, not the checkout's var/exports.
os.environ.setdefault("EXPORT_DIR", tempfile.mkdtemp(prefix="helpdir-exports-"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"


def _new_database_url(tmp_dir: Path, template: str | None = None) -> str:
    """A new database: empty, or a copy of `template` (a database made by this module)."""
    if not POSTGRES_URL:
        path = tmp_dir / f"{uuid.uuid4().hex}.db"
        if template is not None:
            source = Path(make_url(template).database or "")
            shutil.copyfile(source, path)
            wal = source.with_name(source.name + "-wal")  # none once its engine is disposed
            if wal.exists():
                shutil.copyfile(wal, path.with_name(path.name + "-wal"))
        return f"sqlite:///{path}"
    name = f"helpdir_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    if not POSTGRES_URL:
        return
    name = make_url(url).database
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new database with no tables, dropped after the test."""
    url = _new_database_url(tmp_path)
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per run; tests get copies (much faster than migrating each time)."""
    url = _new_database_url(tmp_path_factory.mktemp("templates"))
    migrate.upgrade(url)
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def seeded_template(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: str
) -> Iterator[str]:
    url = _new_database_url(tmp_path_factory.mktemp("templates"), migrated_template)
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed(session)
    engine.dispose()  # closes every connection: SQLite folds its WAL back into the file
    yield url
    _drop_database(url)


@pytest.fixture
def migrated_database_url(tmp_path: Path, migrated_template: str) -> Iterator[str]:
    """A fresh database at the head migration, with no data."""
    url = _new_database_url(tmp_path, migrated_template)
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def seeded_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated, seeded database shared by every read-only test."""
    url = _new_database_url(tmp_path_factory.mktemp("db"))
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed(session)
    engine.dispose()
    yield url
    _drop_database(url)


def app_for(database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url))


@pytest.fixture(scope="session")
def app(seeded_database_url: str) -> Iterator[FastAPI]:
    application = app_for(seeded_database_url)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def client(app: FastAPI) -> TestClient:
    """A client of the seeded, read-only directory. Tests using it must not write."""
    return TestClient(app)


@pytest.fixture
def seeded_engine(tmp_path: Path, seeded_template: str) -> Iterator[Engine]:
    """A private seeded database for a test that changes data (a copy of the template)."""
    url = _new_database_url(tmp_path, seeded_template)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    _drop_database(url)
