"""The OpenAPI document, derived from the app, tidied to say what we actually send."""

import json
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.openapi_examples import load_examples

DESCRIPTION = """\
An open-data directory of help for people affected by stalking and harassment in England.

The read API under `/v1` follows **HSDS 3.0** with the **Open Referral UK 3.0** profile, plus
two extensions: `reporting_channels` (999, textphone 18000, emergencySMS, the silent
solution, non-emergency routes) and `guidance`. Every record cites its sources.

Empty optional fields are left out, never sent as `null`. Errors are
`application/problem+json` (RFC 9457). The data is published under the Open Government
Licence v3.0.

## Partner workflow

Reading needs no key. Writing needs one, sent as `Authorization: Bearer <key>` and made by
the operator with `helpdir keys create`. An **admin** key may do anything; a **partner** key
is bound to one organisation and may change that organisation's record and its services,
and propose its reporting channels.

1. `GET /v1/services/{id}` and keep the `ETag` response header.
2. `PATCH /v1/services/{id}` with `Content-Type: application/merge-patch+json`,
   `If-Match: <the ETag>` and only the fields to change (RFC 7386: `null` removes a field, a
   list such as `phones` is replaced whole).
3. `200`: published at once, with the new `ETag`. `202`: a partner's change to a phone number,
   email, URL or reporting channel is held for review; the body is the change request, and
   `Location` is `/v1/change_requests/{id}`. `412`: the record changed since your GET (GET it
   again and redo the change); `428`: `If-Match` is missing.
4. An administrator lists `GET /v1/change_requests?status=pending` and approves
   (`POST /v1/change_requests/{id}/approve`, applied atomically) or rejects it
   (`POST /v1/change_requests/{id}/reject` with a reason).

Every applied change is in the record's history (`GET …/{id}/history`, administrators) and
in the public feed `GET /v1/changes`.

## Caching and fair use

Anonymous reads are public and cacheable: `ETag`, `Last-Modified`,
`Cache-Control: public, max-age=60, stale-while-revalidate=60, stale-if-error=86400`,
`Access-Control-Allow-Origin: *`, and gzip when asked (`Accept-Encoding: gzip`). Send
`If-None-Match` with the ETag you have to get `304 Not Modified` (no body) while nothing
changed. A write is visible to the next read at once. Requests with a key are
`Cache-Control: private, no-store`.

Requests are limited per client address (anonymous) and per key, per minute; every
response says `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`, and a client
over its limit gets `429` with `Retry-After`.
"""


