"""Shared pieces of every table: stable ids, timestamps and the constraint naming convention."""

import uuid
from datetime import UTC, datetime

from sqlmodel import SQLModel

# Stable constraint names on SQLite and PostgreSQL, so Alembic migrations stay portable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Namespace for UUIDv5 ids: never change it, or every published id changes.
ID_NAMESPACE = uuid.UUID("6f1c1f0e-5a51-4c53-9d0b-4e7d8f3a2b10")


def stable_id(kind: str, key: str) -> uuid.UUID:
    """Ids derive from a record's type and slug so they survive re-seeding and export/import."""
    return uuid.uuid5(ID_NAMESPACE, f"{kind}:{key}")


def utcnow() -> datetime:
    return datetime.now(UTC)
