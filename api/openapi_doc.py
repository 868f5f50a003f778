"""The OpenAPI document, derived from the app, tidied to say what we actually send."""

import json
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
    spec["components"]["schemas"] = _drop_null_branches(spec["components"]["schemas"])
    examples = load_examples()
    for path in spec["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _drop_null_branches(parameter["schema"])
            _document_problems(operation)
            _add_examples(operation, examples)
    schemas = spec["components"]["schemas"]
    if "HTTPValidationError" not in json.dumps(spec["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return spec


PROBLEM = "application/problem+json"


def _document_problems(operation: dict[str, Any]) -> None:
    """Every error response is `application/problem+json` with the Problem schema, as sent.

    FastAPI files a response model under `application/json`, and adds a 422 to every
    operation; but a bad query or path parameter is a 400 problem here, so an operation
    without a request body never answers 422.
    """
    responses = operation["responses"]
    if "requestBody" not in operation:
        responses.pop("422", None)
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            content = response.setdefault("content", {})
            content.pop("application/json", None)
            content.setdefault(PROBLEM, {})["schema"] = {"$ref": "#/components/schemas/Problem"}


def _add_examples(operation: dict[str, Any], examples: dict[str, Any]) -> None:
    """An example 200 body for each operation; a real id for its `{id}` parameter."""
    example = examples.get(operation["operationId"])
    if example is None:
        return
    operation["responses"]["200"]["content"]["application/json"]["example"] = example
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] == "id":
            parameter["example"] = example["id"]
