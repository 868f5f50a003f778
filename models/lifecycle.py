"""What every editable record carries besides its HSDS fields: a write version and retirement."""

from datetime import datetime

from sqlmodel import Field, SQLModel


class Editable(SQLModel):
    # Bumped by every write, first thing in its transaction: the row lock that makes
    # concurrent writers to one record take turns (see api/writes/records.py).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # Set by DELETE: the record leaves every read, its row (and history) stays.
    retired_at: datetime | None = Field(default=None, index=True)
