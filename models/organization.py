"""HSDS organization: who runs the services."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ConfigDict
from sqlmodel import Field, Relationship, SQLModel

from models.base import utcnow
from models.lifecycle import Editable
from models.source import Citation
from models.text import NAME_MAX, TEXT_MAX, URL_MAX, CleanText, Email, HttpUrl

if TYPE_CHECKING:
    from models.attribute import Attribute
    from models.contact_details import Contact, Phone
    from models.location import Location
    from models.service import Service


class OrganizationBase(SQLModel):
    name: CleanText = Field(max_length=NAME_MAX)
    alternate_name: CleanText | None = Field(default=None, max_length=NAME_MAX)
    description: CleanText = Field(max_length=TEXT_MAX)
    email: Email | None = Field(default=None, max_length=NAME_MAX)
    website: HttpUrl | None = Field(default=None, max_length=URL_MAX)
    logo: HttpUrl | None = Field(default=None, max_length=URL_MAX)
    uri: HttpUrl | None = Field(default=None, max_length=URL_MAX)
    parent_organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")


class Organization(OrganizationBase, Editable, table=True):
    id: uuid.UUID = Field(primary_key=True)
    last_modified: datetime = Field(default_factory=utcnow, index=True)
    sources: list[Citation] = Relationship(
        sa_relationship_kwargs={"order_by": "Citation.id", "lazy": "selectin"}
    )
    services: list["Service"] = Relationship(
        sa_relationship_kwargs={
            # A retired service leaves every read, its organisation's list included.
            "primaryjoin": "and_(Organization.id == Service.organization_id,"
            " Service.retired_at == None)",
            "order_by": "(Service.name, Service.id)",
            "viewonly": True,
        }
    )
    phones: list["Phone"] = Relationship(
        sa_relationship_kwargs={
            "primaryjoin": "and_(Organization.id == Phone.organization_id,"
            " Phone.service_id == None)",
            "order_by": "Phone.id",
            "viewonly": True,
        }
    )
    contacts: list["Contact"] = Relationship(
        sa_relationship_kwargs={
            "primaryjoin": "and_(Organization.id == Contact.organization_id,"
            " Contact.service_id == None)",
            "order_by": "Contact.id",
            "viewonly": True,
        }
    )
    locations: list["Location"] = Relationship(
        sa_relationship_kwargs={"order_by": "Location.id", "viewonly": True}
    )
    attributes: list["Attribute"] = Relationship(
        sa_relationship_kwargs={
            "primaryjoin": "and_(Organization.id == foreign(Attribute.link_id),"
            " Attribute.link_entity == 'organization')",
            "order_by": "Attribute.id",
            "viewonly": True,
        }
    )


class OrganizationPublic(OrganizationBase):
    """The flat organisation of HSDS lists and of a service's `organization`."""

    id: uuid.UUID


class OrganizationWrite(OrganizationBase):
    model_config = ConfigDict(extra="forbid")
