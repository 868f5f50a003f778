"""Full-text search with each engine's own index and one results contract on both.

Design (docs/search.md has the longer version):

- Words are made once, in Python: `fold` (case-fold, strip accents) then `words` (runs of
  letters and digits). Both engines index exactly these words, so tokenising, accents and
  case can never differ between them: SQLite's FTS5 `ascii` tokenizer and PostgreSQL's
  `array_to_tsvector` only cut the stored text at spaces.
- Each service has one `search_document` row: its words by weight class (service name;
  alternate and organisation names; taxonomy term names; descriptions), each word once,
  in its heaviest class. SQLite indexes it with the FTS5 table `search_fts` (external
  content, kept in step by triggers); PostgreSQL with a GIN index on the stored generated
  tsvector column `search_document.vector`. Both are built by migration 0004.
- A service matches when every query word is a prefix of one of its words: the engine's
  index answers that (`"word"*` in FTS5, `'word':*` in a tsquery), over bound parameters.
- Rank is the same SQL on both engines, over the stored words, not bm25/ts_rank (which
  differ between engines and drift with the data): per query word, the weight of the
  heaviest class holding a word it starts, doubled when it is that whole word, and 1
  when it is only in the descriptions. Ties go by name, then id (api/queries/services.py).
"""

import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlmodel import Session

from api.filing import file_service, refile_all
from api.search_counts import DOCUMENT_COLUMNS, prefixes, recount, replace_counts
from models import Attribute, Organization, SearchDocument, SearchPosting, Service, TaxonomyTerm
from models.search_posting import PLACE_NAME, PLACE_OTHER_NAMES, PLACE_TERMS

MAX_QUERY_WORDS = 12
MAX_WORD = 64

# Where a word occurs decides how much it counts.
WEIGHT_SERVICE_NAME = 10
WEIGHT_ORGANIZATION_NAME = 6
WEIGHT_TERM = 3
WEIGHT_TEXT = 1

# search_document column of each weight class, heaviest first.
CLASS_COLUMNS = {
    WEIGHT_SERVICE_NAME: "name",
    WEIGHT_ORGANIZATION_NAME: "other_names",
    WEIGHT_TERM: "terms",
    WEIGHT_TEXT: "body",
}

# Engine objects made by migration 0004 outside the models (see `is_index_object`).
FTS_TABLE = "search_fts"
POSTGRESQL_VECTOR = "vector"
POSTGRESQL_VECTOR_INDEX = "ix_search_document_vector"

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Café" and "cafe" are the same word."""
    if text.isascii():  # the common case, and much faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str | None) -> list[str]:
    if not text:
        return []
    return [w[:MAX_WORD] for w in _WORD.findall(fold(text).replace("_", " "))]


def query_words(query: str) -> list[str]:
    unique = dict.fromkeys(words(query))
    return list(unique)[:MAX_QUERY_WORDS]


def is_index_object(name: str | None, type_: str, table_name: str | None = None) -> bool:
    """True for the engine-specific search objects, which the models do not describe:
    SQLite's FTS5 table and its shadow tables; PostgreSQL's vector column and its index."""
    if not name:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "column":
        return table_name == SearchDocument.__tablename__ and name == POSTGRESQL_VECTOR
    return type_ == "index" and name == POSTGRESQL_VECTOR_INDEX


# -- indexing ------------------------------------------------------------------------------


def document(weighted: Iterable[tuple[str | None, int]]) -> dict[str, str]:
    """search_document columns for texts with their weights: each word once, in its
    heaviest class, sorted; ' a b ' per class so LIKE can find a word's start."""
    best: dict[str, int] = {}
    for text, weight in weighted:
        for word in words(text):
            if best.get(word, 0) < weight:
                best[word] = weight
    by_class: dict[str, list[str]] = {name: [] for name in CLASS_COLUMNS.values()}
    for word, weight in best.items():
        by_class[CLASS_COLUMNS[weight]].append(word)
    return {name: f" {' '.join(sorted(ws))} " if ws else "" for name, ws in by_class.items()}


