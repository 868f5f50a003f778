"""The shape of the seed files, built on the same Base models as the tables and the API."""

import re
import uuid
from typing import Literal

from pydantic import ConfigDict, Field, field_validator
from sqlmodel import SQLModel

from models.contact_details import (
    ContactBase,
    LanguageBase,
    PhoneBase,
    ScheduleBase,
    ServiceAreaBase,
)
from models.guidance import GuidanceBase
from models.organization import OrganizationBase
from models.reporting_channel import ReportingChannelBase
from models.service import ServiceBase
from models.source import SourceBase
from models.taxonomy import TaxonomyBase, TaxonomyTermBase

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TERM_REF = re.compile(r"^[a-z0-9-]+/[a-z0-9-]+$")
STRICT = ConfigDict(extra="forbid")


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError("must be lowercase letters, digits and single hyphens")
    return value


class SeedCitation(SQLModel):
    model_config = STRICT
    source: str = Field(max_length=64)
    section: str | None = Field(default=None, max_length=255)
    note: str | None = Field(default=None, max_length=2000)


Citations = list[SeedCitation]


class SeedRecord(SQLModel):
    model_config = STRICT
    slug: str = Field(max_length=100)
    sources: Citations = Field(min_length=1)

    @field_validator("slug")
    @classmethod
    def _valid_slug(cls, value: str) -> str:
        return _slug(value)


class SeedSource(SourceBase):
    model_config = STRICT


class SeedTerm(TaxonomyTermBase):
    model_config = STRICT
    slug: str = Field(max_length=100)
    parent: str | None = None
    parent_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None

    _valid_slug = field_validator("slug")(lambda cls, v: _slug(v))


class SeedTaxonomy(TaxonomyBase, SeedRecord):
    terms: list[SeedTerm] = Field(min_length=1)


class SeedPhone(PhoneBase):
    model_config = STRICT


class SeedContact(ContactBase):
    model_config = STRICT
    name: str = Field(max_length=255)


class SeedSchedule(ScheduleBase):
    model_config = STRICT


class SeedServiceArea(ServiceAreaBase):
    model_config = STRICT


class SeedLanguage(LanguageBase):
    model_config = STRICT
    code: str = Field(max_length=16)


Delivery = Literal["phone", "online", "in_person", "app"]


def _term_refs(values: list[str]) -> list[str]:
    for value in values:
        if not TERM_REF.match(value):
            raise ValueError(f"{value!r} is not a 'taxonomy/term' reference")
    return values


class SeedService(ServiceBase, SeedRecord):
    organization_id: uuid.UUID | None = None  # type: ignore[assignment]
    delivery: list[Delivery] = []
    taxonomy_terms: list[str] = []
    service_areas: list[SeedServiceArea] = []
    phones: list[SeedPhone] = []
    contacts: list[SeedContact] = []
    schedules: list[SeedSchedule] = []
    languages: list[SeedLanguage] = []

    _valid_terms = field_validator("taxonomy_terms")(lambda cls, v: _term_refs(v))


class SeedOrganization(OrganizationBase, SeedRecord):
    attributes: list[str] = []
    services: list[SeedService] = []

    _valid_terms = field_validator("attributes")(lambda cls, v: _term_refs(v))


class SeedReportingChannel(ReportingChannelBase, SeedRecord):
    organization_id: uuid.UUID | None = None  # type: ignore[assignment]
    organization: str
    service: str | None = None


class SeedGuidance(GuidanceBase, SeedRecord):
    pass
