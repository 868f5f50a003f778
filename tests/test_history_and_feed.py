"""Every applied change is recorded: a record's history (who, when, what) for administrators,
and the public change feed, from which a consumer can mirror the directory exactly."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

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
    SEEDED,
    SUZY_LAMPLUGH,
    THAMES_VALLEY_POLICE,
    Env,
    assert_nothing_changed,
    assert_problem,
    make_env,
    new_record,
    snapshots,
)

SERVICE = f"/v1/services/{PALADIN_SERVICE}"


@pytest.fixture
def env(seeded_engine: Engine) -> Env:
    return make_env(seeded_engine)


def verify(env: Env, path: str, etag: str | None = None) -> Any:
    headers = {**env.admin.headers, "If-Match": etag or env.etag(path)}
    return env.client.post(f"{path}/verify", headers=headers)


def utc_days_around(started: datetime) -> set[str]:
    """Today (UTC) as of `started` and as of now: a test may run across midnight."""
    return {started.date().isoformat(), datetime.now(UTC).date().isoformat()}


# -- history --------------------------------------------------------------------------------


def test_history_is_for_administrators_only(env: Env) -> None:
    for key, status in ((None, 401), (env.partner, 403), (env.other_partner, 403)):
        response = env.client.get(f"{SERVICE}/history", headers=key.headers if key else {})
        assert_problem(response, status)
    assert env.history(SERVICE, env.admin)


def test_history_records_every_applied_change(env: Env) -> None:
    started = datetime.now(UTC)
    steps: list[tuple[str, str, dict[str, Any]]] = []

    def changed(actor: str, action: str, fields: dict[str, Any]) -> None:
        steps.append((actor, action, fields))

    before = env.snapshot(SERVICE).body
    assert env.update(SERVICE, {"description": "Reworded."}, env.admin).status_code == 200
    changed(env.admin.name, "updated", {"description": (before["description"], "Reworded.")})

    response = env.update(SERVICE, {"alert": "Closed today.", "url": None}, env.admin)
    assert response.status_code == 200
    changed(
        env.admin.name, "updated", {"alert": (None, "Closed today."), "url": (before["url"], None)}
    )

    assert env.update(SERVICE, {"name": "Paladin advocacy"}, env.partner).status_code == 200
    changed(env.partner.name, "updated", {"name": (before["name"], "Paladin advocacy")})

    held = env.update(SERVICE, {"email": "help@paladinservice.co.uk"}, env.partner)
    assert held.status_code == 202
    rejected = env.update(SERVICE, {"email": "wrong@example.org"}, env.partner)
    assert rejected.status_code == 202
    assert env.reject(rejected.json()["id"], env.admin, "Not theirs.").status_code == 200
    assert env.approve(held.json()["id"], env.admin).status_code == 200
    approved_by = f"{env.partner.name} (approved by {env.admin.name})"
    changed(approved_by, "updated", {"email": (None, "help@paladinservice.co.uk")})

    verified = verify(env, SERVICE)
    assert verified.status_code == 200
    today = verified.json()["assured_date"]
    assert today in utc_days_around(started)
    changed(env.admin.name, "verified", {"assured_date": (None, today)})

    history = env.history(SERVICE, env.admin)
    assert history[0]["action"] == "created" and history[0]["actor"] == "seed"
    recent = history[1:]
    assert len(recent) == len(steps), recent
    for entry, (actor, action, fields) in zip(recent, steps, strict=True):
        assert entry["actor"] == actor and entry["action"] == action
        assert {f["field"]: (f.get("before"), f.get("after")) for f in entry["fields"]} == fields
        assert datetime.fromisoformat(entry["changed_at"]) >= started
    times = [entry["changed_at"] for entry in recent]
    assert times == sorted(times)
    cursors = [entry["cursor"] for entry in history]
    assert cursors == sorted(set(cursors))

    # Who did it is the key's name, never the key.
    secrets = (env.admin.secret, env.partner.secret)
    text = env.client.get(f"{SERVICE}/history", headers=env.admin.headers).text
    feed = env.client.get("/v1/changes", params={"limit": 1000}).text
    assert not [s for s in secrets if s in text or s in feed]


def test_history_of_a_retired_record_stays_readable(env: Env) -> None:
    path = f"/v1/services/{PALADIN_YOUNG_PERSONS}"
    assert env.retire(path, env.admin).status_code == 204
    history = env.history(path, env.admin)
    assert [e["action"] for e in history] == ["created", "deleted"]
    assert history[-1]["actor"] == env.admin.name


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_history(env: Env, kind: str) -> None:
    path = f"{PATHS[kind]}/{SEEDED[kind]}"
    assert env.update(path, {"description": "Reviewed."}, env.admin).status_code == 200
    history = env.history(path, env.admin)
    assert [e["action"] for e in history][-1] == "updated"
    assert history[-1]["fields"][0]["field"] == "description"
    assert history[-1]["fields"][0]["after"] == "Reviewed."


# -- the feed -------------------------------------------------------------------------------


def test_seeded_records_are_in_the_feed_as_created(env: Env) -> None:
    entries = env.feed()
    created = {
        (e["resource_type"], e["resource_id"]): e for e in entries if e["action"] == "created"
    }
    for kind in KINDS:
        for record in env.all(PATHS[kind]):
            entry = created[(kind, record["id"])]
            assert entry["record"]["id"] == record["id"]
    assert all("actor" not in entry for entry in entries), "the public feed names nobody"


def test_feed_cursors_grow_and_paging_sees_every_entry_once(env: Env) -> None:
    for i in range(3):
        assert env.update(SERVICE, {"alert": f"Alert {i}"}, env.admin).status_code == 200
    everything = env.feed()
    cursors = [e["cursor"] for e in everything]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)

    for limit in (1, 7, 50):
        seen: list[dict[str, Any]] = []
        after = 0
        while True:
            response = env.client.get("/v1/changes", params={"after": after, "limit": limit})
            assert response.status_code == 200
            page = response.json()
            assert len(page["changes"]) <= limit
            if not page["changes"]:
                assert page["next_cursor"] == after
                break
            assert page["next_cursor"] == page["changes"][-1]["cursor"] > after
            seen.extend(page["changes"])
            after = page["next_cursor"]
        assert seen == everything

    # Reading from the last cursor waits for what comes next, and then sees only it.
    last = cursors[-1]
    assert env.client.get("/v1/changes", params={"after": last}).json()["changes"] == []
    assert env.update(SERVICE, {"alert": "Newest"}, env.admin).status_code == 200
    newer = env.feed(after=last)
    assert newer and all(e["cursor"] > last for e in newer)
    assert PALADIN_SERVICE in {e["resource_id"] for e in newer}


@pytest.mark.parametrize(
    "params",
    [{"after": "-1"}, {"after": "x"}, {"limit": "0"}, {"limit": "1001"}, {"after": "1.5"}],
)
def test_bad_feed_parameters_are_400(env: Env, params: dict[str, str]) -> None:
    assert_problem(env.client.get("/v1/changes", params=params), 400)


def replay(entries: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    mirror: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        key = (entry["resource_type"], entry["resource_id"])
        if entry["action"] == "deleted":
            assert key in mirror, f"a tombstone for {key}, never created"
            del mirror[key]
        else:
            assert entry["record"]["id"] == entry["resource_id"]
            mirror[key] = entry["record"]
    return mirror


def directory(env: Env) -> dict[tuple[str, str], dict[str, Any]]:
    """Every live record, as GET /{type}/{id} shows it."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in KINDS:
        for listed in env.all(PATHS[kind]):
            full = env.snapshot(f"{PATHS[kind]}/{listed['id']}")
            assert full.status == 200
            state[(kind, listed["id"])] = full.body
    return state