def _service_texts(
    service: tuple[str, str | None, str | None, str | None],
    organization: tuple[str, str | None, str | None],
    term_names: Iterable[str],
) -> list[tuple[str | None, int]]:
    name, alternate_name, description, eligibility = service
    org_name, org_alternate_name, org_description = organization
    return [
        (name, WEIGHT_SERVICE_NAME),
        (alternate_name, WEIGHT_ORGANIZATION_NAME),
        (org_name, WEIGHT_ORGANIZATION_NAME),
        (org_alternate_name, WEIGHT_ORGANIZATION_NAME),
        (description, WEIGHT_TEXT),
        (eligibility, WEIGHT_TEXT),
        (org_description, WEIGHT_TEXT),
        *((term, WEIGHT_TERM) for term in term_names),
    ]


def service_document(service: Service) -> dict[str, str]:
    org = service.organization
    return document(
        _service_texts(
            (
                service.name,
                service.alternate_name,
                service.description,
                service.eligibility_description,
            ),
            (org.name, org.alternate_name, org.description),
            (a.taxonomy_term.name for a in service.attributes),
        )
    )


# Where each posted class of a document's words is (models/search_posting.py).
POSTED_CLASSES = {"name": PLACE_NAME, "other_names": PLACE_OTHER_NAMES, "terms": PLACE_TERMS}


def postings(document_: dict[str, object]) -> list[dict[str, object]]:
    """search_posting rows of a document row (`document` + service_id, service_name): one
    per word of its names and terms. Each word is in one class only, so once."""
    return [
        {
            "service_id": document_["service_id"],
            "word": word,
            "place": place,
            "service_name": document_["service_name"],
        }
        for column, place in POSTED_CLASSES.items()
        for word in str(document_[column]).split()
    ]


def index_service(session: Session, service: Service) -> None:
    """Replace a service's document, its postings, its prefix counts (api/search_counts.py)
    and its filings (api/filing.py), which follow the same changes; call after any change
    to what it covers. A retired service has none (the engines' indexes follow through
    triggers or the GIN index)."""
    old = session.execute(
        select(*(SearchDocument.__table__.c[c] for c in DOCUMENT_COLUMNS)).where(  # type: ignore[attr-defined]
            SearchDocument.service_id == service.id  # type: ignore[arg-type]
        )
    ).first()
    session.execute(delete(SearchDocument).where(SearchDocument.service_id == service.id))  # type: ignore[arg-type]
    session.execute(delete(SearchPosting).where(SearchPosting.service_id == service.id))  # type: ignore[arg-type]
    row: dict[str, object] | None = None
    if service.retired_at is None:
        row = {
            "service_id": service.id,
            "service_name": service.name,
            **service_document(service),
        }
        session.execute(insert(SearchDocument).values(**row))
        if posted := postings(row):
            session.execute(insert(SearchPosting), posted)
    recount(session, prefixes(old._asdict() if old else None), prefixes(row))
    file_service(session, service.id)


def _documents(session: Session, chunk: int) -> Iterator[list[dict[str, object]]]:
    """Documents of every live service, `chunk` at a time, read with plain column queries."""
    organizations = {
        row.id: (row.name, row.alternate_name, row.description)
        for row in session.execute(
            select(
                Organization.id,
                Organization.name,
                Organization.alternate_name,
                Organization.description,
            )
        )
    }
    term_names: dict[uuid.UUID, list[str]] = {}
    for link_id, name in session.execute(
        select(Attribute.link_id, TaxonomyTerm.name)
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)  # type: ignore[arg-type]
        .where(Attribute.link_entity == "service")
    ):
        term_names.setdefault(link_id, []).append(name)
    services = session.execute(
        select(
            Service.id,
            Service.organization_id,
            Service.name,
            Service.alternate_name,
            Service.description,
            Service.eligibility_description,
        )
        .where(Service.retired_at.is_(None))  # type: ignore[union-attr]
        .execution_options(yield_per=chunk)
    )
    for rows in services.partitions():
        yield [
            {
                "service_id": row.id,
                "service_name": row.name,
                **document(
                    _service_texts(
                        (
                            row.name,
                            row.alternate_name,
                            row.description,
                            row.eligibility_description,
                        ),
                        organizations[row.organization_id],
                        term_names.get(row.id, ()),
                    )
                ),
            }
            for row in rows
        ]


