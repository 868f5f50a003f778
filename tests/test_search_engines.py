"""Search gives the same results, in the same order, on SQLite (FTS5) and PostgreSQL (GIN
over a tsvector): every query runs on both engines in one run when PostgreSQL is reachable
(TEST_DATABASE_URL, or the local default), against a database of its own."""

import json
import os
import string
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from write_helpers import MERGE_PATCH, make_key

from api import migrate
from api.app import create_app
from api.db import make_engine
from api.settings import Settings
from models.api_key import Role
from models.base import stable_id
from seed.loader import load_seed

POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ENGINES = ["sqlite", "postgresql"]


def _ids(*slugs: str) -> list[str]:
    return [str(stable_id("service", slug)) for slug in slugs]


PALADIN_ADVOCACY = "paladin-stalking-advocacy"
PALADIN_YOUNG = "paladin-young-persons-isac"
HELPLINE = "national-stalking-helpline"
SUZY_SAFETY = "suzy-lamplugh-trust-personal-safety-advice"
POLICE_999 = "thames-valley-police-emergency"
POLICE_101 = "thames-valley-police-non-emergency"
POLICE_ADVICE = "thames-valley-police-stalking-advice"
THAMES_VALLEY = "thames-valley-stalking-service"
HOLLIE_GUARD = "hollie-guard-app"
GET_SAFE = "get-safe-online-advice"
COUNCIL = "buckinghamshire-council-community-safety-team"

# Every query with the full ordered list of services it finds in the seed data: a word in
# the service's name beats one in another name (alternate, organisation), which beats a
# taxonomy term, which beats a description; a whole word counts double a prefix (except
# in descriptions); ties go by name, then id.
PINNED: dict[str, list[str]] = {
    "paladin": [PALADIN_ADVOCACY, PALADIN_YOUNG],
    "stalking": [
        HELPLINE,
        POLICE_ADVICE,
        PALADIN_ADVOCACY,
        THAMES_VALLEY,
        PALADIN_YOUNG,
        COUNCIL,
        POLICE_101,
        POLICE_999,
        SUZY_SAFETY,
    ],
    "helpline": [HELPLINE, SUZY_SAFETY, PALADIN_ADVOCACY],
    "police": [POLICE_999, POLICE_101, POLICE_ADVICE, THAMES_VALLEY],
    "advice": [GET_SAFE, SUZY_SAFETY, POLICE_ADVICE, COUNCIL, HELPLINE, PALADIN_ADVOCACY],
    "safety": [COUNCIL, GET_SAFE, SUZY_SAFETY, HOLLIE_GUARD, POLICE_999, HELPLINE],
    "trust": [HOLLIE_GUARD, HELPLINE, SUZY_SAFETY, POLICE_999, POLICE_101, POLICE_ADVICE],
    "victims": [PALADIN_ADVOCACY, THAMES_VALLEY, PALADIN_YOUNG],
    "pal": [PALADIN_ADVOCACY, PALADIN_YOUNG],
    "stalk": [
        HELPLINE,
        POLICE_ADVICE,
        PALADIN_ADVOCACY,
        THAMES_VALLEY,
        PALADIN_YOUNG,
        COUNCIL,
        POLICE_101,
        POLICE_999,
        SUZY_SAFETY,
    ],
    "help": [HELPLINE, POLICE_999, SUZY_SAFETY, POLICE_ADVICE, PALADIN_ADVOCACY, THAMES_VALLEY],
    "adv": [
        GET_SAFE,
        SUZY_SAFETY,
        POLICE_ADVICE,
        PALADIN_ADVOCACY,
        PALADIN_YOUNG,
        THAMES_VALLEY,
        COUNCIL,
        POLICE_999,
        HELPLINE,
        POLICE_101,
    ],
    "e": [POLICE_999, POLICE_101, COUNCIL, HOLLIE_GUARD, SUZY_SAFETY, POLICE_ADVICE, THAMES_VALLEY],
    "stalking helpline": [HELPLINE, PALADIN_ADVOCACY, SUZY_SAFETY],
    "police emergency": [POLICE_999, POLICE_101, POLICE_ADVICE],
    "personal safety": [SUZY_SAFETY, COUNCIL, HOLLIE_GUARD, HELPLINE],
    "thames valley police": [POLICE_999, POLICE_101, THAMES_VALLEY, POLICE_ADVICE],
    "suzy lamplugh trust": [HELPLINE, SUZY_SAFETY, POLICE_999, POLICE_101, POLICE_ADVICE],
    "stalking advocacy": [PALADIN_ADVOCACY, THAMES_VALLEY, PALADIN_YOUNG],
    "PALADIN": [PALADIN_ADVOCACY, PALADIN_YOUNG],
    "Páladin": [PALADIN_ADVOCACY, PALADIN_YOUNG],
    "SÜZY LAMPLUGH": [HELPLINE, SUZY_SAFETY, POLICE_999, POLICE_101, POLICE_ADVICE],
    "Thamés Vàlley": [THAMES_VALLEY, POLICE_999, POLICE_101, POLICE_ADVICE],
    "Aurora New Dawn": [THAMES_VALLEY],
    "Hollie Gazzard": [HOLLIE_GUARD],
    "Get Safe Online": [GET_SAFE, POLICE_999],
    "Buckinghamshire Council": [COUNCIL],
    "professionals referral": [PALADIN_ADVOCACY, THAMES_VALLEY],
    "textphone users": [POLICE_999],
    "general public": [POLICE_999, HOLLIE_GUARD, POLICE_101, GET_SAFE, SUZY_SAFETY, POLICE_ADVICE],
    "young people": [PALADIN_YOUNG],
    "high-risk": [PALADIN_ADVOCACY, PALADIN_YOUNG],
    "non-emergency": [POLICE_101],
    "16-25": [PALADIN_YOUNG],
    "Suzy's": [HELPLINE, SUZY_SAFETY, POLICE_ADVICE, POLICE_999, POLICE_101],
    "person's": [PALADIN_YOUNG, SUZY_SAFETY, COUNCIL, HELPLINE, HOLLIE_GUARD],
    "you're": [POLICE_999, POLICE_101, PALADIN_ADVOCACY, HOLLIE_GUARD, HELPLINE, POLICE_ADVICE],
    "999": [POLICE_999, POLICE_101, POLICE_ADVICE],
    "101": [POLICE_101, POLICE_999, POLICE_ADVICE],
    "1986": [HELPLINE, SUZY_SAFETY],
    "18000": [POLICE_999],
    "2013": [PALADIN_ADVOCACY, PALADIN_YOUNG],
    "tactical": [POLICE_999, POLICE_101, POLICE_ADVICE],
    "panicguard": [HOLLIE_GUARD],
    "confidential": [HELPLINE],
    "xylophone": [],
    "stalking xylophone": [],
    "café": [],
    "!!!": [],
}


