"""The OpenAPI document: served, committed and in step; complete for every operation, its
examples valid and real, its problems the ones the app sends."""

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from private_directory import Directory, private_directory

from api.export_openapi import openapi_text
from api.openapi_examples import EXAMPLES_FILE, examples_text, generate_examples

OPENAPI = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
COMMITTED: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
OPERATIONS = [
    (path, method, operation)
    for path, item in COMMITTED["paths"].items()
    for method, operation in item.items()
]
PARAMETERS = ("path", "method", "operation")


def operations(keep: Callable[[str, str, dict[str, Any]], bool] = lambda *_: True) -> Any:
    """The operations `keep` picks, as pytest parameters named like `PATCH /v1/services/{id}`."""
    return [
        pytest.param(path, method, operation, id=f"{method.upper()} {path}")
        for path, method, operation in OPERATIONS
        if keep(path, method, operation)
    ]


def secured(path: str, method: str, operation: dict[str, Any]) -> bool:
    return "security" in operation


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
    "/v1/changes",
]
WRITABLE_PATHS = [
    "/v1/organizations",
    "/v1/services",
    "/v1/reporting_channels",
    "/v1/guidance",
    "/v1/taxonomy_terms",
]
PROBLEM = "application/problem+json"
MERGE_PATCH = "application/merge-patch+json"
STALE = "openapi/openapi.json is out of date with the app: run `make openapi` and commit it"
EXAMPLE_SERVICE = COMMITTED["paths"]["/v1/services/{id}"]["get"]["responses"]["200"]["content"][
    "application/json"
]["example"]


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


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(p["name"] == "If-Match" for p in operation.get("parameters", []))


def _success(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s: r for s, r in operation["responses"].items() if s.startswith("2")}


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    """A private directory with keys; its partner is the example service's organisation."""
    with private_directory(
        tmp_path_factory.mktemp("openapi"), EXAMPLE_SERVICE["organization_id"]
    ) as built:
        yield built


# -- in step with the app ------------------------------------------------------------------


def test_served_spec_is_the_committed_spec(client: TestClient) -> None:
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == COMMITTED, STALE


def test_committed_file_is_exactly_what_make_openapi_writes() -> None:
    # Same content, same layout: regenerating gives no diff to commit.
    assert openapi_text() == OPENAPI.read_text(encoding="utf-8"), STALE


def test_committed_examples_are_what_the_seed_gives_now() -> None:
    # The examples are generated from the seed data (and real writes made on it); edited
    # seed data or a changed API means regenerating.
    assert examples_text(generate_examples()) == EXAMPLES_FILE.read_text(encoding="utf-8"), STALE


# -- the document as a whole ---------------------------------------------------------------


def test_it_is_openapi_3_1_with_title_version_licence_and_the_partner_workflow() -> None:
    assert COMMITTED["openapi"].startswith("3.1.")
    info = COMMITTED["info"]
    assert info["title"] and info["version"] and info["description"]
    assert "Open Government Licence" in info["license"]["name"]
    assert "## Partner workflow" in info["description"]
    for step in ("ETag", "If-Match", "application/merge-patch+json", "202", "/approve"):
        assert step in info["description"]


@pytest.mark.parametrize("path", CONTRACT_PATHS)
def test_every_contract_path_is_a_get_operation(path: str) -> None:
    assert path in COMMITTED["paths"], f"{path} is missing from the spec"
    assert "get" in COMMITTED["paths"][path]


@pytest.mark.parametrize("path", WRITABLE_PATHS)
def test_every_writable_kind_can_be_created_changed_retired_and_traced(path: str) -> None:
    paths = COMMITTED["paths"]
    assert "post" in paths[path]
    assert {"get", "patch", "delete"} <= set(paths[f"{path}/{{id}}"])
    assert "get" in paths[f"{path}/{{id}}/history"]


