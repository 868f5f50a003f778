"""HEAD answers like GET without a body, and 405 says which methods are allowed."""

import pytest
from fastapi.testclient import TestClient

PATHS = ["/v1/", "/v1/services", "/v1/services?format=ndjson", "/v1/reporting_channels"]


@pytest.mark.parametrize("path", PATHS)
def test_head_gives_the_get_headers_and_no_body(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if "content-length" in got.headers:
        assert head.headers["content-length"] == got.headers["content-length"]


def test_head_of_an_unknown_record_is_404(client: TestClient) -> None:
    response = client.head("/v1/services/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.content == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_problems_naming_get_and_head(
    client: TestClient, method: str
) -> None:
    response = client.request(method, "/v1/taxonomies")  # a read-only collection
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_405_names_the_write_methods_where_there_are_some(client: TestClient) -> None:
    response = client.put("/v1/services")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