def _drop_null_branches(node: Any) -> Any:
    """`X | None` fields are never sent as null, so document them as plain `X`."""
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        if isinstance(any_of, list):
            kept = [b for b in any_of if b != {"type": "null"}]
            if len(kept) == 1 and len(kept) < len(any_of):
                rest = {k: v for k, v in node.items() if k != "anyOf"}
                node = {**kept[0], **rest}
        return {k: _drop_null_branches(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_drop_null_branches(v) for v in node]
    return node


def build_openapi(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=DESCRIPTION,
        routes=app.routes,
        license_info={
            "name": "Data: Open Government Licence v3.0",
            "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        },
    )
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        if not name.endswith("Write"):  # a client may send null for "not set"
            schemas[name] = _drop_null_branches(schema)
    examples = load_examples()
    for path in spec["paths"].values():
        for method, operation in path.items():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _drop_null_branches(parameter["schema"])
                if parameter["in"] == "header" and parameter["name"] == "If-Match":
                    # Optional to FastAPI only so that a missing one gets our 428, not a 400.
                    parameter["required"] = True
            _add_common_responses(method, operation)
            _document_problems(operation)
            _add_examples(operation, examples.get(operation["operationId"], {}))
    _add_id_examples(spec["paths"])
    _add_links(spec["paths"])
    if "HTTPValidationError" not in json.dumps(spec["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return spec


PROBLEM = "application/problem+json"

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer"},
    }
}


def _add_common_responses(method: str, operation: dict[str, Any]) -> None:
    """What any operation may answer besides its own responses: 429 and 503, and for a GET
    the 304 of a matching `If-None-Match` (api/response_cache.py, api/rate_limit.py)."""
    from api.errors import problem_responses  # api.errors uses this module

    responses = operation["responses"]
    if method == "get":
        responses.setdefault(
            "304",
            {
                "description": "Not Modified: the `If-None-Match` ETag is still current. No body.",
                "headers": {
                    "ETag": {"description": "The current ETag.", "schema": {"type": "string"}}
                },
            },
        )
    for status, problem in problem_responses(429, 503).items():
        documented = {k: v for k, v in problem.items() if k != "model"}
        responses.setdefault(str(status), {**documented, "headers": _RETRY_AFTER})


def _document_problems(operation: dict[str, Any]) -> None:
    """Every error response is `application/problem+json` with the Problem schema, as sent.

    FastAPI files a response model under `application/json`, and adds a 422 to every
    operation; but a bad query or path parameter is a 400 problem here, so that 422 is
    dropped where there is no request body.
    """
    responses = operation["responses"]
    fastapi_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
    unprocessable = responses.get("422", {}).get("content", {}).get("application/json", {})
    if "requestBody" not in operation and unprocessable.get("schema") == fastapi_422:
        del responses["422"]
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            content = response.setdefault("content", {})
            content.pop("application/json", None)
            content.setdefault(PROBLEM, {})["schema"] = {"$ref": "#/components/schemas/Problem"}


def _add_examples(operation: dict[str, Any], examples: dict[str, Any]) -> None:
    """Example bodies, generated from the seed data (`api/openapi_examples.py`): of each
    success response, and of the request body (named examples, as OpenAPI has them)."""
    for status, response in operation["responses"].items():
        if status in examples:
            response["content"]["application/json"]["example"] = examples[status]
    if "request" in examples:
        (content,) = operation["requestBody"]["content"].values()
        content["examples"] = examples["request"]


def _add_id_examples(paths: dict[str, Any]) -> None:
    """Every `{id}` parameter's example is the id of the example its record's GET returns."""
    for path, operations in paths.items():
        if "{id}" not in path:
            continue
        record_path = path[: path.index("{id}") + len("{id}")]
        content = paths[record_path]["get"]["responses"]["200"]["content"]["application/json"]
        if "example" not in content:
            continue
        for operation in operations.values():
            for parameter in operation["parameters"]:
                if parameter["in"] == "path" and parameter["name"] == "id":
                    parameter["example"] = content["example"]["id"]


def _add_links(paths: dict[str, Any]) -> None:
    """OpenAPI links, so a client (or schemathesis's state machine) can follow a record from
    any response that returns it to every operation on it: the id from the body, and the
    ETag as `If-Match` where the operation needs one. A list links to its first record."""
    record_paths = {  # a record's schema -> the path of the GET that returns it
        content["schema"]["$ref"]: path
        for path, operations in paths.items()
        if path.endswith("/{id}") and "get" in operations
        for content in [operations["get"]["responses"]["200"]["content"]["application/json"]]
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if not status.startswith("2") or schema is None:
                    continue
                if method == "get" and f"{path}/{{id}}" in paths:
                    record_path, record_id = f"{path}/{{id}}", "$response.body#/contents/0/id"
                elif schema.get("$ref") in record_paths:
                    record_path, record_id = record_paths[schema["$ref"]], "$response.body#/id"
                else:
                    continue
                etag = "ETag" in response.get("headers", {})
                response["links"] = {
                    target["operationId"]: _link(target, record_id, etag)
                    for target_path, targets in paths.items()
                    if target_path.startswith(record_path)
                    for target in targets.values()
                }


def _link(target: dict[str, Any], record_id: str, etag: bool) -> dict[str, Any]:
    parameters = {"path.id": record_id}
    if etag and any(p["name"] == "If-Match" for p in target["parameters"]):
        parameters["header.If-Match"] = "$response.header.ETag"
    return {"operationId": target["operationId"], "parameters": parameters}


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the spec has for this path (with HEAD wherever GET is), for `Allow`."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
