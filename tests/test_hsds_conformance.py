"""Every JSON body of the read API validates against HSDS 3.0 and the ORUK 3.0 profile.

Each record of every type is fetched and validated (not a sample): detail bodies against
the compiled nested schemas (or the plain object schema, with its relative `$ref`s resolved
through a registry over the schema folder), list items against the `*_list.json` schemas,
and list envelopes against the `Page` schema of the official OpenAPI documents.
"""

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HSDS = Path(__file__).resolve().parents[2] / "shared" / "hsds"
PROFILES = {"hsds": HSDS / "3.0" / "schema", "oruk": HSDS / "uk" / "schema"}
PROFILE_NAMES = sorted(PROFILES)

ORUK_PROFILE_URL = "https://openreferraluk.org/specifications/3.0/"
OGL_V3_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ENVELOPE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}
ALL = {"per_page": "1000"}

# -- formats -------------------------------------------------------------------------------

# jsonschema checks "date-time" and "uri" only when optional packages are installed, so the
# two are defined here (RFC 3339 and RFC 3986 absolute URI) and the checks can never be
# silently skipped.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]+$")

FORMATS = FormatChecker(formats=("uuid", "email"))


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # month 13 etc. raise
    return True


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value) and urlsplit(value).scheme)


# -- schemas (loaded once; some are several MB) ----------------------------------------------


@cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _registry(profile: str) -> Registry:  # type: ignore[type-arg]
    """Every object schema of a profile, under its file URI, so relative `$ref`s resolve."""
    folder = PROFILES[profile]
    return Registry().with_resources(
        (path.as_uri(), Resource.from_contents(_load(path), default_specification=DRAFT202012))
        for path in folder.glob("*.json")
        if path.name != "openapi.json"
    )


@cache
def validator(profile: str, name: str) -> Draft202012Validator:
    """`compiled/service.json` is self-contained; `taxonomy.json` resolves through the registry."""
    path = PROFILES[profile] / name
    if "/" in name:
        return Draft202012Validator(_load(path), format_checker=FORMATS)
    return Draft202012Validator(
        {"$ref": path.as_uri()}, registry=_registry(profile), format_checker=FORMATS
    )


@cache
def openapi_validator(profile: str, pointer: tuple[str, ...]) -> Draft202012Validator:
    node = _load(PROFILES[profile] / "openapi.json")
    for key in pointer:
        node = node[key]
    return Draft202012Validator(node, format_checker=FORMATS)


def page_validator(profile: str) -> Draft202012Validator:
    return openapi_validator(profile, ("components", "schemas", "Page"))


def schema_errors(validator_: Draft202012Validator, body: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}"
        for e in validator_.iter_errors(body)
    ]


# -- helpers ---------------------------------------------------------------------------------


def get_json(client: TestClient, path: str, params: dict[str, str] | None = None) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def all_ids(client: TestClient, resource: str) -> list[str]:
    body = get_json(client, f"/v1/{resource}", ALL)
    assert body["total_items"] == len(body["contents"]) > 0, resource
    return [item["id"] for item in body["contents"]]


