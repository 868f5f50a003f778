"""Putting the seed into the database: insert what is missing, never overwrite.

A record whose id already exists is left exactly as it is, nested parts included (its
phones, areas, citations…), so edits made through the API survive re-seeding: a phone a
partner removed does not come back. Everything happens in one transaction.
"""

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, select

from api.dataset_version import lock_dataset
from api.search import index_service
from api.writes.history import record_change
from api.writes.resources import RESOURCES, render
from models import (
    Attribute,
    Change,
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
from models.base import stable_id, utcnow
from models.change import ChangeAction
from models.guidance import GuidanceBase
from models.location import LocationType
from models.organization import OrganizationBase
from models.reporting_channel import ReportingChannelBase
from models.service import ServiceBase
from models.taxonomy import TaxonomyBase
from seed.reader import DATA_DIR, read_seed
from seed.schema import SeedCitation, SeedService

# How each kind of delivery shows in HSDS: a virtual location per organisation and mode.
DELIVERY_LOCATIONS = {
    "phone": (LocationType.virtual, "By phone"),
    "online": (LocationType.virtual, "Online"),
    "app": (LocationType.virtual, "By app"),
    "in_person": (LocationType.physical, "In person"),
}


class _Inserter:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.inserted: Counter[str] = Counter()
        self.touched_services: set[uuid.UUID] = set()

    def add(self, record: SQLModel, service_id: uuid.UUID | None = None) -> bool:
        """Insert unless a row with this id exists; report whether it was inserted."""
        if self.session.get(type(record), record.id) is not None:  # type: ignore[attr-defined]
            return False
        self.session.add(record)
        self.session.flush()
        self.inserted[type(record).__tablename__] += 1  # type: ignore[attr-defined]
        if service_id is not None:
            self.touched_services.add(service_id)
        return True


def _citations(
    ins: _Inserter,
    owner_key: str,
    citations: list[SeedCitation],
    indexed_service: uuid.UUID | None = None,
    **owner: uuid.UUID,
) -> None:
    for c in citations:
        key = f"{owner_key}|{c.source}|{c.section or ''}|{c.note or ''}"
        ins.add(
            Citation(
                id=stable_id("citation", key),
                source_id=stable_id("source", c.source),
                section=c.section,
                note=c.note,
                **owner,
            ),
            indexed_service,
        )


def _fields(base: type[SQLModel]) -> set[str]:
    """The fields a seed record shares with its table, by way of their common Base model."""
    return set(base.model_fields)


def _term_id(ref: str) -> uuid.UUID:
    return stable_id("taxonomy_term", ref)


def _link_type(ref: str) -> str:
    return "audience" if ref.startswith("audience/") else "service_type"


def load_seed(session: Session, data_dir: Path = DATA_DIR) -> Counter[str]:
    """Load the seed; returns how many rows of each table were inserted."""
    bundle = read_seed(data_dir)
    lock_dataset(session)
    ins = _Inserter(session)

    for s in bundle.sources:
        ins.add(Source(id=stable_id("source", s.key), **s.model_dump()))

    for t in bundle.taxonomies:
        taxonomy_id = stable_id("taxonomy", t.slug)
        if ins.add(Taxonomy(id=taxonomy_id, **t.model_dump(include=_fields(TaxonomyBase)))):
            _citations(ins, f"taxonomy:{t.slug}", t.sources, taxonomy_id=taxonomy_id)
        pending = list(t.terms)
        while pending:  # parents before children, for the foreign key
            ready = [
                term
                for term in pending
                if term.parent is None or term.parent not in {p.slug for p in pending}
            ]
            for term in ready:
                data = term.model_dump(exclude={"slug", "parent", "parent_id", "taxonomy_id"})
                ins.add(
                    TaxonomyTerm(
                        id=_term_id(f"{t.slug}/{term.slug}"),
                        taxonomy_id=taxonomy_id,
                        parent_id=_term_id(f"{t.slug}/{term.parent}") if term.parent else None,
                        **data,
                    )
                )
            pending = [p for p in pending if p not in ready]

    for o in bundle.organizations:
        org_id = stable_id("organization", o.slug)
        organization = Organization(id=org_id, **o.model_dump(include=_fields(OrganizationBase)))
        if ins.add(organization):
            _citations(ins, f"organization:{o.slug}", o.sources, organization_id=org_id)
            for ref in o.attributes:
                ins.add(
                    Attribute(
                        id=stable_id("attribute", f"organization:{o.slug}|{ref}"),
                        link_id=org_id,
                        link_entity="organization",
                        link_type=_link_type(ref),
                        taxonomy_term_id=_term_id(ref),
                    )
                )
        for s in o.services:  # a new seed service of an existing organisation is still added
            _load_service(ins, o.slug, org_id, s)

    for ch in bundle.reporting_channels:
        channel_id = stable_id("reporting_channel", ch.slug)
        data = ch.model_dump(include=_fields(ReportingChannelBase) - {"organization_id"})
        data["service_id"] = stable_id("service", ch.service) if ch.service else None
        channel = ReportingChannel(
            id=channel_id, organization_id=stable_id("organization", ch.organization), **data
        )
        if ins.add(channel):
            _citations(
                ins, f"reporting_channel:{ch.slug}", ch.sources, reporting_channel_id=channel_id
            )

    for g in bundle.guidance:
        guidance_id = stable_id("guidance", g.slug)
        if ins.add(Guidance(id=guidance_id, **g.model_dump(include=_fields(GuidanceBase)))):
            _citations(ins, f"guidance:{g.slug}", g.sources, guidance_id=guidance_id)

    for service_id in ins.touched_services:
        service = session.exec(select(Service).where(Service.id == service_id)).one()
        session.refresh(service)
        index_service(session, service)
    session.flush()
    record_feed_baselines(session)
    session.commit()
    return ins.inserted


def record_feed_baselines(session: Session) -> None:
    """A `created` entry in the change feed for every live record that has none yet (seeded
    records, and records from before the feed existed), so replaying the feed from the
    start rebuilds the whole directory."""
    for resource in RESOURCES.values():
        table: Any = resource.table
        logged = select(Change.resource_id).where(Change.resource_type == resource.type.value)
        missing = session.scalars(
            select(table.id)
            .where(table.retired_at.is_(None), table.id.not_in(logged))
            .order_by(table.id)
        ).all()
        for record_id in missing:
            row = resource.load(session, record_id)
            record = render(resource, row)
            at = getattr(row, "last_modified", None) or utcnow()
            record_change(
                session, resource.type, record_id, ChangeAction.created, "seed", at, [], record
            )


def _load_service(ins: _Inserter, org_slug: str, org_id: uuid.UUID, s: SeedService) -> None:
    service_id = stable_id("service", s.slug)
    data = s.model_dump(include=_fields(ServiceBase) - {"organization_id"})
    if not ins.add(Service(id=service_id, organization_id=org_id, **data), service_id):
        return
    key = f"service:{s.slug}"
    _citations(ins, key, s.sources, service_id, service_id=service_id)
    for p in s.phones:
        phone = p.model_dump(exclude={"service_id", "organization_id", "contact_id"})
        ins.add(
            Phone(
                id=stable_id("phone", f"{key}|{p.type}|{p.number}"), service_id=service_id, **phone
            )
        )
    for c in s.contacts:
        contact = c.model_dump(exclude={"service_id", "organization_id"})
        ins.add(
            Contact(id=stable_id("contact", f"{key}|{c.name}"), service_id=service_id, **contact)
        )
    for i, sch in enumerate(s.schedules):
        schedule = sch.model_dump(exclude={"service_id"})
        ins.add(Schedule(id=stable_id("schedule", f"{key}|{i}"), service_id=service_id, **schedule))
    for a in s.service_areas:
        area = a.model_dump(exclude={"service_id"})
        ins.add(
            ServiceArea(
                id=stable_id("service_area", f"{key}|{a.name}"), service_id=service_id, **area
            )
        )
    for lang in s.languages:
        language = lang.model_dump(exclude={"service_id"})
        ins.add(
            Language(
                id=stable_id("language", f"{key}|{lang.code}"), service_id=service_id, **language
            )
        )
    for ref in s.taxonomy_terms:
        ins.add(
            Attribute(
                id=stable_id("attribute", f"{key}|{ref}"),
                link_id=service_id,
                link_entity="service",
                link_type=_link_type(ref),
                taxonomy_term_id=_term_id(ref),
            ),
            service_id,
        )
    for mode in s.delivery:
        location_type, label = DELIVERY_LOCATIONS[mode]
        location_id = stable_id("location", f"organization:{org_slug}|{mode}")
        ins.add(
            Location(
                id=location_id, location_type=location_type, organization_id=org_id, name=label
            )
        )
        ins.add(
            ServiceAtLocation(
                id=stable_id("service_at_location", f"{key}|{mode}"),
                service_id=service_id,
                location_id=location_id,
            )
        )
