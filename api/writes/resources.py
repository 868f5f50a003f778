"""The five kinds of record that can be written, and what is particular to each.

Everything else about a write (keys, If-Match, review, history) is the same for all of
them and lives in `api/writes/records.py`.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, delete, select
from sqlmodel import Session, SQLModel

from api.errors import ProblemError, Unprocessable
from api.filing import refile_all
from api.queries.guidance import get_guidance
from api.queries.organizations import get_organization
from api.queries.reporting_channels import get_reporting_channel
from api.queries.services import get_service
from api.queries.taxonomies import get_taxonomy_term
from api.search import index_service
from models import (
    Attribute,
    Contact,
    Guidance,
    Language,
    Organization,
    Phone,
    ReportingChannel,
    Schedule,
    Service,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
)
from models.change import ResourceType
from models.guidance import GuidanceBase, GuidancePublic, GuidanceWrite
from models.organization import OrganizationBase, OrganizationWrite
from models.organization_full import OrganizationFull
from models.reporting_channel import (
    ReportingChannelBase,
    ReportingChannelPublic,
    ReportingChannelWrite,
)
from models.service import ServiceBase, ServiceFull, ServiceWrite
from models.taxonomy import TaxonomyTermBase, TaxonomyTermPublic, TaxonomyTermWrite


@dataclass(frozen=True)
class Resource:
    type: ResourceType
    table: type[SQLModel]
    shape: type[BaseModel]  # what GET returns
    write: type[BaseModel]  # what a client may send
    base: type[SQLModel]  # the fields shared by the table and `write`
    load: Callable[[Session, uuid.UUID], Any]
    read_only: frozenset[str]  # GET fields a client cannot change
    references: dict[str, type[SQLModel]]  # id fields that must name a live record
    owner: Callable[[Any], uuid.UUID | None]  # the organisation a partner must be
    partner_may_create: bool = False
    partner_may_edit: bool = False
    partner_may_retire: bool = False
    always_reviewed: bool = False  # every partner change is held for review
    write_parts: Callable[[Session, Any, Any, set[uuid.UUID]], None] | None = None


def render(resource: Resource, row: Any) -> dict[str, Any]:
    """The record exactly as GET shows it (the ETag is the hash of these bytes)."""
    return resource.shape.model_validate(row).model_dump(mode="json", exclude_none=True)


def set_fields(resource: Resource, row: Any, data: BaseModel) -> None:
    for name in resource.base.model_fields:
        setattr(row, name, getattr(data, name))


def check_references(session: Session, resource: Resource, data: BaseModel) -> None:
    errors = []
    for field, table in resource.references.items():
        value = getattr(data, field, None)
        if value is not None and not _is_live(session, table, value):
            errors.append(ProblemError(field=field, message=f"no {table.__tablename__} {value}"))  # type: ignore[attr-defined]
    for i, attribute in enumerate(getattr(data, "attributes", [])):
        if not _is_live(session, TaxonomyTerm, attribute.taxonomy_term_id):
            errors.append(
                ProblemError(
                    field=f"attributes.{i}.taxonomy_term_id", message="no such taxonomy term"
                )
            )
    if errors:
        raise Unprocessable("The record refers to something that does not exist.", errors)


def _is_live(session: Session, table: type[SQLModel], record_id: uuid.UUID) -> bool:
    row = session.get(table, record_id)
    return row is not None and getattr(row, "retired_at", None) is None


# A term's place: what its filings follow (its name is only words, in its services' documents).
TERM_PLACE = frozenset({"parent_id", "taxonomy_id"})


def reindex(session: Session, resource: Resource, row: Any, changed: Iterable[str] = ()) -> None:
    """Keep search and the taxonomy filters in step: a service's words include its
    organisation's and its terms' names; its filings follow its terms' places in their
    taxonomies. `changed`
    names the fields an update changed (a new record has no services under it yet)."""
    if resource.type == ResourceType.service:
        session.refresh(row)
        index_service(session, row)
    elif resource.type == ResourceType.organization:
        for service in session.scalars(select(Service).where(Service.organization_id == row.id)):
            index_service(session, service)
    elif resource.type == ResourceType.taxonomy_term:
        if TERM_PLACE & set(changed):
            # A new parent or taxonomy moves every service filed below the term: rare, and
            # rewritten whole (5–15 s at 100,000 services).
            refile_all(session)
        if "name" in changed:
            # The term's name is among the words of the services linked to it.
            linked = select(Attribute.link_id).where(
                Attribute.taxonomy_term_id == row.id,  # type: ignore[arg-type]
                Attribute.link_entity == "service",  # type: ignore[arg-type]
            )
            for service in session.scalars(select(Service).where(Service.id.in_(linked))):  # type: ignore[union-attr]
                index_service(session, service)


def _write_service_parts(
    session: Session, service: Service, data: ServiceWrite, own_ids: set[uuid.UUID]
) -> None:
    """Replace a service's nested lists whole. A sent id is kept only if it was already
    one of this service's; anything else gets a new id."""

    def keep(given: uuid.UUID | None) -> uuid.UUID:
        return given if given is not None and given in own_ids else uuid.uuid4()

    sid = service.id
    contact_ids = select(Contact.id).where(Contact.service_id == sid)
    session.execute(delete(Phone).where(Phone.contact_id.in_(contact_ids)))  # type: ignore[union-attr]
    for table, condition in (
        (Phone, Phone.service_id == sid),
        (Contact, Contact.service_id == sid),
        (Schedule, Schedule.service_id == sid),
        (ServiceArea, ServiceArea.service_id == sid),
        (Language, Language.service_id == sid),
        (Attribute, and_(Attribute.link_id == sid, Attribute.link_entity == "service")),
    ):
        session.execute(delete(table).where(condition))  # type: ignore[arg-type]
    session.flush()
    owners = {"service_id", "organization_id", "contact_id", "id"}
    for phone in data.phones:
        session.add(Phone(id=keep(phone.id), service_id=sid, **phone.model_dump(exclude=owners)))
    for contact in data.contacts:
        contact_id = keep(contact.id)
        session.add(
            Contact(
                id=contact_id, service_id=sid, **contact.model_dump(exclude=owners | {"phones"})
            )
        )
        session.flush()
        for phone in contact.phones:
            session.add(
                Phone(id=keep(phone.id), contact_id=contact_id, **phone.model_dump(exclude=owners))
            )
    for table, items in (
        (Schedule, data.schedules),
        (ServiceArea, data.service_areas),
        (Language, data.languages),
    ):
        for item in items:
            session.add(table(id=keep(item.id), service_id=sid, **item.model_dump(exclude=owners)))
    for attribute in data.attributes:
        term = session.get(TaxonomyTerm, attribute.taxonomy_term_id)
        # As the seed names it: the taxonomy's name as a code ("audience", "service_type").
        taxonomy = term.taxonomy_detail if term else None
        link_type = attribute.link_type or (
            taxonomy.name.lower().replace(" ", "_") if taxonomy else None
        )
        session.add(
            Attribute(
                id=keep(attribute.id),
                link_id=sid,
                link_entity="service",
                link_type=link_type,
                taxonomy_term_id=attribute.taxonomy_term_id,
                value=attribute.value,
            )
        )
    session.flush()


