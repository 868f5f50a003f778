"""While the database is unreachable the API answers 503 problems, quickly, and it recovers
by itself when the database is back; /healthz stays up and /readyz says not ready."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from tcp_proxy import TcpProxy

from api.app import create_app
from api.settings import Settings

PROBLEM = "application/problem+json"
READS = ["/v1/services", "/v1/organizations?per_page=3", "/v1/reporting_channels"]


def _assert_unavailable(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == 503
    assert "Traceback" not in response.text


def test_a_database_that_cannot_be_opened_gives_503_not_500(tmp_path: Path) -> None:
    # A directory is not a database file: SQLite cannot open it.
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}"))
    client = TestClient(app, raise_server_exceptions=False)
    for path in READS:
        _assert_unavailable(client.get(path))
    assert client.get("/healthz").status_code == 200
    _assert_unavailable(client.get("/readyz"))
    app.state.engine.dispose()


@pytest.fixture
def proxied(seeded_engine: Engine) -> Iterator[tuple[TestClient, TcpProxy]]:
    url = seeded_engine.url
    if url.get_backend_name() != "postgresql":
        pytest.skip("a network outage needs a database over the network (TEST_DATABASE_URL)")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    through = make_url(url.render_as_string(hide_password=False)).set(
        host="127.0.0.1", port=proxy.port
    )
    app = create_app(Settings(database_url=through.render_as_string(hide_password=False)))
    try:
        yield TestClient(app, raise_server_exceptions=False), proxy
    finally:
        proxy.cut()
        app.state.engine.dispose()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_postgres_going_away_gives_503_then_recovers(
    proxied: tuple[TestClient, TcpProxy],
) -> None:
    client, proxy = proxied
    before = {path: client.get(path) for path in READS}
    assert all(response.status_code == 200 for response in before.values())
    assert client.get("/readyz").status_code == 200

    proxy.cut()
    for path in [*READS, "/v1/services?search=stalking", "/v1/taxonomies"]:
        _assert_unavailable(client.get(path))
    assert client.get("/healthz").status_code == 200
    _assert_unavailable(client.get("/readyz"))

    proxy.start()
    for path, response in before.items():
        again = client.get(path)
        assert again.status_code == 200
        assert again.content == response.content
    assert client.get("/readyz").status_code == 200
