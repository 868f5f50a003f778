"""Starting uvicorn servers for a benchmark run, and the databases they serve."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api import migrate
from api.db import make_engine
from seed.loader import load_seed

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def fresh_database(engine_name: str) -> str:
    """A migrated database holding the seed, made anew for this run."""
    if engine_name == "sqlite":
        path = ROOT / "var" / "bench.db"
        path.parent.mkdir(exist_ok=True)
        for leftover in path.parent.glob("bench.db*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
    else:
        name = "helpdir_bench"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed(session)
    engine.dispose()
    return url


@contextlib.contextmanager
def serving(app: str, workers: int, env: dict[str, str]) -> Iterator[str]:
    """Run `uvicorn app` in its own process group; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(base + "/openapi-probe", timeout=1)
            return
        time.sleep(0.2)
    raise RuntimeError("server did not start within 60 s")
