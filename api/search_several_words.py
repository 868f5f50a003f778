"""A page of a search of several words, found from each word's one-word list
(api/search_postings.py) instead of ranking every match.

A service's rank is the sum of its words' weights (api/search.py), and each word's
posted services are kept in that word's order: weight, then name, then id. So this reads
the first `n` of each word's list and ranks only the services seen there, on their own
documents. Any service not seen scores at most the sum of the weights where the lists
stopped (1 for a word whose list ran out: it is then only in that service's
descriptions), and, on a tie with that sum, sorts by name after the last service of
every list that has not run out. The seen matches that rank before that bound are
certainly in their places. When there are at least `offset + limit` of them, the page is
known; otherwise `n` grows (at least doubles, more when few seen were certain), until a
round would cost more than ranking every match.

When every list runs out first, every seen match (a word in a name or a term, so at least
3 + 1 + ...) ranks above every unseen one (every word only in descriptions, rank 1 per
word), and the unseen ones follow by name, walked as for one word.

tests/test_search_postings.py checks this against ranking every match.
"""

from sqlalchemy import select
from sqlmodel import Session

from api.queries.service_export import Key, key_in, raw_key
from api.search import WEIGHT_TEXT, has_every_word, rank
from api.search_postings import (
    MOST_WORDS,
    Excluded,
    posted_ranking,
    posted_words,
    then_unposted,
)
from models import SearchDocument

# The first round reads this many of each word's list (at least twice the page's end),
# each round after it at least twice as many, and none more than MOST_READ.
FIRST_READ = 100
MOST_READ = 4096
# Reading a seen service costs about three to five times ranking a match (its document
# is found by id, not in index order, in a query of its own), and the rounds before the
# last add at most as much again: so no round reads more than a twentieth as many
# services as match, and a page found late (a rare pair's best matches deep in both
# lists) costs at most about 1.5 times ranking every match. Below 4,000 matches for two
# words, ranking them all is the way.
READ_SHARE = 20


def _seen(session: Session, words: list[str], keys: list[Key]) -> list[tuple[Key, int | None]]:
    """The seen services in list order of name then id (the database's own order, so its
    collation is the one the list has), each with its rank, or None if it lacks a word."""
    if not keys:
        return []
    dialect = session.get_bind().dialect.name
    document = SearchDocument
    query = (
        select(
            raw_key(document.service_id),
            has_every_word(words, dialect),
            rank(words, dialect),
        )
        .where(key_in(document.service_id, keys, dialect))
        .order_by(document.service_name, document.service_id)
    )
    return [(key, rank_ if matches else None) for key, matches, rank_ in session.execute(query)]


def several_words_page(
    session: Session, words: list[str], offset: int, limit: int, total: int, excluded: Excluded
) -> list[Key] | None:
    """A page of the search for `words` alone, which `total` services match (`excluded`:
    see `lingering`); None when ranking every match is the cheaper way."""
    wanted = offset + limit
    read = max(2 * wanted, FIRST_READ)
    if READ_SHARE * len(words) * read > total:
        return None  # few matches: ranking them all is cheap
    posted = [posted_words(session, word) for word in words]
    if any(len(each) > MOST_WORDS for each in posted):
        return None
    while read <= MOST_READ and READ_SHARE * len(words) * read <= total:
        lists = [
            posted_ranking(session, word, each, 0, read, excluded) if each else []
            for word, each in zip(words, posted, strict=True)
        ]
        seen = _seen(
            session, words, list(dict.fromkeys(key for ranking in lists for key, _ in ranking))
        )
        place = {key: index for index, (key, _) in enumerate(seen)}
        # (rank, place by name) of every seen match, in list order.
        matches = sorted(
            ((rank_, place[key], key) for key, rank_ in seen if rank_ is not None),
            key=lambda match: (-match[0], match[1]),
        )
        going = [ranking for ranking in lists if len(ranking) == read]
        if not going:
            keys = [key for _, _, key in matches[offset:wanted]]
            return then_unposted(
                session, words, (keys, len(matches)), offset, limit, total, excluded
            )
        if any(ranking[-1][0] not in place for ranking in going):
            return None  # a posting without its document: rank every match
        bound = sum(ranking[-1][1] for ranking in going) + WEIGHT_TEXT * (len(lists) - len(going))
        last = max(place[ranking[-1][0]] for ranking in going)
        certain = sum(
            1 for rank_, at, _ in matches if rank_ > bound or (rank_ == bound and at <= last)
        )
        if certain >= wanted:
            return [key for _, _, key in matches[offset:wanted]]
        # As many more as this round's share of certain matches says are needed, at least
        # twice as many; with none certain yet, the estimate is that the next would be.
        read = max(2 * read, read * wanted // (certain + 1))
    return None
