"""Examples for the OpenAPI document, made from the seed data by `make openapi`.

They are generated, never edited by hand: `generate_examples()` seeds a throwaway
in-memory database, asks the app for one page of each list and one record of each type,
then makes real writes through the app (each kind of record created and changed by an
administrator; partners' changes held for review; one approved, one rejected; a service
verified) and keeps what was sent and what came back. `openapi/examples.json` keeps the
result, so the served spec needs no database. It maps each operationId to its example
bodies: `{"200": …, "202": …, "request": {name: OpenAPI Example object}}`.
"""

import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

EXAMPLES_FILE = Path(__file__).resolve().parent.parent / "openapi" / "examples.json"
EXAMPLE_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)  # stable, so the file does not churn
EXAMPLE_IDS = uuid.UUID("0d7f3f4e-4f0b-4bd5-9d8a-1c6a2f1f3b5e")  # namespace of made-up ids
# Made-up contact points for the examples of changes: Ofcom keeps 0113 496 0xxx for drama,
# and example.org is reserved, so neither reaches anyone.
NEW_NUMBER = "0113 496 0000"
NEW_WEBSITE = "https://example.org/"
# What a new record's nested parts need not carry: the ids and links the server sets, and
# the term an attribute already names by `taxonomy_term_id`.
NOT_SENT = {
    *("id", "service_id", "organization_id", "contact_id", "link_id", "link_entity"),
    "taxonomy_term",
}


