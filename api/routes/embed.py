"""`/embed/`: the embeddable widget (`helpdir.js`) and its demo page (docs/embed.md).

Static files, cacheable like the other anonymous reads but outside /v1, so outside the
response cache and the rate limiter: they get their own ETag and 304 here. They
never set cookies. Left out of the OpenAPI, which describes the data API.
"""

import html
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import SettingsDep
from api.rendering import etag_for
from api.response_cache import CachePolicy, etag_matches
from api.settings import Settings

router = APIRouter(prefix="/embed", include_in_schema=False)

_FILES = files("api") / "embed"

# The demo page loads only this origin's script and stylesheet and reads only this API:
# the widget works under a strict policy, so a host page can keep one too.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Sent with everything here: no MIME sniffing, no referrer to the pages the widget links to.
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# The script and stylesheet may be loaded by any site, also with `crossorigin` or under COEP.
SHARED = {
    **COMMON,
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@dataclass(frozen=True)
class _Asset:
    """One file's bytes and their strong ETag (the same for the gzipped coding, as in /v1)."""

    body: bytes
    etag: str


@cache
def _static(name: str) -> _Asset:
    body = (_FILES / name).read_bytes()
    return _Asset(body, etag_for(body))


@lru_cache(maxsize=8)  # keyed on the Host a request names: bounded
def _demo(base: str) -> _Asset:
    page = (_FILES / "index.html").read_text(encoding="utf-8")
    body = page.replace("{{base}}", html.escape(base)).encode()
    return _Asset(body, etag_for(body))


def _send(
    request: Request, settings: Settings, asset: _Asset, media_type: str, extra: dict[str, str]
) -> Response:
    """200 or 304, with the public caching headers of every read. The app's gzip middleware
    compresses the 200 when asked and adds `Vary: Accept-Encoding` to it."""
    policy = CachePolicy(
        max_age=settings.cache_max_age,
        stale_while_revalidate=settings.cache_stale_while_revalidate,
        stale_if_error=settings.cache_stale_if_error,
    )
    headers = {**extra, "ETag": asset.etag, "Cache-Control": policy.cache_control.decode()}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag_matches(if_none_match.encode(), asset.etag.encode()):
        return Response(status_code=304, headers={**headers, "Vary": "Accept-Encoding"})
    return Response(asset.body, media_type=media_type, headers=headers)


@router.get("/")
def demo_page(request: Request, settings: SettingsDep) -> Response:
    base = (settings.public_base_url or str(request.base_url)).rstrip("/")
    asset = _demo(base)
    headers = {**COMMON, "Content-Security-Policy": DEMO_CSP}
    return _send(request, settings, asset, "text/html; charset=utf-8", headers)


@router.get("/helpdir.js")
def widget_script(request: Request, settings: SettingsDep) -> Response:
    asset = _static("helpdir.js")
    return _send(request, settings, asset, "text/javascript; charset=utf-8", SHARED)


@router.get("/demo.css")
def demo_stylesheet(request: Request, settings: SettingsDep) -> Response:
    asset = _static("demo.css")
    return _send(request, settings, asset, "text/css; charset=utf-8", SHARED)
