"""Queries over taxonomies and their terms."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from models import Taxonomy, TaxonomyTerm

FULL_TAXONOMY = (selectinload(Taxonomy.sources),)  # type: ignore[arg-type]


def taxonomies_query() -> Select[tuple[Taxonomy]]:
    return select(Taxonomy).order_by(Taxonomy.name, Taxonomy.id)


def get_taxonomy(session: Session, taxonomy_id: uuid.UUID) -> Taxonomy | None:
    return session.scalars(
        select(Taxonomy).where(Taxonomy.id == taxonomy_id).options(*FULL_TAXONOMY)
    ).first()


def taxonomy_terms_query(
    taxonomy_id: uuid.UUID | None = None, parent_id: uuid.UUID | None = None
) -> Select[tuple[TaxonomyTerm]]:
    query = (
        select(TaxonomyTerm)
        .where(TaxonomyTerm.retired_at.is_(None))  # type: ignore[union-attr]
        .order_by(TaxonomyTerm.name, TaxonomyTerm.id)
    )
    if taxonomy_id is not None:
        query = query.where(TaxonomyTerm.taxonomy_id == taxonomy_id)
    if parent_id is not None:
        query = query.where(TaxonomyTerm.parent_id == parent_id)
    return query


def get_taxonomy_term(session: Session, term_id: uuid.UUID) -> TaxonomyTerm | None:
    return session.scalars(
        select(TaxonomyTerm).where(TaxonomyTerm.id == term_id, TaxonomyTerm.retired_at.is_(None))  # type: ignore[union-attr]
    ).first()
