"""The seeded directory says what its source documents say: the ways to report stalking
(999, 18000, emergencySMS, the Silent Solution, 101), the helplines' numbers, the guidance,
and a citation with a URL and page date behind every record."""

from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

SEED_DOCUMENT = (
    "https://www.buckinghamshire.gov.uk/community-and-safety/"
    "safety-and-crime-in-your-community/stalking-and-harassment/"
)

# How a channel shows among its service's HSDS phones.
PHONE_TYPE_OF_METHOD = {
    "voice": "voice",
    "silent_call": "voice",  # the Silent Solution is a voice call to 999
    "textphone": "textphone",
    "sms": "text",  # HSDS phone type "text" means SMS
}


def get_json(client: TestClient, path: str, **params: str) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, (path, response.text[:300])
    return response.json()


def every(client: TestClient, resource: str, **params: str) -> list[dict[str, Any]]:
    body = get_json(client, f"/v1/{resource}", per_page="1000", **params)
    assert body["total_items"] == len(body["contents"]) > 0
    contents: list[dict[str, Any]] = body["contents"]
    return contents


@pytest.fixture(scope="module")
def channels(client: TestClient) -> list[dict[str, Any]]:
    return every(client, "reporting_channels")


def the_channel(channels: list[dict[str, Any]], method: str, number: str) -> dict[str, Any]:
    found = [c for c in channels if c["method"] == method and c.get("number") == number]
    assert len(found) == 1, f"expected one {method} channel on {number}, found {len(found)}"
    return found[0]


def service_named(client: TestClient, name: str) -> dict[str, Any]:
    (match,) = [s for s in every(client, "services", full="true") if s["name"] == name]
    return match


# -- reporting channels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "number", "urgency", "suitable_for"),
    [
        ("voice", "999", "emergency", "in_immediate_danger"),
        ("textphone", "18000", "emergency", "textphone_user"),
        ("sms", "999", "emergency", "deaf_or_speech_impaired"),
        ("silent_call", "999", "emergency", "cannot_speak"),
        ("voice", "101", "non_emergency", "anyone"),
    ],
)
def test_the_source_documents_ways_to_report_are_seeded(
    channels: list[dict[str, Any]], method: str, number: str, urgency: str, suitable_for: str
) -> None:
    channel = the_channel(channels, method, number)
    assert channel["urgency"] == urgency
    assert suitable_for in channel["suitable_for"]
    assert channel["steps"], "a channel tells you what to do"
    assert all(step.strip() for step in channel["steps"])


def test_emergency_sms_needs_registration_first(channels: list[dict[str, Any]]) -> None:
    sms = the_channel(channels, "sms", "999")
    assert any("register" in r.lower() for r in sms["requirements"]), sms["requirements"]
    assert "registered_emergency_sms_user" in sms["suitable_for"]
    # Registering comes before texting in an emergency.
    steps = [step.lower() for step in sms["steps"]]
    first_register = next(i for i, s in enumerate(steps) if "register" in s)
    first_emergency = next(i for i, s in enumerate(steps) if "emergency" in s)
    assert first_register < first_emergency


def test_silent_solution_steps_say_press_55(channels: list[dict[str, Any]]) -> None:
    silent = the_channel(channels, "silent_call", "999")
    assert any("55" in step for step in silent["steps"]), silent["steps"]
    assert any("mobile" in r.lower() for r in silent["requirements"])


def test_non_emergency_channels_include_reporting_online(channels: list[dict[str, Any]]) -> None:
    online = [c for c in channels if c["method"] == "online"]
    assert online
    for channel in online:
        url = urlsplit(channel["url"])
        assert url.scheme == "https" and url.netloc
        assert channel["urgency"] == "non_emergency"


def test_every_channel_has_a_number_or_a_url(channels: list[dict[str, Any]]) -> None:
    for channel in channels:
        assert channel.get("number") or channel.get("url"), channel["name"]


def test_channel_details_match_the_list(client: TestClient, channels: list[dict[str, Any]]) -> None:
    for channel in channels:
        assert get_json(client, f"/v1/reporting_channels/{channel['id']}") == channel


def test_each_channel_resolves_to_its_organisation_and_service(
    client: TestClient, channels: list[dict[str, Any]]
) -> None:
    for channel in channels:
        organization = get_json(client, f"/v1/organizations/{channel['organization_id']}")
        assert organization["id"] == channel["organization_id"]
        assert channel["service_id"], f"{channel['name']} has no service"
        service = get_json(client, f"/v1/services/{channel['service_id']}")
        assert service["organization_id"] == channel["organization_id"]
        assert service["id"] in {s["id"] for s in organization["services"]}


def test_each_channel_number_is_a_typed_phone_of_its_service(
    client: TestClient, channels: list[dict[str, Any]]
) -> None:
    """HSDS-only consumers see every reporting number as a typed phone of a service."""
    numbered = [c for c in channels if c.get("number")]
    assert len(numbered) >= 5
    for channel in numbered:
        service = get_json(client, f"/v1/services/{channel['service_id']}")
        phones = {(p["number"], p.get("type")) for p in service["phones"]}
        expected = (channel["number"], PHONE_TYPE_OF_METHOD[channel["method"]])
        assert expected in phones, (channel["name"], phones)


