"""Queries over services: the filters of `/services`, shared by `/service_at_locations`."""

import math
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, select
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session

from api.queries.service_export import Key, raw_key
from api.search import count_matches, query_words, ranked_matches
from api.search_counts import services_starting, words_starting
from api.search_postings import lingering, one_word_page
from api.search_several_words import several_words_page
from models import Contact, SearchDocument, Service, ServiceAtLocation, ServiceFiling
from models.service_filing import FILED_UNDER_TAXONOMY, FILED_UNDER_TERM

# Everything a fully nested service shows, loaded in a fixed number of queries.
FULL_SERVICE = (
    selectinload(Service.phones),  # type: ignore[arg-type]
    selectinload(Service.schedules),  # type: ignore[arg-type]
    selectinload(Service.service_areas),  # type: ignore[arg-type]
    selectinload(Service.service_at_locations),  # type: ignore[arg-type]
    selectinload(Service.languages),  # type: ignore[arg-type]
    selectinload(Service.contacts).selectinload(Contact.phones),  # type: ignore[arg-type]
    selectinload(Service.attributes),  # type: ignore[arg-type]
    selectinload(Service.sources),  # type: ignore[arg-type]
)


@dataclass(frozen=True)
class ServiceFilters:
    search: str | None = None
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None


def _taxonomy_keys(filters: ServiceFilters) -> list[tuple[str, uuid.UUID]]:
    """The taxonomy filters as filing keys (models/service_filing.py); a service must be
    filed under each. A term's filings include its narrower terms' services."""
    keys = []
    if filters.taxonomy_term_id is not None:
        keys.append((FILED_UNDER_TERM, filters.taxonomy_term_id))
    if filters.taxonomy_id is not None:
        keys.append((FILED_UNDER_TAXONOMY, filters.taxonomy_id))
    return keys


def _filed(filing: Any, key: tuple[str, uuid.UUID]) -> tuple[ColumnElement[bool], ...]:
    return (filing.kind == key[0], filing.key == key[1])


# Above any age a service can state (models/service.py): "no upper limit".
NO_UPPER_AGE = 151


def _age_conditions(
    filters: ServiceFilters, minimum: Any, maximum: Any, walk: bool = False
) -> list[ColumnElement[bool]]:
    """ORUK: minimum_age=N finds services whose minimum age is at least N, maximum_age=N
    those whose maximum age is at most N. No stated limit means 0 / no upper limit.

    A count wants the forms an age index can answer. A page wants the list's order, from
    `ix_service_live_list`, which holds the ages: `walk` words the maximum so that no age
    index can serve it, or the planners would read every match from the age index and sort
    them all by name (they underestimate how many match)."""
    conditions: list[ColumnElement[bool]] = []
    # Ages are whole years: compared as integers, as stored (PostgreSQL would compare an
    # integer column with a float by converting every row, and use no index).
    if filters.minimum_age is not None:
        least = math.ceil(filters.minimum_age)
        if least > 0:  # the same as coalesce(minimum_age, 0) >= N, but indexed
            conditions.append(minimum >= least)
        else:
            conditions.append(func.coalesce(minimum, 0) >= least)
    if filters.maximum_age is not None:
        most = math.floor(filters.maximum_age)
        if walk:
            conditions.append(func.coalesce(maximum, NO_UPPER_AGE) <= most)
        else:
            conditions.append(and_(maximum.is_not(None), maximum <= most))
    return conditions


def _conditions(filters: ServiceFilters, walk: bool = False) -> list[ColumnElement[bool]]:
    """Every filter but the search, as conditions on `service` (AND)."""
    conditions: list[ColumnElement[bool]] = [Service.retired_at.is_(None)]  # type: ignore[union-attr]
    conditions += [
        Service.id.in_(select(ServiceFiling.service_id).where(*_filed(ServiceFiling, key)))  # type: ignore[union-attr]
        for key in _taxonomy_keys(filters)
    ]
    conditions += _own_conditions(filters)
    conditions += _age_conditions(filters, Service.minimum_age, Service.maximum_age, walk)
    return conditions


