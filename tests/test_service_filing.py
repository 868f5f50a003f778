"""The taxonomy filters read `service_filing` (api/filing.py), a copy kept beside the
services; these tests check that copy never drifts from what it is copied from.

The reference is worked out here from the records the API shows (each service's attributes,
each term's parent and taxonomy), as the filters are defined: a term finds the services
linked to it or to any narrower term, a taxonomy those linked to any of its terms. After
each kind of write that can move a service (its terms, name, ages, retirement, a term's
parent), every filter must still match the reference, in list order.
"""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from write_helpers import (
    AUDIENCE,
    HIGH_RISK_VICTIMS,
    PALADIN_SERVICE,
    YOUNG_PEOPLE,
    Env,
    make_env,
    new_record,
)

import api.writes.resources
from api.filing import refile_all
from api.queries.service_export import raw_key
from api.queries.services import ServiceFilters, _matching, count_services, page_service_keys
from models import ServiceFiling


@pytest.fixture
def env(seeded_engine: Engine) -> Env:
    return make_env(seeded_engine)


def _terms(env: Env) -> list[dict[str, Any]]:
    return env.all("/v1/taxonomy_terms")


def _expected(env: Env) -> dict[tuple[str, str], list[str]]:
    """(filter, id) -> the ids of the services it should list, in list order."""
    terms = {term["id"]: term for term in _terms(env)}
    services = env.all("/v1/services", full="true")
    order = {service["id"]: (service["name"], service["id"]) for service in services}

    def broader(term_id: str) -> set[str]:
        found: set[str] = set()
        while term_id in terms and term_id not in found:
            found.add(term_id)
            term_id = terms[term_id].get("parent_id") or ""
        return found

    expected: dict[tuple[str, str], set[str]] = {("taxonomy_term_id", t): set() for t in terms}
    for taxonomy in {term.get("taxonomy_id") for term in terms.values()} - {None}:
        expected[("taxonomy_id", taxonomy)] = set()
    for service in services:
        for attribute in service["attributes"]:
            linked = attribute["taxonomy_term_id"]
            for term_id in broader(linked):
                expected[("taxonomy_term_id", term_id)].add(service["id"])
            taxonomy = terms.get(linked, {}).get("taxonomy_id")
            if taxonomy:
                expected[("taxonomy_id", taxonomy)].add(service["id"])
    return {key: sorted(ids, key=order.__getitem__) for key, ids in expected.items()}


def _listed(env: Env, parameter: str, value: str, **more: str) -> list[str]:
    return [service["id"] for service in env.all("/v1/services", **{parameter: value}, **more)]


def assert_filters_match(env: Env) -> None:
    expected = _expected(env)
    assert any(ids for ids in expected.values()), "the seed files services under terms"
    for (parameter, value), ids in expected.items():
        assert _listed(env, parameter, value) == ids, (parameter, value)
        response = env.client.get("/v1/services", params={parameter: value, "per_page": "1"})
        assert response.json()["total_items"] == len(ids), (parameter, value)


def _filings(engine: Engine) -> set[tuple[Any, ...]]:
    with Session(engine) as session:
        return {tuple(row) for row in session.execute(select(ServiceFiling.__table__))}  # type: ignore[call-overload]


def assert_same_as_rebuilt(env: Env) -> None:
    """What the writes left equals the filings rebuilt from scratch."""
    kept = _filings(env.engine)
    with Session(env.engine) as session:
        refile_all(session)
        session.commit()
    assert _filings(env.engine) == kept


def test_the_seeded_filings_match_the_filters_definition(env: Env) -> None:
    assert_filters_match(env)
    assert_same_as_rebuilt(env)


def test_a_broader_term_finds_services_of_its_narrower_terms(env: Env) -> None:
    # Make YOUNG_PEOPLE narrower than HIGH_RISK_VICTIMS, then file a new service under it.
    response = env.update(
        f"/v1/taxonomy_terms/{YOUNG_PEOPLE}", {"parent_id": HIGH_RISK_VICTIMS}, env.admin
    )
    assert response.status_code == 200, response.text
    body = {**new_record("service", "narrower"), "attributes": [{"taxonomy_term_id": YOUNG_PEOPLE}]}
    created = env.create("service", body, env.admin)
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    assert new_id in _listed(env, "taxonomy_term_id", HIGH_RISK_VICTIMS)
    assert new_id in _listed(env, "taxonomy_term_id", YOUNG_PEOPLE)
    assert new_id in _listed(env, "taxonomy_id", AUDIENCE)
    assert_filters_match(env)
    assert_same_as_rebuilt(env)

    # Moving the term back out takes its services with it.
    response = env.update(f"/v1/taxonomy_terms/{YOUNG_PEOPLE}", {"parent_id": None}, env.admin)
    assert response.status_code == 200, response.text
    assert new_id not in _listed(env, "taxonomy_term_id", HIGH_RISK_VICTIMS)
    assert new_id in _listed(env, "taxonomy_term_id", YOUNG_PEOPLE)
    assert_filters_match(env)
    assert_same_as_rebuilt(env)


