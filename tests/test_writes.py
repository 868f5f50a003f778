"""Creating, changing and retiring records through the API, and every way a write can fail.

A failed write must leave no partial change: after each refused or crashed write, the
records it aimed at read exactly as before (body and ETag) and the change feed has no new
entry. A number someone in danger may call must never be half-written.
"""

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from write_helpers import (
    CALL_999,
    HIGH_RISK_VICTIMS,
    KINDS,
    NATIONAL_STALKING_HELPLINE,
    PALADIN,
    PALADIN_SERVICE,
    PALADIN_YOUNG_PERSONS,
    PATHS,
    POLICE_EMERGENCY_SERVICE,
    SEEDED,
    SPECIALIST_ADVOCACY,
    SUZY_LAMPLUGH,
    THAMES_VALLEY_POLICE,
    YOUNG_PEOPLE,
    Env,
    assert_nothing_changed,
    assert_problem,
    make_env,
    new_record,
    phone_numbers,
    snapshots,
)

import api.writes.records
from api.writes.resources import RESOURCES
from models.change import ResourceType

MiB = 1024 * 1024


@pytest.fixture
def env(seeded_engine: Engine) -> Env:
    return make_env(seeded_engine)


def seeded_path(kind: str) -> str:
    return f"{PATHS[kind]}/{SEEDED[kind]}"


def assert_echoes(sent: Any, got: Any, where: str = "") -> None:
    """`got` says everything `sent` said. Lists of objects are compared as sets, since the
    server orders nested records by id; an object may carry more (ids, owner ids)."""
    if isinstance(sent, dict):
        assert isinstance(got, dict), where
        for key, value in sent.items():
            assert key in got, f"{where}.{key} missing"
            assert_echoes(value, got[key], f"{where}.{key}")
    elif isinstance(sent, list) and sent and isinstance(sent[0], dict):
        assert isinstance(got, list) and len(got) == len(sent), where
        unmatched = list(got)
        for item in sent:
            match = next(g for g in unmatched if _contains(item, g))
            unmatched.remove(match)
    else:
        assert sent == got, (where, sent, got)


def without_last_modified(document: Any) -> Any:
    if isinstance(document, dict):
        return {k: without_last_modified(v) for k, v in document.items() if k != "last_modified"}
    if isinstance(document, list):
        return [without_last_modified(item) for item in document]
    return document


def _contains(sent: dict[str, Any], got: dict[str, Any]) -> bool:
    try:
        assert_echoes(sent, got)
    except AssertionError:
        return False
    return True


# -- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_admin_creates_a_record_of_each_kind(env: Env, kind: str) -> None:
    cursor = env.cursor()
    sent = new_record(kind)
    response = env.create(kind, sent, env.admin)
    assert response.status_code == 201, response.text
    body = response.json()
    uuid.UUID(body["id"])
    assert response.headers["location"] == f"{PATHS[kind]}/{body['id']}"
    assert response.headers["etag"].startswith('"')
    assert_echoes(sent, body)

    got = env.client.get(response.headers["location"])
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == response.headers["etag"]
    assert body["id"] in {r["id"] for r in env.all(PATHS[kind])}

    entries = env.feed(after=cursor)
    (entry,) = [e for e in entries if e["resource_id"] == body["id"]]
    assert (entry["resource_type"], entry["action"]) == (kind, "created")
    assert entry["record"] == body
    # Anything else in the feed is a record that embeds the new one, shown anew.
    assert all(e["action"] == "updated" for e in entries if e is not entry)


def test_a_created_service_nests_what_was_sent(env: Env) -> None:
    response = env.create("service", new_record("service"), env.admin)
    assert response.status_code == 201, response.text
    service = response.json()
    assert service["organization"]["id"] == PALADIN
    assert phone_numbers(service) == ["0808 802 0300"]
    assert {a["name"] for a in service["service_areas"]} == {"England", "Wales"}
    (attribute,) = service["attributes"]
    assert attribute["taxonomy_term"]["id"] == HIGH_RISK_VICTIMS
    assert attribute["link_type"] == "audience" and attribute["link_id"] == service["id"]
    assert all(p["service_id"] == service["id"] for p in service["phones"])
    listed = env.all("/v1/services", organization_id=PALADIN)
    assert service["id"] in {s["id"] for s in listed}
    found = env.all("/v1/services", search="evening advocacy")
    assert [s["id"] for s in found] == [service["id"]]


def test_a_client_cannot_choose_the_id_of_a_new_record(env: Env) -> None:
    chosen = str(uuid.uuid4())
    before = snapshots(env, "/v1/guidance?per_page=1000")
    cursor = env.cursor()
    response = env.create("guidance", {**new_record("guidance"), "id": chosen}, env.admin)
    assert_problem(response, 422, "id")
    assert_nothing_changed(env, before, cursor)


