"""Keeps `search_prefix` (models/search_prefix.py) in step with the search documents, and
reads a one-word search's count from it.

A service's prefixes are every start of every word in its document, each once. A rewrite
changes only the counts of the prefixes it adds or drops (an edit to a description
touches a few dozen rows, not hundreds).
"""

from collections import Counter

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from models import SearchPrefix

# The classes of a search document, all counted (a match in any of them is a match).
DOCUMENT_COLUMNS = ("name", "other_names", "terms", "body")


def prefixes(document: dict[str, object] | None) -> set[str]:
    """Every start of every word of a search document (its columns as written), and the
    empty prefix, which every document has: its row counts the documents."""
    if document is None:
        return set()
    found = {""}
    for column in DOCUMENT_COLUMNS:
        for word in str(document[column]).split():
            found.update(word[:end] for end in range(1, len(word) + 1))
    return found


def recount(session: Session, before: set[str], after: set[str]) -> None:
    """A service's prefixes went from `before` to `after`: one less for each it lost, one
    more for each it gained."""
    if lost := before - after:
        column = SearchPrefix.prefix
        session.execute(
            update(SearchPrefix)
            .where(column.in_(lost))  # type: ignore[attr-defined]
            .values(services=SearchPrefix.services - 1)
        )
        session.execute(
            delete(SearchPrefix).where(column.in_(lost), SearchPrefix.services <= 0)  # type: ignore[attr-defined]
        )
    if gained := after - before:
        dialect = session.get_bind().dialect.name
        upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(SearchPrefix)
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=["prefix"], set_={"services": SearchPrefix.services + 1}
            ),
            [{"prefix": prefix, "services": 1} for prefix in sorted(gained)],
        )


def replace_counts(session: Session, counts: Counter[str]) -> None:
    """Every prefix count from scratch (`counts` over all the live services' documents)."""
    session.execute(delete(SearchPrefix))
    rows = [{"prefix": prefix, "services": n} for prefix, n in counts.items()]
    for start in range(0, len(rows), 10_000):
        session.execute(insert(SearchPrefix), rows[start : start + 10_000])


def services_starting(session: Session, word: str) -> int:
    """How many services have a word that starts with `word` (documents of live services
    only; see api/queries/services.py for any left by retiring behind the API's back)."""
    found = session.scalar(select(SearchPrefix.services).where(SearchPrefix.prefix == word))
    return found or 0


# Spell a query word out as at most this many words; more, and the engine expands it.
MOST_SPELLED = 32
# Above any character a word can hold: a prefix's words are [word, word + this).
AFTER_ANY = "\U0010ffff"


def words_starting(session: Session, word: str) -> list[str] | None:
    """Every document word that starts with `word`, as a superset: the prefixes kept here
    that do (a document's words are among its own prefixes); None when there are more
    than MOST_SPELLED. Several words' count asks the engine for these exact words: for a
    prefix, FTS5 first merges all of that prefix's word lists into one (`support`*: 18 ms
    at 100,000 services, its three words: 6 ms), and PostgreSQL's GIN index collects its
    matches into a bitmap (about a fifth of the count saved there). The range is in byte
    order on both engines (`WORD`, models/search_posting.py)."""
    column = SearchPrefix.prefix
    found = list(
        session.scalars(
            select(column)
            .where(column >= word, column < word + AFTER_ANY)
            .order_by(column)
            .limit(MOST_SPELLED + 1)
        )
    )
    return None if len(found) > MOST_SPELLED else found


def documents(session: Session) -> int:
    """How many live services have a search document."""
    return services_starting(session, "")
