"""HSDS taxonomy and taxonomy_term: the vocabularies services are classified by."""

import uuid

from pydantic import ConfigDict
from sqlmodel import Field, Relationship, SQLModel

from models.lifecycle import Editable
from models.source import Citation, CitationPublic
from models.text import NAME_MAX, TEXT_MAX, URL_MAX, CleanText, HttpUrl


class TaxonomyBase(SQLModel):
    name: CleanText = Field(max_length=NAME_MAX)
    description: CleanText = Field(max_length=TEXT_MAX)
    uri: HttpUrl | None = Field(default=None, max_length=URL_MAX)
    version: CleanText | None = Field(default=None, max_length=64)


class Taxonomy(TaxonomyBase, table=True):
    id: uuid.UUID = Field(primary_key=True)
    terms: list["TaxonomyTerm"] = Relationship(back_populates="taxonomy_detail")
    sources: list[Citation] = Relationship(sa_relationship_kwargs={"order_by": "Citation.id"})


class TaxonomyPublic(TaxonomyBase):
    id: uuid.UUID


class TaxonomyFull(TaxonomyPublic):
    sources: list[CitationPublic] = []


class TaxonomyTermBase(SQLModel):
    code: CleanText | None = Field(default=None, max_length=NAME_MAX)
    name: CleanText = Field(max_length=NAME_MAX)
    description: CleanText = Field(max_length=TEXT_MAX)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="taxonomy_term.id", index=True)
    taxonomy_id: uuid.UUID | None = Field(default=None, foreign_key="taxonomy.id", index=True)
    language: CleanText | None = Field(default=None, max_length=16)
    term_uri: HttpUrl | None = Field(default=None, max_length=URL_MAX)


class TaxonomyTerm(TaxonomyTermBase, Editable, table=True):
    __tablename__ = "taxonomy_term"

    id: uuid.UUID = Field(primary_key=True)
    taxonomy_detail: Taxonomy | None = Relationship(
        back_populates="terms", sa_relationship_kwargs={"lazy": "joined"}
    )

    # HSDS carries the taxonomy's name as a plain string next to its id.
    @property
    def taxonomy(self) -> str | None:
        return self.taxonomy_detail.name if self.taxonomy_detail else None


class TaxonomyTermPublic(TaxonomyTermBase):
    id: uuid.UUID
    taxonomy: str | None = None
    taxonomy_detail: TaxonomyPublic | None = None


class TaxonomyTermWrite(TaxonomyTermBase):
    model_config = ConfigDict(extra="forbid")
    taxonomy_id: uuid.UUID  # type: ignore[assignment]  # a new term must name its taxonomy
