"""Review of safety-critical changes: a partner's change to a phone number, email, URL or
reporting channel is held as a change request until an administrator approves it.

Until then nobody reading the directory sees it: the record, its ETag and the change feed
stay exactly as they were.
"""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from write_helpers import (
    CALL_999,
    HIGH_RISK_VICTIMS,
    NATIONAL_STALKING_HELPLINE,
    PALADIN,
    PALADIN_SERVICE,
    THAMES_VALLEY_POLICE,
    Env,
    Key,
    assert_nothing_changed,
    assert_problem,
    make_env,
    new_record,
    phone_numbers,
    snapshots,
)

import api.writes.records

SERVICE = f"/v1/services/{PALADIN_SERVICE}"
ORGANIZATION = f"/v1/organizations/{PALADIN}"
CHANNEL = f"/v1/reporting_channels/{CALL_999}"
NEW_NUMBER = {"phones": [{"number": "0800 111 2222", "type": "voice"}]}


@pytest.fixture
def env(seeded_engine: Engine) -> Env:
    return make_env(seeded_engine)


def police(env: Env) -> Key:
    return env.partner_of(THAMES_VALLEY_POLICE, "Thames Valley Police Editor")


def hold(env: Env, path: str, patch: Any, key: Key) -> dict[str, Any]:
    """A partner's change that must be held: 202, and a request that says what it is."""
    etag = env.etag(path)
    response = env.patch(path, patch, key, etag)
    assert response.status_code == 202, response.text[:300]
    request: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/change_requests/{request['id']}"
    assert request["status"] == "pending"
    assert request["action"] == "update"
    assert request["resource_id"] == path.rsplit("/", 1)[1]
    assert request["base_etag"] == etag
    assert request["requested_by"] == key.name
    assert request["body"] == patch
    return request


def requests_listed(env: Env, key: Key, **params: str) -> list[dict[str, Any]]:
    response = env.client.get(
        "/v1/change_requests", params={"per_page": "1000", **params}, headers=key.headers
    )
    assert response.status_code == 200, response.text
    contents: list[dict[str, Any]] = response.json()["contents"]
    return contents


def test_a_partners_new_phone_number_waits_for_an_admin(env: Env) -> None:
    before = snapshots(env, SERVICE, ORGANIZATION, "/v1/services?per_page=1000&full=true")
    cursor = env.cursor()
    request = hold(env, SERVICE, NEW_NUMBER, env.partner)
    assert request["resource_type"] == "service" and request["organization_id"] == PALADIN

    # Nobody sees it yet: not the record, not its ETag, not the feed.
    assert_nothing_changed(env, before, cursor)
    assert phone_numbers(env.snapshot(SERVICE).body) == ["020 3866 4107"]
    for key in (env.partner, env.admin):
        got = env.client.get(f"/v1/change_requests/{request['id']}", headers=key.headers)
        assert got.status_code == 200 and got.json() == request

    approved = env.approve(request["id"], env.admin)
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["status"] == "approved" and decided["decided_by"] == env.admin.name
    assert decided["decided_at"]

    after = env.snapshot(SERVICE)
    assert phone_numbers(after.body) == ["0800 111 2222"]
    assert after.etag != before[SERVICE].etag
    actor = f"{env.partner.name} (approved by {env.admin.name})"
    last = env.history(SERVICE, env.admin)[-1]
    assert last["action"] == "updated" and last["actor"] == actor
    (phones,) = [f for f in last["fields"] if f["field"] == "phones"]
    assert [p["number"] for p in phones["before"]] == ["020 3866 4107"]
    assert [p["number"] for p in phones["after"]] == ["0800 111 2222"]
    (entry,) = [e for e in env.feed(after=cursor) if e["resource_id"] == PALADIN_SERVICE]
    assert entry["action"] == "updated" and entry["record"] == after.body


def test_a_rejected_request_changes_nothing_and_keeps_its_reason(env: Env) -> None:
    request = hold(env, SERVICE, NEW_NUMBER, env.partner)
    before = snapshots(env, SERVICE, ORGANIZATION)
    cursor = env.cursor()
    response = env.reject(request["id"], env.admin, "The helpline's site gives another number.")
    assert response.status_code == 200, response.text
    rejected = response.json()
    assert rejected["status"] == "rejected" and rejected["decided_by"] == env.admin.name
    assert rejected["reason"] == "The helpline's site gives another number."
    assert_nothing_changed(env, before, cursor)
    seen = env.client.get(f"/v1/change_requests/{request['id']}", headers=env.partner.headers)
    assert seen.json()["status"] == "rejected"
    assert seen.json()["reason"] == "The helpline's site gives another number."


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 2001}, None])
def test_a_rejection_needs_a_reason(env: Env, body: dict[str, str] | None) -> None:
    request = hold(env, SERVICE, NEW_NUMBER, env.partner)
    response = env.client.post(
        f"/v1/change_requests/{request['id']}/reject", json=body, headers=env.admin.headers
    )
    assert_problem(response, 422)
    assert requests_listed(env, env.admin, status="pending")[0]["id"] == request["id"]


