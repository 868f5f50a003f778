"""`format=ndjson` on every list: every match (its filters apply, paging does not), in the
list's order, each line the fully nested record its GET shows, streamed with the public
caching headers (the unfiltered services export is also kept as a file, once per dataset
version: tests/test_ndjson_export_file.py)."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

PUBLIC = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"

LISTS = [
    "/v1/services",
    "/v1/service_at_locations",
    "/v1/organizations",
    "/v1/taxonomies",
    "/v1/taxonomy_terms",
    "/v1/reporting_channels",
    "/v1/guidance",
]
FILTERED = [
    ("/v1/reporting_channels", "urgency=emergency"),
    ("/v1/reporting_channels", "suitable_for=cannot_speak"),
    ("/v1/guidance", "category=evidence"),
    ("/v1/service_at_locations", "search=stalking"),
    ("/v1/taxonomy_terms", "per_page=1&page=2"),  # paging does not apply to a stream
]


def stream(client: TestClient, path: str) -> list[dict[str, Any]]:
    with client.stream("GET", path, headers={"Accept-Encoding": "identity"}) as response:
        assert response.status_code == 200, response.read()[:300]
        assert response.headers["content-type"].startswith("application/x-ndjson")
        if path != "/v1/services?format=ndjson":  # may come from its file: see
            # tests/test_ndjson_export_file.py
            assert "content-length" not in response.headers  # streamed, not built first
            assert "etag" not in response.headers
        assert response.headers["cache-control"] == PUBLIC
        assert response.headers["access-control-allow-origin"] == "*"
        return [json.loads(line) for line in response.iter_lines() if line]


@pytest.mark.parametrize("path", LISTS)
def test_every_record_in_list_order_as_its_get_shows_it(client: TestClient, path: str) -> None:
    records = stream(client, f"{path}?format=ndjson")
    page = client.get(f"{path}?per_page=1000").json()
    assert [r["id"] for r in records] == [r["id"] for r in page["contents"]]
    assert records
    for record in (records[0], records[-1]):
        assert client.get(f"{path}/{record['id']}").json() == record


@pytest.mark.parametrize(("path", "query"), FILTERED)
def test_the_lists_filters_apply(client: TestClient, path: str, query: str) -> None:
    records = stream(client, f"{path}?{query}&format=ndjson")
    everything = query.startswith("per_page")
    expected = client.get(f"{path}?{'' if everything else query + '&'}per_page=1000").json()
    assert [r["id"] for r in records] == [r["id"] for r in expected["contents"]]


@pytest.mark.parametrize("path", LISTS)
def test_a_format_that_is_not_known_is_a_400(client: TestClient, path: str) -> None:
    response = client.get(f"{path}?format=xml")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
