"""Provenance: the documents and pages our facts come from, and which record cites which."""

import uuid

from sqlmodel import Field, Relationship, SQLModel

from models.text import NAME_MAX, TEXT_MAX, URL_MAX, CleanText, HttpUrl


class SourceBase(SQLModel):
    key: CleanText = Field(max_length=64, unique=True, index=True)
    title: CleanText = Field(max_length=NAME_MAX)
    url: HttpUrl = Field(max_length=URL_MAX)
    page_date: CleanText = Field(max_length=64, description="Date the page shows, or 'undated'.")
    note: CleanText | None = Field(default=None, max_length=TEXT_MAX)


class Source(SourceBase, table=True):
    id: uuid.UUID = Field(primary_key=True)


class Citation(SQLModel, table=True):
    """One record citing one source; exactly one of the owner columns is set."""

    id: uuid.UUID = Field(primary_key=True)
    source_id: uuid.UUID = Field(foreign_key="source.id", index=True)
    section: str | None = Field(default=None, max_length=NAME_MAX)
    note: str | None = Field(default=None, max_length=TEXT_MAX)
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)
    taxonomy_id: uuid.UUID | None = Field(default=None, foreign_key="taxonomy.id", index=True)
    reporting_channel_id: uuid.UUID | None = Field(
        default=None, foreign_key="reporting_channel.id", index=True
    )
    guidance_id: uuid.UUID | None = Field(default=None, foreign_key="guidance.id", index=True)

    source: Source = Relationship(sa_relationship_kwargs={"lazy": "joined"})

    # Read by the public schema below, so a citation shows its source inline.
    @property
    def title(self) -> str:
        return self.source.title

    @property
    def url(self) -> str:
        return self.source.url

    @property
    def page_date(self) -> str:
        return self.source.page_date

    @property
    def source_key(self) -> str:
        return self.source.key


class CitationPublic(SQLModel):
    """Extension field `sources` on a record: where its facts were taken from."""

    source_key: str
    title: str
    url: str
    page_date: str
    section: str | None = None
    note: str | None = None