def decide(env: Env, request_id: str, how: str, key: Key) -> httpx.Response:
    if how == "approve":
        return env.approve(request_id, key)
    return env.reject(request_id, key, "No.")


@pytest.mark.parametrize("first", ["approve", "reject"])
@pytest.mark.parametrize("second", ["approve", "reject"])
def test_a_request_is_decided_once(env: Env, first: str, second: str) -> None:
    request = hold(env, SERVICE, NEW_NUMBER, env.partner)
    assert decide(env, request["id"], first, env.admin).status_code == 200
    decided = env.client.get(f"/v1/change_requests/{request['id']}", headers=env.admin.headers)
    before = snapshots(env, SERVICE, ORGANIZATION)
    cursor = env.cursor()
    assert_problem(decide(env, request["id"], second, env.admin2), 409)
    assert_nothing_changed(env, before, cursor)
    again = env.client.get(f"/v1/change_requests/{request['id']}", headers=env.admin.headers)
    assert again.json() == decided.json()


def change_meanwhile(env: Env, how: str) -> None:
    if how == "admin-edit":
        assert env.update(SERVICE, {"alert": "Closed on Friday."}, env.admin).status_code == 200
    elif how == "partner-edit":
        assert env.update(SERVICE, {"description": "Reworded."}, env.partner).status_code == 200
    elif how == "other-request-approved":
        other = hold(env, SERVICE, {"url": "https://paladinservice.co.uk/help"}, env.partner)
        assert env.approve(other["id"], env.admin).status_code == 200
    elif how == "verified":
        verify = env.client.post(
            f"{SERVICE}/verify", headers={**env.admin.headers, "If-Match": env.etag(SERVICE)}
        )
        assert verify.status_code == 200
    else:
        assert how == "retired"
        assert env.retire(SERVICE, env.admin).status_code == 204


@pytest.mark.parametrize(
    "how", ["admin-edit", "partner-edit", "other-request-approved", "verified", "retired"]
)
def test_approving_after_the_record_changed_is_a_conflict(env: Env, how: str) -> None:
    request = hold(env, SERVICE, NEW_NUMBER, env.partner)
    change_meanwhile(env, how)
    before = snapshots(env, SERVICE, ORGANIZATION, "/v1/services?per_page=1000")
    cursor = env.cursor()
    assert_problem(env.approve(request["id"], env.admin), 409)
    assert_nothing_changed(env, before, cursor)
    # Still pending: the admin can reject it, and the partner can ask again.
    (pending,) = requests_listed(env, env.admin, status="pending")
    assert pending["id"] == request["id"]
    assert env.reject(request["id"], env.admin, "Out of date.").status_code == 200