def rebuild_search_index(session: Session, chunk: int = 500) -> None:
    """Index (and file) every service from scratch, e.g. after a bulk load that bypassed
    the writes. The words are made in Python (the one tokeniser); the rows go in as bulk
    inserts."""
    session.execute(delete(SearchDocument))
    session.execute(delete(SearchPosting))
    batch: list[dict[str, object]] = []
    counts: Counter[str] = Counter()

    def flush() -> None:
        session.execute(insert(SearchDocument), batch)
        if posted := [p for d in batch for p in postings(d)]:
            session.execute(insert(SearchPosting), posted)
        for document_ in batch:
            counts.update(prefixes(document_))
        batch.clear()

    for documents in _documents(session, max(chunk, 2000)):
        batch += documents
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    replace_counts(session, counts)
    refile_all(session)


# -- matching and ranking ------------------------------------------------------------------


def substring_position(dialect_name: str) -> Any:
    """The engine's 1-based position of a substring, 0 when absent: `instr()` on SQLite,
    `strpos()` on PostgreSQL, which find the same positions."""
    return func.instr if dialect_name == "sqlite" else func.strpos


def _word_rank(word: str, dialect_name: str) -> ColumnElement[int]:
    """The heaviest class with a word that `word` starts; exact words count double, except
    in descriptions (checking those would mean scanning every description that matched).
    Nested so that a word found only in the descriptions, the common case for a common
    word, costs three short substring tests, not six. The texts are folded already, so a
    plain substring test (not the slower LIKE) finds ' word' (a word it starts) and
    ' word ' (that whole word), the same on both engines."""
    find = substring_position(dialect_name)
    whole, start = f" {word} ", f" {word}"
    name, other, terms = SearchDocument.name, SearchDocument.other_names, SearchDocument.terms

    def has(column: object, text: str) -> ColumnElement[bool]:
        return find(column, text) > 0  # type: ignore[no-any-return]

    in_name = case(
        (has(name, whole), 2 * WEIGHT_SERVICE_NAME),
        (has(other, whole), 2 * WEIGHT_ORGANIZATION_NAME),
        else_=WEIGHT_SERVICE_NAME,
    )
    in_other = case(
        (has(other, whole), 2 * WEIGHT_ORGANIZATION_NAME),
        else_=WEIGHT_ORGANIZATION_NAME,  # = a whole word in the terms (2 * WEIGHT_TERM)
    )
    in_terms = case((has(terms, whole), 2 * WEIGHT_TERM), else_=WEIGHT_TERM)
    return case(
        (has(name, start), in_name),
        (has(other, start), in_other),
        (has(terms, start), in_terms),
        else_=WEIGHT_TEXT,
    )


def rank(words_: list[str], dialect_name: str) -> ColumnElement[int]:
    """A matching document's rank: the sum of its words' (see `_word_rank`)."""
    ranks = [_word_rank(w, dialect_name) for w in words_]
    return sum(ranks[1:], ranks[0])


def has_every_word(words_: list[str], dialect_name: str) -> ColumnElement[bool]:
    """The match, tested on one document's own text rather than found in the engine's
    index: for a few documents already known, not for finding them."""
    find = substring_position(dialect_name)
    document = SearchDocument
    places = (document.name, document.other_names, document.terms, document.body)

    def has(word: str) -> ColumnElement[bool]:
        # A CASE tries the places one by one: a long description is read only when the
        # word is in no name or term.
        return case(*((find(place, f" {word}") > 0, True) for place in places), else_=False)

    return and_(*(has(w) for w in words_))


