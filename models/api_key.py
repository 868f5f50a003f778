"""API keys of partners and administrators; only a hash of each key is stored."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Role(StrEnum):
    admin = "admin"
    partner = "partner"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    name: str = Field(max_length=100)
    role: Role = Field(sa_type=String(16))
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    key_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