# -- change ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_merge_patch_changes_one_field(env: Env, kind: str) -> None:
    path = seeded_path(kind)
    before = env.snapshot(path)
    cursor = env.cursor()
    response = env.patch(path, {"description": "Checked and reworded."}, env.admin, before.etag)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["description"] == "Checked and reworded."
    # Nothing else moved, but last_modified (an organisation's services show theirs).
    assert without_last_modified({**body, "description": None}) == without_last_modified(
        {**before.body, "description": None}
    )
    if "last_modified" in before.body:
        assert body["last_modified"] > before.body["last_modified"]
    now = env.snapshot(path)
    assert now.body == body
    assert now.etag == response.headers["etag"] != before.etag
    (entry,) = [e for e in env.feed(after=cursor) if e["resource_id"] == SEEDED[kind]]
    assert entry["action"] == "updated" and entry["record"] == body


@pytest.mark.parametrize("kind", KINDS)
def test_the_get_body_sent_back_whole_is_a_valid_patch(env: Env, kind: str) -> None:
    """A client may PATCH what it read, read-only fields and all, with its edits."""
    path = seeded_path(kind)
    before = env.snapshot(path)
    response = env.patch(path, {**before.body, "name": "Renamed"}, env.admin, before.etag)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["name"] == "Renamed"
    ignore = {"name", "last_modified", "services"}
    assert {k: v for k, v in after.items() if k not in ignore} == {
        k: v for k, v in before.body.items() if k not in ignore
    }


@pytest.mark.parametrize("kind", KINDS)
def test_a_patch_that_changes_nothing_records_nothing(env: Env, kind: str) -> None:
    path = seeded_path(kind)
    before = env.snapshot(path)
    cursor = env.cursor()
    response = env.patch(path, {"name": before.body["name"]}, env.admin, before.etag)
    assert response.status_code == 200, response.text
    assert response.json() == before.body
    assert response.headers["etag"] == before.etag
    assert_nothing_changed(env, {path: before}, cursor)


@pytest.mark.parametrize(
    ("kind", "field", "default"),
    [
        ("organization", "alternate_name", None),
        ("organization", "email", None),
        ("service", "eligibility_description", None),
        ("service", "url", None),
        ("reporting_channel", "service_id", None),
        ("guidance", "items", []),
        ("taxonomy_term", "parent_id", None),
        ("taxonomy_term", "code", None),
    ],
)
def test_null_in_a_merge_patch_removes_an_optional_field(
    env: Env, kind: str, field: str, default: Any
) -> None:
    path = {"taxonomy_term": f"{PATHS['taxonomy_term']}/{SPECIALIST_ADVOCACY}"}.get(
        kind, seeded_path(kind)
    )
    before = env.snapshot(path)
    assert before.body.get(field), f"the seed should give {field} a value"
    response = env.patch(path, {field: None}, env.admin, before.etag)
    assert response.status_code == 200, response.text
    after = env.snapshot(path).body
    assert after.get(field, None) == default
    if default is None:
        assert field not in after  # empty optional fields are omitted, never null


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("organization", "name"),
        ("service", "name"),
        ("guidance", "category"),
        ("taxonomy_term", "name"),
    ],
)
def test_null_for_a_required_field_is_refused(env: Env, kind: str, field: str) -> None:
    path = seeded_path(kind)
    before = snapshots(env, path)
    cursor = env.cursor()
    response = env.patch(path, {field: None}, env.admin, before[path].etag)
    assert_problem(response, 422, field)
    assert_nothing_changed(env, before, cursor)


def test_nested_lists_are_replaced_whole(env: Env) -> None:
    path = f"/v1/services/{PALADIN_SERVICE}"
    before = env.snapshot(path).body
    assert before["service_areas"] and before["phones"] and before["attributes"]
    patch = {
        "phones": [
            {"number": "0808 802 0300", "type": "voice"},
            {"number": "07860 018887", "type": "text", "description": "Texts only."},
        ],
        "service_areas": [{"name": "Wales"}],
        "attributes": [{"taxonomy_term_id": YOUNG_PEOPLE}],
    }
    response = env.update(path, patch, env.admin)
    assert response.status_code == 200, response.text
    after = env.snapshot(path).body
    assert phone_numbers(after) == ["07860 018887", "0808 802 0300"]
    assert {(p["number"], p["type"]) for p in after["phones"]} == {
        ("0808 802 0300", "voice"),
        ("07860 018887", "text"),
    }
    assert [a["name"] for a in after["service_areas"]] == ["Wales"]
    assert [a["taxonomy_term_id"] for a in after["attributes"]] == [YOUNG_PEOPLE]
    # Fields not in the patch are kept.
    assert after["name"] == before["name"] and after["url"] == before["url"]
    # An empty list empties it.
    response = env.update(path, {"service_areas": []}, env.admin)
    assert response.status_code == 200, response.text
    assert env.snapshot(path).body["service_areas"] == []
    assert phone_numbers(env.snapshot(path).body) == ["07860 018887", "0808 802 0300"]


