"""Figures on a synthetic directory of 100,000 services (benchmarks/synthetic.py).

`python -m benchmarks.scale [--engine sqlite|postgresql|both]` serves the scale database
with one uvicorn worker, the response cache and rate limits off, so every request does its
real work; asks distinct requests of each kind one at a time (latency, not throughput);
then reads the full NDJSON export twice, the first time after the server starts (the live
stream, which keeps its file, in a new `EXPORT_DIR`) and again (sent from that file), and reads the
server's peak memory from /proc for each. It prints a markdown table per engine with the
targets beside the figures. Targets are reported, never asserted: the machine is shared
and the figures are noisy.
"""

import random
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import httpx
import typer
from sqlalchemy import text

from api.compression import GZIP_LEVEL
from api.db import make_engine
from benchmarks import synthetic
from benchmarks.servers import postgres_reachable, serving

SERVER_ENV = {"RESPONSE_CACHE_MB": "0", "RATE_LIMIT_ANONYMOUS": "0", "RATE_LIMIT_KEY": "0"}


@dataclass(frozen=True)
class Case:
    name: str
    paths: list[str]
    target_ms: float | None  # the p95 target


@dataclass(frozen=True)
class Figures:
    p50_ms: float
    p95_ms: float
    requests: int
    errors: int


@dataclass(frozen=True)
class Sample:
    """Ids and words drawn from the database, so every request names something real."""

    rare_words: list[str]
    term_ids: list[str]
    taxonomy_ids: list[str]
    organization_ids: list[str]
    service_ids: list[str]


def sample(url: str, rng: random.Random) -> Sample:
    engine = make_engine(url)
    with engine.connect() as connection:

        def ids(sql: str) -> list[str]:
            return [str(row[0]) for row in connection.execute(text(sql))]

        # A made-up surname names a handful of organisations: a rare word.
        rare = ids(
            "SELECT DISTINCT alternate_name FROM organization WHERE alternate_name IS NOT NULL "
            "ORDER BY alternate_name"
        )
        sample_ = Sample(
            rare_words=rng.sample(rare, min(40, len(rare))),
            term_ids=ids("SELECT id FROM taxonomy_term WHERE retired_at IS NULL ORDER BY id"),
            taxonomy_ids=ids("SELECT id FROM taxonomy ORDER BY id"),
            organization_ids=rng.sample(ids("SELECT id FROM organization ORDER BY id"), 60),
            service_ids=rng.sample(ids("SELECT id FROM service ORDER BY id"), 60),
        )
    engine.dispose()
    # SQLite keeps UUIDs as 32 hex digits; the API speaks the dashed form.
    return Sample(
        **{
            key: [_dashed(v) for v in values] if key != "rare_words" else values
            for key, values in sample_.__dict__.items()
        }
    )


def _dashed(value: str) -> str:
    import uuid

    return str(uuid.UUID(value))


# Medium words occur in about one service in fifty; common ones in nearly all.
MEDIUM_WORDS = ["cyberstalking", "injunction", "tracker", "doorstep", "workplace", "housing",
                "spyware", "refuge", "relocation", "parenting", "passwords", "banking",
                "commuting", "nightlife", "translation", "autism", "veterans", "carers",
                "students", "neighbours"]  # fmt: skip
COMMON_WORDS = ["stalking", "support", "help", "police", "safety", "advice", "harassment",
                "confidential", "evidence", "services"]  # fmt: skip
TWO_WORDS = ["stalking advocacy", "leeds helpline", "court support", "online safety",
             "york counselling", "legal advice", "peer support", "oxford stalking",
             "bristol advice", "safety planning", "text support", "derby refuge"]  # fmt: skip


