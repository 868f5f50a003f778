"""Domain extension: typed ways to report stalking or get urgent help (999, 18000, 55 …)."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, field_validator, model_validator
from sqlalchemy import JSON, Column, String
from sqlmodel import Field, Relationship, SQLModel

from models.base import utcnow
from models.lifecycle import Editable
from models.phone_number import normalise_phone_number
from models.source import Citation, CitationPublic
from models.text import NAME_MAX, TEXT_MAX, URL_MAX, CleanText, HttpUrl


class Urgency(StrEnum):
    emergency = "emergency"
    non_emergency = "non_emergency"


class ChannelMethod(StrEnum):
    voice = "voice"
    sms = "sms"
    textphone = "textphone"
    silent_call = "silent_call"
    online = "online"
    in_person = "in_person"


class SuitableFor(StrEnum):
    anyone = "anyone"
    cannot_speak = "cannot_speak"
    deaf_or_speech_impaired = "deaf_or_speech_impaired"
    hard_of_hearing = "hard_of_hearing"
    textphone_user = "textphone_user"
    registered_emergency_sms_user = "registered_emergency_sms_user"
    in_immediate_danger = "in_immediate_danger"


Step = CleanText


class ReportingChannelBase(SQLModel):
    name: CleanText = Field(max_length=NAME_MAX)
    description: CleanText = Field(max_length=TEXT_MAX)
    urgency: Urgency = Field(sa_type=String(32), index=True)
    method: ChannelMethod = Field(sa_type=String(32), index=True)
    number: str | None = Field(default=None, max_length=32)
    url: HttpUrl | None = Field(default=None, max_length=URL_MAX)
    steps: list[Step] = Field(default=[], sa_column=Column(JSON, nullable=False), max_length=50)
    requirements: list[Step] = Field(
        default=[], sa_column=Column(JSON, nullable=False), max_length=50
    )
    suitable_for: list[SuitableFor] = Field(
        default=[], sa_column=Column(JSON, nullable=False), max_length=20
    )
    service_areas: list[CleanText] = Field(
        default=[], sa_column=Column(JSON, nullable=False), max_length=50
    )
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    service_id: uuid.UUID | None = Field(default=None, foreign_key="service.id", index=True)

    @field_validator("number")
    @classmethod
    def _valid_number(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone_number(value)

    @model_validator(mode="after")
    def _reachable(self) -> "ReportingChannelBase":
        if self.method not in (ChannelMethod.in_person,) and not (self.number or self.url):
            raise ValueError("a channel needs a number or a url")
        return self


class ReportingChannel(ReportingChannelBase, Editable, table=True):
    __tablename__ = "reporting_channel"

    id: uuid.UUID = Field(primary_key=True)
    last_modified: datetime = Field(default_factory=utcnow, index=True)
    sources: list[Citation] = Relationship(
        sa_relationship_kwargs={"order_by": "Citation.id", "lazy": "selectin"}
    )


class ReportingChannelPublic(ReportingChannelBase):
    id: uuid.UUID
    last_modified: datetime
    sources: list[CitationPublic] = []


class ReportingChannelWrite(ReportingChannelBase):
    model_config = ConfigDict(extra="forbid")
