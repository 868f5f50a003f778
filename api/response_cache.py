"""Anonymous GETs under /v1, answered from ready-made bytes while the directory is unchanged.

Each process keeps the responses it has built (the bytes, plain and gzipped, and their
headers), keyed on path and query string. Every anonymous GET first reads the dataset
version (one row, api/dataset_version.py); when it is not the version the entries were
built at, they are all dropped. So a write shows at once in every process, and a repeated
read costs one tiny query and a dictionary look-up. The same step sets the public caching
headers, answers `If-None-Match` / `If-Modified-Since` with 304, and gzips larger bodies.
NDJSON streams are not stored: they get the public headers and stream as they are built;
nor are files under /v1/export/, which their route keeps on disk and answers 304 for itself.
"""

import asyncio
import gzip
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qsl

from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.compression import GZIP_LEVEL, accepts_gzip
from api.dataset_version import DatabaseUnavailable, DatasetVersion, VersionReader
from api.errors import database_unavailable
from api.rendering import etag_for
from api.scope_path import app_path

Headers = list[tuple[bytes, bytes]]

# Response headers a script on another origin may read.
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]


@dataclass(frozen=True)
class CachePolicy:
    max_age: int = 60
    stale_while_revalidate: int = 60
    stale_if_error: int = 86400
    max_bytes: int = 64 * 1024 * 1024
    gzip_min_bytes: int = 1024

    @property
    def cache_control(self) -> bytes:
        return (
            f"public, max-age={self.max_age}, "
            f"stale-while-revalidate={self.stale_while_revalidate}, "
            f"stale-if-error={self.stale_if_error}"
        ).encode()


