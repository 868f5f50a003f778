"""A one-word search's pages come from `search_posting` (api/search_postings.py), a copy
of each service's name and term words kept in list order, and its count from
`search_prefix` (api/search_counts.py). These tests hold both to the definition, ranking
and counting every match (`_matching`): same services, same order, same total, on every
page, for words that start one posted word, several, or none; and they check that the
copies never drift from the documents they are made from."""

import random
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session
from write_helpers import HIGH_RISK_VICTIMS, Env, make_env, new_record, run_cli

import api.search_postings
from api import migrate
from api.queries.service_export import raw_key
from api.queries.services import (
    ServiceFilters,
    _matching,
    _retired_ids,
    count_services,
    page_service_keys,
)
from api.search import rebuild_search_index
from api.search_postings import lingering, one_word_page
from benchmarks.synthetic import Generator, _bulk_load, _vocabulary
from models import SearchPosting, SearchPrefix, Service

# Whole words, prefixes of one word or of several, words only in descriptions, and words
# in no service.
QUERIES = [
    "stalking", "support", "help", "helpline", "police", "safety", "advice", "harassment",
    "confidential", "evidence", "services", "advocacy", "court", "leeds", "refuge",
    "sta", "supp", "sup", "saf", "adv", "counsel", "tr", "online", "xyzzy", "2",
]  # fmt: skip
PAGE_SIZES = (3, 7, 50)


@pytest.fixture
def directory(seeded_engine: Engine) -> Iterator[Engine]:
    """The seed and 300 synthetic services (benchmarks/synthetic.py), indexed."""
    with Session(seeded_engine) as session:
        terms, sources = _vocabulary(session)
    _bulk_load(seeded_engine, Generator(7, terms, sources).organizations(300))
    with Session(seeded_engine) as session:
        rebuild_search_index(session)
        session.commit()
    yield seeded_engine


def _ranked(session: Session, word: str) -> list[object]:
    """The definition: every match ranked, in list order."""
    return list(session.scalars(_matching(session, ServiceFilters(search=word), raw_key)))


def _pages(session: Session, word: str, per_page: int) -> list[object]:
    filters = ServiceFilters(search=word)
    total = count_services(session, filters)
    listed: list[object] = []
    for offset in range(0, total + per_page, per_page):
        listed += page_service_keys(session, filters, offset, per_page, total)
    return listed


def test_every_page_of_a_one_word_search_is_the_ranked_list(directory: Engine) -> None:
    with Session(directory) as session:
        for word in QUERIES:
            expected = _ranked(session, word)
            assert count_services(session, ServiceFilters(search=word)) == len(expected), word
            for per_page in PAGE_SIZES:
                assert _pages(session, word, per_page) == expected, (word, per_page)
        assert len(_ranked(session, "stalking")) > 300, "the synthetic services match"


def test_the_postings_answer_pages_on_both_sides_of_the_description_only_matches(
    directory: Engine,
) -> None:
    """Called directly, so a fallback cannot hide a wrong answer: a page wholly among the
    posted matches, one across the boundary, and one wholly among description-only ones."""
    crossed = 0
    with Session(directory) as session:
        for word in ("stalking", "support", "police", "harassment", "evidence", "court"):
            expected = _ranked(session, word)
            posted = len(
                set(
                    session.scalars(
                        select(SearchPosting.service_id).where(
                            SearchPosting.word >= word,
                            SearchPosting.word < word + "\U0010ffff",
                        )
                    )
                )
            )
            for offset in range(0, len(expected), 13):
                page = one_word_page(
                    session, word, offset, 13, len(expected), lingering(session, _retired_ids())
                )
                assert page == expected[offset : offset + 13], (word, offset)
                crossed += offset < posted < offset + 13
    assert crossed >= 3, "some pages hold both kinds of match"


