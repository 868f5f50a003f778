"""`make bench`: the read API's throughput as a fraction of the ceiling, in one run.

Each case is loaded for the same time, alternating with a bare FastAPI route that sends
the same bytes (benchmarks/ceiling.py) under the same uvicorn, so both see the machine in
the same state. Then a few variants (rate limiter on, response cache off) and how
throughput grows with workers on SQLite and PostgreSQL.
"""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import httpx
import typer

from benchmarks import loadgen
from benchmarks.servers import fresh_database, postgres_reachable, serving

NO_LIMITS = {"RATE_LIMIT_ANONYMOUS": "0", "RATE_LIMIT_KEY": "0"}
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    headers: dict[str, str]
    target: float | None  # the issue's floor for helpdir / ceiling


def cases(base: str) -> list[Case]:
    services = httpx.get(base + "/v1/services").json()["contents"]
    record = f"/v1/services/{services[0]['id']}"
    etag = httpx.get(base + record).headers["etag"]
    return [
        Case("GET /v1/services", "/v1/services", {}, 0.5),
        Case("GET /v1/services/{id}", record, {}, 0.5),
        Case("GET /v1/services?search=…", "/v1/services?search=stalking+advice", {}, None),
        Case("304 revalidation of a service", record, {"If-None-Match": etag}, 0.7),
    ]


def capture(base: str, all_cases: list[Case], into: Path) -> None:
    """The ceiling's bytes: what the app sends for each case (status, body, headers)."""
    bodies = {}
    for number, case in enumerate(all_cases):
        response = httpx.get(base + case.path, headers=case.headers)
        kept = {k: v for k, v in response.headers.items() if k in ("etag", "cache-control")}
        bodies[str(number)] = {
            "status": response.status_code,
            "body": response.text,
            "headers": kept,
        }
    into.write_text(json.dumps(bodies), encoding="utf-8")


def measure(url: str, headers: dict[str, str], seconds: float, connections: int) -> loadgen.Load:
    loadgen.run(url, 1, connections, headers)  # warm-up: caches, connections, JIT-free
    return loadgen.run(url, seconds, connections, headers)


def main(
    seconds: Annotated[float, typer.Option(help="Seconds of load per measurement.")] = 5,
    connections: Annotated[int, typer.Option(help="Open connections during load.")] = 32,
    scaling: Annotated[bool, typer.Option(help="Also measure 1 and 2 workers per engine.")] = True,
) -> None:
    typer.echo(f"load generator: {loadgen.tool()}, {connections} connections, {seconds:g} s each")
    sqlite_url = fresh_database("sqlite")
    app_env = {"DATABASE_URL": sqlite_url, **NO_LIMITS}
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        bodies = Path(scratch) / "bodies.json"
        with serving("api.main:app", 1, app_env) as app:
            all_cases = cases(app)
            capture(app, all_cases, bodies)
            with serving("benchmarks.ceiling:app", 1, {"CEILING_BODIES": str(bodies)}) as top:
                ceilings: dict[str, float] = {}
                for number, case in enumerate(all_cases):
                    ours = measure(app + case.path, case.headers, seconds, connections)
                    best = measure(f"{top}/ceiling/{number}", {}, seconds, connections)
                    ceilings[case.path + str(case.headers)] = best.requests_per_second
                    rows.append(_row(case, ours, best.requests_per_second))
        rows += _variants(all_cases, ceilings, sqlite_url, seconds, connections)

    typer.echo("\nOne worker, SQLite, seed data; ceiling = bare FastAPI route, same bytes\n")
    typer.echo("| case | helpdir req/s | ceiling req/s | ratio | target | p50 ms | p99 ms |")
    typer.echo("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    typer.echo("\n".join(rows))
    if scaling:
        _scaling(all_cases, sqlite_url, seconds, connections)


def _row(case: Case, ours: loadgen.Load, ceiling: float) -> str:
    ratio = ours.requests_per_second / ceiling
    target = f"≥ {case.target:g}×" if case.target else "—"
    verdict = "" if case.target is None else (" ✓" if ratio >= case.target else " ✗")
    errors = f" ({ours.non_2xx_3xx} errors)" if ours.non_2xx_3xx else ""
    return (
        f"| {case.name}{errors} | {ours.requests_per_second:,.0f} | {ceiling:,.0f} | "
        f"{ratio:.2f}×{verdict} | {target} | {ours.p50_ms:.2f} | {ours.p99_ms:.2f} |"
    )


def _variants(
    all_cases: list[Case], ceilings: dict[str, float], url: str, seconds: float, connections: int
) -> list[str]:
    """The same cases with the limiter counting every request, and with no response cache."""
    unlimited = {"RATE_LIMIT_ANONYMOUS": "1000000000", "RATE_LIMIT_KEY": "0"}
    variants = [
        ("rate limiter on, database store", all_cases[1], unlimited),
        ("rate limiter on, Redis store", all_cases[1], {**unlimited, "REDIS_URL": REDIS_URL}),
        ("response cache off", all_cases[0], {**NO_LIMITS, "RESPONSE_CACHE_MB": "0"}),
    ]
    rows = []
    for label, case, env in variants:
        if "REDIS_URL" in env and not _redis_reachable():
            continue
        with serving("api.main:app", 1, {"DATABASE_URL": url, **env}) as app:
            ours = measure(app + case.path, case.headers, seconds, connections)
        ceiling = ceilings[case.path + str(case.headers)]
        shown = Case(f"{case.name}, {label}", case.path, case.headers, None)
        rows.append(_row(shown, ours, ceiling))
    return rows


def _scaling(all_cases: list[Case], sqlite_url: str, seconds: float, connections: int) -> None:
    engines = [("SQLite", sqlite_url)]
    if postgres_reachable():
        engines.append(("PostgreSQL", fresh_database("postgresql")))
    typer.echo("\nWorkers (WEB_CONCURRENCY) on each engine, req/s (p99 ms)\n")
    typer.echo("| engine | workers | " + " | ".join(c.name for c in all_cases[:2]) + " |")
    typer.echo("| --- | ---: | ---: | ---: |")
    for label, url in engines:
        for workers in (1, 2):
            with serving("api.main:app", workers, {"DATABASE_URL": url, **NO_LIMITS}) as app:
                loads = [
                    measure(app + case.path, case.headers, seconds, connections)
                    for case in all_cases[:2]
                ]
            shown = " | ".join(
                f"{load.requests_per_second:,.0f} ({load.p99_ms:.1f})" for load in loads
            )
            typer.echo(f"| {label} | {workers} | {shown} |")


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


if __name__ == "__main__":
    typer.run(main)