# A query word as the engine is asked for it: a prefix, or the exact words it starts
# (api/search_counts.py: `words_starting`), when they are known.
Spelled = list[str] | None


def fts5_query(words_: list[str], spelled: Sequence[Spelled] = ()) -> str:
    """Every word as a quoted FTS5 prefix ("word"*) or its words ("a" OR "b"), ANDed;
    quotes doubled, so nothing in a word is FTS5 syntax (our words are letters and digits
    anyway)."""

    def quoted(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    def one(word: str, exact: Spelled) -> str:
        return f"({' OR '.join(map(quoted, exact))})" if exact else quoted(word) + "*"

    return " AND ".join(one(w, exact) for w, exact in _spellings(words_, spelled))


def tsquery(words_: list[str], spelled: Sequence[Spelled] = ()) -> str:
    """Every word as a quoted tsquery prefix ('word':*) or its words ('a' | 'b'), ANDed; a
    literal tsquery, so the words are lexemes as they are, matching `array_to_tsvector` in
    the index."""

    def quoted(word: str) -> str:
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"

    def one(word: str, exact: Spelled) -> str:
        return f"({' | '.join(map(quoted, exact))})" if exact else quoted(word) + ":*"

    return " & ".join(one(w, exact) for w, exact in _spellings(words_, spelled))


def _spellings(words_: list[str], spelled: Sequence[Spelled]) -> Iterable[tuple[str, Spelled]]:
    return zip(words_, spelled or [None] * len(words_), strict=True)


def _fts5_match(words_: list[str], spelled: Sequence[Spelled]) -> ColumnElement[bool]:
    return literal_column(FTS_TABLE).op("MATCH", return_type=Boolean)(
        literal(fts5_query(words_, spelled))
    )


def _matches(
    words_: list[str], dialect_name: str, spelled: Sequence[Spelled] = ()
) -> tuple[object, ColumnElement[bool]]:
    """(FROM clause, condition) of the documents that contain every word as a prefix."""
    if dialect_name == "sqlite":
        fts = table(FTS_TABLE, column("rowid"))
        joined = fts.join(SearchDocument, SearchDocument.id == fts.c.rowid)  # type: ignore[arg-type]
        return joined, _fts5_match(words_, spelled)
    vector = column(POSTGRESQL_VECTOR, _selectable=SearchDocument.__table__)  # type: ignore[attr-defined]
    query = literal(tsquery(words_, spelled))
    return SearchDocument, vector.op("@@", return_type=Boolean)(cast(query, TSQUERY))


def ranked_matches(words_: list[str], dialect_name: str) -> Select[tuple[uuid.UUID, int, str]]:
    """(service_id, rank, service_name) of the services matching every word (see the module
    docstring)."""
    source, condition = _matches(words_, dialect_name)
    return (
        select(
            SearchDocument.service_id.label("service_id"),  # type: ignore[attr-defined]
            rank(words_, dialect_name).label("rank"),
            SearchDocument.service_name.label("service_name"),
        )
        .select_from(source)  # type: ignore[arg-type]
        .where(and_(condition))
    )


def count_matches(
    words_: list[str],
    dialect_name: str,
    document_ids: list[int] | None = None,
    spelled: Sequence[Spelled] = (),
) -> Select[tuple[int]]:
    """How many documents contain every word as a prefix, counted in the engine's index
    alone (no `search_document` or `service` rows read), optionally among `document_ids`;
    `spelled`: each word's exact words, where known (none may be empty). A document per
    live service makes this the count of a search-only list."""
    if dialect_name == "sqlite":
        fts = table(FTS_TABLE, column("rowid"))
        query = select(func.count()).select_from(fts).where(_fts5_match(words_, spelled))
        if document_ids is not None:
            query = query.where(fts.c.rowid.in_(document_ids))
        return query
    _, condition = _matches(words_, dialect_name, spelled)
    query = select(func.count()).select_from(SearchDocument).where(condition)
    if document_ids is not None:
        query = query.where(SearchDocument.id.in_(document_ids))  # type: ignore[union-attr]
    return query
