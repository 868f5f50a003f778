"""Domain extension: what the sources advise, as ordered items (evidence, safety, the law)."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, String
from sqlmodel import Field, Relationship, SQLModel

from models.base import utcnow
from models.lifecycle import Editable
from models.source import Citation, CitationPublic
from models.text import NAME_MAX, TEXT_MAX, CleanText


class GuidanceCategory(StrEnum):
    definition = "definition"
    evidence = "evidence"
    personal_safety = "personal_safety"
    reporting = "reporting"
    law = "law"


class GuidanceBase(SQLModel):
    name: CleanText = Field(max_length=NAME_MAX)
    description: CleanText = Field(max_length=TEXT_MAX)
    category: GuidanceCategory = Field(sa_type=String(32), index=True)
    items: list[CleanText] = Field(
        default=[], sa_column=Column(JSON, nullable=False), max_length=100
    )


class Guidance(GuidanceBase, Editable, table=True):
    id: uuid.UUID = Field(primary_key=True)
    last_modified: datetime = Field(default_factory=utcnow, index=True)
    sources: list[Citation] = Relationship(
        sa_relationship_kwargs={"order_by": "Citation.id", "lazy": "selectin"}
    )


class GuidancePublic(GuidanceBase):
    id: uuid.UUID
    last_modified: datetime
    sources: list[CitationPublic] = []


class GuidanceWrite(GuidanceBase):
    model_config = ConfigDict(extra="forbid")