@pytest.mark.parametrize(("kind", "field"), [("reporting_channel", "steps"), ("guidance", "items")])
def test_lists_of_text_are_replaced_whole(env: Env, kind: str, field: str) -> None:
    path = seeded_path(kind)
    assert len(env.snapshot(path).body[field]) > 1
    response = env.update(path, {field: ["Only this."]}, env.admin)
    assert response.status_code == 200, response.text
    assert env.snapshot(path).body[field] == ["Only this."]


def test_a_nested_id_is_kept_only_if_it_was_already_the_services_own(env: Env) -> None:
    mine = f"/v1/services/{PALADIN_SERVICE}"
    theirs = f"/v1/services/{NATIONAL_STALKING_HELPLINE}"
    (own_phone,) = env.snapshot(mine).body["phones"]
    (their_phone,) = env.snapshot(theirs).body["phones"]
    their_before = env.snapshot(theirs)
    patch = {
        "phones": [
            {"id": own_phone["id"], "number": own_phone["number"], "type": "voice"},
            {"id": their_phone["id"], "number": "0800 111 4444", "type": "voice"},
        ]
    }
    response = env.update(mine, patch, env.admin)
    assert response.status_code == 200, response.text
    ids = {p["number"]: p["id"] for p in response.json()["phones"]}
    assert ids[own_phone["number"]] == own_phone["id"]
    assert ids["0800 111 4444"] != their_phone["id"]
    # The other service's phone (and number) are untouched.
    assert env.snapshot(theirs) == their_before


def test_an_echoed_taxonomy_term_in_an_attribute_is_ignored(env: Env) -> None:
    path = f"/v1/services/{PALADIN_SERVICE}"
    before = env.snapshot(path).body
    attributes = [
        {**a, "taxonomy_term": {**a["taxonomy_term"], "name": "Tampered"}}
        for a in before["attributes"]
    ]
    response = env.update(path, {"attributes": attributes, "alert": "Closed today."}, env.admin)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["attributes"] == before["attributes"]
    term = env.snapshot(f"/v1/taxonomy_terms/{HIGH_RISK_VICTIMS}").body
    assert term["name"] != "Tampered"


READ_ONLY = [
    ("service", "id", str(uuid.uuid4())),
    ("service", "last_modified", "2020-01-01T00:00:00Z"),
    ("service", "organization", {"name": "Someone else"}),
    ("service", "organization", None),
    ("service", "sources", []),
    ("service", "assured_date", "2020-01-01"),
    ("service", "service_at_locations", []),
    ("organization", "id", str(uuid.uuid4())),
    ("organization", "services", []),
    ("organization", "sources", None),
    ("organization", "phones", [{"number": "999"}]),
    ("organization", "attributes", []),
    ("reporting_channel", "id", str(uuid.uuid4())),
    ("reporting_channel", "last_modified", "2020-01-01T00:00:00Z"),
    ("reporting_channel", "sources", []),
    ("guidance", "id", str(uuid.uuid4())),
    ("guidance", "last_modified", "2020-01-01T00:00:00Z"),
    ("guidance", "sources", []),
    ("taxonomy_term", "id", str(uuid.uuid4())),
    ("taxonomy_term", "taxonomy", "Another taxonomy"),
    ("taxonomy_term", "taxonomy_detail", {"name": "Renamed"}),
]


@pytest.mark.parametrize(("kind", "field", "value"), READ_ONLY)
def test_a_read_only_field_cannot_be_changed(env: Env, kind: str, field: str, value: Any) -> None:
    path = seeded_path(kind)
    before = snapshots(env, path)
    cursor = env.cursor()
    patch = {field: value, "description": "Also this."}
    response = env.patch(path, patch, env.admin, before[path].etag)
    assert_problem(response, 422, field)
    assert_nothing_changed(env, before, cursor)