@pytest.mark.parametrize(("number", "phone_type"), [("18000", "textphone"), ("999", "text")])
def test_the_emergency_service_types_its_accessible_numbers(
    client: TestClient, number: str, phone_type: str
) -> None:
    service = service_named(client, "Emergency police response (999)")
    assert (number, phone_type) in {(p["number"], p.get("type")) for p in service["phones"]}


# -- helplines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "number"),
    [
        ("National Stalking Helpline", "0808 802 0300"),
        ("Stalking advocacy for high-risk victims", "020 3866 4107"),  # Paladin
        ("Non-emergency police contact (101)", "101"),
    ],
)
def test_helpline_numbers(client: TestClient, service: str, number: str) -> None:
    found = service_named(client, service)
    assert [p.get("type") for p in found["phones"] if p["number"] == number] == ["voice"]
    assert get_json(client, f"/v1/services/{found['id']}")["phones"] == found["phones"]


def test_paladin_runs_the_advocacy_service(client: TestClient) -> None:
    service = service_named(client, "Stalking advocacy for high-risk victims")
    assert service["organization"]["name"] == "Paladin National Stalking Advocacy Service"


# -- guidance --------------------------------------------------------------------------------

GUIDANCE_SAYS = [
    ("definition", "fixated, persistent and unwanted"),
    ("definition", "two or more occasions"),
    ("evidence", "diary"),
    ("evidence", "social media"),
    ("personal_safety", "personal alarm"),
    ("personal_safety", "Hollie Guard"),
    ("personal_safety", "0808 802 0300"),
    ("reporting", "999"),
    ("reporting", "18000"),
    ("reporting", "press 55"),
    ("reporting", "101"),
    ("law", "Protection from Harassment Act 1997"),
    ("law", "Stalking Protection Order"),
]


@pytest.fixture(scope="module")
def guidance(client: TestClient) -> list[dict[str, Any]]:
    return every(client, "guidance")


def test_guidance_covers_every_topic(guidance: list[dict[str, Any]]) -> None:
    categories = {g["category"] for g in guidance}
    assert categories == {"definition", "evidence", "personal_safety", "reporting", "law"}


def test_guidance_items_are_ordered_non_empty_lists(
    client: TestClient, guidance: list[dict[str, Any]]
) -> None:
    for item in guidance:
        assert item["items"] and all(text.strip() for text in item["items"]), item["name"]
        assert get_json(client, f"/v1/guidance/{item['id']}") == item


@pytest.mark.parametrize(("category", "phrase"), GUIDANCE_SAYS)
def test_guidance_says(guidance: list[dict[str, Any]], category: str, phrase: str) -> None:
    texts = [
        text
        for g in guidance
        if g["category"] == category
        for text in (g["name"], g["description"], *g["items"])
    ]
    assert any(phrase.lower() in text.lower() for text in texts), (category, phrase)


# -- every record cites its sources --------------------------------------------------------------


def detail_bodies(client: TestClient, resource: str) -> list[dict[str, Any]]:
    return [get_json(client, f"/v1/{resource}/{r['id']}") for r in every(client, resource)]


SOURCED = {
    "services (full list)": lambda c: every(c, "services", full="true"),
    "services": lambda c: detail_bodies(c, "services"),
    "organizations": lambda c: detail_bodies(c, "organizations"),
    "reporting_channels (list)": lambda c: every(c, "reporting_channels"),
    "reporting_channels": lambda c: detail_bodies(c, "reporting_channels"),
    "guidance (list)": lambda c: every(c, "guidance"),
    "guidance": lambda c: detail_bodies(c, "guidance"),
    "taxonomies": lambda c: detail_bodies(c, "taxonomies"),
}


@pytest.mark.parametrize("kind", sorted(SOURCED))
def test_every_record_cites_sources_with_url_and_page_date(client: TestClient, kind: str) -> None:
    records = SOURCED[kind](client)
    assert records
    for record in records:
        sources = record.get("sources")
        assert sources, f"{kind} {record['id']} has no sources"
        for source in sources:
            url = urlsplit(source["url"])
            assert url.scheme in ("http", "https") and url.netloc, source
            assert source["page_date"].strip(), source
            assert source["title"].strip() and source["source_key"].strip(), source


@pytest.mark.parametrize("resource", ["reporting_channels", "guidance"])
def test_records_drawn_from_the_seed_document_cite_it(client: TestClient, resource: str) -> None:
    cited = [
        r for r in every(client, resource) if SEED_DOCUMENT in {s["url"] for s in r["sources"]}
    ]
    assert cited
    if resource == "reporting_channels":
        assert len(cited) == len(every(client, resource)), "every channel is in the seed page"
