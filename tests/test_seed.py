"""Seeding: idempotent and insert-only, stable ids, and clear errors for broken seed files
(through `read_seed` and through the `helpdir check` / `helpdir seed` commands)."""

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.dataset_version import lock_dataset
from api.db import make_engine
from api.settings import Settings, get_settings
from models import Citation, Guidance, Phone, Service  # (and every table on the metadata)
from models.base import stable_id
from seed.loader import load_seed
from seed.reader import DATA_DIR, SeedError, read_seed

HELPLINE = "national-stalking-helpline"
HELPLINE_ORG = "suzy-lamplugh-trust"
ORG_FILE = f"organizations/{HELPLINE_ORG}.yaml"

# Every list endpoint and the detail endpoint of its records.
COLLECTIONS = (
    "services",
    "service_at_locations",
    "organizations",
    "taxonomies",
    "taxonomy_terms",
    "reporting_channels",
    "guidance",
)


def _client(engine: Engine) -> TestClient:
    url = engine.url.render_as_string(hide_password=False)
    return TestClient(create_app(Settings(database_url=url), engine=engine))


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
            if table.name != "dataset_state"  # one bookkeeping row, there from the migration
        }


def _primary_keys(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: {tuple(row) for row in conn.execute(select(*table.primary_key.columns))}
            for table in SQLModel.metadata.sorted_tables
        }


def _api_snapshot(client: TestClient) -> dict[str, Any]:
    """Every record the API shows: each list in full, and each record by id."""
    snapshot: dict[str, Any] = {"/v1/": client.get("/v1/").json()}
    for collection in COLLECTIONS:
        listing = client.get(f"/v1/{collection}", params={"per_page": 1000})
        assert listing.status_code == 200
        snapshot[f"/v1/{collection}"] = listing.json()
        for item in listing.json()["contents"]:
            record = client.get(f"/v1/{collection}/{item['id']}")
            assert record.status_code == 200
            snapshot[f"/v1/{collection}/{item['id']}"] = record.json()
    return snapshot


def _reseed(engine: Engine, data_dir: Path = DATA_DIR) -> dict[str, int]:
    with Session(engine) as session:
        return dict(load_seed(session, data_dir))


# --- idempotence, edits, deletions, stable ids ---------------------------------------------


def test_seeding_again_inserts_nothing_and_changes_nothing(seeded_engine: Engine) -> None:
    client = _client(seeded_engine)
    counts, snapshot = _row_counts(seeded_engine), _api_snapshot(client)
    assert counts["service"] > 0 and counts["reporting_channel"] > 0

    assert _reseed(seeded_engine) == {}

    assert _row_counts(seeded_engine) == counts
    assert _api_snapshot(client) == snapshot


def test_a_record_edited_in_the_database_survives_reseeding(seeded_engine: Engine) -> None:
    service_id = stable_id("service", HELPLINE)
    with Session(seeded_engine) as session:
        service = session.get(Service, service_id)
        assert service is not None and service.phones
        service.description = "Edited by a partner: open late on Thursdays."
        service.phones[0].description = "Edited: the main line."
        phone_id = service.phones[0].id
        session.add(service)
        session.commit()
    counts = _row_counts(seeded_engine)

    assert _reseed(seeded_engine) == {}

    body = _client(seeded_engine).get(f"/v1/services/{service_id}").json()
    assert body["description"] == "Edited by a partner: open late on Thursdays."
    phone = next(p for p in body["phones"] if p["id"] == str(phone_id))
    assert phone["description"] == "Edited: the main line."
    assert _row_counts(seeded_engine) == counts


def test_a_seed_record_deleted_from_the_database_comes_back_on_reseeding(
    seeded_engine: Engine,
) -> None:
    """Documented behaviour (docs/seed-format.md): the seed inserts whatever record is
    missing, so a seed record deleted from the database reappears, same id, on the next
    `helpdir seed`. (Retiring through the API keeps the row, so retired records stay retired.)"""
    client = _client(seeded_engine)
    guidance_id = stable_id("guidance", "keep-evidence")
    guidance_before = client.get(f"/v1/guidance/{guidance_id}").json()
    counts = _row_counts(seeded_engine)
    with Session(seeded_engine) as session:
        lock_dataset(session)  # as any direct edit must, so cached reads see it
        cited = session.exec(select(Citation).where(Citation.guidance_id == guidance_id)).all()
        citations = len(cited)
        session.execute(delete(Citation).where(Citation.guidance_id == guidance_id))  # type: ignore[arg-type]
        session.execute(delete(Guidance).where(Guidance.id == guidance_id))  # type: ignore[arg-type]
        session.commit()
    assert client.get(f"/v1/guidance/{guidance_id}").status_code == 404

    assert _reseed(seeded_engine) == {"guidance": 1, "citation": citations}

    assert _row_counts(seeded_engine) == counts
    guidance_after = client.get(f"/v1/guidance/{guidance_id}").json()
    # Re-inserted now, so only its last_modified differs.
    guidance_after.pop("last_modified"), guidance_before.pop("last_modified")
    assert guidance_after == guidance_before


