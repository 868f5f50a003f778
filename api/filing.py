"""Keeps `service_filing` (models/service_filing.py) in step with the services and terms.

Filings are derived data, so they are always rewritten whole from the tables they come
from, in one INSERT … SELECT: for one service after it is written, or for all of them
after a taxonomy term changes (a new parent or taxonomy moves every service below it).
Term ancestry is a recursive query, which also stops on a cycle (UNION drops repeats).
"""

import uuid

from sqlalchemy import CTE, Select, delete, insert, literal, select, union
from sqlmodel import Session

from models import Attribute, Service, ServiceFiling, TaxonomyTerm
from models.service_filing import FILED_UNDER_TAXONOMY, FILED_UNDER_TERM

_COLUMNS = ("kind", "key", "service_id", "name", "minimum_age", "maximum_age")


def _ancestry() -> CTE:
    """(term_id, broader): each term with itself and every term above it."""
    term = TaxonomyTerm.__table__  # type: ignore[attr-defined]
    start = select(term.c.id.label("term_id"), term.c.id.label("broader"))
    ancestry = start.cte("ancestry", recursive=True)
    step = select(ancestry.c.term_id, term.c.parent_id).join(term, term.c.id == ancestry.c.broader)
    return ancestry.union(step.where(term.c.parent_id.is_not(None)))


def _filings(service_id: uuid.UUID | None) -> Select[tuple[object, ...]]:
    """Every filing row of the live services (or of one), from their attributes."""
    ancestry = _ancestry()
    service = Service.__table__  # type: ignore[attr-defined]
    attribute = Attribute.__table__  # type: ignore[attr-defined]
    term = TaxonomyTerm.__table__  # type: ignore[attr-defined]
    linked = service.join(
        attribute,
        (attribute.c.link_id == service.c.id) & (attribute.c.link_entity == "service"),
    )
    conditions = [service.c.retired_at.is_(None)]
    if service_id is not None:
        conditions.append(service.c.id == service_id)
    own = (service.c.id, service.c.name, service.c.minimum_age, service.c.maximum_age)
    under_terms = (
        select(literal(FILED_UNDER_TERM), ancestry.c.broader, *own)
        .select_from(linked.join(ancestry, ancestry.c.term_id == attribute.c.taxonomy_term_id))
        .where(*conditions)
    )
    under_taxonomies = (
        select(literal(FILED_UNDER_TAXONOMY), term.c.taxonomy_id, *own)
        .select_from(linked.join(term, term.c.id == attribute.c.taxonomy_term_id))
        .where(term.c.taxonomy_id.is_not(None), *conditions)
    )
    return union(under_terms, under_taxonomies)  # type: ignore[return-value]


def file_service(session: Session, service_id: uuid.UUID) -> None:
    """Rewrite one service's filings (none if it is retired)."""
    session.execute(delete(ServiceFiling).where(ServiceFiling.service_id == service_id))  # type: ignore[arg-type]
    session.execute(insert(ServiceFiling).from_select(_COLUMNS, _filings(service_id)))


def refile_all(session: Session) -> None:
    """Rewrite every filing: after a taxonomy term changes, or a bulk load."""
    session.execute(delete(ServiceFiling))
    session.execute(insert(ServiceFiling).from_select(_COLUMNS, _filings(None)))