@dataclass(frozen=True, slots=True)
class _Entry:
    """One ready response: what a hit sends, with no work left but choosing the coding."""

    etag: bytes
    modified: int | None  # Unix seconds, for If-Modified-Since; None: the date is ambiguous
    plain: Headers
    body: bytes
    gzipped_headers: Headers | None
    gzipped: bytes | None
    not_modified: Headers

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class _Store:
    """Least recently used entries within a byte budget, all of one dataset version."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.version: int | None = None
        self.entries: OrderedDict[tuple[str, bytes], _Entry] = OrderedDict()
        self.size = 0

    def at_version(self, version: int) -> None:
        if version != self.version:
            self.entries.clear()
            self.size = 0
            self.version = version

    def get(self, key: tuple[str, bytes]) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, bytes], entry: _Entry) -> None:
        if entry.size > self.max_bytes // 8 or key in self.entries:
            return
        self.entries[key] = entry
        self.size += entry.size
        while self.size > self.max_bytes:
            _, evicted = self.entries.popitem(last=False)
            self.size -= evicted.size


@dataclass(slots=True)
class _Conditions:
    authorized: bool = False
    if_none_match: bytes | None = None
    if_modified_since: bytes | None = None
    accepts_gzip: bool = False


def _conditions(raw_headers: Headers) -> _Conditions:
    found = _Conditions()
    for name, value in raw_headers:
        if name == b"authorization":
            found.authorized = True
        elif name == b"if-none-match":
            found.if_none_match = value
        elif name == b"if-modified-since":
            found.if_modified_since = value
        elif name == b"accept-encoding":
            found.accepts_gzip = accepts_gzip(value)
    return found


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """Weak comparison, as RFC 9110 asks for If-None-Match."""
    if if_none_match.strip() == b"*":
        return True
    return any(tag.strip().removeprefix(b"W/") == etag for tag in if_none_match.split(b","))


def _modified_since(if_modified_since: bytes, modified: int) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return True  # an unreadable date is ignored, as RFC 9110 says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified > int(since.timestamp())


class ResponseCache:
    def __init__(self, app: ASGIApp, engine: Engine, policy: CachePolicy) -> None:
        self.app = app
        self.versions = VersionReader(engine)
        self.policy = policy
        self.store = _Store(policy.max_bytes)
        # Requests that miss while the same response is being built wait for it.
        # Keyed with the version too: a build started before a write is no answer after it.
        self.building: dict[tuple[int, str, bytes], asyncio.Future[_Entry | None]] = {}
        self._public: tuple[DatasetVersion, Headers] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not app_path(scope).startswith("/v1")
        ):
            await self.app(scope, receive, send)
            return
        conditions = _conditions(scope["headers"])
        if conditions.authorized:
            await self.app(scope, receive, send)
            return
        try:
            version = self.versions.read()
        except DatabaseUnavailable:
            await _unavailable(scope, receive, send)
            return
        public = self._public_headers(version)
        if _streams(scope["query_string"]) or app_path(scope).startswith(FILES):
            await self.app(scope, receive, _with_headers(send, public))
            return

        self.store.at_version(version.number)
        key = (scope["path"], scope["query_string"])
        entry = self.store.get(key)
        if entry is None and (version.number, *key) in self.building:
            entry = await asyncio.shield(self.building[(version.number, *key)])
        if entry is None:
            entry = await self._build(key, scope, receive, send, version, public)
            if entry is None:
                return  # an error, already sent
        await _answer(send, entry, conditions)

    async def _build(
        self,
        key: tuple[str, bytes],
        scope: Scope,
        receive: Receive,
        send: Send,
        version: DatasetVersion,
        public: Headers,
    ) -> _Entry | None:
        built: asyncio.Future[_Entry | None] = asyncio.get_running_loop().create_future()
        building_key = (version.number, *key)
        self.building[building_key] = built
        entry = None
        try:
            status, headers, body = await _render(self.app, scope, receive)
            if status != 200:
                await _send_uncached(send, status, headers, body)
                return None
            entry = self._entry(headers, body, version, public)
            if self.policy.max_bytes and self.store.version == version.number:
                self.store.put(key, entry)
            return entry
        finally:
            built.set_result(entry)
            if self.building.get(building_key) is built:
                del self.building[building_key]

    def _public_headers(self, version: DatasetVersion) -> Headers:
        if self._public is None or self._public[0] != version:
            last_modified = format_datetime(version.changed_at.astimezone(UTC), usegmt=True)
            headers = [
                (b"cache-control", self.policy.cache_control),
                (b"last-modified", last_modified.encode()),
                (b"vary", b"Accept-Encoding"),
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", ", ".join(EXPOSED_HEADERS).encode()),
            ]
            self._public = (version, headers)
        return self._public[1]

    def _entry(
        self, headers: Headers, body: bytes, version: DatasetVersion, public: Headers
    ) -> _Entry:
        etag = etag_for(body).encode()
        content_type = next((v for k, v in headers if k == b"content-type"), b"application/json")
        common = [(b"content-type", content_type), (b"etag", etag), *public]
        gzipped = None
        gzipped_headers = None
        if len(body) >= self.policy.gzip_min_bytes:
            gzipped = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
            gzipped_headers = [
                *common,
                (b"content-encoding", b"gzip"),
                (b"content-length", str(len(gzipped)).encode()),
            ]
        return _Entry(
            etag=etag,
            modified=(
                int(version.changed_at.timestamp()) if version.date_tells_versions_apart else None
            ),
            plain=[*common, (b"content-length", str(len(body)).encode())],
            body=body,
            gzipped_headers=gzipped_headers,
            gzipped=gzipped,
            not_modified=[(b"etag", etag), *public],
        )


async def _render(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, Headers, bytes]:
    """Run the route and keep its response; asked for plain bytes, which are gzipped here."""
    start: Message = {}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    plain_scope = {
        **scope,
        "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"],
    }
    await app(plain_scope, receive, keep)
    return start["status"], list(start.get("headers", [])), b"".join(chunks)


async def _answer(send: Send, entry: _Entry, conditions: _Conditions) -> None:
    if conditions.if_none_match is not None:
        unchanged = etag_matches(conditions.if_none_match, entry.etag)
    elif conditions.if_modified_since is not None and entry.modified is not None:
        unchanged = not _modified_since(conditions.if_modified_since, entry.modified)
    else:
        unchanged = False
    if unchanged:
        await send({"type": "http.response.start", "status": 304, "headers": entry.not_modified})
        await send({"type": "http.response.body", "body": b""})
        return
    if conditions.accepts_gzip and entry.gzipped is not None:
        headers, body = entry.gzipped_headers, entry.gzipped
    else:
        headers, body = entry.plain, entry.body
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_uncached(send: Send, status: int, headers: Headers, body: bytes) -> None:
    """Errors are not for keeping: a record that is missing now may exist after a write."""
    kept = [(k, v) for k, v in headers if k not in (b"cache-control", b"content-length")]
    kept += [
        (b"cache-control", b"no-store"),
        (b"access-control-allow-origin", b"*"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": kept})
    await send({"type": "http.response.body", "body": body})


def _streams(query_string: bytes) -> bool:
    """`format=ndjson`: streamed as built, not stored."""
    return b"ndjson" in query_string and ("format", "ndjson") in parse_qsl(
        query_string.decode("latin-1")
    )


# Served from files by their route (api/routes/exports.py): too large to hold in memory.
FILES = "/v1/export/"
PUBLIC_STATUSES = (200, 206, 304)  # a body, a range of it, or "yours is current"

_UNCACHED_ERROR = [(b"cache-control", b"no-store"), (b"access-control-allow-origin", b"*")]


def _with_headers(send: Send, public: Headers) -> Send:
    """The public headers on a streamed 200 (or a file's 206 and 304); `no-store` on an
    error instead."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = public if message["status"] in PUBLIC_STATUSES else _UNCACHED_ERROR
            headers = [
                (name, value)
                for name, value in message.get("headers", [])
                if name not in {name for name, _ in extra}
            ]
            message = {**message, "headers": headers + extra}
        await send(message)

    return sending


async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    await database_unavailable()(scope, receive, send)
