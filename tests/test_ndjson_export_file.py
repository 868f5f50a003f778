"""The unfiltered `GET /v1/services?format=ndjson`: the first request of a dataset version
streams live and keeps what it sent as a file under `EXPORT_DIR` (and a gzip of it, for
clients that accept gzip); later ones are sent from disk, the same bytes.

Any filter keeps the live stream. A write makes the next request build a new file (with a
new ETag) and the old files go as the HSDS package's do (api/open_data/served.py).
"""

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from write_helpers import PALADIN, PALADIN_SERVICE, Env, make_env, new_record

from api.app import create_app
from api.open_data.served import PackageFiles
from api.queries.services import ServiceFilters
from api.routes.services import _stream
from api.settings import Settings

EXPORT = "/v1/services?format=ndjson"
PUBLIC = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"
IDENTITY = {"Accept-Encoding": "identity"}


def ndjson_files(exports: Path) -> list[Path]:
    return sorted(exports.glob("services-*.ndjson"))


def gzip_files(exports: Path) -> list[Path]:
    return sorted(exports.glob("services-*.ndjson.gz"))


def live_bytes(app: FastAPI) -> bytes:
    """What the streamed export gives for every service, read now."""
    return b"".join(_stream(app.state.engine, ServiceFilters()))


def raw_get(
    client: httpx.Client, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (httpx would otherwise un-gzip it)."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


@pytest.fixture
def served(seeded_database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """A client of the shared seeded directory (only read) with its own export folder."""
    exports = tmp_path / "exports"
    app = create_app(Settings(database_url=seeded_database_url, export_dir=exports))
    yield TestClient(app), exports
    app.state.engine.dispose()


@pytest.fixture
def env(seeded_engine: Engine, tmp_path: Path) -> tuple[Env, Path]:
    """An app on a private seeded database, with keys, and its own export folder."""
    exports = tmp_path / "exports"
    return make_env(seeded_engine, export_dir=exports), exports


def test_the_full_export_is_the_live_streams_bytes_sent_from_a_file(
    served: tuple[TestClient, Path],
) -> None:
    client, exports = served
    assert ndjson_files(exports) == []
    # The first request streams live, at once, and keeps what it streamed as the file.
    with client.stream("GET", EXPORT, headers=IDENTITY) as first:
        assert first.status_code == 200
        assert "content-length" not in first.headers and "etag" not in first.headers
        body = first.read()
    assert body == live_bytes(client.app)  # type: ignore[arg-type]
    assert body.count(b"\n") == client.get("/v1/services").json()["total_items"] > 0
    (built,) = ndjson_files(exports)
    assert built.read_bytes() == body
    assert gzip.decompress(gzip_files(exports)[0].read_bytes()) == body

    response = client.get(EXPORT, headers=IDENTITY)  # from the file
    assert response.status_code == 200
    assert response.content == body

    headers = response.headers
    assert headers["content-type"] == "application/x-ndjson"
    assert headers["content-length"] == str(len(body))
    assert "content-disposition" not in headers  # shown inline, as the stream was
    assert headers["cache-control"] == PUBLIC
    assert headers["access-control-allow-origin"] == "*"
    page = client.get("/v1/services", headers=IDENTITY)
    assert headers["last-modified"] == page.headers["last-modified"]  # the directory's
    etag = headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert etag != page.headers["etag"]

    zipped, raw = raw_get(client, EXPORT, {"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] == etag
    assert zipped.headers["cache-control"] == PUBLIC
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(raw) == body
    assert gzip_files(exports) == [built.with_name(built.name + ".gz")]
    assert raw == gzip_files(exports)[0].read_bytes()  # gzipped once, when it was built
    assert zipped.headers["content-length"] == str(len(raw))
    refused, plain = raw_get(client, EXPORT, {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers and plain == body


def test_a_second_get_is_the_same_file_and_if_none_match_gives_304(
    served: tuple[TestClient, Path],
) -> None:
    client, exports = served
    client.get(EXPORT, headers=IDENTITY)  # streamed, and kept
    first = client.get(EXPORT, headers=IDENTITY)
    (built,) = ndjson_files(exports)
    # Marked on disk: only a response read from this file can carry the mark.
    built.write_bytes(built.read_bytes() + b'{"mark":"from the file"}\n')
    again = client.get(EXPORT, headers=IDENTITY)
    assert again.headers["etag"] == first.headers["etag"]
    assert again.content == first.content + b'{"mark":"from the file"}\n'
    assert ndjson_files(exports) == [built]  # not built again

    etag = first.headers["etag"]
    for if_none_match in (etag, f'"0000", {etag}', f"W/{etag}", "*"):
        revalidated = client.get(EXPORT, headers={"If-None-Match": if_none_match})
        assert revalidated.status_code == 304, if_none_match
        assert revalidated.content == b""
        assert revalidated.headers["etag"] == etag
        assert revalidated.headers["cache-control"] == PUBLIC
        assert revalidated.headers["access-control-allow-origin"] == "*"
    other = client.get(EXPORT, headers={**IDENTITY, "If-None-Match": '"0000"'})
    assert other.status_code == 200 and other.content == again.content
    head = client.head(EXPORT)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


def test_a_filtered_export_is_streamed_live_not_sent_from_the_file(
    served: tuple[TestClient, Path],
) -> None:
    client, exports = served
    whole = client.get(EXPORT, headers=IDENTITY).content
    (built,) = ndjson_files(exports)
    # A filter that every service passes: the same lines, but read live, not from the file.
    built.write_bytes(b"")
    with client.stream(
        "GET", EXPORT + "&modified_after=2000-01-01T00:00:00Z", headers=IDENTITY
    ) as everything:
        assert everything.status_code == 200
        assert "content-length" not in everything.headers  # streamed
        assert "etag" not in everything.headers
        assert everything.headers["cache-control"] == PUBLIC
        assert everything.read() == whole
    paladin = client.get(f"{EXPORT}&organization_id={PALADIN}", headers=IDENTITY)
    records = [json.loads(line) for line in paladin.content.splitlines()]
    assert records and {r["organization_id"] for r in records} == {PALADIN}
    assert len(records) < whole.count(b"\n")
    assert ndjson_files(exports) == [built]  # no file of its own


def test_a_write_shows_at_once_with_a_new_etag_and_old_files_go(
    env: tuple[Env, Path],
) -> None:
    directory, exports = env
    client = directory.client
    client.get("/v1/export/hsds.zip")  # the other kind of file, in the same folder
    client.get(EXPORT, headers=IDENTITY)  # streamed, and kept
    before = client.get(EXPORT, headers=IDENTITY)
    assert len(ndjson_files(exports)) == 1

    created = directory.create("service", new_record("service", "ndjson file"), directory.admin)
    assert created.status_code == 201, created.text
    live = client.get(EXPORT, headers={**IDENTITY, "If-None-Match": before.headers["etag"]})
    assert live.status_code == 200 and "etag" not in live.headers  # streamed, and kept
    after = client.get(EXPORT, headers={**IDENTITY, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.content == live.content
    assert after.headers["etag"] != before.headers["etag"]
    ids = [json.loads(line)["id"] for line in after.content.splitlines()]
    assert created.json()["id"] in ids
    assert len(ids) == before.content.count(b"\n") + 1
    assert after.content == live_bytes(client.app)  # type: ignore[arg-type]

    path = f"/v1/services/{PALADIN_SERVICE}"
    updated = directory.update(path, {"name": "Paladin advocacy, renamed"}, directory.admin)
    assert updated.status_code == 200, updated.text
    assert "etag" not in client.get(EXPORT, headers=IDENTITY).headers  # streamed, and kept
    latest = client.get(EXPORT, headers=IDENTITY)
    assert latest.headers["etag"] not in (before.headers["etag"], after.headers["etag"])
    assert b'"name":"Paladin advocacy, renamed"' in latest.content
    # The current version's file and the one before are kept; older ones go, and the HSDS
    # package's file is not theirs to delete.
    assert {f.read_bytes() for f in ndjson_files(exports)} == {after.content, latest.content}
    assert gzip_files(exports) == [f.with_name(f.name + ".gz") for f in ndjson_files(exports)]
    assert len(list(exports.glob("hsds-*.zip"))) == 1

    keyed = client.get(EXPORT, headers={**IDENTITY, **directory.admin.headers})
    assert keyed.content == latest.content
    assert keyed.headers["cache-control"] == "private, no-store"


def test_a_stream_that_a_write_overtakes_is_not_kept(env: tuple[Env, Path]) -> None:
    directory, exports = env
    files = PackageFiles(
        directory.engine, exports, name="services", suffix=".ndjson", gzipped=True
    )  # as the route makes it, so its files are the ones the route finds

    def chunks() -> Iterator[bytes]:
        yield b'{"id":"read before the write"}\n'
        created = directory.create("service", new_record("service", "overtakes"), directory.admin)
        assert created.status_code == 201, created.text
        yield b'{"id":"read after it"}\n'

    sent = b"".join(files.tee(chunks()))
    assert sent.count(b"\n") == 2  # the client still gets every byte
    assert ndjson_files(exports) == [] and gzip_files(exports) == []
    assert not list(exports.glob(".building-*"))
    assert files.ready() is None
    # Nothing was kept, so the next request streams (and keeps) the new version.
    with directory.client.stream("GET", EXPORT, headers=IDENTITY) as response:
        assert "etag" not in response.headers
        assert b"overtakes" in response.read()
    assert len(ndjson_files(exports)) == 1
    assert files.ready() is not None


def test_a_first_stream_to_a_gzip_client_sends_the_files_gzip_as_it_is_made(
    served: tuple[TestClient, Path],
) -> None:
    client, exports = served
    first, raw = raw_get(client, EXPORT, {"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    assert first.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in first.headers["vary"].lower()
    assert "content-length" not in first.headers and "etag" not in first.headers  # streamed
    assert gzip.decompress(raw) == live_bytes(client.app)  # type: ignore[arg-type]
    # Gzipped once, for the client and the file alike.
    (kept,) = gzip_files(exports)
    assert kept.read_bytes() == raw
    assert ndjson_files(exports)[0].read_bytes() == gzip.decompress(raw)
    again, raw_again = raw_get(client, EXPORT, {"Accept-Encoding": "gzip"})
    assert again.headers["etag"] and raw_again == raw