def path(kind: str, record_id: str) -> str:
    return f"{PATHS[kind]}/{record_id}"


def a_day_of_edits(env: Env) -> Iterator[str]:
    """Creates, changes, reviews and retirements of every kind, the way they happen; yields
    after each step what it was."""
    created = {}
    for kind in KINDS:
        response = env.create(kind, new_record(kind), env.admin)
        assert response.status_code == 201, response.text
        created[kind] = response.json()["id"]
        yield f"create {kind}"
    new_org = created["organization"]

    # Changes that show in other records: an organisation's name is in its services, a
    # term is in the attributes of services and organisations.
    assert (
        env.update(path("organization", PALADIN), {"name": "Paladin"}, env.admin).status_code == 200
    )
    yield "rename an organisation"
    term = path("taxonomy_term", HIGH_RISK_VICTIMS)
    assert env.update(term, {"name": "People at high risk"}, env.admin).status_code == 200
    yield "rename a term in use"
    assert env.update(SERVICE, {"phones": [{"number": "999"}]}, env.admin).status_code == 200
    yield "change a number"
    guidance = path("guidance", SEEDED["guidance"])
    assert env.update(guidance, {"items": ["One."]}, env.admin).status_code == 200
    yield "change guidance"
    # Partners: one change at once, two held and approved (one a new service), one rejected.
    assert env.update(SERVICE, {"description": "By Paladin."}, env.partner).status_code == 200
    yield "a partner's change"
    held = env.update(SERVICE, {"url": "https://paladinservice.co.uk/new"}, env.partner)
    assert env.approve(held.json()["id"], env.admin).status_code == 200
    yield "an approved change"
    proposed = env.create("service", new_record("service", "proposed"), env.partner)
    assert env.approve(proposed.json()["id"], env.admin).status_code == 200
    yield "an approved new service"
    police = env.partner_of(THAMES_VALLEY_POLICE, "Thames Valley Police Editor")
    refused = env.update(path("reporting_channel", CALL_999), {"description": "x"}, police)
    assert env.reject(refused.json()["id"], env.admin, "No.").status_code == 200
    yield "a rejected change"
    # A service moves to the new organisation and back; one is verified; others retire.
    helpline = path("service", NATIONAL_STALKING_HELPLINE)
    assert env.update(helpline, {"organization_id": new_org}, env.admin).status_code == 200
    yield "move a service"
    assert verify(env, helpline).status_code == 200
    yield "verify a service"
    assert env.retire(path("service", PALADIN_YOUNG_PERSONS), env.admin).status_code == 204
    yield "retire a seeded service"
    for kind in ("reporting_channel", "guidance", "taxonomy_term", "service"):
        response = env.retire(path(kind, created[kind]), env.admin)
        assert response.status_code == 204, (kind, response.text)
        yield f"retire a new {kind}"
    assert env.update(helpline, {"organization_id": SUZY_LAMPLUGH}, env.admin).status_code == 200
    yield "move it back"
    assert env.retire(path("organization", new_org), env.admin).status_code == 204
    yield "retire an organisation"


