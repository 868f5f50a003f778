"""HSDS service: the help itself, with everything a person needs to reach it."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict, model_validator
from sqlalchemy import Index, String, text
from sqlmodel import Field, Relationship, SQLModel

from models.attribute import Attribute, AttributePublic, AttributeWrite
from models.base import utcnow
from models.contact_details import (
    Contact,
    ContactPublic,
    ContactWrite,
    Language,
    LanguagePublic,
    LanguageWrite,
    Phone,
    PhonePublic,
    PhoneWrite,
    Schedule,
    SchedulePublic,
    ScheduleWrite,
    ServiceArea,
    ServiceAreaPublic,
    ServiceAreaWrite,
)
from models.lifecycle import Editable
from models.location import ServiceAtLocation, ServiceAtLocationPublic
from models.organization import Organization, OrganizationPublic
from models.source import Citation, CitationPublic
from models.text import NAME_MAX, TEXT_MAX, URL_MAX, CleanText, Email, HttpUrl


class ServiceStatus(StrEnum):
    active = "active"
    inactive = "inactive"
    defunct = "defunct"
    temporarily_closed = "temporarily closed"


class ServiceBase(SQLModel):
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    name: CleanText = Field(max_length=NAME_MAX)
    alternate_name: CleanText | None = Field(default=None, max_length=NAME_MAX)
    description: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    url: HttpUrl | None = Field(default=None, max_length=URL_MAX)
    email: Email | None = Field(default=None, max_length=NAME_MAX)
    status: ServiceStatus = Field(default=ServiceStatus.active, sa_type=String(32))
    interpretation_services: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    application_process: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    fees_description: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    wait_time: CleanText | None = Field(default=None, max_length=NAME_MAX)
    eligibility_description: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    minimum_age: int | None = Field(default=None, ge=0, le=150)
    maximum_age: int | None = Field(default=None, ge=0, le=150)
    alert: CleanText | None = Field(default=None, max_length=TEXT_MAX)

    @model_validator(mode="after")
    def _ages_in_order(self) -> "ServiceBase":
        if (
            self.minimum_age is not None
            and self.maximum_age is not None
            and self.minimum_age > self.maximum_age
        ):
            raise ValueError("minimum_age must not be greater than maximum_age")
        return self


def _children(target: str) -> Relationship:  # type: ignore[valid-type]
    return Relationship(sa_relationship_kwargs={"order_by": f"{target}.id", "lazy": "selectin"})


class Service(ServiceBase, Editable, table=True):
    __table_args__ = (
        # A page of the unfiltered list, deep or not, walks this index alone: the live
        # services in list order (name, id), with their ages for an age filter's page;
        # partial, so a retired service costs nothing.
        Index(
            "ix_service_live_list",
            "name",
            "id",
            "minimum_age",
            "maximum_age",
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
        # An age filter's count from its index alone.
        Index(
            "ix_service_live_minimum_age",
            "minimum_age",
            "name",
            "id",
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
        Index(
            "ix_service_live_maximum_age",
            "maximum_age",
            "name",
            "id",
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    assured_date: date | None = Field(default=None)
    last_modified: datetime = Field(default_factory=utcnow, index=True)

    organization: Organization = Relationship(sa_relationship_kwargs={"lazy": "joined"})
    phones: list[Phone] = _children("Phone")
    schedules: list[Schedule] = _children("Schedule")
    service_areas: list[ServiceArea] = _children("ServiceArea")
    service_at_locations: list[ServiceAtLocation] = Relationship(
        back_populates="service", sa_relationship_kwargs={"order_by": "ServiceAtLocation.id"}
    )
    languages: list[Language] = _children("Language")
    contacts: list[Contact] = _children("Contact")
    sources: list[Citation] = _children("Citation")
    attributes: list[Attribute] = Relationship(
        sa_relationship_kwargs={
            "primaryjoin": "and_(Service.id == foreign(Attribute.link_id),"
            " Attribute.link_entity == 'service')",
            "order_by": "Attribute.id",
            "viewonly": True,
        }
    )


class ServiceSummary(ServiceBase):
    """A service's own fields, as listed inside its organisation."""

    id: uuid.UUID
    assured_date: date | None = None
    last_modified: datetime


class ServicePublic(ServiceSummary):
    """A list item: the service's own fields and its organisation, no other nesting."""

    organization: OrganizationPublic


class ServiceFull(ServicePublic):
    """A fully nested service, as `/services/{id}` returns it."""

    phones: list[PhonePublic] = []
    schedules: list[SchedulePublic] = []
    service_areas: list[ServiceAreaPublic] = []
    service_at_locations: list[ServiceAtLocationPublic] = []
    languages: list[LanguagePublic] = []
    contacts: list[ContactPublic] = []
    attributes: list[AttributePublic] = []
    sources: list[CitationPublic] = Field(
        default=[], description="Extension: the sources that back this record's facts."
    )


class ServiceMinimal(SQLModel):
    """For sync clients: just enough to know what changed."""

    id: uuid.UUID
    last_modified: datetime


class ServiceWrite(ServiceBase):
    """What a client may set on a service: its own fields and its nested lists, each
    replaced whole."""

    model_config = ConfigDict(extra="forbid")
    phones: list[PhoneWrite] = Field(default=[], max_length=50)
    schedules: list[ScheduleWrite] = Field(default=[], max_length=50)
    service_areas: list[ServiceAreaWrite] = Field(default=[], max_length=200)
    languages: list[LanguageWrite] = Field(default=[], max_length=100)
    contacts: list[ContactWrite] = Field(default=[], max_length=50)
    attributes: list[AttributeWrite] = Field(default=[], max_length=100)
