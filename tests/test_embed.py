"""The embed files as HTTP sees them (api/routes/embed.py): cacheable like every anonymous
read, never a cookie, and the demo page's snippet names this server. What the widget does
in a browser is tests/test_embed_widget.py."""

import re

import pytest
from fastapi.testclient import TestClient

PUBLIC = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"
FILES = {
    "/embed/helpdir.js": "text/javascript",
    "/embed/": "text/html",
    "/embed/demo.css": "text/css",
}


@pytest.mark.parametrize("path", FILES)
def test_an_embed_file_is_public_cacheable_and_sets_no_cookie(
    client: TestClient, path: str
) -> None:
    response = client.get(path, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FILES[path])
    assert response.headers["cache-control"] == PUBLIC
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers
    assert not response.cookies

    again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == response.headers["etag"]
    assert again.headers["cache-control"] == PUBLIC


def test_the_script_is_gzipped_when_asked_and_loadable_from_any_site(client: TestClient) -> None:
    plain = client.get("/embed/helpdir.js", headers={"Accept-Encoding": "identity"})
    zipped = client.get("/embed/helpdir.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.content == plain.content  # httpx has unzipped it
    assert zipped.headers["etag"] == plain.headers["etag"]
    assert plain.headers["access-control-allow-origin"] == "*"
    assert plain.headers["cross-origin-resource-policy"] == "cross-origin"


def test_head_gives_the_headers_without_the_body(client: TestClient) -> None:
    response = client.head("/embed/helpdir.js")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["cache-control"] == PUBLIC


def test_the_script_never_writes_storage_or_markup_from_data(client: TestClient) -> None:
    """A cheap guard beside the browser tests: the ways a script leaves traces or turns text
    into markup are not in it at all."""
    script = client.get("/embed/helpdir.js").text
    for banned in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "localStorage",
        "sessionStorage",
        "indexedDB",
        "document.cookie",
        "pushState",
        "replaceState",
        "eval(",
        "new Function",
    ):
        assert banned not in script, banned


def test_the_demo_page_shows_the_snippet_for_this_server(client: TestClient) -> None:
    page = client.get("/embed/").text
    snippet = (
        '&lt;script src="http://testserver/embed/helpdir.js" defer&gt;&lt;/script&gt;\n'
        "&lt;helpdir-directory&gt;&lt;/helpdir-directory&gt;"
    )
    assert snippet in page
    # The page's own script is relative, so it loads from wherever the page was served.
    assert '<script src="helpdir.js" defer></script>' in page
    assert "<helpdir-directory></helpdir-directory>" in page


def test_the_demo_page_escapes_the_host_it_was_asked_for(client: TestClient) -> None:
    page = client.get("/embed/", headers={"Host": 'evil"><script>x()</script>'}).text
    assert "<script>x()" not in page


def test_the_demo_page_has_a_strict_content_security_policy(client: TestClient) -> None:
    policy = client.get("/embed/").headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe" not in policy


def test_embed_is_not_in_the_openapi(client: TestClient) -> None:
    paths = client.get("/v1/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/embed")]


def test_embed_without_the_slash_goes_to_the_demo_page(client: TestClient) -> None:
    response = client.get("/embed", follow_redirects=False)
    assert response.status_code in (301, 307, 308)
    assert response.headers["location"].endswith("/embed/")
