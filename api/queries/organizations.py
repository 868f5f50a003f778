"""Queries over organisations."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from models import Contact, Organization

# Everything a fully nested organisation shows.
FULL_ORGANIZATION = (
    selectinload(Organization.services),  # type: ignore[arg-type]
    selectinload(Organization.phones),  # type: ignore[arg-type]
    selectinload(Organization.contacts).selectinload(Contact.phones),  # type: ignore[arg-type]
    selectinload(Organization.locations),  # type: ignore[arg-type]
    selectinload(Organization.attributes),  # type: ignore[arg-type]
    selectinload(Organization.sources),  # type: ignore[arg-type]
)


def organizations_query() -> Select[tuple[Organization]]:
    return (
        select(Organization)
        .where(Organization.retired_at.is_(None))  # type: ignore[union-attr]
        .order_by(Organization.name, Organization.id)
    )


def get_organization(session: Session, organization_id: uuid.UUID) -> Organization | None:
    return session.scalars(
        select(Organization)
        .where(Organization.id == organization_id, Organization.retired_at.is_(None))  # type: ignore[union-attr]
        .options(*FULL_ORGANIZATION)
    ).first()
