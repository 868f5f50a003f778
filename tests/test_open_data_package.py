"""The open data package, out and in: `GET /v1/export/hsds.zip`, `helpdir export` and
`helpdir import`.

The package must validate with `frictionless`, and each HSDS table against the HSDS 3.0
tabular schema; the server's zip is the CLI's, byte for byte, served from a file with a
strong ETag; export -> import into an empty database -> export gives the same CSVs; and a
package with a bad row is refused whole, with the row named. The shared seeded directory is
only read; imports go into fresh databases.
"""

import csv
import io
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frictionless
import pytest
from conftest import SHARED
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select, update
from sqlmodel import Session
from write_helpers import KEEP_EVIDENCE, PALADIN_SERVICE, run_cli

from api.app import create_app
from api.dataset_version import lock_dataset
from api.db import make_engine
from api.open_data.export import iso_datetime
from api.settings import Settings
from models import DatasetState, Guidance, Service

TABULAR = json.loads(
    (SHARED / "hsds" / "3.0" / "schema" / "compiled" / "tabular.json").read_text(encoding="utf-8")
)["properties"]
PUBLIC = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"
IDENTITY = {"Accept-Encoding": "identity"}


def csv_files(package: Path) -> dict[str, bytes]:
    """Every CSV of a zip or folder package, by name, as bytes."""
    if package.suffix == ".zip":
        with zipfile.ZipFile(package) as archive:
            return {n: archive.read(n) for n in archive.namelist() if n.endswith(".csv")}
    return {p.name: p.read_bytes() for p in sorted(package.glob("*.csv"))}