def test_change_requests_can_be_listed_read_approved_and_rejected() -> None:
    paths = COMMITTED["paths"]
    assert "get" in paths["/v1/change_requests"]
    assert "get" in paths["/v1/change_requests/{id}"]
    assert "post" in paths["/v1/change_requests/{id}/approve"]
    assert "post" in paths["/v1/change_requests/{id}/reject"]


def test_operation_ids_are_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))


def test_fastapis_own_validation_error_shape_is_nowhere() -> None:
    # Bad input is always a problem (400 or 422), never FastAPI's `detail` list.
    assert "HTTPValidationError" not in json.dumps(COMMITTED)


def test_keys_are_bearer_tokens() -> None:
    schemes = COMMITTED["components"]["securitySchemes"]
    assert [(s["type"], s["scheme"]) for s in schemes.values()] == [("http", "bearer")]


@pytest.mark.parametrize(PARAMETERS, operations())
def test_exactly_the_writes_and_the_admins_reads_need_a_key(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    needs_key = (
        method != "get" or path.startswith("/v1/change_requests") or path.endswith("/history")
    )
    (scheme,) = COMMITTED["components"]["securitySchemes"]
    assert operation.get("security") == ([{scheme: []}] if needs_key else None)


# -- each operation ------------------------------------------------------------------------


@pytest.mark.parametrize(PARAMETERS, operations())
def test_every_operation_is_documented(path: str, method: str, operation: dict[str, Any]) -> None:
    assert operation.get("operationId"), "operationId"
    assert operation.get("summary"), "summary"
    assert operation.get("tags"), "at least one tag"
    tags = {tag for _, _, op in OPERATIONS for tag in op["tags"]}
    assert len(tags) > 1, "operations are grouped by resource"
    for parameter in operation.get("parameters", []):
        assert parameter.get("description") or parameter["in"] == "path", parameter["name"]


@pytest.mark.parametrize(PARAMETERS, operations())
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
    # Each reason an operation can fail is there.
    expected = set()
    if "{id}" in path:
        expected.add("404")
    if any(p["in"] == "query" for p in operation.get("parameters", [])):
        expected.add("400")
    if "security" in operation:
        expected.add("401")
        assert errors["401"]["headers"]["WWW-Authenticate"]["required"] is True
    if _takes_if_match(operation):
        expected |= {"412", "428"}
    if "requestBody" in operation:
        expected |= {"400", "413", "422"}
        example = errors["400"]["content"][PROBLEM]["example"]
        assert example["type"].endswith("/malformed-json")
    if method == "delete":
        expected.add("409")  # still in use
    assert expected <= set(errors), sorted(expected - set(errors))


@pytest.mark.parametrize(PARAMETERS, operations())
def test_every_success_response_has_a_valid_example(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    success = _success(operation)
    assert success, "no documented success response"
    for status, response in success.items():
        if status == "204":
            assert "content" not in response
            continue
        if "application/json" not in response["content"]:  # a file: the HSDS package
            ((media_type, content),) = response["content"].items()
            assert content["schema"]["contentMediaType"] == media_type
            continue
        content = response["content"]["application/json"]
        assert "example" in content, f"no example {status} body"
        assert _errors(content["schema"], content["example"]) == [], status
    if "{id}" in path:
        (id_parameter,) = [p for p in operation["parameters"] if p["name"] == "id"]
        record_path = path[: path.index("{id}") + len("{id}")]
        get = COMMITTED["paths"][record_path]["get"]["responses"]["200"]["content"]
        assert id_parameter["example"] == get["application/json"]["example"]["id"]


@pytest.mark.parametrize(PARAMETERS, operations())
def test_versions_and_new_places_are_in_the_headers(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    success = _success(operation)
    # Whatever answers with one record as GET shows it sends its ETag, for the next If-Match.
    one_record = (method == "get" and path.endswith("/{id}") and "security" not in operation) or (
        method in ("post", "patch") and "/change_requests" not in path
    )
    main = success.get("201") or success.get("200") or success.get("204")
    assert main is not None
    if one_record:
        assert main["headers"]["ETag"]["required"] is True
    else:
        assert "ETag" not in main.get("headers", {})
    if "201" in success:
        assert success["201"]["headers"]["Location"]["required"] is True
    if "202" in success:
        assert success["202"]["headers"]["Location"]["required"] is True
        schema = success["202"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ChangeRequestPublic"}


@pytest.mark.parametrize(PARAMETERS, operations(lambda p, m, o: "requestBody" in o))
def test_every_request_body_has_valid_examples(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    ((media_type, content),) = operation["requestBody"]["content"].items()
    assert media_type == (MERGE_PATCH if method == "patch" else "application/json")
    assert content["examples"], "no example request body"
    for name, example in content["examples"].items():
        assert example["summary"], name
        assert _errors(content["schema"], example["value"]) == [], name
    if method == "patch":
        # A merge patch is small: only what changes, never a whole record.
        for example in content["examples"].values():
            assert 1 <= len(example["value"]) <= 2


@pytest.mark.parametrize(PARAMETERS, operations())
def test_records_link_to_the_operations_on_them(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    # OpenAPI links let a client (and schemathesis's state machine) go from a response with a
    # record to what can be done to it, with its ETag as If-Match where that is needed.
    for response in _success(operation).values():
        for name, link in response.get("links", {}).items():
            target = next(o for _, _, o in OPERATIONS if o["operationId"] == link["operationId"])
            assert name == link["operationId"]
            is_list = method == "get" and f"{path}/{{id}}" in COMMITTED["paths"]
            record_id = "$response.body#/" + ("contents/0/id" if is_list else "id")
            assert link["parameters"]["path.id"] == record_id
            if _takes_if_match(target) and "ETag" in response.get("headers", {}):
                assert link["parameters"]["header.If-Match"] == "$response.header.ETag"
    if method == "post" and path in WRITABLE_PATHS:
        links = operation["responses"]["201"]["links"]
        name = operation["operationId"].removeprefix("create")
        assert {f"get{name}", f"update{name}", f"retire{name}", f"get{name}History"} <= set(links)


def test_the_schemas_reject_what_they_should() -> None:
    # The example checks above are only worth something if the schemas can say no.
    operation = COMMITTED["paths"]["/v1/services/{id}"]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    broken = copy.deepcopy(content["example"])
    del broken["name"]
    broken["phones"] = [{"id": "not-a-uuid", "number": 999}]
    assert len(_errors(content["schema"], broken)) >= 2
    create = COMMITTED["paths"]["/v1/services"]["post"]["requestBody"]["content"]
    new = copy.deepcopy(create["application/json"]["examples"]["new"]["value"])
    new["unknown_field"] = 1
    assert _errors(create["application/json"]["schema"], new)


# -- the examples are real -----------------------------------------------------------------


def _documented(operation: dict[str, Any], status: int) -> dict[str, Any]:
    return operation["responses"][str(status)]["content"][PROBLEM]["example"]  # type: ignore[no-any-return]


def _assert_is_documented_problem(
    response: Any, operation: dict[str, Any], status: int, *, exactly: bool = True
) -> None:
    """The app's answer is the documented problem: all of it, or its type, title and status
    where the detail depends on the record."""
    documented = _documented(operation, status)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    if exactly:
        assert response.json() == documented
    else:
        assert {k: response.json()[k] for k in ("type", "title", "status")} == {
            k: documented[k] for k in ("type", "title", "status")
        }


def _url(path: str, operation: dict[str, Any], record_id: str | None = None) -> str:
    if "{id}" not in path:
        return path
    (id_parameter,) = [p for p in operation["parameters"] if p["name"] == "id"]
    return path.replace("{id}", record_id or id_parameter["example"])


@pytest.mark.parametrize(PARAMETERS, operations(lambda p, m, o: not secured(p, m, o)))
def test_read_examples_are_real_records_and_real_problems(
    path: str, method: str, operation: dict[str, Any], client: TestClient
) -> None:
    responses = operation["responses"]
    if "application/json" not in responses["200"]["content"]:  # a file: the HSDS package
        (media_type,) = responses["200"]["content"]
        assert client.get(path).headers["content-type"] == media_type
        return
    example = responses["200"]["content"]["application/json"]["example"]
    if "{id}" in path:
        real = client.get(path.replace("{id}", example["id"]))
        assert real.status_code == 200
        # The same record, but for the times: the examples are stamped with a fixed one.
        assert _without(real.json(), {"last_modified"}) == _without(example, {"last_modified"})
        unknown = client.get(path.replace("{id}", str(uuid.uuid4())))
        _assert_is_documented_problem(unknown, operation, 404, exactly=False)
    elif "400" in responses:
        bad = client.get(path, params={"per_page": 1001, "limit": 1001})
        _assert_is_documented_problem(bad, operation, 400, exactly=path != "/v1/changes")


@pytest.mark.parametrize(PARAMETERS, operations(secured))
def test_without_a_key_the_answer_is_the_documented_401(
    path: str, method: str, operation: dict[str, Any], client: TestClient
) -> None:
    # Refused before anything is read or written, so the shared read-only client will do.
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        response = client.request(method, _url(path, operation), headers=headers)
        assert response.headers["www-authenticate"] == "Bearer"
        _assert_is_documented_problem(response, operation, 401, exactly=not headers)


@pytest.mark.parametrize(
    PARAMETERS, operations(lambda p, m, o: secured(p, m, o) and _takes_if_match(o))
)
def test_preconditions_give_the_documented_428_and_412(
    path: str, method: str, operation: dict[str, Any], directory: Directory
) -> None:
    url = _url(path, operation)
    body = "{}" if method == "patch" else None
    headers = {**directory.admin, "Content-Type": MERGE_PATCH}
    missing = directory.client.request(method, url, content=body, headers=headers)
    _assert_is_documented_problem(missing, operation, 428)
    headers["If-Match"] = '"not-the-etag"'
    response = directory.client.request(method, url, content=body, headers=headers)
    _assert_is_documented_problem(response, operation, 412)


@pytest.mark.parametrize(
    PARAMETERS, operations(lambda p, m, o: secured(p, m, o) and "requestBody" in o)
)
def test_bad_bodies_give_the_documented_400_413_and_422(
    path: str, method: str, operation: dict[str, Any], directory: Directory
) -> None:
    ((media_type, _),) = operation["requestBody"]["content"].items()
    url = _url(path, operation, str(uuid.uuid4()) if "change_requests" in path else None)
    headers = {**directory.admin, "Content-Type": media_type, "If-Match": '"any"'}
    malformed = directory.client.request(method, url, content=b'{"name": ', headers=headers)
    _assert_is_documented_problem(malformed, operation, 400)
    huge = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    too_large = directory.client.request(method, url, content=huge, headers=headers)
    _assert_is_documented_problem(too_large, operation, 413)
    if method != "patch":  # a merge patch is checked against the record, after If-Match
        invalid = directory.client.request(method, url, content=b'{"x": 1}', headers=headers)
        _assert_is_documented_problem(invalid, operation, 422, exactly=False)


def test_an_invalid_merge_patch_gives_the_documented_422(directory: Directory) -> None:
    operation = COMMITTED["paths"]["/v1/services/{id}"]["patch"]
    url = _url("/v1/services/{id}", operation)
    etag = directory.client.get(url).headers["etag"]
    patch = {"phones": [{"number": "not a number"}]}
    headers = {**directory.admin, "If-Match": etag, "Content-Type": MERGE_PATCH}
    response = directory.client.patch(url, content=json.dumps(patch), headers=headers)
    _assert_is_documented_problem(response, operation, 422, exactly=False)
    assert response.json()["errors"][0]["field"] == "phones.0.number"


@pytest.mark.parametrize(PARAMETERS, operations(lambda p, m, o: secured(p, m, o) and "{id}" in p))
def test_an_unknown_id_gives_the_documented_404(
    path: str, method: str, operation: dict[str, Any], directory: Directory
) -> None:
    url = _url(path, operation, str(uuid.uuid4()))
    body = operation.get("requestBody", {}).get("content", {})
    content = next(iter(body.values()))["examples"] if body else {}
    data = json.dumps(next(iter(content.values()))["value"]) if content else None
    media = next(iter(body), "application/json")
    headers = {**directory.admin, "If-Match": '"any"', "Content-Type": media}
    response = directory.client.request(method, url, content=data, headers=headers)
    _assert_is_documented_problem(response, operation, 404, exactly=False)


@pytest.mark.parametrize(PARAMETERS, operations(lambda p, m, o: "403" in o["responses"]))
def test_what_a_partner_may_not_do_gives_the_documented_403(
    path: str, method: str, operation: dict[str, Any], directory: Directory
) -> None:
    # The partner is the example service's organisation: the other examples are not its own,
    # or are for administrators only.
    if path.startswith("/v1/services") and method in ("post", "patch", "delete"):
        pytest.skip("the example service is the partner's own")
    url = _url(path, operation)
    body = operation.get("requestBody", {}).get("content", {})
    media = next(iter(body), "application/json")
    data = None
    if body:
        data = json.dumps(next(iter(body[media]["examples"].values()))["value"])
    headers = {**directory.partner, "If-Match": '"any"', "Content-Type": media}
    response = directory.client.request(method, url, content=data, headers=headers)
    _assert_is_documented_problem(response, operation, 403, exactly=False)


def test_retiring_a_record_in_use_gives_the_documented_409(directory: Directory) -> None:
    operation = COMMITTED["paths"]["/v1/organizations/{id}"]["delete"]
    url = _url("/v1/organizations/{id}", operation)
    etag = directory.client.get(url).headers["etag"]
    response = directory.client.delete(url, headers={**directory.admin, "If-Match": etag})
    _assert_is_documented_problem(response, operation, 409)


@pytest.mark.parametrize("path", WRITABLE_PATHS)
def test_the_new_record_examples_are_accepted(path: str, directory: Directory) -> None:
    create = COMMITTED["paths"][path]["post"]
    for example in create["requestBody"]["content"]["application/json"]["examples"].values():
        response = directory.client.post(path, json=example["value"], headers=directory.admin)
        assert response.status_code == 201, response.text
        created = create["responses"]["201"]["content"]["application/json"]["example"]
        ignore = {"id", "last_modified", "link_id", "service_id", "organization_id"}
        assert _without(response.json(), ignore) == _without(created, ignore)


def test_the_held_change_example_is_held(directory: Directory) -> None:
    update = COMMITTED["paths"]["/v1/services/{id}"]["patch"]
    url = _url("/v1/services/{id}", update)
    held = update["requestBody"]["content"][MERGE_PATCH]["examples"]["held"]["value"]
    etag = directory.client.get(url).headers["etag"]
    headers = {**directory.partner, "If-Match": etag, "Content-Type": MERGE_PATCH}
    response = directory.client.patch(url, content=json.dumps(held), headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/change_requests/{response.json()['id']}"
    assert response.json()["body"] == held


def _without(node: Any, names: set[str]) -> Any:
    """`node` without the fields named (at any depth), its lists in a fixed order: what
    remains of a record once the ids and times a write makes up are set aside."""
    if isinstance(node, dict):
        return {k: _without(v, names) for k, v in node.items() if k not in names}
    if isinstance(node, list):
        return sorted(
            (_without(item, names) for item in node),
            key=lambda item: json.dumps(item, sort_keys=True),
        )
    return node


@pytest.mark.parametrize(("url", "marker"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_interactive_docs_are_served(client: TestClient, url: str, marker: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert marker in response.text.lower()
    assert "/v1/openapi.json" in response.text
