"""`helpdir`: the operator's command line (serve, migrate, seed, check)."""

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from api import migrate as migrations
from api.db import make_engine
from api.settings import get_settings
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


def _report(exc: SeedError) -> None:
    for problem in exc.problems:
        typer.echo(problem, err=True)
    typer.echo(f"seed check failed: {len(exc.problems)} problem(s)", err=True)
    raise typer.Exit(code=1)
