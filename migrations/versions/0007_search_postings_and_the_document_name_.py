"""search postings and prefix counts, and search documents in name order

`search_posting` (models/search_posting.py): each live service under each word of its
names and taxonomy terms, in the order a one-word search lists them, so a page of a common
word reads an index range instead of ranking every match. `search_prefix`
(models/search_prefix.py): how many services have a word starting with each prefix, a
one-word search's count. Both are filled here from the search documents, which hold the
words already folded.

`ix_search_document_name`: the documents in name order, for the services a search finds
only in descriptions (they rank last, by name).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:38:45.751442
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORD = sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql")
# The classes of a document's words that are posted, with their place (heaviest first).
PLACES = {"name": 0, "other_names": 1, "terms": 2}
BATCH = 5000


def _prefixes(row: sa.Row[tuple[object, ...]]) -> set[str]:
    found = {""}  # every document's: its row counts them
    for name in (*PLACES, "body"):
        for word in (getattr(row, name) or "").split():
            found.update(word[:end] for end in range(1, len(word) + 1))
    return found


def _fill() -> None:
    """Postings from the documents, a batch at a time, through plain Core tables (this
    revision's shape, not the models')."""
    document = sa.table(
        "search_document",
        sa.column("service_id", sa.Uuid()),
        sa.column("service_name", sa.String()),
        *(sa.column(name, sa.Text()) for name in (*PLACES, "body")),
    )
    posting = sa.table(
        "search_posting",
        sa.column("service_id", sa.Uuid()),
        sa.column("word", sa.String()),
        sa.column("place", sa.Integer()),
        sa.column("service_name", sa.String()),
    )
    prefix = sa.table(
        "search_prefix", sa.column("prefix", sa.String()), sa.column("services", sa.Integer())
    )
    connection = op.get_bind()
    counts: Counter[str] = Counter()
    found = connection.execute(sa.select(document).execution_options(yield_per=BATCH))
    for rows in found.partitions():
        batch = [
            {"service_id": row.service_id, "word": word, "place": place,
             "service_name": row.service_name}
            for row in rows
            for name, place in PLACES.items()
            for word in (getattr(row, name) or "").split()
        ]  # fmt: skip
        if batch:
            connection.execute(posting.insert(), batch)
        for row in rows:
            counts.update(_prefixes(row))
    counted = [{"prefix": p, "services": n} for p, n in counts.items()]
    for start in range(0, len(counted), BATCH):
        connection.execute(prefix.insert(), counted[start : start + BATCH])


def upgrade() -> None:
    op.create_table(
        "search_posting",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("word", WORD, nullable=False),
        sa.Column("place", sa.Integer(), nullable=False),
        sa.Column("service_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_search_posting_service_id_service")
        ),
        sa.PrimaryKeyConstraint("service_id", "word", name=op.f("pk_search_posting")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "search_prefix",
        sa.Column("prefix", sa.String(length=64), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_search_prefix")),
    )
    _fill()
    op.create_index(
        "ix_search_posting_list",
        "search_posting",
        ["word", "place", "service_name", "service_id"],
        unique=False,
    )
    # Not in batch mode: on SQLite that would rebuild search_document without its FTS5
    # triggers.
    op.create_index(
        "ix_search_document_name", "search_document", ["service_name", "service_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_search_document_name", table_name="search_document")
    op.drop_index("ix_search_posting_list", table_name="search_posting")
    op.drop_table("search_posting")
    op.drop_table("search_prefix")
