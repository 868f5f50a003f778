"""Recording applied changes (one row per change, in the change's own transaction)."""

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.dataset_version import holds_dataset_lock
from models import Change
from models.change import ChangeAction, ResourceType

UNTRACKED = {"last_modified"}  # changes with every write; the entry's time says it


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Which top-level fields differ, with their values before and after (absent = null)."""
    names = sorted((set(before) | set(after)) - UNTRACKED)
    return [
        {"field": name, "before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    ]


def record_change(
    session: Session,
    resource_type: ResourceType,
    resource_id: uuid.UUID,
    action: ChangeAction,
    actor: str,
    at: datetime,
    fields: list[dict[str, Any]],
    record: dict[str, Any] | None,
) -> None:
    if not holds_dataset_lock(session):
        # Without the lock, cached responses would outlive this change (lock_dataset).
        raise RuntimeError("record_change needs lock_dataset(session) first")
    session.add(
        Change(
            resource_type=resource_type,
            resource_id=resource_id,
            action=action,
            changed_at=at,
            actor=actor,
            fields=fields,
            record=record,
        )
    )