def test_replaying_the_feed_reproduces_the_directory_after_every_write(env: Env) -> None:
    for step in a_day_of_edits(env):
        mirror = replay(env.feed())
        state = directory(env)
        assert sorted(mirror) == sorted(state), step
        differing = [key for key in state if mirror[key] != state[key]]
        assert differing == [], f"after '{step}', the feed is wrong about {differing}"
    # And a mirror that kept up page by page sees the same.
    assert replay(env.feed(limit=9)) == mirror


def test_each_write_response_is_what_the_feed_and_get_say(env: Env) -> None:
    """The body and ETag a write returns are the record as published, not a draft."""
    for kind in KINDS:
        path = f"{PATHS[kind]}/{SEEDED[kind]}"
        cursor = env.cursor()
        response = env.update(path, {"name": f"Renamed {kind}"}, env.admin)
        assert response.status_code == 200
        got = env.snapshot(path)
        assert (got.body, got.etag) == (response.json(), response.headers["etag"]), kind
        latest = [e for e in env.feed(after=cursor) if e["resource_id"] == SEEDED[kind]][-1]
        assert latest["record"] == got.body


def test_modified_after_agrees_with_the_feed(env: Env) -> None:
    mark = env.cursor()
    for _step in a_day_of_edits(env):
        pass
    entries = env.feed(after=mark)
    retired = {e["resource_id"] for e in entries if e["action"] == "deleted"}
    for start in (entries[0], entries[len(entries) // 2], entries[-1]):
        since = start["changed_at"]
        later = [e for e in env.feed(after=mark) if e["changed_at"] >= since]
        expected = {
            e["resource_id"]
            for e in later
            if e["resource_type"] == "service" and e["action"] in ("created", "updated")
        } - retired
        found = {s["id"] for s in env.all("/v1/services", modified_after=since)}
        assert found == expected, since
        minimal = env.all("/v1/services", modified_after=since, minimal="true")
        assert {s["id"] for s in minimal} == expected
        assert all(s["last_modified"] >= since for s in minimal)


# -- verification ---------------------------------------------------------------------------


def test_verifying_moves_assured_date_not_last_modified(env: Env) -> None:
    before = env.snapshot(SERVICE)
    assert "assured_date" not in before.body
    cursor = env.cursor()
    started = datetime.now(UTC)
    response = verify(env, SERVICE, before.etag)
    assert response.status_code == 200, response.text
    after = env.snapshot(SERVICE)
    assert after.body == response.json() and after.etag == response.headers["etag"]
    assert after.body["assured_date"] in utc_days_around(started)
    assert after.body["last_modified"] == before.body["last_modified"]
    assert after.etag != before.etag
    assert {k: v for k, v in after.body.items() if k != "assured_date"} == before.body

    (entry,) = [e for e in env.feed(after=cursor) if e["resource_id"] == PALADIN_SERVICE]
    assert entry["action"] == "verified" and entry["record"] == after.body
    last = env.history(SERVICE, env.admin)[-1]
    assert last["action"] == "verified" and last["actor"] == env.admin.name
    (field,) = last["fields"]
    assert field["field"] == "assured_date"
    assert (field.get("before"), field["after"]) == (None, after.body["assured_date"])
    since = entry["changed_at"]
    assert PALADIN_SERVICE not in {s["id"] for s in env.all("/v1/services", modified_after=since)}


@pytest.mark.parametrize(
    ("who", "if_match", "status"),
    [
        ("nobody", "current", 401),
        ("partner", "current", 403),
        ("admin", None, 428),
        ("admin", "*", 428),
        ("admin", "stale", 412),
    ],
)
def test_verifying_needs_an_admin_and_the_current_etag(
    env: Env, who: str, if_match: str | None, status: int
) -> None:
    before = snapshots(env, SERVICE, f"/v1/organizations/{PALADIN}")
    cursor = env.cursor()
    headers = {} if who == "nobody" else getattr(env, who).headers
    etag = before[SERVICE].etag
    if if_match is not None:
        headers = {**headers, "If-Match": {"current": etag, "stale": '"0"'}.get(if_match, if_match)}
    response = env.client.post(f"{SERVICE}/verify", headers=headers)
    assert_problem(response, status)
    assert_nothing_changed(env, before, cursor)
