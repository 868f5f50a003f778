"""native full-text search: search_document indexed by FTS5 (SQLite) or GIN (PostgreSQL)

Replaces the portable word table `search_term` with one row per service holding its folded
words by weight class (`search_document`), indexed by each engine's own full-text index:
an external-content FTS5 table `search_fts` kept in step by triggers on SQLite; on
PostgreSQL a generated tsvector column `search_document.vector` with a GIN index. The
documents are built from the rows already in `search_term`, in SQL; downgrade rebuilds
`search_term` from them.

The DDL is written out here rather than imported, so this revision keeps doing what it
did when api/search.py changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# search_term weights, and the search_document column holding each weight class.
CLASSES = (("name", 10), ("other_names", 6), ("terms", 3), ("body", 1))

# The folded words are already split by the application; the engines only need to cut at
# spaces. FTS5's `ascii` tokenizer does exactly that for our words (ASCII letters and
# digits, and any non-ASCII character, are word characters), and prefix indexes of 2 and
# 3 characters keep short prefix queries cheap.
SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "name, other_names, terms, body, content='search_document', content_rowid='id', "
    "tokenize='ascii', prefix='2 3')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, name, other_names, terms, body) "
    "VALUES (new.id, new.name, new.other_names, new.terms, new.body); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, name, other_names, terms, body) "
    "VALUES ('delete', old.id, old.name, old.other_names, old.terms, old.body); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, name, other_names, terms, body) "
    "VALUES ('delete', old.id, old.name, old.other_names, old.terms, old.body); "
    "INSERT INTO search_fts(rowid, name, other_names, terms, body) "
    "VALUES (new.id, new.name, new.other_names, new.terms, new.body); END",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
]

# The words become lexemes as they are (no parser, no dictionary), so PostgreSQL sees
# exactly the words SQLite sees. IMMUTABLE: it depends on its arguments only, which lets a
# generated column use it. The vector is stored, not an index expression: ranking a
# common word reads every match, and rebuilding each one's vector would cost ~10 µs.
POSTGRESQL_UP = [
    "CREATE FUNCTION helpdir_search_vector("
    "name text, other_names text, terms text, body text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$ "
    "SELECT array_to_tsvector(array_remove(string_to_array("
    "name || other_names || terms || body, ' '), '')) $$",
    "ALTER TABLE search_document ADD COLUMN vector tsvector "
    "GENERATED ALWAYS AS (helpdir_search_vector(name, other_names, terms, body)) STORED",
    "CREATE INDEX ix_search_document_vector ON search_document USING gin (vector)",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_search_document_vector",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS vector",
    "DROP FUNCTION IF EXISTS helpdir_search_vector(text, text, text, text)",
]


def _documents_from_terms(dialect: str) -> str:
    """search_term rows grouped into one document per live service, in SQL."""

    def words(condition: str) -> str:
        # ' a b ' (or '' for no words): see models/search_document.py. Words sorted, as the
        # application writes them (SQLite 3.40 has no ORDER BY in aggregates, but keeps
        # the order of the ordered subquery below).
        term = f"CASE WHEN {condition} THEN t.term END"
        joined = (
            f"group_concat({term}, ' ')"
            if dialect == "sqlite"
            else f"string_agg({term}, ' ' ORDER BY t.term)"
        )
        return f"coalesce(' ' || {joined} || ' ', '')"

    return (
        "INSERT INTO search_document (service_id, name, other_names, terms, body) "
        f"SELECT t.service_id, {words('t.weight >= 10')}, "
        f"{words('t.weight >= 6 AND t.weight < 10')}, "
        f"{words('t.weight >= 3 AND t.weight < 6')}, {words('t.weight < 3')} "
        "FROM (SELECT service_id, term, weight FROM search_term ORDER BY service_id, term) t "
        "JOIN service s ON s.id = t.service_id "
        "WHERE s.retired_at IS NULL GROUP BY t.service_id"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "search_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("other_names", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_search_document_service_id_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_document")),
        sa.UniqueConstraint("service_id", name=op.f("uq_search_document_service_id")),
    )
    op.execute(_documents_from_terms(dialect))
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP:
        op.execute(statement)
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_term_term"))
    op.drop_table("search_term")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "search_term",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_search_term_service_id_service")
        ),
        sa.PrimaryKeyConstraint("service_id", "term", name=op.f("pk_search_term")),
    )
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_term_term"), ["term"], unique=False)
    _terms_from_documents()
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRESQL_DOWN:
        op.execute(statement)
    op.drop_table("search_document")


def _terms_from_documents(chunk: int = 5000) -> None:
    """Each word of a document becomes a search_term row with its class's weight (each word
    is stored once, in its heaviest class, which is what search_term kept)."""
    bind = op.get_bind()
    document = sa.table(
        "search_document",
        sa.column("service_id", sa.Uuid()),
        *(sa.column(column, sa.Text()) for column, _ in CLASSES),
    )
    term = sa.table(
        "search_term",
        sa.column("service_id", sa.Uuid()),
        sa.column("term", sa.String()),
        sa.column("weight", sa.Integer()),
    )
    rows: list[dict[str, object]] = []
    for doc in bind.execute(sa.select(document)).mappings().all():
        for column, weight in CLASSES:
            rows += [
                {"service_id": doc["service_id"], "term": word, "weight": weight}
                for word in doc[column].split()
            ]
        if len(rows) >= chunk:
            bind.execute(term.insert(), rows)
            rows = []
    if rows:
        bind.execute(term.insert(), rows)
