"""Queries over guidance."""

import uuid

from sqlalchemy import Select, select
from sqlmodel import Session

from models import Guidance
from models.guidance import GuidanceCategory


def guidance_query(category: GuidanceCategory | None = None) -> Select[tuple[Guidance]]:
    query = (
        select(Guidance)
        .where(Guidance.retired_at.is_(None))  # type: ignore[union-attr]
        .order_by(Guidance.name, Guidance.id)
    )
    if category is not None:
        query = query.where(Guidance.category == category.value)
    return query


def get_guidance(session: Session, guidance_id: uuid.UUID) -> Guidance | None:
    return session.scalars(
        select(Guidance).where(Guidance.id == guidance_id, Guidance.retired_at.is_(None))  # type: ignore[union-attr]
    ).first()
