"""Queries over the change log: a record's history, and the feed after a cursor."""

import uuid

from sqlalchemy import Select, select
from sqlmodel import Session

from models import Change
from models.change import ResourceType


def history_query(resource_type: ResourceType, resource_id: uuid.UUID) -> Select[tuple[Change]]:
    return (
        select(Change)
        .where(Change.resource_type == resource_type.value, Change.resource_id == resource_id)
        .order_by(Change.cursor)  # type: ignore[arg-type]
    )


def changes_after(session: Session, cursor: int, limit: int) -> list[Change]:
    return list(
        session.scalars(
            select(Change)
            .where(Change.cursor > cursor)  # type: ignore[operator]
            .order_by(Change.cursor)  # type: ignore[arg-type]
            .limit(limit)
        )
    )
