"""`helpdir`: the operator's command line (serve, migrate, seed, check, reindex, export,
import, keys)."""

import sys
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session, select

from api import migrate as migrations
from api.dataset_version import lock_dataset
from api.db import make_engine
from api.keys import create_key, revoke_key
from api.open_data.export import write_json_lines, write_package
from api.open_data.importer import ImportFailed, import_package
from api.search import rebuild_search_index
from api.settings import get_settings
from models import ApiKey, Organization
from models.api_key import Role
from seed.loader import load_seed
from seed.reader import DATA_DIR, SeedError, read_seed

app = typer.Typer(
    help="helpdir: an open-data directory of stalking and harassment help.", no_args_is_help=True
)

DataDir = Annotated[Path, typer.Option(help="Folder of seed YAML files.")]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PORT")] = None,
    workers: Annotated[int | None, typer.Option(help="Default: WEB_CONCURRENCY")] = None,
) -> None:
    """Serve the API with uvicorn."""
    settings = get_settings()
    uvicorn.run(
        "api.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.web_concurrency,
        access_log=False,  # access logs would record who looked up what
        proxy_headers=True,
    )


@app.command()
def migrate(revision: str = "head") -> None:
    """Bring the database schema up to date (Alembic upgrade)."""
    migrations.upgrade(get_settings().database_url, revision)
    typer.echo(f"database migrated to {revision}")


@app.command()
def check(data_dir: DataDir = DATA_DIR) -> None:
    """Validate the seed files without touching the database."""
    try:
        bundle = read_seed(data_dir)
    except SeedError as exc:
        _report(exc)
    services = sum(len(o.services) for o in bundle.organizations)
    typer.echo(
        f"seed ok: {len(bundle.organizations)} organisations, {services} services, "
        f"{len(bundle.reporting_channels)} reporting channels, {len(bundle.guidance)} guidance, "
        f"{len(bundle.taxonomies)} taxonomies, {len(bundle.sources)} sources"
    )


@app.command()
def seed(data_dir: DataDir = DATA_DIR) -> None:
    """Insert the seed records that are missing; existing records are never overwritten."""
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            inserted = load_seed(session, data_dir)
    except SeedError as exc:
        _report(exc)
    finally:
        engine.dispose()
    total = sum(inserted.values())
    detail = ", ".join(f"{n} {table}" for table, n in sorted(inserted.items()))
    typer.echo(f"seed loaded: {total} new rows" + (f" ({detail})" if detail else ""))


@app.command()
def reindex() -> None:
    """Rebuild search (documents, postings, prefix counts) and the taxonomy filters'
    filings from the records, e.g. after editing the database behind the API's back;
    writes wait meanwhile."""
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            lock_dataset(session)  # writers wait; caches see a new version
            rebuild_search_index(session)
            session.commit()
    finally:
        engine.dispose()
    typer.echo("search and filings rebuilt")


def _report(exc: SeedError) -> None:
    for problem in exc.problems:
        typer.echo(problem, err=True)
    typer.echo(f"seed check failed: {len(exc.problems)} problem(s)", err=True)
    raise typer.Exit(code=1)


class ExportFormat(StrEnum):
    hsds = "hsds"
    ndjson = "ndjson"


@app.command()
def export(
    target: Annotated[
        Path | None,
        typer.Argument(
            help="hsds: a folder, or a file ending .zip. ndjson: a file (default: stdout)."
        ),
    ] = None,
    format: Annotated[ExportFormat, typer.Option(help="hsds or ndjson")] = ExportFormat.hsds,
) -> None:
    """Write the published directory: the HSDS 3.0 tabular data package (CSVs and
    datapackage.json, docs/open-data.md), or every record as JSON Lines."""
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            if format == ExportFormat.ndjson:
                if target is None or str(target) == "-":
                    count = write_json_lines(session, sys.stdout.buffer)
                    sys.stdout.flush()
                    return
                with target.open("wb") as out:
                    count = write_json_lines(session, out)
                typer.echo(f"wrote {count} records to {target}", err=True)
                return
            if target is None:
                typer.echo("give a folder or a .zip file to write the package to", err=True)
                raise typer.Exit(code=2)
            counts = write_package(session, target)
    finally:
        engine.dispose()
    detail = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
    typer.echo(f"wrote the HSDS package to {target}: {detail}", err=True)


@app.command("import")
def import_(
    package: Annotated[
        Path, typer.Argument(help="The data package: a .zip, a folder, or its datapackage.json.")
    ],
) -> None:
    """Load an HSDS 3.0 tabular data package, ids kept. Every row is checked first; if any
    is invalid, every problem is listed and nothing is written."""
    if not package.exists():
        typer.echo(f"{package}: no such file or folder", err=True)
        raise typer.Exit(code=2)
    engine = make_engine(get_settings().database_url)
    try:
        report = import_package(engine, package)
    except ImportFailed as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"import refused, nothing written: {len(exc.problems)} problem(s)", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    detail = ", ".join(f"{n} {table}" for table, n in report.counts.items() if n)
    typer.echo(f"imported {sum(report.counts.values())} rows ({detail})")


keys = typer.Typer(help="API keys for partners and administrators.", no_args_is_help=True)
app.add_typer(keys, name="keys")


@keys.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin or partner")],
    name: Annotated[str, typer.Option(help="Who holds the key; shown in history.")],
    organization: Annotated[
        str | None, typer.Option("--organization", help="A partner's organisation id.")
    ] = None,
) -> None:
    """Make a key and print it once (the last line). Only its hash is stored."""
    if (role == Role.partner) != (organization is not None):
        typer.echo("a partner key needs --organization; an admin key takes none", err=True)
        raise typer.Exit(code=2)
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            organization_id = uuid.UUID(organization) if organization else None
            if organization_id and session.get(Organization, organization_id) is None:
                typer.echo(f"no organisation has the id {organization_id}", err=True)
                raise typer.Exit(code=1)
            record, secret = create_key(session, name, role, organization_id)
            typer.echo(f"created {role.value} key {record.id} for {name!r}; it is shown once:")
            typer.echo(secret)
    except ValueError:
        typer.echo(f"not an organisation id: {organization!r}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()


@keys.command("list")
def keys_list() -> None:
    """Every key: id, role, organisation, name, and whether it is revoked. No secrets."""
    engine = make_engine(get_settings().database_url)
    with Session(engine) as session:
        for key in session.exec(select(ApiKey).order_by(ApiKey.created_at)):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(
                f"{key.id}  {key.role:<7}  {key.organization_id or '-'}  {state}  {key.name}"
            )
    engine.dispose()


@keys.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (from keys list).")],
) -> None:
    """Revoke a key; it is refused from the next request on."""
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            if not revoke_key(session, uuid.UUID(key_id)):
                typer.echo(f"no key has the id {key_id}", err=True)
                raise typer.Exit(code=1)
        typer.echo(f"revoked {key_id}")
    except ValueError:
        typer.echo(f"not a key id: {key_id!r}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()
