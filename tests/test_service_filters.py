"""The filters of `/v1/services` (and `/v1/service_at_locations`), reporting channels and
guidance: each one with cases that must match and cases that must not."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_hsds_conformance import PROFILE_NAMES, schema_errors, validator

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
PROBLEM_TYPE = "application/problem+json"
NESTED_ARRAYS = (
    "phones",
    "schedules",
    "service_areas",
    "service_at_locations",
    "languages",
    "contacts",
    "attributes",
    "sources",
)

Params = dict[str, str]


# -- helpers ---------------------------------------------------------------------------------


def get_contents(
    client: TestClient, path: str, params: Params | None = None
) -> list[dict[str, Any]]:
    response = client.get(path, params={"per_page": "1000", **(params or {})})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_items"] == len(body["contents"])
    contents: list[dict[str, Any]] = body["contents"]
    return contents


def service_ids(client: TestClient, **params: str) -> list[str]:
    return [item["id"] for item in get_contents(client, "/v1/services", params)]


def assert_bad_parameter(client: TestClient, path: str, params: Params, field: str) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM_TYPE)
    errors = response.json()["errors"]
    assert any(field in error["field"].split(".") for error in errors), errors


@pytest.fixture(scope="module")
def full_services(client: TestClient) -> list[dict[str, Any]]:
    return get_contents(client, "/v1/services", {"full": "true"})


@pytest.fixture(scope="module")
def all_service_ids(full_services: list[dict[str, Any]]) -> list[str]:
    return [service["id"] for service in full_services]


@pytest.fixture(scope="module")
def organization_ids(client: TestClient) -> dict[str, str]:
    return {org["name"]: org["id"] for org in get_contents(client, "/v1/organizations")}


@pytest.fixture(scope="module")
def terms(client: TestClient) -> list[dict[str, Any]]:
    return get_contents(client, "/v1/taxonomy_terms")


@pytest.fixture(scope="module")
def term_ids(terms: list[dict[str, Any]]) -> dict[str, str]:
    return {term["code"]: term["id"] for term in terms}


@pytest.fixture(scope="module")
def taxonomy_ids(client: TestClient) -> dict[str, str]:
    return {t["name"]: t["id"] for t in get_contents(client, "/v1/taxonomies")}


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "organization", "others_match"),
    [
        ("Paladin", "Paladin National Stalking Advocacy Service", False),
        # Thames Valley Police's description also names these two, so its services match
        # too, but below the organisation's own.
        ("Suzy Lamplugh", "Suzy Lamplugh Trust", True),
        ("Buckinghamshire", "Buckinghamshire Council", True),
    ],
)
def test_search_by_organisation_name_puts_its_services_first(
    client: TestClient,
    organization_ids: dict[str, str],
    query: str,
    organization: str,
    others_match: bool,
) -> None:
    own = set(service_ids(client, organization_id=organization_ids[organization]))
    assert own
    found = service_ids(client, search=query)
    assert set(found[: len(own)]) == own
    assert (len(found) > len(own)) is others_match


@pytest.mark.parametrize("spelling", ["PALADIN", "paladin", "pAlAdIn", "Paládin", "PALÁDÍN"])
def test_search_is_case_and_accent_insensitive(client: TestClient, spelling: str) -> None:
    expected = service_ids(client, search="Paladin")
    assert expected
    assert service_ids(client, search=spelling) == expected


@pytest.mark.parametrize("prefix", ["Pal", "pala", "Paladi"])
def test_search_matches_word_prefixes(client: TestClient, prefix: str) -> None:
    assert set(service_ids(client, search=prefix)) >= set(service_ids(client, search="Paladin"))


def test_search_ranks_a_name_match_above_a_description_match(client: TestClient) -> None:
    found = get_contents(client, "/v1/services", {"search": "helpline"})
    assert len(found) > 1, "other services mention the helpline in their descriptions"
    assert found[0]["name"] == "National Stalking Helpline"


def test_search_covers_the_organisation_description(
    client: TestClient, organization_ids: dict[str, str]
) -> None:
    # "1986" is only in the Suzy Lamplugh Trust's description (the year it was founded).
    suzy_lamplugh = service_ids(client, organization_id=organization_ids["Suzy Lamplugh Trust"])
    assert set(service_ids(client, search="1986")) == set(suzy_lamplugh)


@pytest.mark.parametrize(
    ("first", "second"),
    [("stalking", "helpline"), ("police", "emergency"), ("safety", "app"), ("young", "paladin")],
)
def test_search_words_are_combined_with_and(client: TestClient, first: str, second: str) -> None:
    either_first = set(service_ids(client, search=first))
    either_second = set(service_ids(client, search=second))
    both = set(service_ids(client, search=f"{first} {second}"))
    assert both, "each pair has at least one service matching both words"
    assert both == either_first & either_second
    assert both != either_first | either_second, "the pair must tell AND from OR"


def test_two_words_that_never_meet_find_nothing(client: TestClient) -> None:
    assert service_ids(client, search="paladin")
    assert service_ids(client, search="police")
    assert service_ids(client, search="paladin police") == []


@pytest.mark.parametrize("query", ["xylophone", "paladin xylophone", "zzzz"])
def test_search_for_a_word_nothing_has_is_empty(client: TestClient, query: str) -> None:
    response = client.get("/v1/services", params={"search": query})
    assert response.status_code == 200
    assert response.json()["contents"] == []
    assert response.json()["total_items"] == 0


# -- taxonomy_term_id / taxonomy_id ------------------------------------------------------------


def linked_terms(service: dict[str, Any]) -> set[str]:
    return {attribute["taxonomy_term_id"] for attribute in service["attributes"]}


def term_and_narrower(terms: list[dict[str, Any]], term_id: str) -> set[str]:
    found = {term_id}
    while True:
        more = {t["id"] for t in terms if t.get("parent_id") in found} - found
        if not more:
            return found
        found |= more


def test_every_term_finds_the_services_filed_under_it_or_a_narrower_term(
    client: TestClient, terms: list[dict[str, Any]], full_services: list[dict[str, Any]]
) -> None:
    checked = 0
    for term in terms:
        wanted = term_and_narrower(terms, term["id"])
        expected = {s["id"] for s in full_services if linked_terms(s) & wanted}
        assert set(service_ids(client, taxonomy_term_id=term["id"])) == expected, term["code"]
        checked += bool(expected)
    assert checked >= 10


def test_a_broader_term_includes_its_narrower_terms_services(
    client: TestClient, term_ids: dict[str, str]
) -> None:
    broader = set(service_ids(client, taxonomy_term_id=term_ids["victim-support"]))
    helpline = set(service_ids(client, taxonomy_term_id=term_ids["helpline"]))
    advocacy = set(service_ids(client, taxonomy_term_id=term_ids["specialist-advocacy"]))
    assert helpline and advocacy
    assert broader >= helpline | advocacy


def test_a_narrower_term_excludes_its_siblings_services(
    client: TestClient, term_ids: dict[str, str]
) -> None:
    helpline = set(service_ids(client, taxonomy_term_id=term_ids["helpline"]))
    advocacy = set(service_ids(client, taxonomy_term_id=term_ids["specialist-advocacy"]))
    assert not helpline & advocacy


@pytest.mark.parametrize("taxonomy", ["Audience", "Service type"])
def test_taxonomy_id_finds_services_with_any_term_of_it(
    client: TestClient,
    taxonomy: str,
    taxonomy_ids: dict[str, str],
    terms: list[dict[str, Any]],
    full_services: list[dict[str, Any]],
) -> None:
    taxonomy_id = taxonomy_ids[taxonomy]
    its_terms = {t["id"] for t in terms if t["taxonomy_id"] == taxonomy_id}
    expected = {s["id"] for s in full_services if linked_terms(s) & its_terms}
    assert expected
    assert set(service_ids(client, taxonomy_id=taxonomy_id)) == expected


@pytest.mark.parametrize("param", ["taxonomy_term_id", "taxonomy_id", "organization_id"])
def test_an_unknown_id_filter_finds_nothing(client: TestClient, param: str) -> None:
    assert service_ids(client, **{param: UNKNOWN_ID}) == []


@pytest.mark.parametrize("param", ["taxonomy_term_id", "taxonomy_id", "organization_id"])
def test_a_malformed_id_filter_is_a_bad_request(client: TestClient, param: str) -> None:
    assert_bad_parameter(client, "/v1/services", {param: "not-a-uuid"}, param)


# -- organization_id -------------------------------------------------------------------------


def test_organization_id_finds_exactly_that_organisations_services(
    client: TestClient, organization_ids: dict[str, str], full_services: list[dict[str, Any]]
) -> None:
    for name, org_id in organization_ids.items():
        expected = {s["id"] for s in full_services if s["organization_id"] == org_id}
        assert expected, f"{name} has no services"
        found = get_contents(client, "/v1/services", {"organization_id": org_id})
        assert {s["id"] for s in found} == expected, name
        assert {s["organization"]["id"] for s in found} == {org_id}


# -- modified_after --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "before_seed", ["2000-01-01T00:00:00", "2000-01-01T00:00:00Z", "2000-01-01T01:00:00+01:00"]
)
def test_modified_after_a_time_before_the_seed_finds_everything(
    client: TestClient, all_service_ids: list[str], before_seed: str
) -> None:
    assert service_ids(client, modified_after=before_seed) == all_service_ids


@pytest.mark.parametrize("future", ["2999-01-01T00:00:00", "2999-01-01T00:00:00Z"])
def test_modified_after_a_future_time_finds_nothing(client: TestClient, future: str) -> None:
    assert service_ids(client, modified_after=future) == []


def test_modified_after_is_inclusive_and_zone_aware(
    client: TestClient, full_services: list[dict[str, Any]]
) -> None:
    def changed(service: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(service["last_modified"].replace("Z", "+00:00"))

    latest = max(changed(s) for s in full_services)
    expected = {s["id"] for s in full_services if changed(s) >= latest}
    assert 0 < len(expected) < len(full_services), "seed times should differ"
    spellings = [
        latest.isoformat(),  # +00:00
        latest.isoformat().replace("+00:00", "Z"),
        latest.replace(tzinfo=None).isoformat(),  # naive means UTC
        latest.astimezone(timezone(timedelta(hours=1))).isoformat(),
        latest.astimezone(timezone(timedelta(hours=-5))).isoformat(),
    ]
    for spelling in spellings:
        assert set(service_ids(client, modified_after=spelling)) == expected, spelling
    just_after = (latest + timedelta(milliseconds=1)).astimezone(UTC).isoformat()
    assert service_ids(client, modified_after=just_after) == []


@pytest.mark.parametrize(
    ("edge", "finds_all"),
    [
        ("0001-01-01T00:00:00Z", True),
        ("0001-01-01T00:00:00+01:00", True),  # before year 1 in UTC
        ("9999-12-31T23:59:59.999999Z", False),
        ("9999-12-31T23:59:59-05:00", False),  # after year 9999 in UTC
    ],
)
def test_modified_after_at_the_edges_of_time(
    client: TestClient, all_service_ids: list[str], edge: str, finds_all: bool
) -> None:
    response = client.get("/v1/services", params={"modified_after": edge})
    assert response.status_code == 200, response.text
    found = [s["id"] for s in response.json()["contents"]]
    assert found == (all_service_ids if finds_all else [])


def test_modified_after_must_be_a_time(client: TestClient) -> None:
    assert_bad_parameter(client, "/v1/services", {"modified_after": "yesterday"}, "modified_after")


# -- ages ------------------------------------------------------------------------------------

YOUNG_PERSONS_ISAC = "Young person's ISAC"


@pytest.mark.parametrize(
    ("params", "included"),
    [
        ({"minimum_age": "16"}, True),
        ({"minimum_age": "15"}, True),
        ({"minimum_age": "17"}, False),
        ({"maximum_age": "25"}, True),
        ({"maximum_age": "30"}, True),
        ({"maximum_age": "24"}, False),
        ({"minimum_age": "16", "maximum_age": "25"}, True),
        ({"minimum_age": "17", "maximum_age": "25"}, False),
    ],
)
def test_age_filters(client: TestClient, params: Params, included: bool) -> None:
    names = [s["name"] for s in get_contents(client, "/v1/services", params)]
    assert (YOUNG_PERSONS_ISAC in names) is included


@pytest.mark.parametrize(("param", "value"), [("minimum_age", "1"), ("maximum_age", "150")])
def test_age_filters_leave_out_services_without_that_limit(
    client: TestClient, full_services: list[dict[str, Any]], param: str, value: str
) -> None:
    """No stated minimum counts as 0 and no stated maximum as no limit, so only services
    that state the limit pass these loosest filters (the seed states ages only for the
    young person's ISAC)."""
    stated = {s["id"] for s in full_services if param in s}
    assert stated and len(stated) < len(full_services)
    assert set(service_ids(client, **{param: value})) == stated


@pytest.mark.parametrize(
    "params",
    [{"minimum_age": "15.5"}, {"minimum_age": "16"}, {"minimum_age": "0.2"},
     {"maximum_age": "25.5"}, {"maximum_age": "25"}, {"maximum_age": "24.9"},
     {"minimum_age": "10.1", "maximum_age": "120.9"}],
)  # fmt: skip
def test_age_filters_match_their_definition_for_any_number(
    client: TestClient, full_services: list[dict[str, Any]], params: Params
) -> None:
    """Ages are whole years; a filter of 15.5 means what it says (at least 15.5, so 16)."""
    least = float(params.get("minimum_age", "0"))
    most = float(params["maximum_age"]) if "maximum_age" in params else None
    expected = [
        service["id"]
        for service in full_services
        if service.get("minimum_age", 0) >= least
        and (most is None or ("maximum_age" in service and service["maximum_age"] <= most))
    ]
    assert service_ids(client, **params) == expected
    assert any(expected) or params == {"maximum_age": "24.9"}


def test_minimum_age_zero_keeps_everything(client: TestClient, all_service_ids: list[str]) -> None:
    assert service_ids(client, minimum_age="0") == all_service_ids


@pytest.mark.parametrize("value", ["-1", "abc", "151"])
@pytest.mark.parametrize("param", ["minimum_age", "maximum_age"])
def test_bad_age_is_a_bad_request(client: TestClient, param: str, value: str) -> None:
    assert_bad_parameter(client, "/v1/services", {param: value}, param)


# -- shapes: minimal, full, ndjson -------------------------------------------------------------


def test_minimal_gives_only_id_and_last_modified(
    client: TestClient, all_service_ids: list[str]
) -> None:
    minimal = get_contents(client, "/v1/services", {"minimal": "true"})
    assert [s["id"] for s in minimal] == all_service_ids
    assert all(set(s) == {"id", "last_modified"} for s in minimal)


def test_minimal_keeps_the_filters(client: TestClient) -> None:
    minimal = get_contents(client, "/v1/services", {"minimal": "true", "search": "Paladin"})
    assert [s["id"] for s in minimal] == service_ids(client, search="Paladin")


def test_default_list_items_are_not_nested(client: TestClient) -> None:
    for service in get_contents(client, "/v1/services"):
        assert not set(NESTED_ARRAYS) & set(service), service["name"]
        assert service["organization"]["id"] == service["organization_id"]


def test_full_items_are_the_fully_nested_records(
    client: TestClient, full_services: list[dict[str, Any]]
) -> None:
    for service in full_services:
        assert set(NESTED_ARRAYS) <= set(service)
        assert service == client.get(f"/v1/services/{service['id']}").json()
    assert any(service["phones"] for service in full_services)
    assert all(service["sources"] for service in full_services)


def ndjson_records(client: TestClient, params: Params) -> list[dict[str, Any]]:
    response = client.get("/v1/services", params={"format": "ndjson", **params})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/x-ndjson"
    lines = response.text.splitlines()
    assert response.text == "".join(line + "\n" for line in lines), "one object a line"
    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    return records


def test_ndjson_streams_every_full_service_one_a_line(
    client: TestClient, full_services: list[dict[str, Any]]
) -> None:
    assert ndjson_records(client, {}) == full_services


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_ndjson_lines_validate_as_full_services(client: TestClient, profile: str) -> None:
    check = validator(profile, "compiled/service.json")
    for record in ndjson_records(client, {}):
        assert schema_errors(check, record) == [], record["name"]


def test_ndjson_ignores_paging_and_keeps_filters(
    client: TestClient, all_service_ids: list[str]
) -> None:
    unpaged = ndjson_records(client, {"per_page": "1", "page": "2"})
    assert [r["id"] for r in unpaged] == all_service_ids
    searched = ndjson_records(client, {"search": "Paladin"})
    assert [r["id"] for r in searched] == service_ids(client, search="Paladin")
    assert ndjson_records(client, {"search": "xylophone"}) == []


def test_unknown_format_is_a_bad_request(client: TestClient) -> None:
    assert_bad_parameter(client, "/v1/services", {"format": "xml"}, "format")


# -- filters combine with AND ------------------------------------------------------------------


def combinations(
    organization_ids: dict[str, str], term_ids: dict[str, str]
) -> list[tuple[Params, Params]]:
    org = {name.split()[0]: i for name, i in organization_ids.items()}
    return [
        ({"organization_id": org["Thames"]}, {"search": "emergency"}),
        ({"organization_id": org["Suzy"]}, {"taxonomy_term_id": term_ids["victim-support"]}),
        ({"search": "stalking"}, {"taxonomy_term_id": term_ids["specialist-advocacy"]}),
        ({"organization_id": org["Paladin"]}, {"minimum_age": "16"}),
    ]


def test_combined_filters_give_the_intersection(
    client: TestClient, organization_ids: dict[str, str], term_ids: dict[str, str]
) -> None:
    for first, second in combinations(organization_ids, term_ids):
        alone = set(service_ids(client, **first)) & set(service_ids(client, **second))
        together = service_ids(client, **first, **second)
        assert together, (first, second)
        assert set(together) == alone, (first, second)


def test_combined_filters_can_be_empty_when_each_alone_is_not(
    client: TestClient, organization_ids: dict[str, str], term_ids: dict[str, str]
) -> None:
    paladin = {"organization_id": organization_ids["Paladin National Stalking Advocacy Service"]}
    helpline = {"taxonomy_term_id": term_ids["helpline"]}
    assert service_ids(client, **paladin)
    assert service_ids(client, **helpline)
    assert service_ids(client, **paladin, **helpline) == []


# -- the same filters on service_at_locations ------------------------------------------------


def service_filter_cases(
    organization_ids: dict[str, str], term_ids: dict[str, str], taxonomy_ids: dict[str, str]
) -> list[Params]:
    return [
        {},
        {"search": "Paladin"},
        {"search": "police emergency"},
        {"search": "xylophone"},
        {"taxonomy_term_id": term_ids["victim-support"]},
        {"taxonomy_id": taxonomy_ids["Audience"]},
        {"organization_id": organization_ids["Thames Valley Police"]},
        {"organization_id": UNKNOWN_ID},
        {"modified_after": "2000-01-01T00:00:00Z"},
        {"modified_after": "2999-01-01T00:00:00Z"},
        {"minimum_age": "16"},
        {"maximum_age": "24"},
        {"organization_id": organization_ids["Suzy Lamplugh Trust"], "search": "helpline"},
    ]


def test_service_at_locations_take_the_service_filters(
    client: TestClient,
    organization_ids: dict[str, str],
    term_ids: dict[str, str],
    taxonomy_ids: dict[str, str],
) -> None:
    every = get_contents(client, "/v1/service_at_locations")
    non_empty = 0
    for params in service_filter_cases(organization_ids, term_ids, taxonomy_ids):
        services = set(service_ids(client, **params))
        expected = {sal["id"] for sal in every if sal["service_id"] in services}
        found = get_contents(client, "/v1/service_at_locations", params)
        assert {sal["id"] for sal in found} == expected, params
        assert all(sal["service"]["id"] == sal["service_id"] for sal in found)
        non_empty += bool(expected)
    assert non_empty >= 8


def test_service_at_locations_reject_bad_filters(client: TestClient) -> None:
    assert_bad_parameter(client, "/v1/service_at_locations", {"minimum_age": "x"}, "minimum_age")


# -- taxonomy_terms filters ------------------------------------------------------------------


def test_taxonomy_terms_filter_by_taxonomy_and_parent(
    client: TestClient,
    terms: list[dict[str, Any]],
    term_ids: dict[str, str],
    taxonomy_ids: dict[str, str],
) -> None:
    for taxonomy_id in taxonomy_ids.values():
        found = get_contents(client, "/v1/taxonomy_terms", {"taxonomy_id": taxonomy_id})
        assert {t["id"] for t in found} == {
            t["id"] for t in terms if t["taxonomy_id"] == taxonomy_id
        }
    children = get_contents(client, "/v1/taxonomy_terms", {"parent_id": term_ids["reporting"]})
    assert {t["code"] for t in children} == {"emergency-reporting", "non-emergency-reporting"}
    assert get_contents(client, "/v1/taxonomy_terms", {"parent_id": UNKNOWN_ID}) == []


# -- reporting channels ----------------------------------------------------------------------

CHANNEL_FILTERS = {
    "urgency": ["emergency", "non_emergency"],
    "method": ["voice", "sms", "textphone", "silent_call", "online", "in_person"],
    "suitable_for": [
        "anyone",
        "cannot_speak",
        "deaf_or_speech_impaired",
        "hard_of_hearing",
        "textphone_user",
        "registered_emergency_sms_user",
        "in_immediate_danger",
    ],
}
CHANNEL_FILTER_CASES = [
    (param, value) for param, values in CHANNEL_FILTERS.items() for value in values
]


@pytest.fixture(scope="module")
def channels(client: TestClient) -> list[dict[str, Any]]:
    return get_contents(client, "/v1/reporting_channels")


def channel_matches(channel: dict[str, Any], param: str, value: str) -> bool:
    field = channel.get(param)
    return value in field if isinstance(field, list) else field == value


@pytest.mark.parametrize(("param", "value"), CHANNEL_FILTER_CASES)
def test_reporting_channel_filter(
    client: TestClient, channels: list[dict[str, Any]], param: str, value: str
) -> None:
    found = get_contents(client, "/v1/reporting_channels", {param: value})
    assert all(channel_matches(c, param, value) for c in found)
    expected = [c["id"] for c in channels if channel_matches(c, param, value)]
    assert [c["id"] for c in found] == expected


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"urgency": "emergency", "method": "voice"}, {"Call 999"}),
        ({"urgency": "non_emergency", "method": "voice"}, {"Call 101"}),
        ({"method": "sms"}, {"Text 999 (emergencySMS)"}),
        ({"suitable_for": "cannot_speak"}, {"Silent 999 call (the Silent Solution, press 55)"}),
        ({"urgency": "non_emergency", "suitable_for": "cannot_speak"}, set()),
        ({"method": "in_person"}, set()),
    ],
)
def test_reporting_channel_filters_combine(
    client: TestClient, params: Params, names: set[str]
) -> None:
    found = get_contents(client, "/v1/reporting_channels", params)
    assert {c["name"] for c in found} == names


