"""HSDS phone, contact, schedule, service_area and language: the details hung off a service."""

import uuid
from enum import StrEnum

from pydantic import ConfigDict, field_validator
from sqlalchemy import String
from sqlmodel import Field, Relationship, SQLModel

from models.phone_number import normalise_phone_number
from models.text import NAME_MAX, TEXT_MAX, URL_MAX, CleanText, Email, HttpUrl


class PhoneType(StrEnum):
    """HSDS phone types; `text` is a number you send SMS text messages to."""

    voice = "voice"
    text = "text"
    cell = "cell"
    textphone = "textphone"
    fax = "fax"
    video = "video"
    pager = "pager"


class PhoneBase(SQLModel):
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contact.id", index=True)
    number: str = Field(max_length=32)
    extension: int | None = Field(default=None, ge=0, le=99_999)
    type: PhoneType | None = Field(default=None, sa_type=String(16))
    description: CleanText | None = Field(default=None, max_length=TEXT_MAX)

    @field_validator("number")
    @classmethod
    def _valid_number(cls, value: str) -> str:
        return normalise_phone_number(value)


class Phone(PhoneBase, table=True):
    id: uuid.UUID = Field(primary_key=True)


class PhonePublic(PhoneBase):
    id: uuid.UUID


class ContactBase(SQLModel):
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)
    name: CleanText | None = Field(default=None, max_length=NAME_MAX)
    title: CleanText | None = Field(default=None, max_length=NAME_MAX)
    department: CleanText | None = Field(default=None, max_length=NAME_MAX)
    email: Email | None = Field(default=None, max_length=NAME_MAX)


class Contact(ContactBase, table=True):
    id: uuid.UUID = Field(primary_key=True)
    phones: list[Phone] = Relationship(sa_relationship_kwargs={"order_by": "Phone.number"})


class ContactPublic(ContactBase):
    id: uuid.UUID
    phones: list[PhonePublic] = []


class ScheduleFrequency(StrEnum):
    weekly = "WEEKLY"
    monthly = "MONTHLY"


class ScheduleBase(SQLModel):
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)
    freq: ScheduleFrequency | None = Field(default=None, sa_type=String(16))
    byday: CleanText | None = Field(default=None, max_length=64)
    opens_at: CleanText | None = Field(default=None, max_length=16)
    closes_at: CleanText | None = Field(default=None, max_length=16)
    valid_from: CleanText | None = Field(default=None, max_length=32)
    valid_to: CleanText | None = Field(default=None, max_length=32)
    description: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    notes: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    schedule_link: HttpUrl | None = Field(default=None, max_length=URL_MAX)


class Schedule(ScheduleBase, table=True):
    id: uuid.UUID = Field(primary_key=True)


class SchedulePublic(ScheduleBase):
    id: uuid.UUID


class ServiceAreaBase(SQLModel):
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)
    name: CleanText = Field(max_length=NAME_MAX)
    description: CleanText | None = Field(default=None, max_length=TEXT_MAX)
    extent_type: CleanText | None = Field(default=None, max_length=64)
    uri: HttpUrl | None = Field(default=None, max_length=URL_MAX)


class ServiceArea(ServiceAreaBase, table=True):
    __tablename__ = "service_area"

    id: uuid.UUID = Field(primary_key=True)


class ServiceAreaPublic(ServiceAreaBase):
    id: uuid.UUID


class LanguageBase(SQLModel):
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)
    name: CleanText | None = Field(default=None, max_length=NAME_MAX)
    code: CleanText | None = Field(default=None, max_length=16)
    note: CleanText | None = Field(default=None, max_length=TEXT_MAX)


class Language(LanguageBase, table=True):
    id: uuid.UUID = Field(primary_key=True)


class LanguagePublic(LanguageBase):
    id: uuid.UUID


class PhoneWrite(PhoneBase):
    """A phone as a client sends it; the owner ids are set by the server."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None


class ContactWrite(ContactBase):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None
    phones: list[PhoneWrite] = Field(default=[], max_length=20)


class ScheduleWrite(ScheduleBase):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None


class ServiceAreaWrite(ServiceAreaBase):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None


class LanguageWrite(LanguageBase):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None