def _own_conditions(filters: ServiceFilters) -> list[ColumnElement[bool]]:
    """The filters only `service` itself can answer (the filings hold no such columns)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.organization_id is not None:
        conditions.append(Service.organization_id == filters.organization_id)  # type: ignore[arg-type]
    if filters.modified_after is not None:
        conditions.append(Service.last_modified >= filters.modified_after)  # type: ignore[arg-type]
    return conditions


def _search_words(filters: ServiceFilters) -> tuple[list[str], bool]:
    """The query's words, and whether a search was asked that nothing can match (only
    punctuation or symbols)."""
    search = (filters.search or "").strip()
    words = query_words(search)
    return words, bool(search) and not words


def filtered_service_ids(
    session: Session, filters: ServiceFilters
) -> Select[tuple[uuid.UUID, int]]:
    """(service id, rank) of the services that pass every filter (AND)."""
    search = (filters.search or "").strip()
    words = query_words(search)
    if words:
        ranked = ranked_matches(words, session.get_bind().dialect.name).subquery("ranked")
        query = select(Service.id, ranked.c.rank.label("rank")).join(
            ranked, ranked.c.service_id == Service.id
        )
    else:
        query = select(Service.id, literal(0).label("rank"))
        if search:  # only punctuation or symbols: nothing can match
            query = query.where(false())
    return query.where(*_conditions(filters))


def _matching(
    session: Session, filters: ServiceFilters, column: Any, walk: bool = True
) -> Select[Any]:
    """`column` of the matching services, in the list's order (rank, name, id). Without a
    search every rank is 0, so the order is (name, id) and an index on it serves a page:
    `ix_service_live_list`, or the filings' index when a taxonomy filter is set."""
    words, impossible = _search_words(filters)
    if words:
        ranked = ranked_matches(words, session.get_bind().dialect.name).subquery("ranked")
        if replace(filters, search=None) == ServiceFilters():
            # A search alone: documents carry the name, so `service` is read only for the
            # retired services (none, unless retired behind the API's back: see
            # `_count_searched`), from the retired_at index.
            return (
                select(column(ranked.c.service_id))
                .where(ranked.c.service_id.not_in(_retired_ids()))
                .order_by(ranked.c.rank.desc(), ranked.c.service_name, ranked.c.service_id)
            )
        # With other filters, one join of the ranked matches to `service`.
        return (
            select(column(Service.id))
            .join(ranked, ranked.c.service_id == Service.id)
            .where(*_conditions(filters))
            .order_by(ranked.c.rank.desc(), Service.name, Service.id)
        )
    if impossible:
        return select(column(Service.id)).where(false())
    if _taxonomy_keys(filters):
        query, filed = _filed_query(filters, walk)
        return query.add_columns(column(filed.service_id)).order_by(filed.name, filed.service_id)
    conditions = _conditions(filters, walk)
    return select(column(Service.id)).where(*conditions).order_by(Service.name, Service.id)


def _filed_query(filters: ServiceFilters, walk: bool = False) -> tuple[Select[Any], Any]:
    """The matches of a list with a taxonomy filter (and no search), from the filings of
    the first one: (a query with no columns yet, that filing alias). `walk` as for
    `_age_conditions`: a count reads `ix_service_filing_ages`, a page the list order."""
    first, *others = _taxonomy_keys(filters)
    filed = aliased(ServiceFiling, name="filed")
    query = select().where(
        *_filed(filed, first),
        *_age_conditions(filters, filed.minimum_age, filed.maximum_age, walk),
    )
    for key in others:
        also = aliased(ServiceFiling)
        query = query.where(exists().where(also.service_id == filed.service_id, *_filed(also, key)))
    if own := _own_conditions(filters):
        query = query.where(exists().where(Service.id == filed.service_id, *own))
    return query, filed


def count_services(session: Session, filters: ServiceFilters) -> int:
    words, impossible = _search_words(filters)
    if impossible:
        return 0
    if words and replace(filters, search=None) == ServiceFilters():
        return _count_searched(session, words)
    if words:
        matching = _matching(session, filters, lambda key: key).order_by(None).subquery()
        return session.scalar(select(func.count()).select_from(matching)) or 0
    if _taxonomy_keys(filters):
        query, _ = _filed_query(filters)
        return session.scalar(query.add_columns(func.count())) or 0
    return session.scalar(select(func.count()).where(*_conditions(filters))) or 0


def _retired_ids() -> Select[tuple[uuid.UUID]]:
    # `>= the first time` is `IS NOT NULL` for a time, in a form both engines read from the
    # retired_at index.
    return select(Service.id).where(Service.retired_at >= datetime.min.replace(tzinfo=UTC))  # type: ignore[operator]


