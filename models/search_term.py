"""The search index: one row per (service, normalised word) with the word's weight."""

import uuid

from sqlmodel import Field, SQLModel


class SearchTerm(SQLModel, table=True):
    __tablename__ = "search_term"

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True)
    term: str = Field(max_length=64, primary_key=True, index=True)
    weight: int
