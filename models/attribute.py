"""HSDS attribute: links a service or organisation to a taxonomy term (type or audience)."""

import uuid
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import Index
from sqlmodel import Field, Relationship, SQLModel

from models.taxonomy import TaxonomyTerm, TaxonomyTermPublic
from models.text import NAME_MAX, CleanText


class AttributeBase(SQLModel):
    link_id: uuid.UUID
    link_type: CleanText | None = Field(default=None, max_length=64)
    link_entity: CleanText = Field(
        max_length=64, description="Table of link_id: service or organization."
    )
    taxonomy_term_id: uuid.UUID = Field(foreign_key="taxonomy_term.id")
    value: CleanText | None = Field(default=None, max_length=NAME_MAX)


class Attribute(AttributeBase, table=True):
    __table_args__ = (
        # The services filed under some terms, read from the index alone (a taxonomy
        # filter's page and count); it also serves the foreign key.
        Index("ix_attribute_term_entity_link", "taxonomy_term_id", "link_entity", "link_id"),
        # Whether one service is under some terms, from the index alone: a filtered page
        # walks the services in list order and asks this for each one.
        Index("ix_attribute_link_entity_term", "link_id", "link_entity", "taxonomy_term_id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    taxonomy_term: TaxonomyTerm = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class AttributePublic(AttributeBase):
    id: uuid.UUID
    taxonomy_term: TaxonomyTermPublic


class AttributeWrite(AttributeBase):
    """An attribute as sent: only `taxonomy_term_id` (and `value`) matter; the link is set
    by the server and an echoed `taxonomy_term` is ignored."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None
    link_id: uuid.UUID | None = None  # type: ignore[assignment]
    link_entity: str | None = None  # type: ignore[assignment]
    taxonomy_term: dict[str, Any] | None = Field(default=None, exclude=True)