def descriptor(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        return json.loads(archive.read("datapackage.json"))  # type: ignore[no-any-return]


def count(database_url: str, model: Any) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def package(seeded_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded directory exported with `helpdir export --format hsds FILE.zip`."""
    target = tmp_path_factory.mktemp("package") / "helpdir-hsds.zip"
    result = run_cli(seeded_database_url, "export", "--format", "hsds", str(target))
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="module")
def served(
    seeded_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """A client of the seeded directory whose packages go to a folder of this module."""
    settings = Settings(
        database_url=seeded_database_url, export_dir=tmp_path_factory.mktemp("exports")
    )
    app = create_app(settings)
    yield TestClient(app)
    app.state.engine.dispose()


# -- what is in the package ------------------------------------------------------------------


def test_the_package_validates_with_frictionless(package: Path) -> None:
    report = frictionless.validate(str(package))
    errors = report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    assert report.valid, errors[:20]


def test_it_has_the_licence_the_sources_and_when_it_was_made(
    package: Path, seeded_database_url: str
) -> None:
    meta = descriptor(package)
    (licence,) = meta["licenses"]
    assert licence["title"] == "Open Government Licence v3.0"
    assert licence["path"].startswith("https://www.nationalarchives.gov.uk/")
    assert "Buckinghamshire Council" in meta["description"]
    urls = {source["path"] for source in meta["sources"]}
    assert any("buckinghamshire.gov.uk" in url for url in urls), urls
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        changed_at = session.scalar(select(DatasetState.changed_at))
    engine.dispose()
    assert changed_at is not None
    assert meta["created"] == iso_datetime(changed_at)  # when the directory last changed


def _typed(row: dict[str, str], properties: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as the JSON object HSDS's tabular schema describes: empty cells left out,
    numbers as numbers."""
    typed: dict[str, Any] = {}
    for name, value in row.items():
        if value == "":
            continue
        typed[name] = float(value) if properties[name]["type"] == "number" else value
    return typed


def test_each_hsds_table_validates_against_the_hsds_tabular_schema(package: Path) -> None:
    files = csv_files(package)
    hsds = [r for r in descriptor(package)["resources"] if not r["name"].startswith("helpdir_")]
    assert {r["name"] for r in hsds} >= {"organization", "service", "phone", "taxonomy_term"}
    for resource in hsds:
        schema = TABULAR[resource["name"]]["items"]
        assert resource["path"] == schema["path"]  # the file names HSDS gives
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        rows = list(csv.DictReader(io.StringIO(files[resource["path"]].decode("utf-8"))))
        header = [f["name"] for f in resource["schema"]["fields"]]
        assert set(header) <= set(schema["properties"]), resource["name"]  # HSDS names only
        for number, row in enumerate(rows, start=2):
            errors = [e.message for e in validator.iter_errors(_typed(row, schema["properties"]))]
            assert errors == [], (resource["path"], number, errors)
    services = list(csv.DictReader(io.StringIO(files["services.csv"].decode())))
    assert PALADIN_SERVICE in {s["id"] for s in services}


def test_the_extension_tables_are_named_as_such(package: Path) -> None:
    names = {r["name"]: r for r in descriptor(package)["resources"]}
    extensions = {n for n in names if n not in TABULAR}
    assert extensions == {
        "helpdir_reporting_channel",
        "helpdir_guidance",
        "helpdir_source",
        "helpdir_citation",
    }
    for name in extensions:
        assert names[name]["path"].startswith("helpdir_")
        assert names[name]["description"].startswith("Extension (not HSDS)")
    channels = csv_files(package)["helpdir_reporting_channels.csv"].decode()
    call_999 = next(r for r in csv.DictReader(io.StringIO(channels)) if r["number"] == "999")
    assert isinstance(json.loads(call_999["steps"]), list)


# -- served over HTTP --------------------------------------------------------------------------


def test_the_server_sends_the_clis_package_from_a_file_with_a_strong_etag(
    served: TestClient, package: Path
) -> None:
    response = served.get("/v1/export/hsds.zip", headers=IDENTITY)
    assert response.status_code == 200
    assert response.content == package.read_bytes()  # the same data gives the same bytes
    headers = response.headers
    assert headers["content-type"] == "application/zip"
    assert headers["content-length"] == str(len(response.content))
    assert 'filename="helpdir-hsds.zip"' in headers["content-disposition"]
    assert headers["cache-control"] == PUBLIC
    assert headers["access-control-allow-origin"] == "*"
    assert "set-cookie" not in headers
    etag = headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")

    again = served.get("/v1/export/hsds.zip", headers={"Accept-Encoding": "gzip"})
    assert again.content == response.content and again.headers["etag"] == etag
    assert "content-encoding" not in again.headers  # a zip is not gzipped again
    for if_none_match in (etag, f'"0000", {etag}', f"W/{etag}", "*"):
        revalidated = served.get("/v1/export/hsds.zip", headers={"If-None-Match": if_none_match})
        assert revalidated.status_code == 304, if_none_match
        assert revalidated.content == b""
        assert revalidated.headers["etag"] == etag
        assert revalidated.headers["cache-control"] == PUBLIC
    assert served.get("/v1/export/hsds.zip", headers={"If-None-Match": '"0000"'}).content
    part = served.get("/v1/export/hsds.zip", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == b"PK\x03\x04"
    head = served.head("/v1/export/hsds.zip")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


def test_the_api_root_links_to_the_package(served: TestClient) -> None:
    root = served.get("/v1/").json()
    assert root["data_package_url"] == "http://testserver/v1/export/hsds.zip"


def test_a_write_makes_a_new_package_and_the_old_file_goes(
    seeded_engine: Any, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    url = seeded_engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, export_dir=exports))
    try:
        client = TestClient(app)
        before = client.get("/v1/export/hsds.zip")
        assert len(list(exports.glob("*.zip"))) == 1
        with Session(seeded_engine) as session:
            lock_dataset(session)
            session.execute(
                update(Guidance)
                .where(Guidance.id == uuid.UUID(KEEP_EVIDENCE))  # type: ignore[arg-type]
                .values(name="Keep a record of everything")
            )
            session.commit()
        after = client.get("/v1/export/hsds.zip", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
        with zipfile.ZipFile(io.BytesIO(after.content)) as archive:
            assert b"Keep a record of everything" in archive.read("helpdir_guidance.csv")
        with Session(seeded_engine) as session:
            lock_dataset(session)
            session.commit()
        latest = client.get("/v1/export/hsds.zip")
        assert latest.headers["etag"] not in (before.headers["etag"], after.headers["etag"])
        # The current version's file and the one before are kept; older ones go.
        kept = {path.read_bytes() for path in exports.glob("*.zip")}
        assert kept == {after.content, latest.content}
    finally:
        app.state.engine.dispose()


# -- in again: the round trip ----------------------------------------------------------------


def test_export_import_export_gives_the_same_csvs(
    package: Path, migrated_database_url: str, seeded_database_url: str, tmp_path: Path
) -> None:
    imported = run_cli(migrated_database_url, "import", str(package))
    assert imported.exit_code == 0, imported.output
    assert "imported" in imported.stdout
    again = tmp_path / "again"
    exported = run_cli(migrated_database_url, "export", "--format", "hsds", str(again))
    assert exported.exit_code == 0, exported.output

    assert csv_files(again) == csv_files(package)  # byte for byte, every table
    first = descriptor(package)
    second = json.loads((again / "datapackage.json").read_text(encoding="utf-8"))
    assert first["created"] != second["created"]  # the import is a change of its own
    assert {**first, "created": None} == {**second, "created": None}

    # The imported directory reads as the original: records, search and the feed.
    original, copy = app_for_reads(seeded_database_url), app_for_reads(migrated_database_url)
    try:
        for path in (
            f"/v1/services/{PALADIN_SERVICE}",
            "/v1/services?search=stalking%20helpline",
            f"/v1/guidance/{KEEP_EVIDENCE}",
            "/v1/reporting_channels?per_page=1000",
        ):
            assert copy.get(path).json() == original.get(path).json(), path

        # Each record has its `created` entry in the feed, as the seed's have.
        def created(client: TestClient) -> dict[str, Any]:
            feed = client.get("/v1/changes?limit=1000").json()["changes"]
            return {c["resource_id"]: c["record"] for c in feed if c["action"] == "created"}

        assert created(copy) == created(original)
    finally:
        for client in (original, copy):
            client.app.state.engine.dispose()  # type: ignore[attr-defined]


def app_for_reads(database_url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url)))


def test_importing_a_package_with_a_bad_row_changes_nothing_and_names_the_row(
    package: Path, migrated_database_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(broken)
    services = broken / "services.csv"
    rows = list(csv.reader(services.open(encoding="utf-8", newline="")))
    header = rows[0]
    rows[3][header.index("minimum_age")] = "twelve"
    rows[5][header.index("url")] = "not a url"
    with services.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows)
    phones = broken / "phones.csv"
    phones.write_text(
        phones.read_text(encoding="utf-8")
        + "00000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000002,"
        ",,999,,voice,\r\n",
        encoding="utf-8",
    )
    version_before = _version(migrated_database_url)

    result = run_cli(migrated_database_url, "import", str(broken))
    assert result.exit_code == 1
    problems = result.stderr.splitlines()
    assert "service (services.csv), row 4, column minimum_age: " in problems[0]
    assert problems[1].startswith("service (services.csv), row 6, column url: ")
    last_phone = len(phones.read_text(encoding="utf-8").splitlines())
    assert (
        f"phone (phones.csv), row {last_phone}, column service_id: no service has the id "
        "00000000-0000-4000-8000-000000000002"
    ) in problems
    assert problems[-1] == "import refused, nothing written: 3 problem(s)"
    assert count(migrated_database_url, Service) == 0
    assert _version(migrated_database_url) == version_before


def test_importing_ids_that_are_already_there_is_refused(package: Path, seeded_engine: Any) -> None:
    url = seeded_engine.url.render_as_string(hide_password=False)
    version_before = _version(url)
    result = run_cli(url, "import", str(package))
    assert result.exit_code == 1
    assert "service (services.csv), row 2, column id: " in result.stderr
    assert "is already in the database" in result.stderr
    assert _version(url) == version_before


def _version(database_url: str) -> int:
    engine = make_engine(database_url)
    with Session(engine) as session:
        version = session.scalar(select(DatasetState.version)) or 0
    engine.dispose()
    return version


def test_another_publishers_hsds_package_is_imported_with_what_fits(
    migrated_database_url: str, tmp_path: Path
) -> None:
    """HSDS 3.0 tables and columns helpdir does not keep are skipped with a warning."""
    organization, service, address = (str(uuid.uuid4()) for _ in range(3))
    files = {
        "organizations.csv": [
            ["id", "name", "description", "year_incorporated"],
            [organization, "Elsewhere Advice", "Advice in another county.", "1999"],
        ],
        "services.csv": [
            ["id", "organization_id", "name", "status", "fees", "last_modified"],
            [service, organization, "Drop-in advice", "active", "Free", "2025-03-01T10:00:00Z"],
        ],
        "addresses.csv": [["id", "address_1"], [address, "1 High Street"]],
    }
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    for name, rows in files.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)
    resources = [
        {"name": "organization", "path": "organizations.csv"},
        {"name": "service", "path": "services.csv"},
        {"name": "address", "path": "addresses.csv"},
    ]
    (folder / "datapackage.json").write_text(json.dumps({"resources": resources}))

    result = run_cli(migrated_database_url, "import", str(folder / "datapackage.json"))
    assert result.exit_code == 0, result.output
    assert "address: helpdir has no table for it" in result.stderr
    assert "column fees is not kept" in result.stderr
    assert "column year_incorporated is not kept" in result.stderr
    client = app_for_reads(migrated_database_url)
    try:
        record = client.get(f"/v1/services/{service}").json()
        assert record["name"] == "Drop-in advice"
        assert record["organization"]["name"] == "Elsewhere Advice"
        assert record["last_modified"] == "2025-03-01T10:00:00Z"
        assert client.get("/v1/services?search=drop-in").json()["total_items"] == 1
    finally:
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