def cases(s: Sample, total_services: int, rng: random.Random) -> list[Case]:
    last_page = -(-total_services // 50)
    ages = [f"minimum_age={n}" for n in (5, 11, 16, 18, 21, 30, 50, 65)]
    ages += [f"maximum_age={n}" for n in (12, 17, 18, 25, 40, 64, 80, 120)]
    combined = [
        f"taxonomy_term_id={rng.choice(s.term_ids)}&{rng.choice(ages)}&page={rng.randint(1, 5)}"
        for _ in range(30)
    ]
    combined += [f"taxonomy_id={t}&minimum_age=16&maximum_age=25" for t in s.taxonomy_ids]
    return [
        Case("search, rare word", [f"search={w}" for w in s.rare_words], 50),
        Case("search, medium word", [f"search={w}" for w in MEDIUM_WORDS], 50),
        Case(
            "search, common word",
            [f"search={w}&page={p}" for w in COMMON_WORDS for p in (1, 7, 40)],
            50,
        ),
        Case("search, two words", [f"search={w}" for w in TWO_WORDS], 50),
        Case(
            "filter: taxonomy term",
            [f"taxonomy_term_id={t}&page={p}" for t in s.term_ids for p in (1, 3)],
            20,
        ),
        Case("filter: organisation", [f"organization_id={o}" for o in s.organization_ids], 20),
        Case("filter: age", [f"{a}&page={p}" for a in ages for p in (1, 2, 9)], 20),
        Case("filter: combined", combined, 20),
        Case("deep page", [f"page={last_page - k}" for k in range(40)], 50),
        Case(
            "deep page, filtered",
            [
                f"taxonomy_id={t}&page={p}"
                for t in s.taxonomy_ids
                for p in range(last_page // 2 - 20, last_page // 2)
            ],
            50,
        ),
    ]


def measure(base: str, paths: list[str], rounds: int, prefix: str) -> Figures:
    """Each request once to warm up, then `rounds` times each, one at a time."""
    timings: list[float] = []
    errors = 0
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in paths:
            client.get(prefix + path)
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                response = client.get(prefix + path)
                timings.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200
    cuts = statistics.quantiles(timings, n=100)
    return Figures(statistics.median(timings), cuts[94], len(timings), errors)


def _server_pid(port: str) -> int:
    """The uvicorn process serving `port` (one worker: the server is that process)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"uvicorn" in argv and port.encode() in argv:
            return int(proc.name)
    raise RuntimeError(f"no server process on port {port}")


def _memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


@dataclass(frozen=True)
class Export:
    services_per_second: float
    lines: int
    seconds: float
    peak_rss_mb: float
    start_rss_mb: float


def export(base: str) -> Export:
    """The full NDJSON export, read as a client would, and the server's peak memory."""
    pid = _server_pid(base.rsplit(":", 1)[1])
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # restart the peak (VmHWM) from now
    start_rss = _memory_kb(pid, "VmRSS")
    lines = 0
    started = time.perf_counter()
    with (
        httpx.Client(base_url=base, timeout=600) as client,
        client.stream("GET", "/v1/services?format=ndjson") as response,
    ):
        for chunk in response.iter_bytes():
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    return Export(
        lines / seconds, lines, seconds, _memory_kb(pid, "VmHWM") / 1024, start_rss / 1024
    )


def gzip_rate(exports: str) -> float:
    """Services a second that gzip alone reaches on the kept NDJSON file, at the server's
    level, on one core: a ceiling for any first export sent gzipped, whatever its
    rendering costs (the first export is gzipped as it is streamed, for the file kept)."""
    (path,) = Path(exports).glob("services-*.ndjson")
    data = path.read_bytes()
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    started = time.perf_counter()
    for start in range(0, len(data), 1 << 20):
        packer.compress(data[start : start + (1 << 20)])
    packer.flush()
    return data.count(b"\n") / (time.perf_counter() - started)


def _verdict(value: float, target: float | None, below: bool = True) -> str:
    if target is None:
        return ""
    return " ✓" if (value < target if below else value >= target) else " ✗"


def run_engine(engine_name: str, services: int, rounds: int, echo: Callable[[str], None]) -> None:
    url = synthetic.build(engine_name, services)
    rng = random.Random(7)
    s = sample(url, rng)
    engine = make_engine(url)
    with engine.connect() as connection:
        total = connection.execute(
            text("SELECT count(*) FROM service WHERE retired_at IS NULL")
        ).scalar_one()
    engine.dispose()
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="helpdir-bench-exports-") as exports,
        serving(
            "api.main:app", 1, {"DATABASE_URL": url, "EXPORT_DIR": exports, **SERVER_ENV}
        ) as base,
    ):
        # The export first, while the process is fresh, so its peak is the export's own; the
        # first streams live and keeps the file (an empty EXPORT_DIR: none from an earlier
        # run), the second is sent from it.
        cold = export(base)
        warm = export(base)
        ceiling = gzip_rate(exports)
        for case in cases(s, total, rng):
            f = measure(base, case.paths, rounds, "/v1/services?")
            rows.append(_row(case.name, f, case.target_ms))
        records = [f"/v1/services/{sid}" for sid in s.service_ids]
        f = measure(base, records, rounds, "")
        rows.append(_row("single record", f, None))
    label = "SQLite" if engine_name == "sqlite" else "PostgreSQL"
    echo(f"\n{label}, {total:,} services, one worker, response cache off\n")
    echo("| case | requests | p50 ms | p95 ms | target p95 |")
    echo("| --- | ---: | ---: | ---: | ---: |")
    echo("\n".join(rows))
    echo(_export_row("full `format=ndjson` export, first (live, keeps the file)", cold))
    echo(_export_row("full `format=ndjson` export, again (from the file)", warm))
    echo(
        f"| gzip alone of that export, level {GZIP_LEVEL}, one core (the first export's "
        f"ceiling) | — | **{ceiling:,.0f} services/s** | — | — |"
    )


def _export_row(name: str, dump: Export) -> str:
    return (
        f"| {name} | {dump.lines:,} lines in {dump.seconds:.1f} s | "
        f"**{dump.services_per_second:,.0f} services/s**"
        f"{_verdict(dump.services_per_second, 20_000, below=False)} | "
        f"peak RSS **{dump.peak_rss_mb:.0f} MB**{_verdict(dump.peak_rss_mb, 250)} "
        f"(from {dump.start_rss_mb:.0f}) | ≥ 20,000/s, < 250 MB |"
    )


def _row(name: str, f: Figures, target: float | None) -> str:
    errors = f" ({f.errors} errors)" if f.errors else ""
    shown = f"< {target:g} ms" if target else "—"
    return (
        f"| {name}{errors} | {f.requests} | {f.p50_ms:.1f} | "
        f"{f.p95_ms:.1f}{_verdict(f.p95_ms, target)} | {shown} |"
    )


def main(
    engine: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    services: Annotated[int, typer.Option(help="Synthetic services.")] = 100_000,
    rounds: Annotated[int, typer.Option(help="Times each distinct request is timed.")] = 3,
) -> None:
    engines = ["sqlite", "postgresql"] if engine == "both" else [engine]
    if "postgresql" in engines and not postgres_reachable():
        typer.echo("PostgreSQL is not reachable: SQLite only", err=True)
        engines.remove("postgresql")
    for name in engines:
        run_engine(name, services, rounds, typer.echo)


if __name__ == "__main__":
    typer.run(main)