def test_a_sparse_or_too_wide_search_falls_back_to_ranking_every_match(
    directory: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(directory) as session:
        expected = _ranked(session, "confidential")
        monkeypatch.setattr(api.search_postings, "MOST_WALKED", 1)
        assert (
            one_word_page(
                session, "confidential", 50, 50, len(expected), lingering(session, _retired_ids())
            )
            is None
        )
        assert _pages(session, "confidential", 50) == expected
        monkeypatch.setattr(api.search_postings, "MOST_WORDS", 0)
        assert (
            one_word_page(session, "sup", 0, 50, 10**6, lingering(session, _retired_ids())) is None
        )
        assert _pages(session, "sup", 7) == _ranked(session, "sup")


def test_a_service_retired_behind_the_api_s_back_is_not_listed(directory: Engine) -> None:
    with Session(directory) as session:
        before = _ranked(session, "stalking")
        gone = random.Random(3).sample(before, 5)
        session.execute(
            update(Service)
            .where(raw_key(Service.id).in_(gone))
            .values(retired_at=Service.last_modified)
        )
        expected = [key for key in before if key not in gone]
        assert _ranked(session, "stalking") == expected
        for per_page in PAGE_SIZES:
            assert _pages(session, "stalking", per_page) == expected


def _all_postings(session: Session) -> list[tuple[object, ...]]:
    """Every posting and every prefix count, as they stand."""
    postings = sorted(
        (str(row.service_id), row.word, row.place, row.service_name)
        for row in session.scalars(select(SearchPosting))
    )
    counts = sorted((row.prefix, row.services) for row in session.scalars(select(SearchPrefix)))
    return [*postings, *counts]


def _assert_postings_are_a_rebuild(engine: Engine) -> None:
    with Session(engine) as session:
        kept = _all_postings(session)
        rebuild_search_index(session)
        assert _all_postings(session) == kept
        session.rollback()


@pytest.fixture
def env(seeded_engine: Engine) -> Env:
    return make_env(seeded_engine)


def test_the_postings_follow_every_write(env: Env, seeded_engine: Engine) -> None:
    _assert_postings_are_a_rebuild(seeded_engine)
    created = env.create("service", new_record("service", "Quokka Outreach"), env.admin)
    assert created.status_code == 201, created.text
    service = created.json()
    assert [s["id"] for s in env.all("/v1/services", search="quokka")] == [service["id"]]
    _assert_postings_are_a_rebuild(seeded_engine)

    renamed = env.update(f"/v1/services/{service['id']}", {"name": "Wombat Outreach"}, env.admin)
    assert renamed.status_code == 200, renamed.text
    assert env.all("/v1/services", search="quokka") == []
    assert [s["id"] for s in env.all("/v1/services", search="wombat")] == [service["id"]]
    _assert_postings_are_a_rebuild(seeded_engine)

    organization_id = service["organization_id"]
    moved = env.update(
        f"/v1/organizations/{organization_id}", {"name": "Platypus Trust"}, env.admin
    )
    assert moved.status_code == 200, moved.text
    assert service["id"] in [s["id"] for s in env.all("/v1/services", search="platypus")]
    _assert_postings_are_a_rebuild(seeded_engine)

    assert env.retire(f"/v1/services/{service['id']}", env.admin).status_code == 204
    assert env.all("/v1/services", search="wombat") == []
    _assert_postings_are_a_rebuild(seeded_engine)
    with Session(seeded_engine) as session:
        assert not session.scalars(
            select(SearchPosting).where(SearchPosting.service_id == uuid.UUID(service["id"]))
        ).all()


def test_the_migration_fills_the_postings_from_the_documents(seeded_engine: Engine) -> None:
    url = seeded_engine.url.render_as_string(hide_password=False)
    with Session(seeded_engine) as session:
        kept = _all_postings(session)
    assert kept, "the seed's services have postings"
    seeded_engine.dispose()
    migrate.downgrade(url, "0006")
    migrate.upgrade(url)
    with Session(seeded_engine) as session:
        assert _all_postings(session) == kept


def test_a_whole_word_in_a_lighter_place_outranks_a_longer_word_in_a_heavier_one(
    env: Env, seeded_engine: Engine
) -> None:
    """`wombatry` whole in an organisation name (12) beats `wombatryplus` in a service name
    (10): the merge of two posted words doubles the whole one."""
    organization = env.create(
        "organization", {**new_record("organization"), "name": "Wombatry Trust"}, env.admin
    )
    assert organization.status_code == 201, organization.text
    lighter = env.create(
        "service",
        {
            **new_record("service"),
            "name": "Alpha line",
            "organization_id": organization.json()["id"],
        },
        env.admin,
    )
    heavier = env.create("service", new_record("service", "Wombatryplus"), env.admin)
    assert lighter.status_code == heavier.status_code == 201
    listed = [s["id"] for s in env.all("/v1/services", search="wombatry")]
    assert listed == [lighter.json()["id"], heavier.json()["id"]]
    assert [s["id"] for s in env.all("/v1/services", search="wombatryp")] == [heavier.json()["id"]]


def test_renaming_a_term_renames_it_in_the_search_of_its_services(
    env: Env, seeded_engine: Engine
) -> None:
    linked = [s["id"] for s in env.all("/v1/services", taxonomy_term_id=HIGH_RISK_VICTIMS)]
    assert linked
    assert env.all("/v1/services", search="quokkas") == []
    renamed = env.update(
        f"/v1/taxonomy_terms/{HIGH_RISK_VICTIMS}", {"name": "Quokkas at risk"}, env.admin
    )
    assert renamed.status_code == 200, renamed.text
    assert sorted(s["id"] for s in env.all("/v1/services", search="quokkas")) == sorted(linked)
    _assert_postings_are_a_rebuild(seeded_engine)


def test_helpdir_reindex_rebuilds_what_was_lost_behind_the_api_s_back(
    seeded_engine: Engine,
) -> None:
    with Session(seeded_engine) as session:
        kept = _all_postings(session)
        session.execute(delete(SearchPosting))
        session.execute(delete(SearchPrefix))
        session.commit()
    result = run_cli(seeded_engine.url.render_as_string(hide_password=False), "reindex")
    assert result.exit_code == 0, result.output
    with Session(seeded_engine) as session:
        assert _all_postings(session) == kept