def test_every_channel_filter_value_splits_the_channels(channels: list[dict[str, Any]]) -> None:
    """The filter cases above are not vacuous: some values match and some do not."""
    for param, values in CHANNEL_FILTERS.items():
        matched = [v for v in values if any(channel_matches(c, param, v) for c in channels)]
        assert matched, param
        assert all(not all(channel_matches(c, param, v) for c in channels) for v in matched)


@pytest.mark.parametrize("param", sorted(CHANNEL_FILTERS))
def test_reporting_channel_filter_rejects_unknown_values(client: TestClient, param: str) -> None:
    assert_bad_parameter(client, "/v1/reporting_channels", {param: "whenever"}, param)


# -- guidance --------------------------------------------------------------------------------

GUIDANCE_CATEGORIES = ["definition", "evidence", "personal_safety", "reporting", "law"]


@pytest.mark.parametrize("category", GUIDANCE_CATEGORIES)
def test_guidance_category_filter(client: TestClient, category: str) -> None:
    every = get_contents(client, "/v1/guidance")
    found = get_contents(client, "/v1/guidance", {"category": category})
    assert found
    assert [g["id"] for g in found] == [g["id"] for g in every if g["category"] == category]
    assert len(found) < len(every)


def test_guidance_category_rejects_unknown_values(client: TestClient) -> None:
    assert_bad_parameter(client, "/v1/guidance", {"category": "gossip"}, "category")


def test_unknown_query_parameters_are_ignored(
    client: TestClient, all_service_ids: list[str]
) -> None:
    assert service_ids(client, colour="blue", x=str(uuid.uuid4())) == all_service_ids
