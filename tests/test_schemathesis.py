"""Property-based conformance of the running API to the *committed* OpenAPI document.

Schemathesis reads `openapi/openapi.json` (what clients download, not what the app would
generate now), generates valid and invalid requests for every operation (examples,
coverage and fuzzing phases) and runs every built-in check on each response:

- the public reads without a key, against the shared seeded directory;
- every operation that needs a key, once with an admin key and once with a partner key
  (of the example service's organisation), each against a private seeded directory of its
  own, since they write. Where a case sends an If-Match, it is replaced by the record's
  current ETag, so that changes get past the precondition and are tested too;
- a state machine that follows the spec's OpenAPI links with an admin key (POST -> GET ->
  PATCH with the ETag -> DELETE -> GET again; a list -> its first record -> its history).

The budget is small and derandomised so the file is reproducible and quick in CI."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from private_directory import ADMIN_KEY, PARTNER_KEY, Directory, private_directory
from schemathesis import BaseSchema
from schemathesis.checks import CHECKS, is_check_class, load_all_checks

OPENAPI = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
SPEC: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
SECURED = sorted(
    operation["operationId"]
    for item in SPEC["paths"].values()
    for operation in item.values()
    if "security" in operation
)
EXAMPLE_SERVICE = SPEC["paths"]["/v1/services/{id}"]["get"]["responses"]["200"]["content"][
    "application/json"
]["example"]

CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            # A request that matches the schema may still be refused for what it says, as
            # documented: 422 for a phone number that does not exist or an id that names no
            # record (no schema can say which), 412 for an If-Match that is not the record's
            # current ETag (which schemathesis cannot know).
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422", "428"]
            },
            # A request wrong in one part may be refused for another first: a change with a
            # stale If-Match, or a body over 1 MiB, is refused before the body is read.
            "negative_data_rejection": {
                "expected-statuses": [
                    *["400", "401", "403", "404", "405", "406", "409", "412", "413"],
                    *["415", "422", "428", "429", "5xx"],
                ]
            },
            # 428 Precondition Required is the answer to a missing If-Match (RFC 6585).
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]
            },
        }
    }
)


def _schema(key: str | None = None) -> BaseSchema:
    """The committed spec; with a key, declared to schemathesis as the API's auth, so that
    it knows the key is real: it leaves it out where a case tests a request without
    credentials, and `ignored_auth` checks that a keyed success fails without the key and
    with a made-up one."""
    loaded = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)
    if key is not None:

        @loaded.auth(refresh_interval=None, retry_on=[])
        class Bearer:
            def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
                return key

            def set(
                self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext
            ) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return loaded


schema = _schema()
public_reads = schema.include(method="GET").exclude(operation_id=SECURED)
as_admin = _schema(ADMIN_KEY).include(operation_id=SECURED)
as_partner = _schema(PARTNER_KEY).include(operation_id=SECURED)

load_all_checks()
# Every built-in response check, passed explicitly so a config file cannot switch any off.
# `use_after_free` and `ensure_resource_availability` act on the state machine's sequences;
# `ignored_auth` retries a keyed success without the key; `object_level_authorization`
# needs several identities on one operation and passes trivially here.
ALL_CHECKS = [check for check in CHECKS.get_all() if not is_check_class(check)]

EXPECTED_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
}

BUDGET = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_every_expected_check_is_run() -> None:
    names = {check.__name__ for check in ALL_CHECKS}
    assert names >= EXPECTED_CHECKS, f"checks missing: {sorted(EXPECTED_CHECKS - names)}"


def test_every_operation_is_covered() -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    covered = [result.ok() for result in public_reads.get_all_operations()] + [
        result.ok() for result in as_admin.get_all_operations()
    ]
    assert len(operations) == sum(len(path) for path in SPEC["paths"].values())
    assert sorted(op.label for op in covered) == sorted(op.label for op in operations)
    methods = {method for path in SPEC["paths"].values() for method in path}
    assert methods == {"get", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def admin_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    with private_directory(
        tmp_path_factory.mktemp("admin"), EXAMPLE_SERVICE["organization_id"]
    ) as directory:
        yield directory


@pytest.fixture(scope="module")
def partner_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    with private_directory(
        tmp_path_factory.mktemp("partner"), EXAMPLE_SERVICE["organization_id"]
    ) as directory:
        yield directory


def _with_current_etag(case: schemathesis.Case, client: TestClient) -> None:
    """Schemathesis cannot know a record's ETag, so every If-Match it makes up is stale
    (412). Where it sends one to change a record, send the record's current ETag instead,
    so the change itself is tested too; a missing If-Match still tests the 428. Retiring is
    left to the state machine: retiring an example record here would turn every later
    case on it into a 404."""
    id_ = (case.path_parameters or {}).get("id")
    if (
        case.method == "DELETE"
        or not isinstance(id_, str)
        or "If-Match" not in (case.headers or {})
    ):
        return
    record = case.path[: case.path.index("{id}")] + quote(id_, safe="")
    current = client.get(record)
    if current.status_code == 200:
        case.headers["If-Match"] = current.headers["etag"]


def _call_and_validate(case: schemathesis.Case, directory: Directory) -> None:
    _with_current_etag(case, directory.client)
    # `ignored_auth` repeats a keyed success without the key through the schema's own
    # transport, which must therefore know the app too.
    case.operation.schema.app = directory.app
    case.call_and_validate(app=directory.app, checks=ALL_CHECKS)


@public_reads.parametrize()
@BUDGET
def test_public_reads_conform_to_committed_spec(case: schemathesis.Case, app: Any) -> None:
    case.call_and_validate(app=app, checks=ALL_CHECKS)


@as_admin.parametrize()
@BUDGET
def test_an_admin_key_gets_what_the_spec_says(
    case: schemathesis.Case, admin_directory: Directory
) -> None:
    _call_and_validate(case, admin_directory)


@as_partner.parametrize()
@BUDGET
def test_a_partner_key_gets_what_the_spec_says(
    case: schemathesis.Case, partner_directory: Directory
) -> None:
    _call_and_validate(case, partner_directory)


# -- following the links --------------------------------------------------------------------


def use_after_free(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> Any:
    """Schemathesis's `use_after_free`, except for a record's history, which outlives the
    record by design: an administrator can still see who retired it, and when."""
    if case.path.endswith("/history"):
        return None
    return USE_AFTER_FREE(ctx, response, case)


USE_AFTER_FREE = next(check for check in ALL_CHECKS if check.__name__ == "use_after_free")
SEQUENCE_CHECKS = [use_after_free if c is USE_AFTER_FREE else c for c in ALL_CHECKS]


class Workflow(_schema(ADMIN_KEY).as_state_machine()):  # type: ignore[misc]
    """Sequences along the spec's links, with an admin key: e.g. POST a record -> GET it ->
    PATCH it with the ETag the GET gave -> DELETE it with the next ETag -> GET it again
    (which `use_after_free` requires to be 404); or a list -> its first record -> its
    history."""

    directory: Directory  # set by the test, before the machine runs

    def setup(self) -> None:
        self.schema.app = self.directory.app  # for `ignored_auth`'s repeats without the key

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"app": self.directory.app}

    def validate_response(  # type: ignore[override]
        self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any
    ) -> None:
        case.validate_response(
            response, checks=SEQUENCE_CHECKS, transport_kwargs=kwargs, recorder=self.recorder
        )


def test_sequences_along_the_links_conform(tmp_path: Path) -> None:
    with private_directory(tmp_path, EXAMPLE_SERVICE["organization_id"]) as directory:
        Workflow.directory = directory
        Workflow.run(
            settings=settings(
                max_examples=100,
                stateful_step_count=8,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
        )
