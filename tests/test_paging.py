"""Paging: every list walks page by page to each record exactly once, in a stable order."""

import json
import math
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import app_for
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from models import Organization, Service

LIST_ENDPOINTS = [
    "services",
    "service_at_locations",
    "organizations",
    "taxonomies",
    "taxonomy_terms",
    "reporting_channels",
    "guidance",
]
PER_PAGE_VALUES = [1, 2, 3, 7, 1000]
PROBLEM_TYPE = "application/problem+json"


def get_page(client: TestClient, endpoint: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/{endpoint}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def every_id(client: TestClient, endpoint: str) -> list[str]:
    body = get_page(client, endpoint, per_page=1000)
    assert body["total_items"] == body["size"] == len(body["contents"])
    return [item["id"] for item in body["contents"]]


def walk(
    client: TestClient, endpoint: str, per_page: int, **params: Any
) -> Iterator[dict[str, Any]]:
    """Every page from 1 to total_pages, checking each envelope on the way."""
    first = get_page(client, endpoint, page=1, per_page=per_page, **params)
    total_items, total_pages = first["total_items"], first["total_pages"]
    assert total_pages == math.ceil(total_items / per_page)
    for page in range(1, total_pages + 1):
        body = (
            first
            if page == 1
            else get_page(client, endpoint, page=page, per_page=per_page, **params)
        )
        assert body["total_items"] == total_items
        assert body["total_pages"] == total_pages
        assert body["page_number"] == page
        assert body["size"] == len(body["contents"])
        expected_size = per_page if page < total_pages else total_items - per_page * (page - 1)
        assert body["size"] == expected_size
        assert body["first_page"] is (page == 1)
        assert body["last_page"] is (page == total_pages)
        assert body["empty"] is False
        yield body


def walked_ids(client: TestClient, endpoint: str, per_page: int) -> list[str]:
    return [item["id"] for body in walk(client, endpoint, per_page) for item in body["contents"]]


# -- exactly once ----------------------------------------------------------------------------


@pytest.mark.parametrize("per_page", PER_PAGE_VALUES)
@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_walking_every_page_yields_each_record_once(
    client: TestClient, endpoint: str, per_page: int
) -> None:
    everything = every_id(client, endpoint)
    assert everything, f"no {endpoint} in the seed"
    walked = walked_ids(client, endpoint, per_page)
    assert len(walked) == len(set(walked)), "a record was repeated"
    assert set(walked) == set(everything)
    assert walked == everything, "paging changed the order"


@pytest.mark.parametrize("per_page", [1, 2, 3])
@pytest.mark.parametrize("search", ["stalking", "police", "safety advice"])
@pytest.mark.parametrize("endpoint", ["services", "service_at_locations"])
def test_ranked_search_results_page_exactly_once(
    client: TestClient, endpoint: str, search: str, per_page: int
) -> None:
    everything = [
        i["id"] for i in get_page(client, endpoint, per_page=1000, search=search)["contents"]
    ]
    assert len(everything) > per_page, "the search should span several pages"
    walked = [
        item["id"]
        for body in walk(client, endpoint, per_page, search=search)
        for item in body["contents"]
    ]
    assert walked == everything
    assert len(set(walked)) == len(walked)


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_page_past_the_end_is_empty(client: TestClient, endpoint: str) -> None:
    total_items = get_page(client, endpoint)["total_items"]
    for page, per_page in [(2, 1000), (total_items + 1, 1), (9_999_999, 1000)]:
        body = get_page(client, endpoint, page=page, per_page=per_page)
        assert body["empty"] is True
        assert body["contents"] == []
        assert body["size"] == 0
        assert body["page_number"] == page
        assert body["total_items"] == total_items
        assert body["first_page"] is False
        assert body["last_page"] is True


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_default_page_is_first_page_of_fifty(client: TestClient, endpoint: str) -> None:
    body = get_page(client, endpoint)
    assert body["page_number"] == 1
    assert body["first_page"] is True
    assert body["size"] == min(50, body["total_items"])
    assert body["total_pages"] == math.ceil(body["total_items"] / 50)


def test_empty_result_set_has_no_pages(client: TestClient) -> None:
    body = get_page(client, "services", search="zzzqqqnothingmatches")
    assert body["total_items"] == body["total_pages"] == body["size"] == 0
    assert body["empty"] is True and body["contents"] == []
    assert body["first_page"] is True and body["last_page"] is True


# -- bad paging parameters -------------------------------------------------------------------

BAD_PAGING = [
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "abc"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "1001"}, "per_page"),
    ({"per_page": "abc"}, "per_page"),
]


@pytest.mark.parametrize(("params", "field"), BAD_PAGING, ids=lambda v: str(v))
@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_bad_paging_parameters_are_a_400_problem(
    client: TestClient, endpoint: str, params: dict[str, str], field: str
) -> None:
    response = client.get(f"/v1/{endpoint}", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM_TYPE)
    problem = response.json()
    assert problem["status"] == 400
    assert problem["type"] and problem["title"] and problem["detail"]
    assert problem["errors"], "a validation problem names the bad fields"
    assert any(field in error["field"].split(".") for error in problem["errors"]), problem
    assert all(error["message"] for error in problem["errors"])


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_maximum_per_page_is_accepted(client: TestClient, endpoint: str) -> None:
    assert get_page(client, endpoint, per_page=1000)["size"] >= 1


