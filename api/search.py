"""Full-text search that behaves the same on SQLite and PostgreSQL.

Each service's words (its names, descriptions, eligibility, organisation and taxonomy
terms) are folded (lower case, accents removed) and stored in `search_term` with a weight
by where they occur. A query matches a service when every query word is a prefix of one
of its words; services are ranked by the summed weights, so a name beats a description.
"""

import re
import unicodedata
import uuid

from sqlalchemy import Select, case, delete, func, literal, select, union_all
from sqlmodel import Session

from models import SearchTerm, Service

MAX_QUERY_WORDS = 12
MAX_WORD = 64

# Where a word occurs decides how much it counts.
WEIGHT_SERVICE_NAME = 10
WEIGHT_ORGANIZATION_NAME = 6
WEIGHT_TERM = 3
WEIGHT_TEXT = 1

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Café" and "cafe" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str | None) -> list[str]:
    if not text:
        return []
    return [w[:MAX_WORD] for w in _WORD.findall(fold(text).replace("_", " "))]


def query_words(query: str) -> list[str]:
    unique = dict.fromkeys(words(query))
    return list(unique)[:MAX_QUERY_WORDS]


def service_weights(service: Service) -> dict[str, int]:
    weighted: list[tuple[str | None, int]] = [
        (service.name, WEIGHT_SERVICE_NAME),
        (service.alternate_name, WEIGHT_ORGANIZATION_NAME),
        (service.organization.name, WEIGHT_ORGANIZATION_NAME),
        (service.organization.alternate_name, WEIGHT_ORGANIZATION_NAME),
        (service.description, WEIGHT_TEXT),
        (service.eligibility_description, WEIGHT_TEXT),
        (service.organization.description, WEIGHT_TEXT),
    ]
    weighted += [(a.taxonomy_term.name, WEIGHT_TERM) for a in service.attributes]
    best: dict[str, int] = {}
    for text, weight in weighted:
        for word in words(text):
            best[word] = max(best.get(word, 0), weight)
    return best


def index_service(session: Session, service: Service) -> None:
    """Replace a service's rows in the index; call after any change to what it covers."""
    session.execute(delete(SearchTerm).where(SearchTerm.service_id == service.id))  # type: ignore[arg-type]
    session.add_all(
        SearchTerm(service_id=service.id, term=term, weight=weight)
        for term, weight in service_weights(service).items()
    )


def ranked_matches(words_: list[str]) -> Select[tuple[uuid.UUID, int]]:
    """(service_id, score) of services matching every word; an exact word counts double."""
    per_word = [
        select(
            SearchTerm.service_id.label("service_id"),  # type: ignore[attr-defined]
            literal(i).label("word"),
            func.max(SearchTerm.weight * case((SearchTerm.term == word, 2), else_=1)).label(
                "score"
            ),
        )
        .where(SearchTerm.term.like(word + "%"))  # type: ignore[attr-defined]
        .group_by(SearchTerm.service_id)
        for i, word in enumerate(words_)
    ]
    hits = union_all(*per_word).subquery("hits")
    return (
        select(hits.c.service_id, func.sum(hits.c.score).label("score"))
        .group_by(hits.c.service_id)
        .having(func.count() == len(words_))
    )


def rebuild_search_index(session: Session, chunk: int = 500) -> None:
    """Index every service from scratch, e.g. after a bulk load that bypassed the writes."""
    from sqlalchemy.orm import selectinload

    session.execute(delete(SearchTerm))
    ids = list(session.scalars(select(Service.id).order_by(Service.id)))
    for start in range(0, len(ids), chunk):
        services = session.scalars(
            select(Service)
            .where(Service.id.in_(ids[start : start + chunk]))  # type: ignore[union-attr]
            .options(selectinload(Service.organization), selectinload(Service.attributes))  # type: ignore[arg-type]
        )
        for service in services:
            session.add_all(
                SearchTerm(service_id=service.id, term=term, weight=weight)
                for term, weight in service_weights(service).items()
            )
        session.flush()
        session.expunge_all()
