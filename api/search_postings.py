"""A page of a one-word search read in list order, from `search_posting`
(models/search_posting.py), instead of ranking every match.

For one query word the rank (api/search.py) is the weight of the heaviest place holding a
word it starts, doubled when it is that whole word; 1 when it is only in descriptions. So
the list is:

1. the services with such a word in a name or term ("posted"): by that weight, then name,
   then id. Each posted word's services are already in that order in the postings' index,
   and a service's rank is its best posting, so the page is the first `offset + limit`
   postings of each word the query starts (few), merged;
2. then the rest, found only in descriptions, all of rank 1, so by name: walked in name
   order through `search_document` until the page is full, when they are dense enough for
   that to be short; otherwise this returns None and the caller ranks every match.

Each word's list (`posted_ranking`) and the walk (`then_unposted`) serve a search of
several words too (api/search_several_words.py). tests/test_search_postings.py checks
both against ranking every match.
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, func, select, union_all
from sqlmodel import Session

from api.queries.service_export import Key, raw_key
from api.search import (
    WEIGHT_ORGANIZATION_NAME,
    WEIGHT_SERVICE_NAME,
    WEIGHT_TERM,
    substring_position,
)
from api.search_counts import AFTER_ANY, documents
from models import SearchDocument, SearchPosting
from models.search_posting import PLACE_NAME, PLACE_OTHER_NAMES

# More posted words than this start the query word (a short prefix): rank every match.
MOST_WORDS = 8
# Walk at most about this many documents in name order for the description-only part.
MOST_WALKED = 25_000

# Retired services whose rows linger (retired behind the API's back): usually none. Named
# one by one, not as a subquery, so PostgreSQL's planner still expects most documents to
# pass and walks the name index instead of sorting every match.
Excluded = list[uuid.UUID]


def _live(column: Any, excluded: Excluded) -> list[ColumnElement[bool]]:
    return [column.not_in(excluded)] if excluded else []


def posted_words(session: Session, word: str) -> list[str]:
    """The posted words that start with `word` (at most MOST_WORDS + 1), each found by one
    index seek past the one before: a common word's range has tens of thousands of
    postings, which grouping would read."""
    found: list[str] = []
    column = SearchPosting.word
    after = column >= word
    while len(found) <= MOST_WORDS:
        following = session.scalar(select(func.min(column)).where(after, column < word + AFTER_ANY))
        if following is None:
            break
        found.append(following)
        after = column > following
    return found


def _weight(word: str, posted_word: str) -> ColumnElement[int]:
    """A posting's weight for the query word `word` (api/search.py: doubled for the whole
    word)."""
    double = 2 if posted_word == word else 1
    return case(
        {
            PLACE_NAME: WEIGHT_SERVICE_NAME * double,
            PLACE_OTHER_NAMES: WEIGHT_ORGANIZATION_NAME * double,
        },
        value=SearchPosting.place,
        else_=WEIGHT_TERM * double,
    )


def posted_ranking(
    session: Session, word: str, posted: list[str], offset: int, limit: int, excluded: Excluded
) -> list[tuple[Key, int]]:
    """(key, weight) of the services posted under `word`'s `posted` words, in its one-word
    list order (weight, name, id), from `offset`."""
    live = _live(SearchPosting.service_id, excluded)
    order = (SearchPosting.place, SearchPosting.service_name, SearchPosting.service_id)
    if len(posted) == 1:
        # One word: its index range is the order (a service is posted once per word).
        query = (
            select(raw_key(SearchPosting.service_id), _weight(word, posted[0]))
            .where(SearchPosting.word == posted[0], *live)
            .order_by(*order)
            .offset(offset)
            .limit(limit)
        )
        return [(key, weight) for key, weight in session.execute(query)]
    # Several: the first offset + limit of each word, each with its weight, merged by a
    # service's best. A service further down a word's range has that many services
    # before it there, so it is not on this page by that posting.
    firsts = []
    for posted_word in posted:
        first = (
            select(
                SearchPosting.service_id.label("service_id"),  # type: ignore[attr-defined]
                SearchPosting.service_name.label("service_name"),
                _weight(word, posted_word).label("weight"),
            )
            .where(SearchPosting.word == posted_word, *live)
            .order_by(*order)
            .limit(offset + limit)
            .subquery()
        )
        firsts.append(select(first))
    merged = union_all(*firsts).subquery("merged")
    best = func.max(merged.c.weight)
    query = (
        select(raw_key(merged.c.service_id), best)
        .group_by(merged.c.service_id, merged.c.service_name)
        .order_by(best.desc(), merged.c.service_name, merged.c.service_id)
        .offset(offset)
        .limit(limit)
    )
    return [(key, weight) for key, weight in session.execute(query)]


def _posted_count(session: Session, posted: list[str], excluded: Excluded) -> int:
    live = _live(SearchPosting.service_id, excluded)
    if len(posted) == 1:
        query = select(func.count()).where(SearchPosting.word == posted[0], *live)
    else:
        query = select(func.count(distinct(SearchPosting.service_id))).where(
            SearchPosting.word.in_(posted),  # type: ignore[attr-defined]
            *live,
        )
    return session.scalar(query) or 0


def _unposted_page(
    session: Session, words: list[str], offset: int, limit: int, excluded: Excluded
) -> list[Key]:
    """Matches with every word only in descriptions, by name. The tests are single
    substring tests (' word' is a word it starts), so PostgreSQL's planner expects many
    rows and walks the name index rather than sorting them all."""
    find = substring_position(session.get_bind().dialect.name)
    document = SearchDocument
    posted_text = document.name.concat(document.other_names).concat(document.terms)
    only_described = []
    for word in words:
        only_described += [find(document.body, f" {word}") > 0, find(posted_text, f" {word}") < 1]
    return list(
        session.scalars(
            select(raw_key(document.service_id))
            .where(*only_described, *_live(document.service_id, excluded))
            .order_by(document.service_name, document.service_id)
            .offset(offset)
            .limit(limit)
        )
    )


def then_unposted(
    session: Session,
    words: list[str],
    page: tuple[list[Key], int],
    offset: int,
    limit: int,
    total: int,
    excluded: Excluded,
) -> list[Key] | None:
    """`page` (its keys, and how many matches have a posted word, which all come first)
    filled up with the matches that have none, walked by name; None when that walk would
    be long (the caller then ranks every match)."""
    keys, posted_total = page
    if len(keys) == limit:
        return keys
    unposted = total - posted_total
    skip = max(0, offset - posted_total)
    wanted = min(limit - len(keys), unposted - skip)
    if wanted <= 0:
        return keys
    if (skip + wanted) * documents(session) > MOST_WALKED * unposted:
        return None
    return keys + _unposted_page(session, words, skip, wanted, excluded)


def lingering(session: Session, retired: Select[tuple[uuid.UUID]]) -> Excluded:
    """The `retired` services that still have a document or postings: none, unless
    retired behind the API's back (found from the retired_at index, so cheap either
    way)."""
    documents_ = select(SearchDocument.service_id).where(SearchDocument.service_id.in_(retired))  # type: ignore[attr-defined]
    postings_ = select(SearchPosting.service_id).where(SearchPosting.service_id.in_(retired))  # type: ignore[attr-defined]
    return sorted(set(session.scalars(documents_)) | set(session.scalars(postings_)))


def one_word_page(
    session: Session, word: str, offset: int, limit: int, total: int, excluded: Excluded
) -> list[Key] | None:
    """A page of the search for `word` alone, which `total` services match (`excluded`:
    see `lingering`); None when ranking every match is the cheaper way (see the module
    docstring)."""
    posted = posted_words(session, word)
    if len(posted) > MOST_WORDS:
        return None
    ranking = posted_ranking(session, word, posted, offset, limit, excluded) if posted else []
    keys = [key for key, _ in ranking]
    if len(keys) == limit:
        return keys
    # The posted ones end on this page or before it: how many there are.
    if keys:
        posted_total = offset + len(keys)
    else:
        posted_total = _posted_count(session, posted, excluded) if posted else 0
    return then_unposted(session, [word], (keys, posted_total), offset, limit, total, excluded)
