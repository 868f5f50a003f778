"""Fair use: at most N requests per window per API key, and per client address without one.

Fixed windows (default 60 s). The store never sees an address or a key: it counts under
an HMAC of (window, client) that changes every window. If the store cannot be reached the
request goes through (and a warning without the client is logged): a directory of help
should not go dark because its counter did.
"""

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import side_engine
from api.errors import problem
from api.keys import hash_key
from api.rate_limit_stores import LimitStore
from api.response_cache import EXPOSED_HEADERS
from api.scope_path import app_path
from models import ApiKey

log = logging.getLogger("helpdir.rate_limit")


@dataclass(slots=True)
class _Tally:
    stored: int = 0  # the store's count at the last sync
    pending: int = 0  # counted here since


class _LiveKeys:
    """Whether a presented key is a live API key, remembered for the current window (a
    revocation reaches the limiter within one window; requests are still refused at once)."""

    MAX_REMEMBERED = 10_000

    def __init__(self, engine: Engine) -> None:
        self.engine = side_engine(engine)
        self.known: dict[str, bool] = {}
        self.window = 0

    def live(self, token: str, window_start: int) -> bool:
        if window_start != self.window or len(self.known) > self.MAX_REMEMBERED:
            self.known.clear()
            self.window = window_start
        digest = hash_key(token)
        if digest not in self.known:
            query = select(ApiKey.id).where(
                ApiKey.key_hash == digest,
                ApiKey.revoked_at.is_(None),  # type: ignore[union-attr]
            )
            try:
                with self.engine.connect() as connection:
                    self.known[digest] = connection.execute(query).first() is not None
            except SQLAlchemyError:
                return False  # counted by address meanwhile
        return self.known[digest]


class RateLimit:
    def __init__(
        self,
        app: ASGIApp,
        engine: Engine,
        store: LimitStore | None,
        window: int,
        anonymous: int,
        per_key: int,
        secret: str,
    ) -> None:
        self.app = app
        self.store = store
        self.window = window
        self.anonymous = anonymous
        self.per_key = per_key
        self.secret = secret.encode()
        self.keys = _LiveKeys(engine) if store is not None else None
        self.tallies: dict[str, _Tally] = {}
        self.tallies_window = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.store is None
            or scope["method"] == "OPTIONS"  # CORS preflights cost nothing and carry no key
            or not app_path(scope).startswith("/v1")
        ):
            await self.app(scope, receive, send)
            return
        now = int(time.time())
        window_start = now - now % self.window
        who, limit = self._client(scope, window_start)
        if limit == 0:
            await self.app(scope, receive, send)
            return
        client = hmac.new(self.secret, b"%d|%s" % (window_start, who), hashlib.sha256)
        try:
            hits = self._count(client.hexdigest()[:32], window_start, limit)
        except (SQLAlchemyError, RedisError, OSError):
            log.warning("rate limit store unavailable; request let through", exc_info=False)
            await self.app(scope, receive, send)
            return
        reset = window_start + self.window - now
        headers = [
            (b"ratelimit-limit", str(limit).encode()),
            (b"ratelimit-remaining", str(max(limit - hits, 0)).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if hits > limit:
            await self._refuse(scope, receive, send, limit, reset)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, with_headers)

    def _count(self, client: str, window_start: int, limit: int) -> int:
        """This window's count for `client`. Counts reach the shared store in batches: at
        the client's first request, then every `limit // 100` requests, and at every request
        once this process's count reaches the limit. With one process a limit is exact; with
        N, each may be one batch behind the others, so up to (N - 1) x (batch - 1) requests
        more can pass. Past the limit nothing more need be counted."""
        if window_start != self.tallies_window:
            self.tallies.clear()
            self.tallies_window = window_start
        tally = self.tallies.setdefault(client, _Tally())
        if tally.stored > limit:
            return tally.stored
        tally.pending += 1
        if (
            tally.stored == 0
            or tally.pending >= max(1, limit // 100)
            or tally.stored + tally.pending >= limit
        ):
            tally.stored = self.store.hit(client, window_start, self.window, tally.pending)
            tally.pending = 0
        return tally.stored + tally.pending

    def _live(self, token: str, window_start: int) -> bool:
        return self.keys is not None and self.keys.live(token, window_start)

    def _client(self, scope: Scope, window_start: int) -> tuple[bytes, int]:
        """A live key is its own client; anything else, a made-up key included, is counted
        by address."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and self._live(token.strip(), window_start):
                    return b"key:" + hash_key(token.strip()).encode(), self.per_key
        host = scope["client"][0] if scope.get("client") else "unknown"
        return b"address:" + host.encode(), self.anonymous

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, limit: int, reset: int
    ) -> None:
        response = problem(
            429,
            "Too Many Requests",
            f"At most {limit} requests per {self.window} seconds; try again in {reset} s.",
            "rate-limited",
            headers={
                "Retry-After": str(reset),
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(reset),
                "Cache-Control": "no-store",
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS),
            },
        )
        await response(scope, receive, send)
