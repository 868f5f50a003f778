"""The append-only record of every applied change: a record's history and the public feed."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, String
from sqlmodel import Field, SQLModel


class ChangeAction(StrEnum):
    created = "created"
    updated = "updated"
    deleted = "deleted"
    verified = "verified"


class ResourceType(StrEnum):
    organization = "organization"
    service = "service"
    reporting_channel = "reporting_channel"
    guidance = "guidance"
    taxonomy_term = "taxonomy_term"


class Change(SQLModel, table=True):
    # The cursor only grows, so a consumer reading `after=<cursor>` never misses an entry.
    cursor: int | None = Field(
        default=None,
        # SQLite only auto-increments a column typed exactly INTEGER.
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    resource_type: ResourceType = Field(sa_type=String(32), index=True)
    resource_id: uuid.UUID = Field(index=True)
    action: ChangeAction = Field(sa_type=String(16))
    changed_at: datetime
    actor: str = Field(max_length=200, description="The key's name (never the key), or 'seed'.")
    fields: list[dict[str, Any]] = Field(
        default=[],
        sa_column=Column(JSON, nullable=False),
        description="What changed: [{field, before, after}].",
    )
    record: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSON, nullable=True),
        description="The record as published after the change (absent for deletions).",
    )


class FieldChange(SQLModel):
    field: str
    before: Any = None
    after: Any = None


class ChangeHistoryEntry(SQLModel):
    """One applied change to a record, for administrators: who, when, what."""

    cursor: int
    action: ChangeAction
    changed_at: datetime
    actor: str
    fields: list[FieldChange] = []


class ChangeFeedEntry(SQLModel):
    """One entry of the public feed: enough to mirror the directory exactly."""

    cursor: int
    resource_type: ResourceType
    resource_id: uuid.UUID
    action: ChangeAction
    changed_at: datetime
    record: dict[str, Any] | None = Field(
        default=None, description="The record as published after the change; absent for deleted."
    )


class ChangeFeed(SQLModel):
    changes: list[ChangeFeedEntry]
    next_cursor: int = Field(description="Pass as `after` to read on from here.")
