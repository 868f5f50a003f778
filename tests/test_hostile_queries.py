"""Hostile query strings and path ids: never a 5xx, always JSON or problem+json.

Requests are written as raw, already percent-encoded URLs so the client cannot tidy them
up; a recording wrapper around the app checks that the exact bytes arrived. httpx refuses
URLs over 64 KiB, so the 100 000-character cases go straight to the ASGI app.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

HTTPX_URL_LIMIT = 65_536

# Each value as it goes on the wire (percent-encoded where a raw byte would be illegal).
HOSTILE: dict[str, str] = {
    "single quote": "'",
    "double quote": "%22",
    "backtick": "%60",
    "all quotes": "%27%22%60",
    "percent": "%25",
    "bare percent": "%",
    "double percent": "%%",
    "broken escape": "%zz",
    "underscore": "_",
    "backslash": "%5C",
    "sql injection": "%27%20OR%201%3D1%20--",
    "sql comment and union": "1%27%3B%20DROP%20TABLE%20service%3B--%20UNION%20SELECT%20*",
    "like wildcards": "a%25b_c%5C%25",
    "nul": "%00",
    "nul inside a word": "help%00line",
    "invalid utf-8": "%ff%fe",
    "truncated utf-8": "%c3%28",
    "overlong utf-8": "%c0%af",
    "emoji": "%F0%9F%98%80%F0%9F%94%92",
    "right-to-left": "%D8%A7%D9%84%D8%B4%D8%B1%D8%B7%D8%A9%E2%80%AE",
    "combining marks": "Z%CD%91%CD%97%CD%8Ea%CC%81lgo",
    "crlf": "%0d%0aSet-Cookie:%20x=1",
    "tab and control": "%09%01%1b%7f",
    "empty": "",
    "plus as space": "+",
    "json": "%7B%22%24ne%22%3A1%7D",
    "path traversal": "..%2F..%2Fetc%2Fpasswd",
    "very long (10k)": "a" * 10_000,
    "very long encoded (10k)": "%ff" * 3_334,
    "very long (100k)": "a" * 100_000,
}

# Every GET endpoint with query parameters, and the parameters it takes.
SERVICE_FILTERS = (
    "search",
    "taxonomy_term_id",
    "taxonomy_id",
    "organization_id",
    "modified_after",
    "minimum_age",
    "maximum_age",
)
PAGING = ("page", "per_page")
QUERY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "/v1/services": (*SERVICE_FILTERS, *PAGING, "minimal", "full", "format"),
    "/v1/service_at_locations": (*SERVICE_FILTERS, *PAGING),
    "/v1/organizations": PAGING,
    "/v1/taxonomies": PAGING,
    "/v1/taxonomy_terms": ("taxonomy_id", "parent_id", *PAGING),
    "/v1/reporting_channels": ("urgency", "method", "suitable_for", *PAGING),
    "/v1/guidance": ("category", *PAGING),
}
DETAIL_PATHS = tuple(QUERY_PARAMETERS)  # each list has a /{id}
SEARCHABLE = ("/v1/services", "/v1/service_at_locations")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RecordingApp:
    """Passes requests through to the app, keeping the last scope it saw."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.last: Scope | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.last = scope
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def raw(app: FastAPI) -> Iterator["RawGet"]:
    yield RawGet(app)


