"""HSDS location and service_at_location; phone and online help are virtual locations."""

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlmodel import Field, Relationship, SQLModel

from models.text import NAME_MAX, TEXT_MAX, URL_MAX, CleanText, HttpUrl

if TYPE_CHECKING:
    from models.service import Service


class LocationType(StrEnum):
    physical = "physical"
    postal = "postal"
    virtual = "virtual"


class LocationBase(SQLModel):
    location_type: LocationType = Field(sa_type=String(16))
    url: HttpUrl | None = Field(default=None, max_length=URL_MAX)
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    name: CleanText | None = Field(default=None, max_length=NAME_MAX)
    description: CleanText | None = Field(default=None, max_length=TEXT_MAX)


class Location(LocationBase, table=True):
    id: uuid.UUID = Field(primary_key=True)


class LocationPublic(LocationBase):
    id: uuid.UUID


class ServiceAtLocationBase(SQLModel):
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True)
    location_id: uuid.UUID = Field(foreign_key="location.id", index=True)
    description: CleanText | None = Field(default=None, max_length=TEXT_MAX)


class ServiceAtLocation(ServiceAtLocationBase, table=True):
    __tablename__ = "service_at_location"

    id: uuid.UUID = Field(primary_key=True)
    location: Location = Relationship(sa_relationship_kwargs={"lazy": "joined"})
    service: "Service" = Relationship(back_populates="service_at_locations")


class ServiceAtLocationPublic(ServiceAtLocationBase):
    id: uuid.UUID
    location: LocationPublic
