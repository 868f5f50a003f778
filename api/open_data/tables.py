"""The tables of the package: their HSDS (or extension) names, columns in HSDS order, and
which rows are published. One description serves the export, datapackage.json and the import,
so the three cannot drift apart."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlmodel import SQLModel

from models import (
    Attribute,
    Citation,
    Contact,
    Guidance,
    Language,
    Location,
    Organization,
    Phone,
    ReportingChannel,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Source,
    Taxonomy,
    TaxonomyTerm,
)

EXTENSION_PREFIX = "helpdir_"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"  # a Table Schema type: string, number, integer, date, datetime, array
    format: str | None = None  # uuid, email, uri
    references: str | None = None  # the resource whose `id` this column holds


@dataclass(frozen=True)
class Table:
    name: str  # the resource name: the HSDS table name, or helpdir_* for an extension
    path: str
    model: Any  # the SQLModel table class
    columns: tuple[Column, ...]
    description: str

    @property
    def hsds(self) -> bool:
        return not self.name.startswith(EXTENSION_PREFIX)

    def required(self, column: Column) -> bool:
        """NOT NULL in our schema; `taxonomy` of a term is derived, so never required."""
        sql = self.model.__table__.c.get(column.name)
        return sql is not None and not sql.nullable


def _id() -> Column:
    return Column("id", format="uuid")


def _ref(name: str, resource: str) -> Column:
    return Column(name, format="uuid", references=resource)


def _text(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n) for n in names)


URI = "uri"
EMAIL = "email"

ORGANIZATION = Table(
    "organization",
    "organizations.csv",
    Organization,
    (
        _id(),
        *_text("name", "alternate_name", "description"),
        Column("email", format=EMAIL),
        Column("website", format=URI),
        Column("logo"),
        Column("uri", format=URI),
        _ref("parent_organization_id", "organization"),
    ),
    "Who runs the services.",
)
SERVICE = Table(
    "service",
    "services.csv",
    Service,
    (
        _id(),
        _ref("organization_id", "organization"),
        *_text("name", "alternate_name", "description"),
        Column("url", format=URI),
        Column("email", format=EMAIL),
        *_text(
            "status",
            "interpretation_services",
            "application_process",
            "fees_description",
            "wait_time",
            "eligibility_description",
        ),
        Column("minimum_age", "number"),
        Column("maximum_age", "number"),
        Column("assured_date", "date"),
        Column("alert"),
        Column("last_modified", "datetime"),
    ),
    "The help itself: what it is, who runs it, who it is for.",
)
ATTRIBUTE = Table(
    "attribute",
    "attributes.csv",
    Attribute,
    (
        _id(),
        Column("link_id", format="uuid"),  # a service or an organization, per link_entity
        _ref("taxonomy_term_id", "taxonomy_term"),
        *_text("link_type", "link_entity", "value"),
    ),
    "Links a service or organization to a taxonomy term (service type or audience).",
)
SERVICE_AT_LOCATION = Table(
    "service_at_location",
    "service_at_location.csv",  # sic: tabular.json names this one file in the singular
    ServiceAtLocation,
    (
        _id(),
        _ref("service_id", "service"),
        _ref("location_id", "location"),
        Column("description"),
    ),
    "Where a service is given; phone and online help are virtual locations.",
)
LOCATION = Table(
    "location",
    "locations.csv",
    Location,
    (
        _id(),
        Column("location_type"),
        Column("url", format=URI),
        _ref("organization_id", "organization"),
        *_text("name", "description"),
    ),
    "Places, physical or virtual, where services are given.",
)
PHONE = Table(
    "phone",
    "phones.csv",
    Phone,
    (
        _id(),
        _ref("service_id", "service"),
        _ref("organization_id", "organization"),
        _ref("contact_id", "contact"),
        Column("number"),
        Column("extension", "number"),
        *_text("type", "description"),
    ),
    "Phone numbers of services, organizations and contacts, typed (voice, text, textphone…).",
)
CONTACT = Table(
    "contact",
    "contacts.csv",
    Contact,
    (
        _id(),
        _ref("organization_id", "organization"),
        _ref("service_id", "service"),
        *_text("name", "title", "department"),
        Column("email", format=EMAIL),
    ),
    "Named contacts of services and organizations.",
)
SCHEDULE = Table(
    "schedule",
    "schedules.csv",
    Schedule,
    (
        _id(),
        _ref("service_id", "service"),
        # Stored as given (free text), so typed as strings here rather than date and time.
        *_text("valid_from", "valid_to", "freq", "byday", "description", "opens_at", "closes_at"),
        Column("schedule_link", format=URI),
        Column("notes"),
    ),
    "When services are open.",
)
SERVICE_AREA = Table(
    "service_area",
    "service_areas.csv",
    ServiceArea,
    (
        _id(),
        _ref("service_id", "service"),
        *_text("name", "description", "extent_type", "uri"),
    ),
    "The areas a service covers.",
)
LANGUAGE = Table(
    "language",
    "languages.csv",
    Language,
    (_id(), _ref("service_id", "service"), *_text("name", "code", "note")),
    "Languages a service is given in.",
)
TAXONOMY_TERM = Table(
    "taxonomy_term",
    "taxonomy_terms.csv",
    TaxonomyTerm,
    (
        _id(),
        *_text("code", "name", "description"),
        _ref("parent_id", "taxonomy_term"),
        Column("taxonomy"),  # the name of the term's taxonomy, as HSDS has it
        Column("language"),
        _ref("taxonomy_id", "taxonomy"),
        Column("term_uri", format=URI),
    ),
    "Service types and audiences.",
)
TAXONOMY = Table(
    "taxonomy",
    "taxonomies.csv",
    Taxonomy,
    (_id(), *_text("name", "description"), Column("uri", format=URI), Column("version")),
    "The vocabularies the terms belong to.",
)
SOURCE = Table(
    "helpdir_source",
    "helpdir_sources.csv",
    Source,
    (_id(), *_text("key", "title"), Column("url", format=URI), *_text("page_date", "note")),
    "Extension (not HSDS): the public pages and documents the facts come from.",
)
CITATION = Table(
    "helpdir_citation",
    "helpdir_citations.csv",
    Citation,
    (
        _id(),
        _ref("source_id", "helpdir_source"),
        *_text("section", "note"),
        _ref("organization_id", "organization"),
        _ref("service_id", "service"),
        _ref("taxonomy_id", "taxonomy"),
        _ref("reporting_channel_id", "helpdir_reporting_channel"),
        _ref("guidance_id", "helpdir_guidance"),
    ),
    "Extension (not HSDS): which record cites which source (exactly one owner column is set).",
)
REPORTING_CHANNEL = Table(
    "helpdir_reporting_channel",
    "helpdir_reporting_channels.csv",
    ReportingChannel,
    (
        _id(),
        _ref("organization_id", "organization"),
        _ref("service_id", "service"),
        *_text("name", "description", "urgency", "method", "number"),
        Column("url", format=URI),
        *(Column(n, "array") for n in ("steps", "requirements", "suitable_for", "service_areas")),
        Column("last_modified", "datetime"),
    ),
    "Extension (not HSDS): typed ways to report stalking or get urgent help; the list "
    "columns hold JSON arrays.",
)
GUIDANCE = Table(
    "helpdir_guidance",
    "helpdir_guidance.csv",
    Guidance,
    (
        _id(),
        *_text("name", "description", "category"),
        Column("items", "array"),
        Column("last_modified", "datetime"),
    ),
    "Extension (not HSDS): what the sources advise, as ordered items (a JSON array).",
)

# In the order of HSDS's tabular package, then the extensions.
TABLES: tuple[Table, ...] = (
    ORGANIZATION,
    SERVICE,
    ATTRIBUTE,
    SERVICE_AT_LOCATION,
    LOCATION,
    PHONE,
    CONTACT,
    SCHEDULE,
    SERVICE_AREA,
    LANGUAGE,
    TAXONOMY_TERM,
    TAXONOMY,
    SOURCE,
    CITATION,
    REPORTING_CHANNEL,
    GUIDANCE,
)
BY_NAME = {table.name: table for table in TABLES}
# The order a load must follow, so that what a row points at is there before it.
LOAD_ORDER: tuple[Table, ...] = (
    TAXONOMY,
    TAXONOMY_TERM,
    ORGANIZATION,
    LOCATION,
    SERVICE,
    SERVICE_AT_LOCATION,
    CONTACT,
    PHONE,
    SCHEDULE,
    SERVICE_AREA,
    LANGUAGE,
    ATTRIBUTE,
    SOURCE,
    REPORTING_CHANNEL,
    GUIDANCE,
    CITATION,
)


def _live_ids(model: Any) -> Select[Any]:
    return select(model.id).where(model.retired_at.is_(None))


def _live_or_none(column: Any, model: Any) -> ColumnElement[bool]:
    return or_(column.is_(None), column.in_(_live_ids(model)))


def _live_contact_ids() -> Select[Any]:
    return select(Contact.id).where(
        _live_or_none(Contact.service_id, Service),
        _live_or_none(Contact.organization_id, Organization),
    )


def published_rows(table: Table) -> Select[Any]:
    """The rows the read API shows (nothing retired, nothing hung off a retired record),
    ordered by id so the same data always gives the same bytes."""
    model = table.model
    names = [c.name for c in table.columns]
    if table is TAXONOMY_TERM:
        query = select(
            *(Taxonomy.name.label(n) if n == "taxonomy" else model.__table__.c[n] for n in names)
        ).outerjoin(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)  # type: ignore[arg-type]
    else:
        query = select(*(model.__table__.c[n] for n in names))
    conditions: list[Any] = []
    if hasattr(model, "retired_at"):
        conditions.append(model.retired_at.is_(None))
    if table is LOCATION:
        conditions.append(_live_or_none(Location.organization_id, Organization))
    elif table is SERVICE_AT_LOCATION:
        conditions.append(ServiceAtLocation.service_id.in_(_live_ids(Service)))  # type: ignore[attr-defined]
        conditions.append(
            ServiceAtLocation.location_id.in_(  # type: ignore[attr-defined]
                select(Location.id).where(_live_or_none(Location.organization_id, Organization))
            )
        )
    elif table in (PHONE, CONTACT):
        conditions.append(_live_or_none(model.service_id, Service))
        conditions.append(_live_or_none(model.organization_id, Organization))
        if table is PHONE:
            conditions.append(
                or_(Phone.contact_id.is_(None), Phone.contact_id.in_(_live_contact_ids()))
            )  # type: ignore[union-attr]
    elif table in (SCHEDULE, SERVICE_AREA, LANGUAGE):
        conditions.append(_live_or_none(model.service_id, Service))
    elif table is ATTRIBUTE:
        conditions.append(Attribute.taxonomy_term_id.in_(_live_ids(TaxonomyTerm)))  # type: ignore[attr-defined]
        conditions.append(
            or_(
                and_(Attribute.link_entity == "service", Attribute.link_id.in_(_live_ids(Service))),  # type: ignore[attr-defined]
                and_(
                    Attribute.link_entity == "organization",
                    Attribute.link_id.in_(_live_ids(Organization)),  # type: ignore[attr-defined]
                ),
            )
        )
    elif table is CITATION:
        for column, owner in (
            (Citation.organization_id, Organization),
            (Citation.service_id, Service),
            (Citation.reporting_channel_id, ReportingChannel),
            (Citation.guidance_id, Guidance),
        ):
            conditions.append(_live_or_none(column, owner))
    return query.where(*conditions).order_by(model.id)


def model_fields(model: type[SQLModel]) -> set[str]:
    return set(model.model_fields)