class RawGet:
    """GET a raw target (`/path?query`, already encoded), checking the bytes reach the app."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.recorder = RecordingApp(app)
        self.client = TestClient(
            self.recorder, raise_server_exceptions=False, follow_redirects=False
        )

    def __call__(self, target: str) -> Reply:
        if len(target) >= HTTPX_URL_LIMIT:
            return anyio.run(self._asgi, target)
        response = self.client.get(target)
        scope = self.recorder.last
        assert scope is not None
        path, _, query = target.partition("?")
        assert scope["raw_path"] == path.encode(), "the client rewrote the path"
        assert scope["query_string"] == query.encode(), "the client rewrote the query"
        return Reply(response.status_code, dict(response.headers), response.content)

    async def _asgi(self, target: str) -> Reply:
        path, _, query = target.partition("?")
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "server": ("testserver", 80),
            "client": ("testclient", 50000),
            "root_path": "",
            "path": unquote_to_bytes(path).decode("utf-8", "replace"),
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": [(b"host", b"testserver")],
        }
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Reply(start["status"], headers, body)


def _problems_with(target: str, reply: Reply) -> list[str]:
    """What is wrong with a reply to a hostile request (nothing, ideally)."""
    where = f"GET {target[:120]}{'…' if len(target) > 120 else ''} -> {reply.status}"
    if reply.status >= 500:
        return [f"{where}: server error {reply.body[:300]!r}"]
    if reply.status not in (200, 400, 404):
        return [f"{where}: unexpected status"]
    if "set-cookie" in {name.lower() for name in reply.headers}:
        return [f"{where}: sets a cookie"]
    content_type = reply.headers.get("content-type", "")
    expected = "application/json" if reply.status == 200 else "application/problem+json"
    if reply.status == 200 and content_type.startswith("application/x-ndjson"):
        lines = reply.body.splitlines()
        if not lines or not all(isinstance(json.loads(line), dict) for line in lines):
            return [f"{where}: bad NDJSON"]
        return []
    if not content_type.startswith(expected):
        return [f"{where}: content-type {content_type!r}, expected {expected}"]
    try:
        body = reply.json()
    except ValueError:
        return [f"{where}: body is not JSON: {reply.body[:200]!r}"]
    if b"Traceback" in reply.body or b'File "' in reply.body:
        return [f"{where}: a stack trace leaked"]
    if reply.status != 200 and not (
        {"type", "title", "status", "detail"} <= body.keys() and body["status"] == reply.status
    ):
        return [f"{where}: not a problem document: {body}"]
    return []


def _targets(value: str) -> Iterator[str]:
    for path, parameters in QUERY_PARAMETERS.items():
        for parameter in parameters:
            yield f"{path}?{parameter}={value}"
        yield f"{path}?unknown_{len(value)}={value}"  # unknown parameters are ignored
    yield f"/v1/?anything={value}"
    if value:
        for path in DETAIL_PATHS:
            yield f"{path}/{value}"


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_values_never_cause_a_server_error(name: str, raw: RawGet) -> None:
    problems = [
        p for target in _targets(HOSTILE[name]) for p in _problems_with(target, raw(target))
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("path", list(QUERY_PARAMETERS))
def test_unknown_parameters_are_ignored(path: str, raw: RawGet) -> None:
    plain = raw(path)
    assert plain.status == 200
    for value in ("%27%22%60", "%00", "%ff%fe", "a" * 10_000):
        reply = raw(f"{path}?utm_source={value}&callback=alert(1)&{value}")
        assert reply.status == 200, reply.body[:300]
        assert reply.json() == plain.json()


@pytest.mark.parametrize(
    "query",
    [
        "page=1&page=2",
        "page=1&page=abc",
        "per_page=1000&per_page=1001",
        "search=help&search=",
        "search=&search=%25",
        "minimal=true&full=true&minimal=false",
        "format=ndjson&format=json",
        "format=json&format=ndjson",
        "urgency=emergency&urgency=non_emergency",
        "category=law&category=nope",
        "page",
        "=1",
        "&&&",
        "page=1;per_page=2",
        "page[]=1&per_page[0]=2",
    ],
)
def test_repeated_and_malformed_parameters(query: str, raw: RawGet) -> None:
    problems = [
        p
        for path in QUERY_PARAMETERS
        for p in _problems_with(f"{path}?{query}", raw(f"{path}?{query}"))
    ]
    assert problems == [], "\n".join(problems)


def _total(raw: RawGet, target: str) -> int:
    reply = raw(target)
    assert reply.status == 200, reply.body[:300]
    return reply.json()["total_items"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", SEARCHABLE)
@pytest.mark.parametrize(
    "value",
    ["%25", "_", "%25%25", "%5F%25", "%5C", "%5C%25", "%27", "%00", "%ff%fe", "%F0%9F%98%80"],
)
def test_wildcards_and_symbols_match_nothing(path: str, value: str, raw: RawGet) -> None:
    # Text with no words in it cannot match; above all, LIKE wildcards must not match all.
    assert _total(raw, path) > 0
    assert _total(raw, f"{path}?search={value}") == 0


@pytest.mark.parametrize("path", SEARCHABLE)
def test_sql_in_search_is_just_words(path: str, raw: RawGet) -> None:
    everything = _total(raw, path)
    injected = _total(raw, f"{path}?search=%27%20OR%20%271%27%3D%271%27%20--")
    assert injected < everything


@pytest.mark.parametrize("path", SEARCHABLE)
@pytest.mark.parametrize("value", ["", "+", "%20%20", "%0d%0a"])
def test_an_empty_or_blank_search_is_no_filter(path: str, value: str, raw: RawGet) -> None:
    assert _total(raw, f"{path}?search={value}") == _total(raw, path)


def test_long_values_are_refused_where_they_cannot_be_valid(raw: RawGet) -> None:
    for target in (
        "/v1/services?search=" + "a" * 10_000,
        "/v1/services?page=" + "9" * 10_000,
        "/v1/services?minimum_age=" + "9" * 10_000,
        "/v1/services?organization_id=" + "a" * 100_000,
        "/v1/reporting_channels?urgency=" + "a" * 100_000,
    ):
        reply = raw(target)
        assert reply.status == 400, target[:60]
        assert reply.headers["content-type"].startswith("application/problem+json")
        # The refusal names the parameter but does not echo a huge value back.
        assert len(reply.body) < 5_000
    for target in ("/v1/services/" + "a" * 10_000, "/v1/guidance/" + "%ff" * 30_000):
        reply = raw(target)
        assert reply.status == 404
        assert len(reply.body) < 1_000


def test_the_raw_bytes_reach_the_app(raw: RawGet) -> None:
    # RawGet asserts this on every request; here it is on its own, for the record.
    reply = raw("/v1/services?search=%ff%fe%00%27%22%60%%25_%5C&x=%0d%0a")
    assert raw.recorder.last is not None
    assert raw.recorder.last["query_string"] == b"search=%ff%fe%00%27%22%60%%25_%5C&x=%0d%0a"
    assert reply.status == 200