def _new_database(engine: str, tmp_dir: Path) -> str | None:
    """A new empty database of this engine; None when PostgreSQL cannot be reached."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_dir / f'{uuid.uuid4().hex}.db'}"
    admin = create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"helpdir_search_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    finally:
        admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    if url.startswith("sqlite"):
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def seeded_app(engine: str, tmp_dir: Path) -> Iterator[FastAPI]:
    """An app on a new, migrated and seeded database of this engine (skips the test when
    PostgreSQL is not reachable)."""
    url = _new_database(engine, tmp_dir)
    if url is None:
        pytest.skip("PostgreSQL is not reachable")
    try:
        migrate.upgrade(url)
        db = make_engine(url)
        with Session(db) as session:
            load_seed(session)
        db.dispose()
        app = create_app(Settings(database_url=url))
        yield app
        app.state.engine.dispose()
    finally:
        _drop(url)


@pytest.fixture(scope="module", params=ENGINES)
def engine_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """A read-only client of a seeded database of each engine."""
    with seeded_app(request.param, tmp_path_factory.mktemp("search")) as app:
        yield TestClient(app)


def found(client: TestClient, query: str, path: str = "/v1/services") -> list[str]:
    response = client.get(path, params={"search": query, "per_page": 1000})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total_items"] == len(page["contents"])
    return [item["id"] for item in page["contents"]]


def test_there_are_enough_pinned_queries() -> None:
    assert len(PINNED) >= 30


@pytest.mark.parametrize("query", list(PINNED))
def test_search_finds_the_pinned_services_in_order(engine_client: TestClient, query: str) -> None:
    assert found(engine_client, query) == _ids(*PINNED[query])


@pytest.mark.parametrize("query", list(PINNED))
def test_service_at_locations_follow_the_same_order(engine_client: TestClient, query: str) -> None:
    order = {service_id: i for i, service_id in enumerate(_ids(*PINNED[query]))}
    response = engine_client.get(
        "/v1/service_at_locations", params={"search": query, "per_page": 1000}
    )
    assert response.status_code == 200, response.text
    ranks = [order[item["service_id"]] for item in response.json()["contents"]]
    assert ranks == sorted(ranks)
    assert set(ranks) <= set(order.values())


# Every one- and two-character prefix of the seed's words, and more shapes of input: the
# engines must agree on all of them, not only on the pinned ones.
EXTRA = [
    *string.ascii_lowercase,
    *string.digits,
    *(a + b for a in "aehlnpst" for b in "aeilorstu"),
    "stalking advocacy helpline",
    "s s s",
    "ISAC 16",
    "2010 1986",
    "’",
    "_",
    "%",
    "a%",
    '"stalking"',
    "stalking*",
    "stalking OR police",
    "NEAR(stalking police)",
    "police:*",
    "police & !stalking",
    "x" * 200,
]


def test_sqlite_and_postgresql_agree(tmp_path_factory: pytest.TempPathFactory) -> None:
    results: dict[str, list[list[str]]] = {}
    for engine in ENGINES:
        with seeded_app(engine, tmp_path_factory.mktemp("agree")) as app:
            client = TestClient(app)
            results[engine] = [found(client, query) for query in [*PINNED, *EXTRA]]
    assert results["sqlite"] == results["postgresql"]
    assert any(results["sqlite"]), "the comparison found nothing at all"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_write_is_searchable_at_once_and_retiring_removes_it(engine: str, tmp_path: Path) -> None:
    with seeded_app(engine, tmp_path) as app:
        client = TestClient(app)
        admin = make_key(app.state.engine, "search test", Role.admin)
        path = f"/v1/services/{_ids(PALADIN_YOUNG)[0]}"
        assert found(client, "Zephyrine") == []

        etag = client.get(path).headers["etag"]
        patch = {"name": "Zéphyrine youth advocacy"}
        headers = {**admin.headers, "If-Match": etag, "Content-Type": MERGE_PATCH}
        response = client.patch(path, content=json.dumps(patch), headers=headers)
        assert response.status_code == 200, response.text

        for query in ("Zephyrine", "zéphy", "ZEPHYRINE youth", "paladin zephyr"):
            assert found(client, query) == _ids(PALADIN_YOUNG), query
        # ranked as a name now: with the other "advocacy" name, then by name
        assert found(client, "advocacy")[:2] == _ids(PALADIN_ADVOCACY, PALADIN_YOUNG)
        assert found(client, "paladin") == _ids(PALADIN_ADVOCACY, PALADIN_YOUNG)

        etag = client.get(path).headers["etag"]
        response = client.delete(path, headers={**admin.headers, "If-Match": etag})
        assert response.status_code == 204, response.text
        assert found(client, "Zephyrine") == []
        assert found(client, "paladin") == _ids(PALADIN_ADVOCACY)

        # Retiring deleted the document, so a search-only count can read the index alone.
        with app.state.engine.connect() as conn:
            documents = conn.execute(
                text(
                    "SELECT count(*) FROM search_document d JOIN service s ON s.id = d.service_id"
                    " WHERE s.retired_at IS NOT NULL"
                )
            ).scalar()
        assert documents == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_service_retired_behind_the_apis_back_is_not_counted(engine: str, tmp_path: Path) -> None:
    """A document left by a service retired without reindexing (before retiring deleted
    it, or by a bulk load) must still be left out of the index-only search count."""
    with seeded_app(engine, tmp_path) as app:
        client = TestClient(app)  # no search before the update: the response cache
        with app.state.engine.begin() as conn:
            conn.execute(
                text("UPDATE service SET retired_at = :at WHERE name = :name"),
                {
                    "at": "2024-01-01 00:00:00",
                    "name": client.get(f"/v1/services/{_ids(PALADIN_YOUNG)[0]}").json()["name"],
                },
            )
        assert found(client, "paladin") == _ids(PALADIN_ADVOCACY)  # found() checks the count
        assert found(client, "paladin advocacy") == _ids(PALADIN_ADVOCACY)
