"""A one-word search's pages come from `search_posting` (api/search_postings.py), a copy
of each service's name and term words kept in list order, and its count from
`search_prefix` (api/search_counts.py). These tests hold both to the definition, ranking
and counting every match (`_matching`): same services, same order, same total, on every
page, for words that start one posted word, several, or none; and they check that the
copies never drift from the documents they are made from."""

import itertools
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session
from write_helpers import HIGH_RISK_VICTIMS, Env, make_env, new_record, run_cli

import api.queries.services
import api.search_counts
import api.search_postings
import api.search_several_words
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
from api.search_counts import words_starting
from api.search_postings import lingering, one_word_page, then_unposted
from api.search_several_words import several_words_page
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


def _assert_counted_and_paged_as_ranked(session: Session, queries: list[str]) -> None:
    for query in queries:
        expected = _ranked(session, query)
        assert count_services(session, ServiceFilters(search=query)) == len(expected), query
        for per_page in PAGE_SIZES:
            assert _pages(session, query, per_page) == expected, (query, per_page)


def test_every_page_of_a_one_word_search_is_the_ranked_list(directory: Engine) -> None:
    with Session(directory) as session:
        _assert_counted_and_paged_as_ranked(session, QUERIES)
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


# Several words: pairs dense at the top of both words' lists, pairs whose best matches
# sit deep in them, prefixes, three words, words only in descriptions, and no match.
SEVERAL_WORDS = [
    "stalking advocacy", "court support", "online safety", "legal advice", "peer support",
    "safety planning", "text support", "stalking support", "leeds helpline",
    "oxford stalking", "sta sup", "help police", "advice evidence", "counsel refuge",
    "support confidential", "stalking support help", "harassment xyzzy",
]  # fmt: skip


@pytest.fixture
def read_eagerly(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The several-words page tried at this directory's size too, in small rounds (so
    lists run out, or do not, on different pages); the list says, per page, whether it
    found the page (True) or left it to ranking every match."""
    monkeypatch.setattr(api.search_several_words, "READ_SHARE", 0)
    monkeypatch.setattr(api.search_several_words, "FIRST_READ", 1)
    answered: list[bool] = []

    def recorded(*args: Any, **kwargs: Any) -> list[object] | None:
        page = several_words_page(*args, **kwargs)
        answered.append(page is not None)
        return page

    monkeypatch.setattr(api.queries.services, "several_words_page", recorded)
    return answered


def test_every_page_of_a_several_word_search_is_the_ranked_list(
    directory: Engine, read_eagerly: list[bool]
) -> None:
    with Session(directory) as session:
        _assert_counted_and_paged_as_ranked(session, SEVERAL_WORDS)
        assert len(_ranked(session, "stalking support")) > 100, "the synthetic services match"
    assert read_eagerly.count(True) > 100, "most pages were found from the lists"


# Some pairs where one word's list runs out while the other's goes on, and ties at the
# bound then hang on the name (found by trying every pair of 60 words at page sizes 1 and
# 4 against a bound that ignored names: these four broke it).
DIRECT_QUERIES = [
    "stalking support", "court support", "help police", "advice evidence",
    "advice anyone", "alarm doorstep", "advocacy aged", "community danger",
]  # fmt: skip


def test_the_several_words_page_is_found_before_and_after_the_lists_run_out(
    directory: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Called directly, so a fallback cannot hide a wrong answer: pages found while the
    lists still go on (the bound decides), and pages found once all have run out (the
    description-only matches walked after them)."""
    monkeypatch.setattr(api.search_several_words, "READ_SHARE", 0)
    monkeypatch.setattr(api.search_several_words, "FIRST_READ", 1)
    ran_out: list[bool] = []
    monkeypatch.setattr(
        api.search_several_words,
        "then_unposted",
        lambda *args: ran_out.append(True) or then_unposted(*args),
    )
    found = 0
    with Session(directory) as session:
        excluded = lingering(session, _retired_ids())
        for query, per_page in itertools.product(DIRECT_QUERIES, (1, 13)):
            words = query.split()
            expected = _ranked(session, query)
            for offset in range(0, min(len(expected), 60), per_page):
                page = several_words_page(session, words, offset, per_page, len(expected), excluded)
                if page is not None:
                    found += 1
                    assert page == expected[offset : offset + per_page], (query, offset)
    assert found >= 200
    assert 5 <= len(ran_out) < found, "some pages before the lists ran out, some after"


def test_a_several_word_search_falls_back_when_its_lists_are_too_long_to_read(
    directory: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(directory) as session:
        excluded = lingering(session, _retired_ids())
        expected = _ranked(session, "stalking support")
        # At this size the rounds would read more than the matches: rank them all.
        assert (
            several_words_page(session, ["stalking", "support"], 0, 50, len(expected), excluded)
            is None
        )
        monkeypatch.setattr(api.search_several_words, "READ_SHARE", 0)
        monkeypatch.setattr(api.search_several_words, "MOST_READ", 50)
        assert (
            several_words_page(session, ["stalking", "support"], 0, 50, len(expected), excluded)
            is None
        )
        assert _pages(session, "stalking support", 50) == expected


def test_several_words_are_counted_from_the_words_their_prefixes_start(
    directory: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query word is spelled out as the kept prefixes it starts (a superset of
    the documents' words), unless there are more than 32; the counts of every
    several-word query equal ranking every match either way (the test above)."""
    with Session(directory) as session:
        spelled = words_starting(session, "support")
        assert spelled is not None and "support" in spelled and "supports" in spelled
        assert all(word.startswith("support") for word in spelled)
        assert words_starting(session, "s") is None, "more than 32 words start with s"
        assert words_starting(session, "xyzzy") == []
        assert count_services(session, ServiceFilters(search="harassment xyzzy")) == 0
        monkeypatch.setattr(api.search_counts, "MOST_SPELLED", 0)
        for query in ("stalking support", "sta sup", "court support"):
            expected = _ranked(session, query)
            assert count_services(session, ServiceFilters(search=query)) == len(expected)


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