def test_approving_applies_the_change_atomically(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(seeded_engine, raise_server_exceptions=False)
    request = hold(env, SERVICE, NEW_NUMBER, env.partner)
    before = snapshots(env, SERVICE, ORGANIZATION)
    cursor = env.cursor()
    real = api.writes.records.record_change

    def crash(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        raise RuntimeError("power cut")

    monkeypatch.setattr(api.writes.records, "record_change", crash)
    assert_problem(env.approve(request["id"], env.admin), 500)
    assert_nothing_changed(env, before, cursor)
    (pending,) = requests_listed(env, env.admin, status="pending")
    assert pending["id"] == request["id"] and "decided_by" not in pending

    monkeypatch.undo()
    assert env.approve(request["id"], env.admin).status_code == 200
    assert phone_numbers(env.snapshot(SERVICE).body) == ["0800 111 2222"]


# -- what is held and what is not -------------------------------------------------------------

PUBLISHED_AT_ONCE = {
    "description": {"description": "We now also help people aged 16 and over."},
    "name": {"name": "High-risk stalking advocacy"},
    "eligibility": {"eligibility_description": "Anyone at high risk."},
    "ages": {"minimum_age": 16, "maximum_age": 99},
    "alert": {"alert": "Closed on bank holidays."},
    "service-areas": {"service_areas": [{"name": "England"}, {"name": "Wales"}]},
    "status": {"status": "temporarily closed"},
}


@pytest.mark.parametrize("case", list(PUBLISHED_AT_ONCE))
def test_a_partners_other_changes_publish_at_once(env: Env, case: str) -> None:
    patch = PUBLISHED_AT_ONCE[case]
    response = env.update(SERVICE, patch, env.partner)
    assert response.status_code == 200, response.text
    got = env.snapshot(SERVICE)
    assert got.body == response.json() and got.etag == response.headers["etag"]
    for field, value in patch.items():
        if field == "service_areas":
            assert sorted(a["name"] for a in got.body[field]) == sorted(a["name"] for a in value)
        else:
            assert got.body[field] == value
    assert requests_listed(env, env.admin) == []
    assert env.history(SERVICE, env.admin)[-1]["actor"] == env.partner.name


def test_a_partner_edits_its_organisations_description_at_once(env: Env) -> None:
    response = env.update(ORGANIZATION, {"description": "Supports high-risk victims."}, env.partner)
    assert response.status_code == 200, response.text
    assert env.snapshot(ORGANIZATION).body["description"] == "Supports high-risk victims."


def two_phones(env: Env) -> None:
    phones = [
        {"number": "020 3866 4107", "type": "voice", "description": "Support line."},
        {"number": "07860 018887", "type": "text", "description": "Texts only."},
    ]
    assert env.update(SERVICE, {"phones": phones}, env.admin).status_code == 200


HELD: dict[str, tuple[str, dict[str, Any]]] = {
    "new-number": (SERVICE, NEW_NUMBER),
    "added-number": (
        SERVICE,
        {"phones": [{"number": "020 3866 4107"}, {"number": "0800 111 2222"}]},
    ),
    "removed-number": (SERVICE, {"phones": []}),
    "number-in-a-contact": (
        SERVICE,
        {"contacts": [{"name": "Duty desk", "phones": [{"number": "0800 111 2222"}]}]},
    ),
    "email": (SERVICE, {"email": "help@paladinservice.co.uk"}),
    "email-removed-from-organisation": (ORGANIZATION, {"email": None}),
    "url": (SERVICE, {"url": "https://paladin-help.example.org"}),
    "url-removed": (SERVICE, {"url": None}),
    "organisation-website": (ORGANIZATION, {"website": "https://paladin-help.example.org"}),
    "organisation-logo": (ORGANIZATION, {"logo": "https://paladin-help.example.org/logo.png"}),
    "schedule-link": (
        SERVICE,
        {"schedules": [{"freq": "WEEKLY", "schedule_link": "https://example.org/hours"}]},
    ),
    "area-uri": (SERVICE, {"service_areas": [{"name": "England", "uri": "https://example.org"}]}),
}


@pytest.mark.parametrize("case", list(HELD))
def test_a_partners_change_to_a_number_email_or_url_is_held(env: Env, case: str) -> None:
    path, patch = HELD[case]
    before = snapshots(env, SERVICE, ORGANIZATION)
    cursor = env.cursor()
    request = hold(env, path, patch, env.partner)
    assert_nothing_changed(env, before, cursor)
    assert env.approve(request["id"], env.admin).status_code == 200
    after = env.snapshot(path).body
    for field, value in patch.items():
        if value is None:
            assert field not in after
        elif isinstance(value, str):
            assert after[field] == value


HELD_PHONE_EDITS: dict[str, Any] = {
    # The same numbers, on the wrong lines: someone would call a text-only number.
    "numbers-swapped": [
        {"number": "07860 018887", "type": "voice", "description": "Support line."},
        {"number": "020 3866 4107", "type": "text", "description": "Texts only."},
    ],
    "type-changed": [
        {"number": "020 3866 4107", "type": "text", "description": "Support line."},
        {"number": "07860 018887", "type": "text", "description": "Texts only."},
    ],
    "extension-added": [
        {
            "number": "020 3866 4107",
            "type": "voice",
            "description": "Support line.",
            "extension": 2,
        },
        {"number": "07860 018887", "type": "text", "description": "Texts only."},
    ],
    "descriptions-swapped": [
        {"number": "020 3866 4107", "type": "voice", "description": "Texts only."},
        {"number": "07860 018887", "type": "text", "description": "Support line."},
    ],
}


@pytest.mark.parametrize("case", list(HELD_PHONE_EDITS))
def test_changing_what_a_number_is_for_is_held(env: Env, case: str) -> None:
    two_phones(env)
    before = snapshots(env, SERVICE)
    cursor = env.cursor()
    hold(env, SERVICE, {"phones": HELD_PHONE_EDITS[case]}, env.partner)
    assert_nothing_changed(env, before, cursor)


def test_phones_sent_back_in_another_order_are_not_a_change_to_review(env: Env) -> None:
    two_phones(env)
    phones = list(reversed(env.snapshot(SERVICE).body["phones"]))
    response = env.update(SERVICE, {"phones": phones, "alert": "Reordered."}, env.partner)
    assert response.status_code == 200, response.text
    assert env.snapshot(SERVICE).body["phones"] == list(reversed(phones))


def test_a_term_with_a_uri_does_not_make_every_partner_change_critical(env: Env) -> None:
    term = f"/v1/taxonomy_terms/{HIGH_RISK_VICTIMS}"
    patch = {"term_uri": "https://example.org/terms/high-risk"}
    assert env.update(term, patch, env.admin).status_code == 200
    assert any(
        a["taxonomy_term_id"] == HIGH_RISK_VICTIMS for a in env.snapshot(SERVICE).body["attributes"]
    )
    response = env.update(SERVICE, {"description": "Reworded."}, env.partner)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "patch",
    [
        {"description": "Reworded."},
        {"steps": ["Call 999.", "Ask for the police."]},
        {"suitable_for": ["anyone"]},
        {"number": "112"},
    ],
)
def test_every_partner_change_to_its_reporting_channel_is_held(
    env: Env, patch: dict[str, Any]
) -> None:
    before = snapshots(env, CHANNEL, "/v1/reporting_channels?per_page=1000")
    cursor = env.cursor()
    request = hold(env, CHANNEL, patch, police(env))
    assert request["resource_type"] == "reporting_channel"
    assert request["organization_id"] == THAMES_VALLEY_POLICE
    assert_nothing_changed(env, before, cursor)
    assert env.approve(request["id"], env.admin).status_code == 200
    after = env.snapshot(CHANNEL).body
    assert {k: after[k] for k in patch} == patch


def test_a_partner_creating_a_channel_is_held(env: Env) -> None:
    before = snapshots(env, "/v1/reporting_channels?per_page=1000")
    cursor = env.cursor()
    sent = new_record("reporting_channel")
    response = env.create("reporting_channel", sent, police(env))
    assert response.status_code == 202, response.text[:300]
    assert_nothing_changed(env, before, cursor)
    request = response.json()
    assert env.approve(request["id"], env.admin).status_code == 200
    channel = env.snapshot(f"/v1/reporting_channels/{request['resource_id']}")
    assert channel.status == 200
    assert {k: channel.body[k] for k in sent} == sent


@pytest.mark.parametrize(
    ("path", "patch"),
    [
        (SERVICE, NEW_NUMBER),
        (SERVICE, {"url": "https://paladin-help.example.org"}),
        (ORGANIZATION, {"website": "https://paladin-help.example.org"}),
        (CHANNEL, {"number": "112"}),
    ],
)
def test_an_admins_changes_publish_at_once(env: Env, path: str, patch: dict[str, Any]) -> None:
    response = env.update(path, patch, env.admin)
    assert response.status_code == 200, response.text
    assert env.snapshot(path).body == response.json()
    assert requests_listed(env, env.admin) == []


def test_an_invalid_partner_change_is_refused_not_held(env: Env) -> None:
    before = snapshots(env, SERVICE)
    cursor = env.cursor()
    response = env.update(SERVICE, {"phones": [{"number": "12345"}]}, env.partner)
    assert_problem(response, 422, "phones.0.number")
    assert_nothing_changed(env, before, cursor)
    assert requests_listed(env, env.admin) == []


# -- who sees which requests ------------------------------------------------------------------


def test_a_partner_sees_only_its_organisations_requests(env: Env) -> None:
    mine = hold(env, SERVICE, NEW_NUMBER, env.partner)
    helpline = f"/v1/services/{NATIONAL_STALKING_HELPLINE}"
    theirs = hold(env, helpline, {"url": "https://example.org"}, env.other_partner)

    assert [r["id"] for r in requests_listed(env, env.partner)] == [mine["id"]]
    assert [r["id"] for r in requests_listed(env, env.other_partner)] == [theirs["id"]]
    for request_id in (theirs["id"], str(uuid.uuid4()), "not-an-id"):
        got = env.client.get(f"/v1/change_requests/{request_id}", headers=env.partner.headers)
        assert_problem(got, 404)
    # Deciding is for administrators only, whoever's the request is.
    for request_id in (mine["id"], theirs["id"]):
        assert_problem(env.approve(request_id, env.partner), 403)
        assert_problem(env.reject(request_id, env.partner, "mine"), 403)
    assert {r["status"] for r in requests_listed(env, env.admin)} == {"pending"}


def test_admins_list_every_request_and_filter_by_status(env: Env) -> None:
    first = hold(env, SERVICE, NEW_NUMBER, env.partner)
    second = hold(env, SERVICE, {"email": "a@paladinservice.co.uk"}, env.partner)
    helpline = f"/v1/services/{NATIONAL_STALKING_HELPLINE}"
    third = hold(env, helpline, {"url": "https://example.org"}, env.other_partner)
    assert env.approve(first["id"], env.admin).status_code == 200
    assert env.reject(second["id"], env.admin, "Not theirs.").status_code == 200

    def ids(**params: str) -> set[str]:
        return {r["id"] for r in requests_listed(env, env.admin, **params)}

    assert ids() == {first["id"], second["id"], third["id"]}
    assert ids(status="pending") == {third["id"]}
    assert ids(status="approved") == {first["id"]}
    assert ids(status="rejected") == {second["id"]}
    bad = env.client.get(
        "/v1/change_requests", params={"status": "maybe"}, headers=env.admin.headers
    )
    assert_problem(bad, 400)


@pytest.mark.parametrize("request_id", [str(uuid.uuid4()), "not-an-id"])
@pytest.mark.parametrize("how", ["approve", "reject"])
def test_deciding_an_unknown_request_is_404(env: Env, request_id: str, how: str) -> None:
    assert_problem(decide(env, request_id, how, env.admin), 404)


# -- a partner creating a service -------------------------------------------------------------


def test_a_partners_new_service_with_a_number_appears_only_once_approved(env: Env) -> None:
    before = snapshots(env, "/v1/services?per_page=1000", ORGANIZATION)
    cursor = env.cursor()
    sent = new_record("service")
    response = env.create("service", sent, env.partner)
    assert response.status_code == 202, response.text[:300]
    request = response.json()
    assert response.headers["location"] == f"/v1/change_requests/{request['id']}"
    assert request["action"] == "create" and request["status"] == "pending"
    service_path = f"/v1/services/{request['resource_id']}"
    assert_problem(env.client.get(service_path), 404)
    assert_nothing_changed(env, before, cursor)

    assert env.approve(request["id"], env.admin).status_code == 200
    service = env.snapshot(service_path)
    assert service.status == 200
    assert service.body["id"] == request["resource_id"]
    assert service.body["name"] == sent["name"]
    assert phone_numbers(service.body) == ["0808 802 0300"]
    assert request["resource_id"] in {s["id"] for s in env.all("/v1/services")}
    (entry,) = [e for e in env.feed(after=cursor) if e["resource_id"] == request["resource_id"]]
    assert entry["action"] == "created" and entry["record"] == service.body
    (created,) = env.history(service_path, env.admin)
    assert created["actor"] == f"{env.partner.name} (approved by {env.admin.name})"


def test_a_partners_new_service_without_contact_points_publishes_at_once(env: Env) -> None:
    sent = {"organization_id": PALADIN, "name": "Peer support group", "description": "Meet."}
    response = env.create("service", sent, env.partner)
    assert response.status_code == 201, response.text
    assert env.snapshot(response.headers["location"]).body == response.json()
    assert requests_listed(env, env.admin) == []


def test_approving_a_new_service_that_is_no_longer_valid_is_refused(env: Env) -> None:
    """Between the request and the approval, a term it uses is retired: nothing is applied
    and the request stays pending."""
    term = env.create("taxonomy_term", new_record("taxonomy_term"), env.admin).json()["id"]
    sent = {**new_record("service"), "attributes": [{"taxonomy_term_id": term}]}
    request = env.create("service", sent, env.partner).json()
    assert env.retire(f"/v1/taxonomy_terms/{term}", env.admin).status_code == 204
    before = snapshots(env, "/v1/services?per_page=1000", ORGANIZATION)
    cursor = env.cursor()
    assert_problem(env.approve(request["id"], env.admin), 422, "attributes.0.taxonomy_term_id")
    assert_nothing_changed(env, before, cursor)
    assert_problem(env.client.get(f"/v1/services/{request['resource_id']}"), 404)
    (pending,) = requests_listed(env, env.admin, status="pending")
    assert pending["id"] == request["id"]
