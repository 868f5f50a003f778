"""HTTP load: `wrk` when it is installed (Debian: `apt install wrk`), else a small Python one.

Both keep connections open and send one request at a time on each, for a fixed time, and
report requests per second and latency percentiles. The Python one uses a core itself, so
its figures are lower than wrk's; the table says which was used.
"""

import asyncio
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int


def tool() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run(url: str, seconds: float, connections: int, headers: dict[str, str]) -> Load:
    if tool() == "wrk":
        return _wrk(url, seconds, connections, headers)
    return asyncio.run(_python(url, seconds, connections, headers))


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, seconds: float, connections: int, headers: dict[str, str]) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def latency(percent: int) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        assert found, out
        return float(found[1]) * _UNITS[found[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate, out
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Load(float(rate[1]), latency(50), latency(99), int(bad[1]) if bad else 0)


async def _python(url: str, seconds: float, connections: int, headers: dict[str, str]) -> Load:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    latencies: list[float] = []
    bad = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal bad
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if length:
                await reader.readexactly(int(length[1]))
            latencies.append((time.perf_counter() - started) * 1000)
            bad += not 200 <= status < 400
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return Load(len(latencies) / elapsed, cuts[49], cuts[98], bad)
