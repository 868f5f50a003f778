"""Queries over services: the filters of `/services`, shared by `/service_at_locations`."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, false, func, literal, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from api.search import query_words, ranked_matches
from models import Attribute, Contact, Service, ServiceAtLocation, TaxonomyTerm

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


def _services_with_terms(term_filter: object) -> Select[tuple[uuid.UUID]]:
    return (
        select(Attribute.link_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)  # type: ignore[arg-type]
        .where(Attribute.link_entity == "service", term_filter)  # type: ignore[arg-type]
    )


def filtered_service_ids(
    session: Session, filters: ServiceFilters
) -> Select[tuple[uuid.UUID, int]]:
    """(service id, rank) of the services that pass every filter (AND)."""
    search = (filters.search or "").strip()
    words = query_words(search)
    if words:
        ranked = ranked_matches(words).subquery("ranked")
        query = select(Service.id, ranked.c.score.label("rank")).join(
            ranked, ranked.c.service_id == Service.id
        )
    else:
        query = select(Service.id, literal(0).label("rank"))
        if search:  # only punctuation or symbols: nothing can match
            query = query.where(false())

    conditions = [Service.retired_at.is_(None)]  # type: ignore[union-attr]
    if filters.taxonomy_term_id is not None:
        terms = _term_and_descendants(session, filters.taxonomy_term_id)
        conditions.append(
            Service.id.in_(_services_with_terms(TaxonomyTerm.id.in_(terms)))  # type: ignore[union-attr]
        )
    if filters.taxonomy_id is not None:
        conditions.append(
            Service.id.in_(  # type: ignore[union-attr]
                _services_with_terms(TaxonomyTerm.taxonomy_id == filters.taxonomy_id)
            )
        )
    if filters.organization_id is not None:
        conditions.append(Service.organization_id == filters.organization_id)
    if filters.modified_after is not None:
        conditions.append(Service.last_modified >= filters.modified_after)
    # ORUK: minimum_age=N finds services whose minimum age is at least N, maximum_age=N
    # those whose maximum age is at most N. No stated limit means 0 / no upper limit.
    if filters.minimum_age is not None:
        conditions.append(func.coalesce(Service.minimum_age, 0) >= filters.minimum_age)
    if filters.maximum_age is not None:
        conditions.append(
            and_(Service.maximum_age.is_not(None), Service.maximum_age <= filters.maximum_age)  # type: ignore[union-attr]
        )
    return query.where(*conditions)


def _ordered(query: Select, ids: Select) -> Select:  # type: ignore[type-arg]
    matched = ids.subquery("matched")
    return query.join(matched, matched.c.id == Service.id).order_by(
        matched.c.rank.desc(), Service.name, Service.id
    )


def count_services(session: Session, filters: ServiceFilters) -> int:
    ids = filtered_service_ids(session, filters).subquery()
    return session.scalar(select(func.count()).select_from(ids)) or 0


def list_services(
    session: Session, filters: ServiceFilters, offset: int, limit: int, full: bool = False
) -> list[Service]:
    query = _ordered(select(Service), filtered_service_ids(session, filters))
    if full:
        query = query.options(*FULL_SERVICE)
    return list(session.scalars(query.offset(offset).limit(limit)).unique())


def iter_services(session: Session, filters: ServiceFilters, chunk: int = 200) -> Iterator[Service]:
    """Every matching service, fully nested, a chunk at a time so memory stays flat."""
    offset = 0
    while True:
        batch = list_services(session, filters, offset, chunk, full=True)
        yield from batch
        if len(batch) < chunk:
            return
        session.expunge_all()
        offset += chunk


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