def null_paths(value: Any, path: str = "$") -> Iterator[str]:
    """Where a JSON null occurs anywhere in a document."""
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from null_paths(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from null_paths(child, f"{path}[{index}]")


# -- the validators really check formats ------------------------------------------------------


@pytest.mark.parametrize(
    ("format_name", "good", "bad"),
    [
        ("uuid", "3f7b145d-84af-42d7-8fae-eaca714b02b2", "3f7b145d"),
        ("date-time", "2024-05-16T10:00:00.5Z", "16/05/2024 10:00"),
        ("date-time", "2024-05-16T10:00:00+01:00", "2024-13-16T10:00:00Z"),
        ("uri", "https://example.org/a?b=c", "example.org/no scheme"),
        ("email", "info@example.org", "not an email"),
    ],
)
def test_format_checker_accepts_and_rejects(format_name: str, good: str, bad: str) -> None:
    assert FORMATS.conforms(good, format_name)
    assert not FORMATS.conforms(bad, format_name)


GOOD_ID = "3f7b145d-84af-42d7-8fae-eaca714b02b2"
BROKEN_RECORDS = [
    # (profile, schema, record, a path that must be reported)
    *[
        (profile, "compiled/service.json", {"id": "nope", "name": "x", "status": "active"}, "id")
        for profile in PROFILE_NAMES
    ],
    *[
        (
            profile,
            "compiled/service.json",
            {"id": GOOD_ID, "name": "x", "status": "active", "url": "no"},
            "url",
        )
        for profile in PROFILE_NAMES
    ],
    # Only reported if the relative $refs between the two files resolve through the registry.
    (
        "hsds",
        "taxonomy_term.json",
        {"id": GOOD_ID, "name": "x", "taxonomy_detail": {}},
        "taxonomy_detail",
    ),
    (
        "oruk",
        "taxonomy.json",
        {"id": GOOD_ID, "name": "x", "description": "y", "taxonomy_terms": [{"id": "nope"}]},
        "taxonomy_terms/0/id",
    ),
]


@pytest.mark.parametrize(("profile", "schema", "record", "where"), BROKEN_RECORDS)
def test_schemas_reject_broken_records(
    profile: str, schema: str, record: dict[str, Any], where: str
) -> None:
    """Guards against a validator that silently accepts anything."""
    errors = schema_errors(validator(profile, schema), record)
    assert any(e.startswith(f"{where}:") for e in errors), errors


# -- detail bodies ---------------------------------------------------------------------------

DETAIL_SCHEMAS = [
    ("services", "compiled/service.json"),
    ("organizations", "compiled/organization.json"),
    ("service_at_locations", "compiled/service_at_location.json"),
    ("taxonomies", "taxonomy.json"),
    ("taxonomy_terms", "taxonomy_term.json"),
]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize(("resource", "schema"), DETAIL_SCHEMAS)
def test_every_record_validates(
    client: TestClient, resource: str, schema: str, profile: str
) -> None:
    check = validator(profile, schema)
    failures = {}
    for record_id in all_ids(client, resource):
        body = get_json(client, f"/v1/{resource}/{record_id}")
        assert body["id"] == record_id
        if errors := schema_errors(check, body):
            failures[record_id] = errors
    assert not failures, json.dumps(failures, indent=1)[:4000]


# -- list bodies -----------------------------------------------------------------------------

LIST_SCHEMAS = [
    ("services", {}, "compiled/service_list.json"),
    ("services", {"full": "true"}, "compiled/service.json"),
    ("organizations", {}, "compiled/organization_list.json"),
    ("service_at_locations", {}, "compiled/service_at_location_list.json"),
    ("taxonomies", {}, "taxonomy.json"),
    ("taxonomy_terms", {}, "taxonomy_term.json"),
]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize(("resource", "params", "item_schema"), LIST_SCHEMAS)
@pytest.mark.parametrize("per_page", ["1000", "2"])
def test_list_bodies_validate(
    client: TestClient,
    resource: str,
    params: dict[str, str],
    item_schema: str,
    profile: str,
    per_page: str,
) -> None:
    body = get_json(client, f"/v1/{resource}", {**params, "per_page": per_page})
    assert set(body) == ENVELOPE_KEYS
    assert schema_errors(page_validator(profile), body) == []
    assert isinstance(body["contents"], list) and body["contents"]
    check = validator(profile, item_schema)
    failures = {
        item.get("id", index): errors
        for index, item in enumerate(body["contents"])
        if (errors := schema_errors(check, item))
    }
    assert not failures, json.dumps(failures, indent=1)[:4000]


def test_every_list_page_covers_every_record_for_validation(client: TestClient) -> None:
    """The per_page=1000 lists above really hold every record of each type."""
    for resource in {resource for resource, _, _ in LIST_SCHEMAS}:
        body = get_json(client, f"/v1/{resource}", ALL)
        assert body["total_pages"] == 1 and body["size"] == body["total_items"], resource


# -- the API details document ------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_details(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = get_json(client, "/v1/")
    return body


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_api_details_validate_against_openapi(api_details: dict[str, Any], profile: str) -> None:
    pointer = ("paths", "/", "get", "responses", "200", "content", "application/json", "schema")
    assert schema_errors(openapi_validator(profile, pointer), api_details) == []


def test_api_details_name_version_and_profile(api_details: dict[str, Any]) -> None:
    assert api_details["version"] == "3.0"
    assert api_details["profile"] == ORUK_PROFILE_URL


def test_api_details_openapi_url_is_absolute_and_served(
    client: TestClient, api_details: dict[str, Any]
) -> None:
    url = urlsplit(api_details["openapi_url"])
    assert url.scheme in ("http", "https") and url.netloc
    assert url.path.endswith("/v1/openapi.json")
    spec = get_json(client, url.path)
    assert spec["openapi"].startswith("3.1")


def test_api_details_license_is_ogl_v3(api_details: dict[str, Any]) -> None:
    assert api_details["license"] == {"name": "Open Government Licence v3.0", "url": OGL_V3_URL}


@pytest.mark.parametrize("field", ["name", "description", "publisher", "last_modified"])
def test_api_details_extension_fields(api_details: dict[str, Any], field: str) -> None:
    assert isinstance(api_details[field], str) and api_details[field].strip()


# -- never a null ----------------------------------------------------------------------------

LIST_RESOURCES = [
    "services",
    "organizations",
    "service_at_locations",
    "taxonomies",
    "taxonomy_terms",
    "reporting_channels",
    "guidance",
]
LIST_VARIANTS = [{}, {"full": "true"}, {"minimal": "true"}]


@pytest.mark.parametrize("resource", LIST_RESOURCES)
def test_no_null_in_any_list_or_detail_body(client: TestClient, resource: str) -> None:
    bodies = {f"/v1/{resource}": get_json(client, f"/v1/{resource}", ALL)}
    if resource == "services":
        for params in LIST_VARIANTS[1:]:
            bodies[f"/v1/services {params}"] = get_json(client, "/v1/services", {**params, **ALL})
    for record_id in all_ids(client, resource):
        path = f"/v1/{resource}/{record_id}"
        bodies[path] = get_json(client, path)
    nulls = {where: found for where, body in bodies.items() if (found := list(null_paths(body)))}
    assert not nulls, nulls


def test_no_null_in_ndjson_lines(client: TestClient) -> None:
    response = client.get("/v1/services", params={"format": "ndjson"})
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines
    nulls = [found for line in lines if (found := list(null_paths(json.loads(line))))]
    assert not nulls, nulls


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/", 200),
        ("/v1/openapi.json", 200),
        ("/v1/guidance/00000000-0000-0000-0000-000000000000", 404),
        ("/v1/services/not-a-uuid", 404),
        ("/v1/services/00000000-0000-0000-0000-000000000000", 404),
        ("/v1/services?page=0", 400),
        ("/v1/reporting_channels?urgency=whenever", 400),
    ],
)
def test_no_null_in_other_bodies(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert list(null_paths(response.json())) == []


def test_null_finder_finds_nested_nulls() -> None:
    assert list(null_paths({"a": [1, {"b": None}], "c": None})) == ["$.a[1].b", "$.c"]