def _count_searched(session: Session, words: list[str]) -> int:
    """A search-only count: one word's kept ready (api/search_counts.py), more words'
    counted in the engine's index alone, asked for the exact words each query word starts
    (`words_starting`); less the documents of retired services among them.
    Retiring a service deletes its document, so that second set is empty unless a row was
    retired before that rule (or behind the API's back); it is found from the retired_at
    index, so it stays cheap either way."""
    dialect = session.get_bind().dialect.name
    spelled = [words_starting(session, word) for word in words] if len(words) > 1 else []
    if [] in spelled:
        return 0  # a word that starts no word of any document
    if len(words) == 1:  # kept ready (api/search_counts.py)
        total = services_starting(session, words[0])
    else:
        total = session.scalar(count_matches(words, dialect, spelled=spelled)) or 0
    stale = list(
        session.scalars(
            select(SearchDocument.id).where(
                SearchDocument.service_id.in_(_retired_ids())  # type: ignore[attr-defined]
            )
        )
    )
    if stale:
        total -= session.scalar(count_matches(words, dialect, stale, spelled)) or 0
    return total


# Fewer matches than this are found from an age index and sorted, not looked for by
# walking the list order (which, for a rare match, reads most of the index).
WALK_FROM = 1000


def page_service_keys(
    session: Session, filters: ServiceFilters, offset: int, limit: int, total: int
) -> list[Key]:
    """The stored ids of one page, in order: only the id is read, from an index if one
    serves the order, and the rows are loaded afterwards for these ids only. `total` (from
    `count_services`) says whether there is a page at all and how to find it."""
    if offset >= total:
        return []
    words, _ = _search_words(filters)
    if words and replace(filters, search=None) == ServiceFilters():
        # A search alone: read from the postings (api/search_postings.py,
        # api/search_several_words.py) unless ranking every match is cheaper.
        excluded = lingering(session, _retired_ids())
        if len(words) == 1:
            keys = one_word_page(session, words[0], offset, limit, total, excluded)
        else:
            keys = several_words_page(session, words, offset, limit, total, excluded)
        if keys is not None:
            return keys
    query = _matching(session, filters, raw_key, walk=total >= WALK_FROM)
    return list(session.scalars(query.offset(offset).limit(limit)))


def all_service_keys(session: Session, filters: ServiceFilters) -> list[Key]:
    """The stored ids of every match, in order (a few MB for 100,000 services)."""
    return list(session.scalars(_matching(session, filters, raw_key)))


def live_service_keys(session: Session, ids: list[uuid.UUID]) -> list[Key]:
    """The stored ids of those of `ids` that name a service that is not retired."""
    return list(
        session.scalars(
            select(raw_key(Service.id)).where(
                Service.id.in_(ids),  # type: ignore[union-attr]
                Service.retired_at.is_(None),  # type: ignore[union-attr]
            )
        )
    )


def get_service(session: Session, service_id: uuid.UUID) -> Service | None:
    return session.scalars(
        select(Service)
        .where(Service.id == service_id, Service.retired_at.is_(None))  # type: ignore[union-attr]
        .options(*FULL_SERVICE)
    ).first()


def list_service_at_locations(
    session: Session, filters: ServiceFilters, offset: int, limit: int
) -> tuple[list[ServiceAtLocation], int]:
    ids = filtered_service_ids(session, filters).subquery("matched")
    base = select(ServiceAtLocation).join(ids, ids.c.id == ServiceAtLocation.service_id)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.join(Service, Service.id == ServiceAtLocation.service_id)  # type: ignore[arg-type]
        .order_by(ids.c.rank.desc(), Service.name, ServiceAtLocation.id)
        .options(selectinload(ServiceAtLocation.service))  # type: ignore[arg-type]
        .offset(offset)
        .limit(limit)
    )
    return list(rows.unique()), total


def get_service_at_location(session: Session, sal_id: uuid.UUID) -> ServiceAtLocation | None:
    return session.scalars(
        select(ServiceAtLocation)
        .join(Service, Service.id == ServiceAtLocation.service_id)  # type: ignore[arg-type]
        .where(ServiceAtLocation.id == sal_id, Service.retired_at.is_(None))  # type: ignore[union-attr]
        .options(
            selectinload(ServiceAtLocation.service).options(*FULL_SERVICE)  # type: ignore[arg-type]
        )
    ).first()
