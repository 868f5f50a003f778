"""gzip: which clients accept it, and gzip for what the response cache does not store
(responses to a key, NDJSON streams); the cache gzips its own entries once."""

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

# Everywhere we gzip: about twice the speed of level 9 for a percent or two more bytes,
# which matters for what is gzipped as it is sent (NDJSON streams of hundreds of MB).
GZIP_LEVEL = 6


def accepts_gzip(accept_encoding: bytes) -> bool:
    """RFC 9110: an explicit `gzip` entry decides; else `*` does; q=0 means not acceptable."""
    weights: dict[bytes, float] = {}
    for part in accept_encoding.lower().split(b","):
        coding, _, params = part.partition(b";")
        params = params.strip()
        try:
            weight = float(params[2:]) if params.startswith(b"q=") else 1.0
        except ValueError:
            weight = 0.0
        weights.setdefault(coding.strip(), weight)
    return weights.get(b"gzip", weights.get(b"*", 0.0)) > 0


def request_accepts_gzip(request: Request) -> bool:
    """For a route that sends a body it has gzipped already (the middleware passes those)."""
    return accepts_gzip(request.headers.get("accept-encoding", "").encode("latin-1"))


class Gzip(GZipMiddleware):
    """Starlette gzips whenever "gzip" appears in Accept-Encoding, even as `gzip;q=0`; this
    reads the header properly first."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            value = next((v for k, v in headers if k == b"accept-encoding"), None)
            if value is not None and not accepts_gzip(value):
                kept = [(k, v) for k, v in headers if k != b"accept-encoding"]
                scope = {**scope, "headers": kept}
        await super().__call__(scope, receive, send)