def test_writes_to_a_service_move_it_in_the_filtered_lists(env: Env) -> None:
    path = f"/v1/services/{PALADIN_SERVICE}"
    under = env.snapshot(path).body["attributes"]
    assert under, "the seeded service is filed under some term"
    term_id = under[0]["taxonomy_term_id"]

    # A new name moves it in the filtered list's order.
    response = env.update(path, {"name": "Aaaa first in every list"}, env.admin)
    assert response.status_code == 200, response.text
    assert _listed(env, "taxonomy_term_id", term_id)[0] == PALADIN_SERVICE
    response = env.update(path, {"name": "Zzzz last in every list"}, env.admin)
    assert _listed(env, "taxonomy_term_id", term_id)[-1] == PALADIN_SERVICE

    # Its ages, as the combined filters see them.
    response = env.update(path, {"minimum_age": 70, "maximum_age": 90}, env.admin)
    assert response.status_code == 200, response.text
    assert _listed(env, "taxonomy_term_id", term_id, minimum_age="70") == [PALADIN_SERVICE]
    assert PALADIN_SERVICE in _listed(env, "taxonomy_term_id", term_id, maximum_age="90")
    assert PALADIN_SERVICE not in _listed(env, "taxonomy_term_id", term_id, maximum_age="89")

    # New terms: filed under those, and no longer under the old one.
    response = env.update(path, {"attributes": [{"taxonomy_term_id": YOUNG_PEOPLE}]}, env.admin)
    assert response.status_code == 200, response.text
    assert PALADIN_SERVICE in _listed(env, "taxonomy_term_id", YOUNG_PEOPLE)
    if term_id != YOUNG_PEOPLE:
        assert PALADIN_SERVICE not in _listed(env, "taxonomy_term_id", term_id)
    assert_filters_match(env)
    assert_same_as_rebuilt(env)

    # Retired: in no list, and no filings left behind.
    assert env.retire(path, env.admin).status_code == 204
    assert PALADIN_SERVICE not in _listed(env, "taxonomy_term_id", YOUNG_PEOPLE)
    assert all(row[2] != uuid.UUID(PALADIN_SERVICE) for row in _filings(env.engine))
    assert_filters_match(env)
    assert_same_as_rebuilt(env)


def test_two_taxonomy_filters_and_other_filters_combine(env: Env) -> None:
    expected = _expected(env)
    both = [
        service_id
        for service_id in expected[("taxonomy_term_id", HIGH_RISK_VICTIMS)]
        if service_id in expected[("taxonomy_id", AUDIENCE)]
    ]
    assert both, "the seed has a service under both"
    listed = _listed(env, "taxonomy_term_id", HIGH_RISK_VICTIMS, taxonomy_id=AUDIENCE)
    assert listed == both
    organization = env.snapshot(f"/v1/services/{both[0]}").body["organization"]["id"]
    narrowed = _listed(env, "taxonomy_term_id", HIGH_RISK_VICTIMS, organization_id=organization)
    assert both[0] in narrowed
    assert all(
        env.snapshot(f"/v1/services/{service_id}").body["organization"]["id"] == organization
        for service_id in narrowed
    )
    # A filter naming nothing finds nothing, with or without others.
    unknown = str(uuid.uuid4())
    assert _listed(env, "taxonomy_term_id", unknown) == []
    assert _listed(env, "taxonomy_id", unknown, taxonomy_term_id=HIGH_RISK_VICTIMS) == []


@pytest.mark.parametrize(
    "ages",
    [{"minimum_age": 0}, {"minimum_age": 16}, {"maximum_age": 0}, {"maximum_age": 25},
     {"maximum_age": 150}, {"minimum_age": 11, "maximum_age": 18}],
)  # fmt: skip
@pytest.mark.parametrize("taxonomy", [None, "term", "taxonomy"])
def test_both_ways_of_finding_a_page_give_the_same_services(
    seeded_engine: Engine, ages: dict[str, int], taxonomy: str | None
) -> None:
    """A page walks the list order or sorts the matches of an age index, by how many
    match (api/queries/services.py `WALK_FROM`); the seed has too few services for the
    walk, so both are asked for here, over every page size."""
    extra: dict[str, Any] = {}
    if taxonomy == "term":
        extra["taxonomy_term_id"] = uuid.UUID(HIGH_RISK_VICTIMS)
    elif taxonomy == "taxonomy":
        extra["taxonomy_id"] = uuid.UUID(AUDIENCE)
    filters = ServiceFilters(**ages, **extra)  # type: ignore[arg-type]
    with Session(seeded_engine) as session:
        walked = list(session.scalars(_matching(session, filters, raw_key, walk=True)))
        sorted_ = list(session.scalars(_matching(session, filters, raw_key, walk=False)))
        assert walked == sorted_
        total = count_services(session, filters)
        assert total == len(walked)
        for limit in (1, 2, 5):
            pages = [
                page_service_keys(session, filters, offset, limit, total)
                for offset in range(0, total + limit, limit)
            ]
            assert [key for page in pages for key in page] == walked


def test_only_a_terms_new_place_rewrites_the_filings(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rewriting every filing takes seconds at scale: a term's new name or description
    changes no filing, so it must not pay for that."""
    calls: list[object] = []
    real = api.writes.resources.refile_all
    monkeypatch.setattr(api.writes.resources, "refile_all", lambda s: calls.append(s) or real(s))
    path = f"/v1/taxonomy_terms/{YOUNG_PEOPLE}"
    response = env.update(path, {"description": "Young people aged 16 to 25."}, env.admin)
    assert response.status_code == 200, response.text
    assert calls == []
    response = env.update(path, {"parent_id": HIGH_RISK_VICTIMS}, env.admin)
    assert response.status_code == 200, response.text
    assert len(calls) == 1
    assert_filters_match(env)
