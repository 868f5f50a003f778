"""A partner's safety-critical change, held for an administrator to approve or reject."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.change import ResourceType


class RequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class RequestAction(StrEnum):
    create = "create"
    update = "update"


class ChangeRequestBase(SQLModel):
    resource_type: ResourceType = Field(sa_type=String(32))
    resource_id: uuid.UUID = Field(index=True)
    action: RequestAction = Field(sa_type=String(16))
    body: dict[str, Any] = Field(
        sa_column=Column(JSON, nullable=False),
        description="The merge patch (update) or the new record (create), as sent.",
    )
    base_etag: str | None = Field(
        default=None, max_length=100, description="The ETag the change was made against."
    )
    organization_id: uuid.UUID | None = Field(default=None, index=True)
    status: RequestStatus = Field(default=RequestStatus.pending, sa_type=String(16), index=True)
    requested_by: str = Field(max_length=100)
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=2000)


class ChangeRequest(ChangeRequestBase, table=True):
    __tablename__ = "change_request"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)


class ChangeRequestPublic(ChangeRequestBase):
    id: uuid.UUID
