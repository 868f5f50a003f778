"""The OpenAPI document: served, committed and in step; complete for every operation."""

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from api.export_openapi import openapi_text
from api.openapi_examples import EXAMPLES_FILE, examples_text, generate_examples

OPENAPI = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
COMMITTED: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
OPERATIONS = [
    (path, method, operation)
    for path, item in COMMITTED["paths"].items()
    for method, operation in item.items()
]
OPERATION_IDS = [f"{method.upper()} {path}" for path, method, _ in OPERATIONS]

CONTRACT_PATHS = [
    "/v1/",
    "/v1/services",
    "/v1/services/{id}",
    "/v1/taxonomies",
    "/v1/taxonomies/{id}",
    "/v1/taxonomy_terms",
    "/v1/taxonomy_terms/{id}",
    "/v1/service_at_locations",
    "/v1/service_at_locations/{id}",
    "/v1/organizations",
    "/v1/organizations/{id}",
    "/v1/reporting_channels",
    "/v1/reporting_channels/{id}",
    "/v1/guidance",
    "/v1/guidance/{id}",
]
PROBLEM = "application/problem+json"
STALE = "openapi/openapi.json is out of date with the app: run `make openapi` and commit it"


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """Validates against a schema of the document, resolving its `#/components/...` refs."""
    return Draft202012Validator(
        {**schema, "components": COMMITTED["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _errors(schema: dict[str, Any], instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(schema).iter_errors(instance)
    ]


def test_served_spec_is_the_committed_spec(client: TestClient) -> None:
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == COMMITTED, STALE


def test_committed_file_is_exactly_what_make_openapi_writes() -> None:
    # Same content, same layout: regenerating gives no diff to commit.
    assert openapi_text() == OPENAPI.read_text(encoding="utf-8"), STALE


def test_committed_examples_are_what_the_seed_gives_now() -> None:
    # The examples are generated from the seed data; edited seed data means regenerating.
    assert examples_text(generate_examples()) == EXAMPLES_FILE.read_text(encoding="utf-8"), STALE


def test_it_is_openapi_3_1_with_title_version_and_licence() -> None:
    assert COMMITTED["openapi"].startswith("3.1.")
    info = COMMITTED["info"]
    assert info["title"] and info["version"] and info["description"]
    assert "Open Government Licence" in info["license"]["name"]


@pytest.mark.parametrize("path", CONTRACT_PATHS)
def test_every_contract_path_is_a_get_operation(path: str) -> None:
    assert path in COMMITTED["paths"], f"{path} is missing from the spec"
    assert "get" in COMMITTED["paths"][path]


def test_operation_ids_are_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_is_documented(path: str, method: str, operation: dict[str, Any]) -> None:
    assert operation.get("operationId"), "operationId"
    assert operation.get("summary"), "summary"
    assert operation.get("tags"), "at least one tag"
    tags = {tag for _, _, op in OPERATIONS for tag in op["tags"]}
    assert len(tags) > 1, "operations are grouped by resource"
    for parameter in operation.get("parameters", []):
        assert parameter.get("description") or parameter["in"] == "path", parameter["name"]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_documents_its_problem_responses(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    errors = {s: r for s, r in operation["responses"].items() if s.startswith("4")}
    assert errors, "no documented 4xx response"
    for status, response in errors.items():
        assert response["description"]
        content = response["content"]
        # Sent as problem+json and only that: an application/json entry would be a lie.
        assert list(content) == [PROBLEM], f"{status}: {list(content)}"
        assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
        example = content[PROBLEM]["example"]
        assert _errors(content[PROBLEM]["schema"], example) == []
        assert status == "4XX" or example["status"] == int(status)
    # A bad query or path parameter is a 400 problem, never FastAPI's 422 shape.
    assert "422" not in operation["responses"] or "requestBody" in operation
    if "{id}" in path:
        assert "404" in errors
    if operation.get("parameters"):
        assert "400" in errors or "{id}" in path


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_has_a_valid_example_of_its_200_response(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    content = operation["responses"]["200"]["content"]["application/json"]
    assert "example" in content, "no example 200 body"
    assert _errors(content["schema"], content["example"]) == []
    if "{id}" in path:
        (id_parameter,) = [p for p in operation["parameters"] if p["name"] == "id"]
        assert id_parameter["example"] == content["example"]["id"]


def test_the_schemas_reject_what_they_should() -> None:
    # The example check above is only worth something if the schemas can say no.
    operation = COMMITTED["paths"]["/v1/services/{id}"]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    broken = copy.deepcopy(content["example"])
    del broken["name"]
    broken["phones"] = [{"id": "not-a-uuid", "number": 999}]
    assert len(_errors(content["schema"], broken)) >= 2


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_examples_are_real_records_and_real_problems(
    path: str, method: str, operation: dict[str, Any], client: TestClient
) -> None:
    responses = operation["responses"]
    example = responses["200"]["content"]["application/json"]["example"]
    if "{id}" in path:
        real = client.get(path.replace("{id}", example["id"]))
        assert real.status_code == 200
        assert real.json()["id"] == example["id"]
        assert real.json().get("name") == example.get("name")
        unknown = client.get(path.replace("{id}", str(uuid.uuid4())))
        documented = responses["404"]["content"][PROBLEM]["example"]
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith(PROBLEM)
        assert {k: unknown.json()[k] for k in ("type", "title", "status")} == {
            k: documented[k] for k in ("type", "title", "status")
        }
    elif "400" in responses:
        bad = client.get(path, params={"per_page": 1001})
        documented = responses["400"]["content"][PROBLEM]["example"]
        assert bad.status_code == 400
        assert bad.headers["content-type"].startswith(PROBLEM)
        assert bad.json() == documented


@pytest.mark.parametrize(("url", "marker"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_interactive_docs_are_served(client: TestClient, url: str, marker: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert marker in response.text.lower()
    assert "/v1/openapi.json" in response.text
