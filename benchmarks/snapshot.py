"""Record the read API's answers to ~150 varied requests, to prove a speed-up changed none.

`python -m benchmarks.snapshot record URL out.json` asks every list filter, page, shape
(`full`, `minimal`, `ndjson`) and single record of the database at URL, in process, with
the response cache off, and keeps each status, content type and body hash;
`python -m benchmarks.snapshot compare a.json b.json` lists the requests whose answers differ.
"""

import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from api.db import make_engine
from api.settings import Settings

cli = typer.Typer(no_args_is_help=True)


def _ids(client: TestClient, path: str, limit: int) -> list[str]:
    contents = client.get(path, params={"per_page": 1000}).json()["contents"]
    return [item["id"] for item in contents][:limit]


def requests_for(client: TestClient, url: str) -> list[str]:
    """Requests that cover every filter and shape, with ids taken from this database."""
    terms = _ids(client, "/v1/taxonomy_terms", 40)
    taxonomies = _ids(client, "/v1/taxonomies", 5)
    organizations = _ids(client, "/v1/organizations", 12)
    services = _ids(client, "/v1/services", 1000)
    picked = services[:: max(1, len(services) // 12)][:12]
    sals = _ids(client, "/v1/service_at_locations", 6)
    words = ["stalking", "helpline", "advice", "paladin", "stalking helpline", "cafe", "!!!",
             "police report", "cyberstalking", "Ash", "leeds advocacy", "zzzz", "Help"]  # fmt: skip
    engine = make_engine(url)
    with engine.connect() as connection:
        surname = connection.execute(
            text("SELECT alternate_name FROM organization WHERE alternate_name IS NOT NULL "
                 "ORDER BY id LIMIT 1")
        ).scalar()  # fmt: skip
    engine.dispose()
    if surname:
        words.append(surname)
    paths = ["/v1/services", "/v1/services?page=2&per_page=5", "/v1/services?per_page=1000",
             "/v1/services?page=3&per_page=7&full=true", "/v1/services?page=9999",
             "/v1/services?minimal=true&per_page=200", "/v1/services?full=true",
             "/v1/services?format=ndjson", "/v1/services?minimal=true&full=true",
             "/v1/services?page=4&per_page=3&minimal=true"]  # fmt: skip
    paths += [f"/v1/services?search={w}" for w in words]
    paths += [f"/v1/services?search={w}&full=true&per_page=5&page=2" for w in words[:4]]
    paths += [f"/v1/services?search={w}&format=ndjson" for w in words[:3]]
    paths += [f"/v1/services?taxonomy_term_id={t}" for t in terms]
    paths += [f"/v1/services?taxonomy_term_id={t}&page=2&per_page=10" for t in terms[:6]]
    paths += [f"/v1/services?taxonomy_term_id={t}&format=ndjson" for t in terms[:3]]
    paths += [f"/v1/services?taxonomy_id={t}&per_page=20&page=3" for t in taxonomies]
    paths += [f"/v1/services?organization_id={o}" for o in organizations]
    paths += [f"/v1/services?organization_id={o}&full=true" for o in organizations[:4]]
    paths += [f"/v1/services?minimum_age={n}" for n in (0, 11, 16, 18, 65)]
    paths += [f"/v1/services?maximum_age={n}&per_page=100" for n in (0, 17, 25, 64, 150)]
    paths += ["/v1/services?minimum_age=16&maximum_age=25",
              "/v1/services?modified_after=2026-01-01T00:00:00Z",
              "/v1/services?modified_after=2025-06-01&minimal=true&per_page=500",
              "/v1/services?modified_after=2024-06-01T00:00:00%2B02:00&page=5",
              f"/v1/services?taxonomy_term_id={terms[0]}&minimum_age=16&search=stalking",
              f"/v1/services?taxonomy_id={taxonomies[0]}&organization_id={organizations[0]}",
              f"/v1/services?taxonomy_term_id={terms[-1]}&maximum_age=25&full=true",
              f"/v1/services?format=ndjson&minimum_age=16&taxonomy_id={taxonomies[-1]}",
              "/v1/services?taxonomy_term_id=00000000-0000-0000-0000-000000000000",
              "/v1/services?per_page=0", "/v1/services?page=0", "/v1/services?minimum_age=x",
              "/v1/services/not-a-uuid", "/v1/services/00000000-0000-0000-0000-000000000000",
              "/v1/service_at_locations", "/v1/service_at_locations?page=2&per_page=3",
              "/v1/service_at_locations?search=stalking",
              f"/v1/service_at_locations?taxonomy_term_id={terms[0]}",
              f"/v1/service_at_locations?organization_id={organizations[0]}"]  # fmt: skip
    paths += [f"/v1/services/{s}" for s in picked]
    paths += [f"/v1/service_at_locations/{s}" for s in sals]
    paths += [f"/v1/organizations/{o}" for o in organizations[:4]]
    return paths


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@cli.command()
def record(url: str, out: Path) -> None:
    """Ask every request of `requests_for` and keep what came back."""
    settings = Settings(database_url=url, response_cache_mb=0, rate_limit_anonymous=0)
    app = create_app(settings)
    client = TestClient(app)
    answers = {}
    for path in requests_for(client, url):
        response = client.get(path)
        answers[path] = {
            "status": response.status_code,
            "type": response.headers.get("content-type"),
            "etag": response.headers.get("etag"),
            "sha256": _digest(response.content),
            "bytes": len(response.content),
        }
    app.state.engine.dispose()
    out.write_text(json.dumps(answers, indent=1), encoding="utf-8")
    typer.echo(f"{len(answers)} requests recorded in {out}")


@cli.command()
def compare(
    before: Path, after: Path, show: Annotated[int, typer.Option(help="Lines to list.")] = 20
) -> None:
    """Exit 1 if any request answered differently."""
    old = json.loads(before.read_text(encoding="utf-8"))
    new = json.loads(after.read_text(encoding="utf-8"))
    differ = [path for path in old if old[path] != new.get(path)]
    missing = [path for path in new if path not in old]
    for path in (differ + missing)[:show]:
        typer.echo(f"differs: {path}\n  {old.get(path)}\n  {new.get(path)}")
    typer.echo(f"{len(old)} requests, {len(differ)} differ, {len(missing)} new")
    raise typer.Exit(1 if differ or missing else 0)


if __name__ == "__main__":
    cli()