RESOURCES: dict[ResourceType, Resource] = {
    ResourceType.organization: Resource(
        type=ResourceType.organization,
        table=Organization,
        shape=OrganizationFull,
        write=OrganizationWrite,
        base=OrganizationBase,
        load=get_organization,
        read_only=frozenset(
            {"id", "services", "phones", "contacts", "locations", "attributes", "sources"}
        ),
        references={"parent_organization_id": Organization},
        owner=lambda row: row.id,
        partner_may_edit=True,
    ),
    ResourceType.service: Resource(
        type=ResourceType.service,
        table=Service,
        shape=ServiceFull,
        write=ServiceWrite,
        base=ServiceBase,
        load=get_service,
        read_only=frozenset(
            {
                "id",
                "last_modified",
                "assured_date",
                "organization",
                "service_at_locations",
                "sources",
            }
        ),
        references={"organization_id": Organization},
        owner=lambda row: row.organization_id,
        partner_may_create=True,
        partner_may_edit=True,
        partner_may_retire=True,
        write_parts=_write_service_parts,
    ),
    ResourceType.reporting_channel: Resource(
        type=ResourceType.reporting_channel,
        table=ReportingChannel,
        shape=ReportingChannelPublic,
        write=ReportingChannelWrite,
        base=ReportingChannelBase,
        load=get_reporting_channel,
        read_only=frozenset({"id", "last_modified", "sources"}),
        references={"organization_id": Organization, "service_id": Service},
        owner=lambda row: row.organization_id,
        partner_may_create=True,
        partner_may_edit=True,
        always_reviewed=True,
    ),
    ResourceType.guidance: Resource(
        type=ResourceType.guidance,
        table=Guidance,
        shape=GuidancePublic,
        write=GuidanceWrite,
        base=GuidanceBase,
        load=get_guidance,
        read_only=frozenset({"id", "last_modified", "sources"}),
        references={},
        owner=lambda row: None,
    ),
    ResourceType.taxonomy_term: Resource(
        type=ResourceType.taxonomy_term,
        table=TaxonomyTerm,
        shape=TaxonomyTermPublic,
        write=TaxonomyTermWrite,
        base=TaxonomyTermBase,
        load=get_taxonomy_term,
        read_only=frozenset({"id", "taxonomy", "taxonomy_detail"}),
        references={"parent_id": TaxonomyTerm, "taxonomy_id": Taxonomy},
        owner=lambda row: None,
    ),
}