# -- stable order ----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_identical_requests_give_identical_order(client: TestClient, endpoint: str) -> None:
    first = client.get(f"/v1/{endpoint}", params={"per_page": 1000})
    second = client.get(f"/v1/{endpoint}", params={"per_page": 1000})
    assert [i["id"] for i in first.json()["contents"]] == [
        i["id"] for i in second.json()["contents"]
    ]
    assert first.content == second.content


def order_key(endpoint: str, item: dict[str, Any]) -> tuple[str, str]:
    # A service at a location has no name of its own: it sorts by its service's name.
    name = item["service"]["name"] if endpoint == "service_at_locations" else item["name"]
    return name, item["id"]


def assert_ordered_by_name_then_id(client: TestClient, endpoint: str) -> None:
    contents = get_page(client, endpoint, per_page=1000)["contents"]
    keys = [order_key(endpoint, item) for item in contents]
    assert keys == sorted(keys)


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_order_is_by_name_then_id(client: TestClient, endpoint: str) -> None:
    assert_ordered_by_name_then_id(client, endpoint)


def test_service_at_location_ties_on_service_name_are_broken_by_id(client: TestClient) -> None:
    """Seeded services delivered both by phone and online have two service_at_locations."""
    contents = get_page(client, "service_at_locations", per_page=1000)["contents"]
    names = [item["service"]["name"] for item in contents]
    assert len(names) > len(set(names)), "the seed should have a service at two locations"
    assert_ordered_by_name_then_id(client, "service_at_locations")


# -- ties on name, in a private database ---------------------------------------------------

DUPLICATE_NAME = "Duplicate name for paging"
DUPLICATES = 9


@pytest.fixture
def client_with_duplicate_names(seeded_engine: Engine) -> Iterator[TestClient]:
    """Nine organisations and nine services that share one name, so only the id orders them."""
    with Session(seeded_engine) as session:
        organizations = [
            Organization(id=uuid.uuid4(), name=DUPLICATE_NAME, description="For paging.")
            for _ in range(DUPLICATES)
        ]
        session.add_all(organizations)
        session.flush()
        session.add_all(
            Service(id=uuid.uuid4(), organization_id=organizations[0].id, name=DUPLICATE_NAME)
            for _ in range(DUPLICATES)
        )
        session.commit()
    app = app_for(seeded_engine.url.render_as_string(hide_password=False))
    yield TestClient(app)
    app.state.engine.dispose()


@pytest.mark.parametrize("endpoint", ["services", "organizations"])
def test_records_sharing_a_name_page_by_id(
    client_with_duplicate_names: TestClient, endpoint: str
) -> None:
    client = client_with_duplicate_names
    everything = every_id(client, endpoint)
    for per_page in (1, 2, 4):
        walked = walked_ids(client, endpoint, per_page)
        assert walked == everything
    contents = get_page(client, endpoint, per_page=1000)["contents"]
    tied = [item["id"] for item in contents if item["name"] == DUPLICATE_NAME]
    assert len(tied) == DUPLICATES
    assert tied == sorted(tied)


# -- a directory bigger than one page of 1000 and several ndjson chunks -----------------------

BULK = 1205


@pytest.fixture
def big_client(seeded_engine: Engine) -> Iterator[TestClient]:
    with Session(seeded_engine) as session:
        organization = Organization(id=uuid.uuid4(), name="Bulk", description="For paging.")
        session.add(organization)
        session.flush()
        session.add_all(
            Service(id=uuid.uuid4(), organization_id=organization.id, name=f"Bulk {n % 97:02}")
            for n in range(BULK)
        )
        session.commit()
    app = app_for(seeded_engine.url.render_as_string(hide_password=False))
    yield TestClient(app)
    app.state.engine.dispose()


def test_more_than_one_maximum_page_walks_exactly_once(big_client: TestClient) -> None:
    walked = walked_ids(big_client, "services", 1000)
    assert len(walked) == len(set(walked)) > BULK
    assert get_page(big_client, "services", per_page=1000)["total_pages"] == 2
    keys = [
        (item["name"], item["id"])
        for page in walk(big_client, "services", 1000)
        for item in page["contents"]
    ]
    assert keys == sorted(keys)


def test_ndjson_streams_every_record_once_across_chunks(big_client: TestClient) -> None:
    response = big_client.get("/v1/services", params={"format": "ndjson"})
    assert response.status_code == 200
    streamed = [json.loads(line)["id"] for line in response.text.splitlines()]
    assert streamed == walked_ids(big_client, "services", 1000)


# -- property-based --------------------------------------------------------------------------


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(per_page=st.integers(min_value=1, max_value=20))
def test_any_page_size_walks_services_exactly_once(client: TestClient, per_page: int) -> None:
    everything = every_id(client, "services")
    walked = walked_ids(client, "services", per_page)
    assert sorted(walked) == sorted(everything)
    assert len(walked) == len(everything)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(per_page=st.integers(min_value=1, max_value=12), page=st.integers(min_value=1, max_value=30))
def test_any_page_is_the_matching_slice(client: TestClient, per_page: int, page: int) -> None:
    everything = every_id(client, "services")
    body = get_page(client, "services", page=page, per_page=per_page)
    expected = everything[(page - 1) * per_page : page * per_page]
    assert [item["id"] for item in body["contents"]] == expected
    assert body["empty"] is (not expected)
