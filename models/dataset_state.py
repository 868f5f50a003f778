"""One row that names the version of the published directory as a whole.

Every write that changes what the read API shows bumps `version` as its first statement.
That UPDATE is also the one write lock: writers take turns, so change-feed cursors are
committed in order, and a reader that sees version N sees every change up to N. Response
caches in every process compare their entries against this number.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from models.base import utcnow


class DatasetState(SQLModel, table=True):
    __tablename__ = "dataset_state"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    changed_at: datetime = Field(default_factory=utcnow)
    previous_changed_at: datetime | None = None  # of the version before: see DatasetVersion