# -- retire ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_delete_retires_a_record(env: Env, kind: str) -> None:
    created = env.create(kind, new_record(kind, "to retire"), env.admin)
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    path = f"{PATHS[kind]}/{record_id}"
    cursor = env.cursor()

    response = env.retire(path, env.admin)
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_problem(env.client.get(path), 404)
    assert record_id not in {r["id"] for r in env.all(PATHS[kind])}
    if kind == "service":
        assert record_id not in {r["id"] for r in env.all("/v1/services", search="evening")}
        assert record_id not in {r["id"] for r in env.all("/v1/services", full="true")}
    entries = env.feed(after=cursor)
    (tombstone,) = [e for e in entries if e["resource_id"] == record_id]
    assert (tombstone["resource_type"], tombstone["action"]) == (kind, "deleted")
    assert tombstone.get("record") is None
    assert all(e["action"] == "updated" for e in entries if e is not tombstone)

    # Gone for writes too.
    cursor = env.cursor()
    assert_problem(env.delete(path, env.admin, created.headers["etag"]), 404)
    assert_problem(env.patch(path, {"name": "Back"}, env.admin, created.headers["etag"]), 404)
    assert env.feed(after=cursor) == []


def test_a_retired_service_leaves_every_read(env: Env) -> None:
    path = f"/v1/services/{PALADIN_SERVICE}"
    name = env.snapshot(path).body["name"]

    def everywhere() -> list[set[str]]:
        organization = env.snapshot(f"/v1/organizations/{PALADIN}").body
        lines = env.client.get("/v1/services", params={"format": "ndjson"}).text.splitlines()
        return [
            {s["id"] for s in env.all("/v1/services")},
            {s["id"] for s in env.all("/v1/services", search="high-risk victims")},
            {s["id"] for s in env.all("/v1/services", organization_id=PALADIN)},
            {s["id"] for s in env.all("/v1/services", taxonomy_term_id=HIGH_RISK_VICTIMS)},
            {s["id"] for s in organization["services"]},
            {s.get("service_id", "") for s in env.all("/v1/service_at_locations")},
            {line[line.index('"id":"') + 6 :][:36] for line in lines},
        ]

    assert all(PALADIN_SERVICE in ids for ids in everywhere())
    assert env.retire(path, env.admin).status_code == 204

    assert_problem(env.client.get(path), 404)
    assert [PALADIN_SERVICE in ids for ids in everywhere()] == [False] * 7
    organization = env.snapshot(f"/v1/organizations/{PALADIN}").body
    assert name not in {s["name"] for s in organization["services"]}


def test_an_organisation_whose_services_are_all_retired_can_retire(env: Env) -> None:
    organization = env.create("organization", new_record("organization"), env.admin).json()
    body = {**new_record("service"), "organization_id": organization["id"]}
    service = env.create("service", body, env.admin).json()
    path = f"/v1/organizations/{organization['id']}"
    assert_problem(env.retire(path, env.admin), 409)
    assert env.retire(f"/v1/services/{service['id']}", env.admin).status_code == 204
    assert env.snapshot(path).body["services"] == []
    assert env.retire(path, env.admin).status_code == 204
    assert_problem(env.client.get(path), 404)


def test_a_retired_taxonomy_term_cannot_be_used(env: Env) -> None:
    created = env.create("taxonomy_term", new_record("taxonomy_term"), env.admin)
    term_id = created.json()["id"]
    assert env.retire(f"/v1/taxonomy_terms/{term_id}", env.admin).status_code == 204
    body = {**new_record("service"), "attributes": [{"taxonomy_term_id": term_id}]}
    assert_problem(env.create("service", body, env.admin), 422, "attributes.0.taxonomy_term_id")


# -- every way a write can fail -------------------------------------------------------------

Request = Callable[[], httpx.Response]
Prepare = Callable[[Env], Request]

SERVICE = f"/v1/services/{PALADIN_SERVICE}"
WATCHED = (
    *(seeded_path(kind) for kind in KINDS),
    f"/v1/services/{NATIONAL_STALKING_HELPLINE}",
    f"/v1/services/{POLICE_EMERGENCY_SERVICE}",
    f"/v1/organizations/{SUZY_LAMPLUGH}",
    *(f"{PATHS[kind]}?per_page=1000" for kind in KINDS),
    "/v1/change_requests?per_page=1000",
)


def caller(env: Env, who: str) -> Any:
    return None if who == "nobody" else getattr(env, who)


def patching(path: str, patch: Any, who: str = "admin", **kwargs: Any) -> Prepare:
    def prepare(env: Env) -> Request:
        etag = env.etag(path) if env.snapshot(path).status == 200 else '"x"'
        return lambda: env.patch(path, patch, caller(env, who), etag, **kwargs)

    return prepare


def creating(kind: str, body: Any, who: str = "admin") -> Prepare:
    return lambda env: lambda: env.create(kind, body, caller(env, who))


def deleting(path: str, who: str = "admin") -> Prepare:
    def prepare(env: Env) -> Request:
        etag = env.etag(path)
        return lambda: env.delete(path, caller(env, who), etag)

    return prepare


def as_police_partner(request: Callable[[Env, Any], httpx.Response]) -> Prepare:
    def prepare(env: Env) -> Request:
        police = env.partner_of(THAMES_VALLEY_POLICE, "Thames Valley Police Editor")
        return lambda: request(env, police)

    return prepare