def test_a_part_removed_from_an_existing_record_stays_removed(seeded_engine: Engine) -> None:
    """A record's phones are part of the record: once it exists the seed never touches them,
    so a number removed from a service (say, one that stopped working) does not come back."""
    client = _client(seeded_engine)
    service_id = stable_id("service", HELPLINE)
    phone_id = uuid.UUID(client.get(f"/v1/services/{service_id}").json()["phones"][0]["id"])
    with Session(seeded_engine) as session:
        lock_dataset(session)
        session.execute(delete(Phone).where(Phone.id == phone_id))  # type: ignore[arg-type]
        session.commit()

    assert _reseed(seeded_engine) == {}

    assert client.get(f"/v1/services/{service_id}").json().get("phones", []) == []


def test_ids_are_the_same_in_separately_seeded_databases(
    seeded_engine: Engine, seeded_database_url: str
) -> None:
    other = make_engine(seeded_database_url)
    try:
        assert _primary_keys(seeded_engine) == _primary_keys(other)
    finally:
        other.dispose()


def test_published_ids_never_change(seeded_engine: Engine) -> None:
    # Ids printed in the README and given to partners: a change here breaks their links.
    client = _client(seeded_engine)
    service = client.get("/v1/services/9624df9b-27db-548d-8409-8a8ff35a7f0a")
    assert service.status_code == 200 and service.json()["name"] == "National Stalking Helpline"
    paladin = client.get("/v1/organizations/e75828cd-6d8a-5121-b4b6-f1120b87f64f")
    assert paladin.status_code == 200 and "Paladin" in paladin.json()["name"]


# --- broken seed files ---------------------------------------------------------------------


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A private copy of the real seed data, to break."""
    return Path(shutil.copytree(DATA_DIR, tmp_path / "data"))


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _helpline(org: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in org["services"] if s["slug"] == HELPLINE)  # type: ignore[no-any-return]


def _set(record: dict[str, Any], key: str, value: Any) -> None:
    record[key] = value


# (file, how it is broken, fragments one problem line must contain, how many problems)
BREAKAGES: dict[str, tuple[str, Callable[[Any], None], tuple[str, ...], int]] = {
    "bad phone number": (
        ORG_FILE,
        lambda org: _set(_helpline(org)["phones"][0], "number", "12345"),
        (f"service '{HELPLINE}'", "field services.0.phones.0.number", "UK phone number"),
        1,
    ),
    "unknown taxonomy term": (
        ORG_FILE,
        lambda org: _helpline(org)["taxonomy_terms"].append("service-type/no-such-term"),
        (f"service '{HELPLINE}'", "field taxonomy_terms.", "unknown term"),
        1,
    ),
    "unknown source key": (
        ORG_FILE,
        lambda org: _set(org["sources"][0], "source", "S999"),
        (f"slug '{HELPLINE_ORG}'", "field sources.0.source", "unknown source 'S999'"),
        1,
    ),
    "missing required name": (
        "guidance.yaml",
        lambda items: items[0].pop("name"),
        ("slug 'what-stalking-is'", "field name:", "required"),
        1,
    ),
    "unknown field (typo)": (
        ORG_FILE,
        lambda org: _set(_helpline(org), "descripton", "A typo for description."),
        (f"service '{HELPLINE}'", "field services.0.descripton", "not permitted"),
        1,
    ),
    "channel naming another organisation's service": (
        "reporting_channels.yaml",
        lambda channels: _set(channels[0], "service", HELPLINE),
        ("slug 'emergency-999-call'", "field service:", "not a service of"),
        1,
    ),
    "control character in a description": (
        "guidance.yaml",
        lambda items: _set(items[0], "description", "Ring the bell \x07 twice."),
        ("slug 'what-stalking-is'", "field description:", "control characters"),
        1,
    ),
    "non-http URL": (
        ORG_FILE,
        lambda org: _set(org, "website", "javascript:alert(1)"),
        (f"slug '{HELPLINE_ORG}'", "field website:", "http(s) URL"),
        1,
    ),
    "ftp URL on a service": (
        ORG_FILE,
        lambda org: _set(_helpline(org), "url", "ftp://example.org/helpline"),
        (f"service '{HELPLINE}'", "field services.0.url:", "http(s) URL"),
        1,
    ),
    "taxonomy terms that are their own parents": (
        "taxonomies.yaml",
        # reporting -> emergency-reporting -> reporting: loading this once hung forever.
        lambda taxonomies: _set(taxonomies[0]["terms"][0], "parent", "emergency-reporting"),
        ("slug 'service-type'", "field terms.0.parent", "its own ancestor"),
        2,
    ),
}


@pytest.mark.parametrize("case", list(BREAKAGES), ids=list(BREAKAGES))
def test_a_broken_seed_file_gives_an_error_naming_file_record_and_field(
    case: str, seed_copy: Path
) -> None:
    relative, breakage, fragments, count = BREAKAGES[case]
    path = seed_copy / relative
    _edit(path, breakage)

    with pytest.raises(SeedError) as raised:
        read_seed(seed_copy)

    problems = raised.value.problems
    assert any(p.startswith(f"{path}: ") and all(f in p for f in fragments) for p in problems), (
        f"no problem names {path}, {fragments}:\n" + "\n".join(problems)
    )
    assert len(problems) == count, "\n".join(problems)


def test_invalid_yaml_is_reported_once_with_its_line(seed_copy: Path) -> None:
    path = seed_copy / "sources.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    broken_line = next(i for i, line in enumerate(lines) if line.startswith("  title:"))
    lines[broken_line] = "  title: [an unclosed list"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(SeedError) as raised:
        read_seed(seed_copy)

    # Only the file's own error: not a cascade of "unknown source" for every citation.
    (problem,) = raised.value.problems
    assert problem.startswith(f"{path}: not valid YAML")
    assert f"line {broken_line + 1}" in problem or f"line {broken_line + 2}" in problem


def test_a_missing_seed_file_is_reported_not_a_crash(seed_copy: Path) -> None:
    (seed_copy / "guidance.yaml").unlink()
    with pytest.raises(SeedError) as raised:
        read_seed(seed_copy)
    assert raised.value.problems == [
        f"{seed_copy / 'guidance.yaml'}: cannot be read: " + "No such file or directory"
    ]


# --- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def cli_database(migrated_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL pointing the CLI at a migrated, empty database."""
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    get_settings.cache_clear()  # settings are read once per process
    yield migrated_database_url
    get_settings.cache_clear()


