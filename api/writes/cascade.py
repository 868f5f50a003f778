"""Records that embed another one change with it, and the feed must say so.

A service shows its organisation; an organisation lists its services; both show the
taxonomy terms of their attributes. When one of those changes, every record that embeds
it gets an `updated` feed entry with its new body (and, for services, a new
`last_modified`), so a mirror built from the feed stays exact.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from api.writes.history import field_changes, record_change
from api.writes.resources import RESOURCES, Resource, render
from models import Attribute, Change, Service
from models.change import ChangeAction, ResourceType


def _embedding(
    session: Session, resource: Resource, row: Any, before: dict[str, Any]
) -> set[tuple[ResourceType, uuid.UUID]]:
    if resource.type == ResourceType.service:
        organizations = {row.organization_id, before.get("organization_id")}
        return {
            (ResourceType.organization, uuid.UUID(str(org)))
            for org in organizations
            if org is not None
        }
    if resource.type == ResourceType.organization:
        services = session.scalars(
            select(Service.id).where(
                Service.organization_id == row.id,
                Service.retired_at.is_(None),  # type: ignore[union-attr]
            )
        )
        return {(ResourceType.service, service_id) for service_id in services}
    if resource.type == ResourceType.taxonomy_term:
        links = session.execute(
            select(Attribute.link_entity, Attribute.link_id).where(
                Attribute.taxonomy_term_id == row.id
            )
        )
        return {(ResourceType(entity), link_id) for entity, link_id in links}
    return set()


def _last_published(session: Session, resource_type: ResourceType, record_id: uuid.UUID) -> Any:
    return session.scalars(
        select(Change.record)
        .where(Change.resource_type == resource_type.value, Change.resource_id == record_id)
        .order_by(Change.cursor.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()


def cascade(
    session: Session,
    resource: Resource,
    row: Any,
    before: dict[str, Any],
    actor: str,
    at: datetime,
) -> None:
    """Record new versions of the records that embed `row` (call after applying it, and
    before rendering `row` itself: an organisation lists its services' `last_modified`,
    which this may move)."""
    session.flush()
    main = (resource.type, row.id)
    pending = _embedding(session, resource, row, before) - {main}
    while pending:
        # Services first: a service shown anew has a new `last_modified`, which its
        # organisation lists, so the organisation must be shown anew after it.
        resource_type, record_id = min(
            pending, key=lambda item: (item[0] != ResourceType.service, item)
        )
        pending.remove((resource_type, record_id))
        dependent = RESOURCES[resource_type]
        current = dependent.load(session, record_id)
        if current is None:
            continue
        published = _last_published(session, resource_type, record_id) or {}
        if not field_changes(published, render(dependent, current)):
            continue
        if hasattr(current, "last_modified"):
            current.last_modified = at
            session.add(current)
            session.flush()
            session.expire_all()
            current = dependent.load(session, record_id)
        after = render(dependent, current)
        record_change(
            session,
            resource_type,
            record_id,
            ChangeAction.updated,
            actor,
            at,
            field_changes(published, after),
            after,
        )
        if resource_type == ResourceType.service:
            organization = (ResourceType.organization, current.organization_id)
            if organization != main:
                pending.add(organization)