def stale_etag(env: Env) -> Request:
    old = env.etag(SERVICE)
    assert env.patch(SERVICE, {"alert": "Moved."}, env.admin, old).status_code == 200
    return lambda: env.patch(SERVICE, {"phones": [{"number": "0800 000 0000"}]}, env.admin, old)


def with_if_match(value: Callable[[str], str], method: str = "PATCH") -> Prepare:
    def prepare(env: Env) -> Request:
        etag = value(env.etag(SERVICE))
        if method == "DELETE":
            return lambda: env.delete(SERVICE, env.admin, etag)
        return lambda: env.patch(SERVICE, {"name": "Changed"}, env.admin, etag)

    return prepare


def without_if_match(method: str) -> Prepare:
    def prepare(env: Env) -> Request:
        if method == "DELETE":
            return lambda: env.delete(SERVICE, env.admin)
        if method == "VERIFY":
            return lambda: env.client.post(f"{SERVICE}/verify", headers=env.admin.headers)
        return lambda: env.patch(SERVICE, {"name": "Changed"}, env.admin)

    return prepare


def too_large(method: str, chunked: bool) -> Prepare:
    filler = b"a" * (MiB + 1)
    body = b'{"name": "Big", "description": "' + filler + b'"}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    def prepare(env: Env) -> Request:
        etag = env.etag(SERVICE)
        headers = {"Content-Type": "application/merge-patch+json", "If-Match": etag}
        headers |= env.admin.headers
        content: Any = chunks() if chunked else body
        if method == "POST":
            return lambda: env.client.post(
                "/v1/guidance",
                content=content,
                headers={**headers, "Content-Type": "application/json"},
            )
        return lambda: env.client.patch(SERVICE, content=content, headers=headers)

    return prepare


def approving_a_changed_record(env: Env) -> Request:
    etag = env.etag(SERVICE)
    held = env.patch(SERVICE, {"phones": [{"number": "0800 111 2222"}]}, env.partner, etag)
    assert held.status_code == 202, held.text
    assert env.update(SERVICE, {"alert": "Changed meanwhile."}, env.admin).status_code == 200
    request_id = held.json()["id"]
    return lambda: env.approve(request_id, env.admin)


BAD_SERVICE_VALUES: dict[str, tuple[dict[str, Any], str | None]] = {
    "uk-number-too-short": ({"phones": [{"number": "12345"}]}, "phones.0.number"),
    "us-number": ({"phones": [{"number": "+1 212 555 0100"}]}, "phones.0.number"),
    "irish-number": ({"phones": [{"number": "+353 1 234 5678"}]}, "phones.0.number"),
    "letters-only-number": ({"phones": [{"number": "call us"}]}, "phones.0.number"),
    "number-with-zero-width-space": ({"phones": [{"number": "999\u200b"}]}, "phones.0.number"),
    "empty-number": ({"phones": [{"number": ""}]}, "phones.0.number"),
    "number-not-a-string": ({"phones": [{"number": 999}]}, "phones.0.number"),
    "second-phone-bad": (
        {"phones": [{"number": "999"}, {"number": "020 3866 410"}]},
        "phones.1.number",
    ),
    "contact-phone-bad": (
        {"contacts": [{"name": "Desk", "phones": [{"number": "12345"}]}]},
        "contacts.0.phones.0.number",
    ),
    "ftp-url": ({"url": "ftp://x"}, "url"),
    "javascript-url": ({"url": "javascript:alert(1)"}, "url"),
    "relative-url": ({"url": "/help"}, "url"),
    "url-without-host": ({"url": "https://"}, "url"),
    "bad-email": ({"email": "not-an-email"}, "email"),
    "email-with-newline": ({"email": "help@example.org\nBcc: x@example.org"}, "email"),
    "control-character": ({"name": "Help\x07line"}, "name"),
    "escape-in-description": ({"description": "Call \x1b[31mnow"}, "description"),
    "over-long-name": ({"name": "x" * 256}, "name"),
    "over-long-description": ({"description": "x" * 10_001}, "description"),
    "unknown-field": ({"colour": "red"}, "colour"),
    "unknown-field-in-phone": ({"phones": [{"number": "999", "colour": "red"}]}, "colour"),
    "minimum-age-over-maximum": ({"minimum_age": 30, "maximum_age": 20}, None),
    "negative-age": ({"minimum_age": -1}, "minimum_age"),
    "age-not-a-number": ({"minimum_age": "sixteen"}, "minimum_age"),
    "unknown-status": ({"status": "open"}, "status"),
    "unknown-taxonomy-term": (
        {"attributes": [{"taxonomy_term_id": str(uuid.uuid4())}]},
        "attributes.0.taxonomy_term_id",
    ),
    "unknown-organisation": ({"organization_id": str(uuid.uuid4())}, "organization_id"),
    "phones-not-a-list": ({"phones": {"number": "999"}}, "phones"),
    "unknown-phone-type": ({"phones": [{"number": "999", "type": "pigeon"}]}, "type"),
}

