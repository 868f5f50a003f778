"""Queries over services: the filters of `/services`, shared by `/service_at_locations`."""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, false, func, literal, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from api.queries.service_export import Key, raw_key
from api.search import count_matches, query_words, ranked_matches
from models import Attribute, Contact, SearchDocument, Service, ServiceAtLocation, TaxonomyTerm

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


def _term_and_descendants(session: Session, term_id: uuid.UUID) -> set[uuid.UUID]:
    """A broader term also finds services filed under its narrower terms."""
    found = {term_id}
    frontier = {term_id}
    while frontier:
        children = set(
            session.scalars(
                select(TaxonomyTerm.id).where(TaxonomyTerm.parent_id.in_(frontier))  # type: ignore[union-attr]
            )
        )
        frontier = children - found
        found |= frontier
    return found


def _link_conditions(term_ids: set[uuid.UUID]) -> tuple[ColumnElement[bool], ...]:
    return (
        Attribute.link_entity == "service",  # type: ignore[comparison-overlap]
        Attribute.taxonomy_term_id.in_(term_ids),  # type: ignore[attr-defined]
    )


def _filed_under(term_ids: set[uuid.UUID], per_row: bool) -> ColumnElement[bool]:
    """Services linked to one of these terms. `per_row` asks as a correlated EXISTS, which
    lets a page walk the (name, id) index and stop after one page; the IN form reads the
    matches from the attribute index first, which suits a count."""
    if per_row:
        return exists().where(Attribute.link_id == Service.id, *_link_conditions(term_ids))
    return Service.id.in_(select(Attribute.link_id).where(*_link_conditions(term_ids)))  # type: ignore[union-attr]


def _terms_of_taxonomy(session: Session, taxonomy_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.taxonomy_id == taxonomy_id))
    )


def _term_sets(session: Session, filters: ServiceFilters) -> list[set[uuid.UUID]]:
    """The taxonomy filters as sets of term ids; a service must be under one of each."""
    sets = []
    if filters.taxonomy_term_id is not None:
        sets.append(_term_and_descendants(session, filters.taxonomy_term_id))
    if filters.taxonomy_id is not None:
        sets.append(_terms_of_taxonomy(session, filters.taxonomy_id))
    return sets


def _conditions(
    session: Session, filters: ServiceFilters, per_row: bool = False
) -> list[ColumnElement[bool]]:
    """Every filter but the search, as conditions on `service` (AND)."""
    conditions: list[ColumnElement[bool]] = [Service.retired_at.is_(None)]  # type: ignore[union-attr]
    conditions += [_filed_under(terms, per_row) for terms in _term_sets(session, filters)]
    if filters.organization_id is not None:
        conditions.append(Service.organization_id == filters.organization_id)  # type: ignore[arg-type]
    if filters.modified_after is not None:
        conditions.append(Service.last_modified >= filters.modified_after)  # type: ignore[arg-type]
    # ORUK: minimum_age=N finds services whose minimum age is at least N, maximum_age=N
    # those whose maximum age is at most N. No stated limit means 0 / no upper limit.
    if filters.minimum_age is not None:
        if filters.minimum_age > 0:  # the same as coalesce(minimum_age, 0) >= N, but indexed
            conditions.append(Service.minimum_age >= filters.minimum_age)  # type: ignore[arg-type, operator]
        else:
            conditions.append(func.coalesce(Service.minimum_age, 0) >= filters.minimum_age)
    if filters.maximum_age is not None:
        conditions.append(
            and_(Service.maximum_age.is_not(None), Service.maximum_age <= filters.maximum_age)  # type: ignore[union-attr, operator]
        )
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
    return query.where(*_conditions(session, filters))


def _matching(
    session: Session, filters: ServiceFilters, *columns: Any, per_row: bool = False
) -> Select[Any]:
    """`columns` of the matching services, in the list's order (rank, name, id). Without a
    search every rank is 0, so the order is (name, id) and an index on it serves a page."""
    words, impossible = _search_words(filters)
    if words:
        # One join of the ranked matches to `service` (filters and the name tie-break).
        ranked = ranked_matches(words, session.get_bind().dialect.name).subquery("ranked")
        return (
            select(*columns)
            .join(ranked, ranked.c.service_id == Service.id)
            .where(*_conditions(session, filters))
            .order_by(ranked.c.rank.desc(), Service.name, Service.id)
        )
    if impossible:
        return select(*columns).where(false())
    conditions = _conditions(session, filters, per_row)
    return select(*columns).where(*conditions).order_by(Service.name, Service.id)


def count_services(session: Session, filters: ServiceFilters) -> int:
    if _only_taxonomy(filters):
        return _count_filed_under(session, _term_sets(session, filters)[0])
    words, _ = _search_words(filters)
    if words and replace(filters, search=None) == ServiceFilters():
        return _count_searched(session, words)
    query = _matching(session, filters, Service.id).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(query)) or 0


def _count_searched(session: Session, words: list[str]) -> int:
    """A search-only count, in the engine's index alone: the matching documents, less
    those of retired services among them. Retiring a service deletes its document, so
    that second set is empty unless a row was retired before that rule (or behind the
    API's back); it is found from the retired_at index, so it stays cheap either way."""
    dialect = session.get_bind().dialect.name
    total = session.scalar(count_matches(words, dialect)) or 0
    stale = list(
        session.scalars(
            select(SearchDocument.id)
            .join(Service, Service.id == SearchDocument.service_id)  # type: ignore[arg-type]
            .where(Service.retired_at >= datetime.min.replace(tzinfo=UTC))  # type: ignore[operator]
        )
    )
    if stale:
        total -= session.scalar(count_matches(words, dialect, stale)) or 0
    return total


def _only_taxonomy(filters: ServiceFilters) -> bool:
    taxonomies = (filters.taxonomy_term_id is not None) + (filters.taxonomy_id is not None)
    others = replace(filters, taxonomy_term_id=None, taxonomy_id=None)
    return taxonomies == 1 and others == ServiceFilters()


def _count_filed_under(session: Session, term_ids: set[uuid.UUID]) -> int:
    """The live services under these terms, counted in the attribute index alone: the
    services linked, less the retired ones among them (few, found by their index). Exact
    because a service is never deleted, only retired, so every link names a service."""
    linked = select(func.count(distinct(Attribute.link_id))).where(*_link_conditions(term_ids))
    # `>= the first time` is `IS NOT NULL` for a time, in a form both engines read from the
    # retired_at index.
    retired_ids = select(Service.id).where(Service.retired_at >= datetime.min.replace(tzinfo=UTC))  # type: ignore[operator]
    retired = select(func.count(distinct(Attribute.link_id))).where(
        Attribute.link_id.in_(retired_ids),  # type: ignore[attr-defined]
        *_link_conditions(term_ids),
    )
    return (session.scalar(linked) or 0) - (session.scalar(retired) or 0)


def page_service_keys(
    session: Session, filters: ServiceFilters, offset: int, limit: int
) -> list[Key]:
    """The stored ids of one page, in order: only the id is read, from an index if one
    serves the order, and the rows are loaded afterwards for these ids only."""
    query = _matching(session, filters, raw_key(Service.id), per_row=True)
    query = query.offset(offset).limit(limit)
    return list(session.scalars(query))


def all_service_keys(session: Session, filters: ServiceFilters) -> list[Key]:
    """The stored ids of every match, in order (a few MB for 100,000 services)."""
    return list(session.scalars(_matching(session, filters, raw_key(Service.id), per_row=True)))


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
