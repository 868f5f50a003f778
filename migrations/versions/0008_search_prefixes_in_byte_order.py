"""search prefixes in byte order on PostgreSQL

`search_prefix.prefix` takes the "C" collation, as `search_posting.word` has since 0007: the
words a query word starts are then one index range whatever the database's collation, so
a several-word count can ask the engine for those exact words (api/search_counts.py
`words_starting`). SQLite already compares text byte by byte: nothing changes there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _prefix_type(type_: sa.types.TypeEngine[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("search_prefix", "prefix", type_=type_, existing_nullable=False)


def upgrade() -> None:
    _prefix_type(sa.String(length=64, collation="C"))


def downgrade() -> None:
    _prefix_type(sa.String(length=64))