ERRORS: dict[str, tuple[Prepare, int, str | None]] = {
    # 401: no key
    "patch-without-key": (patching(SERVICE, {"name": "X"}, who="nobody"), 401, None),
    "create-without-key": (creating("service", new_record("service"), who="nobody"), 401, None),
    "delete-without-key": (deleting(SERVICE, who="nobody"), 401, None),
    # 403: a partner outside its organisation, or doing what only admins do
    "partner-patches-another-orgs-service": (
        patching(f"/v1/services/{NATIONAL_STALKING_HELPLINE}", {"description": "x"}, "partner"),
        403,
        None,
    ),
    "partner-patches-another-organisation": (
        patching(f"/v1/organizations/{SUZY_LAMPLUGH}", {"description": "x"}, "partner"),
        403,
        None,
    ),
    "partner-retires-another-orgs-service": (
        deleting(f"/v1/services/{NATIONAL_STALKING_HELPLINE}", "partner"),
        403,
        None,
    ),
    "partner-creates-service-for-another-org": (
        creating("service", {**new_record("service"), "organization_id": SUZY_LAMPLUGH}, "partner"),
        403,
        None,
    ),
    "partner-creates-guidance": (
        creating("guidance", new_record("guidance"), "partner"),
        403,
        None,
    ),
    "partner-creates-taxonomy-term": (
        creating("taxonomy_term", new_record("taxonomy_term"), "partner"),
        403,
        None,
    ),
    "partner-creates-organisation": (
        creating("organization", new_record("organization"), "partner"),
        403,
        None,
    ),
    "partner-edits-guidance": (
        patching(seeded_path("guidance"), {"name": "x"}, "partner"),
        403,
        None,
    ),
    "partner-edits-taxonomy-term": (
        patching(seeded_path("taxonomy_term"), {"name": "x"}, "partner"),
        403,
        None,
    ),
    "partner-moves-its-service-to-another-org": (
        patching(SERVICE, {"organization_id": SUZY_LAMPLUGH}, "partner"),
        403,
        None,
    ),
    "partner-moves-its-service-and-changes-phone": (
        patching(
            SERVICE,
            {"organization_id": SUZY_LAMPLUGH, "phones": [{"number": "0800 111 2222"}]},
            "partner",
        ),
        403,
        None,
    ),
    "partner-retires-its-organisation": (
        deleting(f"/v1/organizations/{PALADIN}", "partner"),
        403,
        None,
    ),
    "partner-deletes-its-reporting-channel": (
        as_police_partner(
            lambda env, key: env.delete(
                f"/v1/reporting_channels/{CALL_999}",
                key,
                env.etag(f"/v1/reporting_channels/{CALL_999}"),
            )
        ),
        403,
        None,
    ),
    "partner-moves-its-channel-to-another-org": (
        as_police_partner(
            lambda env, key: env.update(
                f"/v1/reporting_channels/{CALL_999}", {"organization_id": PALADIN}, key
            )
        ),
        403,
        None,
    ),
    "partner-verifies-its-service": (
        lambda env: (
            lambda: env.client.post(
                f"{SERVICE}/verify", headers={**env.partner.headers, "If-Match": env.etag(SERVICE)}
            )
        ),
        403,
        None,
    ),
    # 404: no such record
    **{
        f"patch-unknown-{kind}": (
            patching(f"{PATHS[kind]}/{uuid.uuid4()}", {"name": "x"}),
            404,
            None,
        )
        for kind in KINDS
    },
    **{
        f"delete-unknown-{kind}": (
            lambda env, kind=kind: (
                lambda: env.delete(f"{PATHS[kind]}/{uuid.uuid4()}", env.admin, '"x"')
            ),
            404,
            None,
        )
        for kind in KINDS
    },
    "patch-id-not-a-uuid": (
        lambda env: lambda: env.patch("/v1/services/not-a-uuid", {"name": "x"}, env.admin, '"x"'),
        404,
        None,
    ),
    "verify-unknown-service": (
        lambda env: (
            lambda: env.client.post(
                f"/v1/services/{uuid.uuid4()}/verify",
                headers={**env.admin.headers, "If-Match": '"x"'},
            )
        ),
        404,
        None,
    ),
    # 409: retiring what is still in use; approving against a changed record
    "retire-organisation-with-services": (deleting(f"/v1/organizations/{PALADIN}"), 409, None),
    "retire-term-in-use": (deleting(seeded_path("taxonomy_term")), 409, None),
    "retire-service-a-channel-points-at": (
        deleting(f"/v1/services/{POLICE_EMERGENCY_SERVICE}"),
        409,
        None,
    ),
    "approve-after-the-record-changed": (approving_a_changed_record, 409, None),
    # 412: If-Match that is not the current ETag
    "stale-if-match": (stale_etag, 412, None),
    "weak-if-match": (with_if_match(lambda etag: f"W/{etag}"), 412, None),
    "unquoted-if-match": (with_if_match(lambda etag: etag.strip('"')), 412, None),
    "another-records-etag": (
        lambda env: (lambda etag: lambda: env.patch(SERVICE, {"name": "x"}, env.admin, etag))(
            env.etag(f"/v1/services/{NATIONAL_STALKING_HELPLINE}")
        ),
        412,
        None,
    ),
    "stale-if-match-on-delete": (
        with_if_match(lambda etag: etag[:-3] + 'ff"', method="DELETE"),
        412,
        None,
    ),
    # 413: a body over 1 MiB, declared or streamed
    "too-large-patch": (too_large("PATCH", chunked=False), 413, None),
    "too-large-patch-chunked": (too_large("PATCH", chunked=True), 413, None),
    "too-large-create": (too_large("POST", chunked=False), 413, None),
    "too-large-create-chunked": (too_large("POST", chunked=True), 413, None),
    # 422: a well-formed body with wrong values
    **{
        f"patch-{name}": (patching(SERVICE, patch), 422, field)
        for name, (patch, field) in BAD_SERVICE_VALUES.items()
    },
    **{
        f"create-{name}": (creating("service", {**new_record("service"), **patch}), 422, field)
        for name, (patch, field) in BAD_SERVICE_VALUES.items()
        if name in ("uk-number-too-short", "ftp-url", "minimum-age-over-maximum", "unknown-field")
    },
    "patch-is-an-array": (patching(SERVICE, [{"name": "x"}]), 422, None),
    "patch-is-a-string": (patching(SERVICE, "x"), 422, None),
    "channel-bad-number": (
        patching(f"/v1/reporting_channels/{CALL_999}", {"number": "12345"}),
        422,
        "number",
    ),
    "channel-without-number-or-url": (
        patching(f"/v1/reporting_channels/{CALL_999}", {"number": None}),
        422,
        None,
    ),
    "channel-unknown-service": (
        patching(f"/v1/reporting_channels/{CALL_999}", {"service_id": str(uuid.uuid4())}),
        422,
        "service_id",
    ),
    "channel-unknown-method": (
        patching(f"/v1/reporting_channels/{CALL_999}", {"method": "carrier_pigeon"}),
        422,
        "method",
    ),
    "organisation-bad-website": (
        patching(f"/v1/organizations/{PALADIN}", {"website": "paladinservice.co.uk"}),
        422,
        "website",
    ),
    "guidance-control-character-in-item": (
        patching(seeded_path("guidance"), {"items": ["ok", "bad\x00"]}),
        422,
        "items.1",
    ),
    "term-its-own-parent": (
        patching(seeded_path("taxonomy_term"), {"parent_id": HIGH_RISK_VICTIMS}),
        422,
        "parent_id",
    ),
    "term-unknown-taxonomy": (
        creating(
            "taxonomy_term", {**new_record("taxonomy_term"), "taxonomy_id": str(uuid.uuid4())}
        ),
        422,
        "taxonomy_id",
    ),
    # 400: not JSON
    "malformed-json-patch": (patching(SERVICE, None, raw=b'{"name": "x",'), 400, None),
    "malformed-json-create": (
        lambda env: (
            lambda: env.client.post(
                "/v1/services",
                content=b'{"name": ',
                headers={**env.admin.headers, "Content-Type": "application/json"},
            )
        ),
        400,
        None,
    ),
    # 428: a change without a precondition
    "patch-without-if-match": (without_if_match("PATCH"), 428, None),
    "delete-without-if-match": (without_if_match("DELETE"), 428, None),
    "verify-without-if-match": (without_if_match("VERIFY"), 428, None),
    "patch-with-if-match-star": (with_if_match(lambda _: "*"), 428, None),
    "delete-with-if-match-star": (with_if_match(lambda _: "*", method="DELETE"), 428, None),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_a_failed_write_is_a_problem_and_leaves_no_partial_change(env: Env, case: str) -> None:
    prepare, status, field = ERRORS[case]
    request = prepare(env)
    before = snapshots(env, *WATCHED)
    cursor = env.cursor()
    response = request()
    assert_problem(response, status, field)
    assert_nothing_changed(env, before, cursor)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_one_mib_is_accepted(env: Env, chunked: bool) -> None:
    patch = b'{"alert": "Closed on Friday."}'
    body = patch + b" " * (MiB - len(patch))  # JSON may end in whitespace
    assert len(body) == MiB
    headers = {**env.admin.headers, "If-Match": env.etag(SERVICE)}
    headers["Content-Type"] = "application/merge-patch+json"
    content: Any = iter([body[: MiB // 2], body[MiB // 2 :]]) if chunked else body
    response = env.client.patch(SERVICE, content=content, headers=headers)
    assert response.status_code == 200, response.text[:300]
    assert env.snapshot(SERVICE).body["alert"] == "Closed on Friday."


# -- a crash half-way through a write -------------------------------------------------------


def _crash(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("the disk caught fire")


def _crash_after(real: Callable[..., Any]) -> Callable[..., Any]:
    def crashing(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)  # the rows are changed ...
        raise RuntimeError("... and then the process fails")

    return crashing


CRASH_POINTS = ["write_parts", "reindex", "record_change"]


@pytest.fixture
def crashing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, seeded_engine: Engine
) -> Env:
    point = request.param
    if point == "write_parts":
        service = RESOURCES[ResourceType.service]
        assert service.write_parts is not None
        replaced = dataclasses.replace(service, write_parts=_crash_after(service.write_parts))
        monkeypatch.setitem(RESOURCES, ResourceType.service, replaced)
    else:
        monkeypatch.setattr(
            api.writes.records, point, _crash_after(getattr(api.writes.records, point))
        )
    # Routes take their resource when the app is made: make it after the patch.
    return make_env(seeded_engine, raise_server_exceptions=False)


@pytest.mark.parametrize("crashing", CRASH_POINTS, indirect=True)
def test_a_crash_mid_update_leaves_the_record_exactly_as_before(crashing: Env) -> None:
    env = crashing
    watched = (SERVICE, f"/v1/organizations/{PALADIN}", "/v1/services?per_page=1000&full=true")
    before = snapshots(env, *watched)
    cursor = env.cursor()
    patch = {
        "name": "Half-written",
        "phones": [{"number": "0800 111 2222", "type": "voice"}],
        "service_areas": [{"name": "Nowhere"}],
    }
    response = env.patch(SERVICE, patch, env.admin, before[SERVICE].etag)
    problem = assert_problem(response, 500)
    assert "fire" not in response.text and "process fails" not in response.text
    assert problem["title"] == "Internal Server Error"
    assert_nothing_changed(env, before, cursor)
    assert phone_numbers(env.snapshot(SERVICE).body) == ["020 3866 4107"]
    assert env.all("/v1/services", search="half written") == []


@pytest.mark.parametrize("crashing", CRASH_POINTS, indirect=True)
def test_a_crash_mid_create_creates_nothing(crashing: Env) -> None:
    env = crashing
    watched = ("/v1/services?per_page=1000", f"/v1/organizations/{PALADIN}")
    before = snapshots(env, *watched)
    cursor = env.cursor()
    assert_problem(env.create("service", new_record("service"), env.admin), 500)
    assert_nothing_changed(env, before, cursor)


@pytest.mark.parametrize("crashing", ["record_change"], indirect=True)
def test_a_crash_mid_retire_retires_nothing(crashing: Env) -> None:
    env = crashing
    path = f"/v1/services/{PALADIN_YOUNG_PERSONS}"
    before = snapshots(env, path, "/v1/services?per_page=1000")
    cursor = env.cursor()
    assert_problem(env.delete(path, env.admin, before[path].etag), 500)
    assert_nothing_changed(env, before, cursor)


# -- phone numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("02038664107", "020 3866 4107"),
        ("+44 20 3866 4107", "020 3866 4107"),
        ("(020) 3866-4107", "020 3866 4107"),
        ("08088020300", "0808 802 0300"),
        ("0808 802 0300", "0808 802 0300"),
        ("999", "999"),
        ("112", "112"),
        ("101", "101"),
        ("111", "111"),
        ("18000", "18000"),
        ("18001", "18001"),
        ("116123", "116123"),
        ("116 006", "116006"),
    ],
)
def test_uk_numbers_and_short_codes_are_accepted_and_stored_as_dialled(
    env: Env, sent: str, stored: str
) -> None:
    response = env.update(SERVICE, {"phones": [{"number": sent, "type": "voice"}]}, env.admin)
    assert response.status_code == 200, response.text
    assert phone_numbers(response.json()) == [stored]
    assert phone_numbers(env.snapshot(SERVICE).body) == [stored]
    channel = f"/v1/reporting_channels/{CALL_999}"
    response = env.update(channel, {"number": sent}, env.admin)
    assert response.status_code == 200, response.text
    assert env.snapshot(channel).body["number"] == stored