def _count_rows(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        return _row_counts(engine)
    finally:
        engine.dispose()


def _break_phone(seed_copy: Path) -> Path:
    path = seed_copy / ORG_FILE
    _edit(path, BREAKAGES["bad phone number"][1])
    return path


def test_cli_check_passes_on_the_real_seed() -> None:
    bundle = read_seed()
    services = sum(len(o.services) for o in bundle.organizations)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith(
        f"seed ok: {len(bundle.organizations)} organisations, {services} services"
    )


def test_cli_check_fails_with_the_problem_on_stderr(seed_copy: Path) -> None:
    path = _break_phone(seed_copy)
    result = CliRunner().invoke(cli, ["check", "--data-dir", str(seed_copy)])
    assert result.exit_code == 1
    assert f"{path}: slug '{HELPLINE_ORG}': service '{HELPLINE}'" in result.stderr
    assert "field services.0.phones.0.number" in result.stderr
    assert "seed check failed: 1 problem(s)" in result.stderr
    assert "seed ok" not in result.stdout


def test_cli_seed_loads_then_finds_nothing_new(cli_database: str) -> None:
    first = CliRunner().invoke(cli, ["seed"])
    assert first.exit_code == 0, first.output
    counts = _count_rows(cli_database)
    # The search index, the taxonomy filters' filings and the change feed's baseline
    # entries are derived, not seed records, so the report leaves them out.
    derived = ("search_document", "search_posting", "search_prefix", "service_filing", "change")
    records = {t: n for t, n in counts.items() if t not in derived and n}
    assert counts["search_document"] > 0
    assert counts["service_filing"] > 0
    assert counts["search_posting"] > 0
    assert counts["search_prefix"] > 0
    assert counts["change"] == sum(
        counts[t]
        for t in ("organization", "service", "guidance", "reporting_channel", "taxonomy_term")
    )
    assert f"seed loaded: {sum(records.values())} new rows (" in first.stdout
    assert f"{records['service']} service," in first.stdout

    second = CliRunner().invoke(cli, ["seed"])
    assert second.exit_code == 0, second.output
    assert second.stdout.strip() == "seed loaded: 0 new rows"
    assert _count_rows(cli_database) == counts


def test_cli_seed_with_a_broken_file_writes_nothing(cli_database: str, seed_copy: Path) -> None:
    path = _break_phone(seed_copy)
    before = _count_rows(cli_database)
    assert set(before.values()) == {0}

    result = CliRunner().invoke(cli, ["seed", "--data-dir", str(seed_copy)])

    assert result.exit_code == 1
    assert f"{path}: slug '{HELPLINE_ORG}'" in result.stderr
    assert _count_rows(cli_database) == before


def test_a_seed_that_fails_half_way_writes_nothing(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fail after every row has been flushed, just before the commit: one transaction.
    def fail(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("seed.loader.index_service", fail)
    result = CliRunner().invoke(cli, ["seed"])
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert set(_count_rows(cli_database).values()) == {0}