# -- JSON Lines --------------------------------------------------------------------------------


def test_the_json_lines_dump_has_every_record_as_its_get_shows_it(
    seeded_database_url: str, client: TestClient
) -> None:
    result = run_cli(seeded_database_url, "export", "--format", "ndjson")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        assert set(line) == {"type", "record"}
        by_type.setdefault(line["type"], []).append(line["record"])
    paths = {
        "taxonomy": "taxonomies",
        "taxonomy_term": "taxonomy_terms",
        "organization": "organizations",
        "service": "services",
        "reporting_channel": "reporting_channels",
        "guidance": "guidance",
    }
    assert list(by_type) == list(paths)
    for kind, path in paths.items():
        page = client.get(f"/v1/{path}?per_page=1000").json()
        assert {r["id"] for r in by_type[kind]} == {r["id"] for r in page["contents"]}, kind
        first = by_type[kind][0]
        assert client.get(f"/v1/{path}/{first['id']}").json() == first, kind


def test_export_needs_somewhere_to_write_the_package(seeded_database_url: str) -> None:
    result = run_cli(seeded_database_url, "export", "--format", "hsds")
    assert result.exit_code == 2


def test_import_of_something_that_is_not_there(migrated_database_url: str, tmp_path: Path) -> None:
    assert run_cli(migrated_database_url, "import", str(tmp_path / "nothing.zip")).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(migrated_database_url, "import", str(empty))
    assert result.exit_code == 1
    assert "datapackage.json: not found in the package" in result.stderr
    shutil.rmtree(empty)

    latin = tmp_path / "latin"
    latin.mkdir()
    (latin / "datapackage.json").write_text(
        '{"resources": [{"name": "organization", "path": "organizations.csv"}]}'
    )
    (latin / "organizations.csv").write_bytes(
        "id,name,description\r\nx,Caf\xe9,y\r\n".encode("latin-1")
    )
    result = run_cli(migrated_database_url, "import", str(latin))
    assert result.exit_code == 1
    assert "organization (organizations.csv), row 2: cannot be read" in result.stderr