def load_examples() -> dict[str, Any]:
    if not EXAMPLES_FILE.exists():
        return {}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def examples_text(examples: dict[str, Any]) -> str:
    return json.dumps(examples, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def generate_examples() -> dict[str, Any]:
    # Development-time imports: the test client and the seed are not needed to serve.
    from fastapi.testclient import TestClient
    from sqlalchemy import delete, update
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session, SQLModel, create_engine

    import models
    from api.app import create_app
    from api.dataset_version import lock_dataset
    from api.settings import Settings
    from seed.loader import load_seed, record_feed_baselines

    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        load_seed(session)
        for table in (
            models.Organization,
            models.Service,
            models.ReportingChannel,
            models.Guidance,
        ):
            session.execute(update(table).values(last_modified=EXAMPLE_TIME))
        # The feed's first entries were stamped while seeding: record them again, at
        # EXAMPLE_TIME (the records' last_modified, or the clock for those without one).
        lock_dataset(session)
        session.execute(delete(models.Change))
        with mock.patch("seed.loader.utcnow", lambda: EXAMPLE_TIME):
            record_feed_baselines(session)
        session.commit()
    app = create_app(Settings(database_url="sqlite://"), engine=engine)
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    examples = _examples_of_reads(client, app.openapi())
    with _made_up_ids_and_times():
        _examples_of_writes(_Writer(client, app.openapi(), engine, examples))
    engine.dispose()
    return examples


@contextmanager
def _made_up_ids_and_times() -> Iterator[None]:
    """Writes make up ids (uuid4) and times (`now()`): here they come from a counter, and
    the clock starts at EXAMPLE_TIME and moves on a minute each time it is read."""
    ids = (uuid.uuid5(EXAMPLE_IDS, str(n)) for n in itertools.count(1))
    times = (EXAMPLE_TIME + timedelta(minutes=n) for n in itertools.count(1))
    with (
        mock.patch("uuid.uuid4", lambda: next(ids)),
        mock.patch("api.writes.records.now", lambda: next(times)),
    ):
        yield


def _examples_of_reads(client: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """One page of each public list, and the first record of each type."""
    examples: dict[str, Any] = {}
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None or "security" in operation:  # the admins' reads come later
            continue
        if not path.startswith("/v1"):  # /healthz, /readyz: examples on their routes
            continue
        if "application/json" not in operation["responses"]["200"]["content"]:
            continue  # a file (the HSDS package): its media type and schema say what it is
        if path.endswith("/{id}"):
            first = client.get(path.removesuffix("/{id}"), params={"per_page": 1}).json()
            example = client.get(path.replace("{id}", first["contents"][0]["id"])).json()
        else:
            example = client.get(path, params={"per_page": 1, "limit": 1}).json()
        examples[operation["operationId"]] = {"200": example}
    return examples


class _Writer:
    """Makes requests through the app and keeps them as examples of their operations."""

    def __init__(self, client: Any, spec: dict[str, Any], engine: Any, examples: dict[str, Any]):
        self.client, self.spec, self.engine, self.examples = client, spec, engine, examples

    def key(self, organization_id: str | None = None) -> dict[str, str]:
        """An admin key, or a partner key for an organisation (named after it)."""
        from sqlmodel import Session

        from api.keys import create_key
        from models.api_key import Role

        if organization_id is None:
            name, role, organization = "Directory team", Role.admin, None
        else:
            name = self.client.get(f"/v1/organizations/{organization_id}").json()["name"]
            role, organization = Role.partner, uuid.UUID(organization_id)
        with Session(self.engine) as session:
            _, secret = create_key(session, name, role, organization)
        return {"Authorization": f"Bearer {secret}"}

    def example(self, template: str, method: str = "get") -> dict[str, Any]:
        operation = self.spec["paths"][template][method]
        return self.examples.setdefault(operation["operationId"], {})  # type: ignore[no-any-return]

    def send(
        self,
        method: str,
        template: str,
        key: dict[str, str],
        record_id: str = "",
        body: Any = None,
        named: tuple[str, str] | None = None,
        status: int = 200,
    ) -> Any:
        """Send a request to the operation at `template`; keep the response body as its
        example for `status`, and the request body as an example `named` (key, summary)."""
        path = template.replace("{id}", record_id)
        headers = dict(key)
        if body is not None:
            headers["Content-Type"] = "application/json"
        if method == "patch":
            headers["Content-Type"] = "application/merge-patch+json"
        if method == "patch" or template.endswith("/verify"):
            headers["If-Match"] = self.client.get(path.removesuffix("/verify")).headers["etag"]
        content = None if body is None else json.dumps(body)
        response = self.client.request(method, path, content=content, headers=headers)
        assert response.status_code == status, (method, path, response.text)
        example = self.example(template, method)
        example[str(status)] = response.json()
        if named is not None:
            name, summary = named
            example.setdefault("request", {})[name] = {"summary": summary, "value": body}
        return response.json()


def _examples_of_writes(w: _Writer) -> None:
    """An administrator creates a record of each kind like the example one, and makes a
    small change to it; partners' changes are held for review (a phone number added to a
    service, a new website, a reporting channel); one is approved, one rejected; a service
    is verified; and each record's history shows what happened to it."""
    from api.app import WRITABLE
    from api.writes.resources import RESOURCES

    admin = w.key()
    records: dict[str, dict[str, Any]] = {}  # the example record of each kind, by path
    new: dict[str, dict[str, Any]] = {}  # a new record like it
    for resource_type, path, _noun, _tag in WRITABLE:
        one = f"/v1{path}/{{id}}"
        record = records[path] = w.example(one)["200"]
        new[path] = _new_record(record, set(RESOURCES[resource_type].write.model_fields))
        w.send(
            "post", f"/v1{path}", admin, body=new[path], named=("new", "A new record"), status=201
        )
        if path == "/services":
            edit = {"alert": "Closed on 25 and 26 December."}
        else:
            edit = {"description": f"{record['description']} Checked by the directory team."}
        w.send(
            "patch",
            one,
            admin,
            record["id"],
            edit,
            ("published", "A small change: published at once"),
        )

    service, organization = records["/services"], records["/organizations"]
    channel = records["/reporting_channels"]
    service_partner = w.key(service["organization_id"])
    phone_added = w.send(
        "patch",
        "/v1/services/{id}",
        service_partner,
        service["id"],
        {"phones": [*service["phones"], {"number": NEW_NUMBER, "type": "voice"}]},
        ("held", "A partner adds a phone number (the whole list is sent): held for review"),
        status=202,
    )
    w.send("post", "/v1/services", service_partner, body=new["/services"], status=202)
    w.send(
        "patch",
        "/v1/organizations/{id}",
        w.key(organization["id"]),
        organization["id"],
        {"website": NEW_WEBSITE},
        ("held", "A partner changes its website: held for review"),
        status=202,
    )
    channel_partner = w.key(channel["organization_id"])
    w.send(
        "post",
        "/v1/reporting_channels",
        channel_partner,
        body=new["/reporting_channels"],
        status=202,
    )
    number_changed = w.send(
        "patch",
        "/v1/reporting_channels/{id}",
        channel_partner,
        channel["id"],
        {"number": NEW_NUMBER},
        ("held", "A partner changes a reporting channel: always held for review"),
        status=202,
    )

    approved = w.send("post", "/v1/change_requests/{id}/approve", admin, phone_added["id"])
    w.send(
        "post",
        "/v1/change_requests/{id}/reject",
        admin,
        number_changed["id"],
        {"reason": "Please send a source that gives the new number."},
        ("reason", "Why it was rejected, for the partner"),
    )
    w.send("get", "/v1/change_requests/{id}", admin, approved["id"])
    w.example("/v1/change_requests")["200"] = w.client.get(
        "/v1/change_requests", params={"status": "pending", "per_page": 1}, headers=admin
    ).json()
    w.send("post", "/v1/services/{id}/verify", admin, service["id"])
    for path, record in records.items():
        w.send("get", f"/v1{path}/{{id}}/history", admin, record["id"])


def _new_record(record: dict[str, Any], writable: set[str]) -> dict[str, Any]:
    """A new record like `record`: its fields a client may send, without the ids and links
    of its nested parts (which the server sets), under another name."""

    def sendable(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: sendable(v) for k, v in node.items() if k not in NOT_SENT}
        if isinstance(node, list):
            return [sendable(item) for item in node]
        return node

    new = {k: sendable(v) for k, v in record.items() if k in writable}
    return {**new, "name": f"{record['name']} (copy)"}
