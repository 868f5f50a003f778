"""The search index's source: one row per service with its folded words by weight class.

The engines index these words themselves (SQLite: the FTS5 table `search_fts`; PostgreSQL:
a GIN index over a tsvector of them), built in migration 0004; see api/search.py.
"""

import uuid

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from models.text import NAME_MAX


class SearchDocument(SQLModel, table=True):
    __tablename__ = "search_document"
    __table_args__ = (
        # A search's services found only in descriptions are listed by name: walked here.
        Index("ix_search_document_name", "service_name", "service_id"),
    )

    # An INTEGER PRIMARY KEY is SQLite's rowid, which FTS5 uses as its own row id and
    # which (unlike an implicit rowid) VACUUM never renumbers.
    id: int | None = Field(default=None, primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", unique=True)
    # Each word appears once, in the heaviest class it occurs in; words are separated by
    # single spaces and the text starts and ends with a space (empty when no words), so
    # `LIKE '% word%'` is "some word starts with word" on both engines.
    name: str = Field(default="", sa_column=Column(Text, nullable=False))
    other_names: str = Field(default="", sa_column=Column(Text, nullable=False))
    terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    # The service's own name, as it sorts: a search-only page orders its matches without
    # reading `service` (a document exists only for a live service).
    service_name: str = Field(
        default="", max_length=NAME_MAX, sa_column_kwargs={"server_default": text("''")}
    )
