"""Services as JSON-ready dicts, read in a few flat queries per batch of services.

Building a pydantic model per service and per nested row cost about 100 µs a service,
which caps the NDJSON export near 10,000 services/s and makes a page of 50 slow. Here each
table is read once per batch with plain columns (ids already in their dashed text form),
and each row becomes a dict with the keys, order and omissions of its public model
(`ServiceFull`, `ServicePublic`: empty fields left out), so orjson gives the same bytes as
`api.rendering.to_json` of the model would. The key order is taken from the models
themselves, so a field added to a model shows up here too; `python -m
benchmarks.snapshot` records ~130 answers to compare before and after a change here.
"""

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    String,
    Text,
    Uuid,
    any_,
    bindparam,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import Select

from models import (
    Attribute,
    Citation,
    Contact,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Source,
    Taxonomy,
    TaxonomyTerm,
)
from models.attribute import AttributePublic
from models.contact_details import (
    ContactPublic,
    LanguagePublic,
    PhonePublic,
    SchedulePublic,
    ServiceAreaPublic,
)
from models.location import LocationPublic, ServiceAtLocationPublic
from models.organization import OrganizationPublic
from models.phone_number import normalise_phone_number
from models.service import ServiceFull, ServiceMinimal, ServicePublic
from models.source import CitationPublic
from models.taxonomy import TaxonomyPublic, TaxonomyTermPublic

# A driver's own value for a stored id: 32 hex digits on SQLite, a UUID on PostgreSQL.
Key = Any
Record = dict[str, Any]


def uuid_text(column: Any, dialect: str) -> ColumnElement[str]:
    """The id as the API shows it (8-4-4-4-12 hex), made by the database, not by Python."""
    if dialect == "postgresql":
        return cast(column, Text)
    raw = type_coerce(column, String)
    return (
        func.substr(raw, 1, 8)
        .concat("-")
        .concat(func.substr(raw, 9, 4))
        .concat("-")
        .concat(func.substr(raw, 13, 4))
        .concat("-")
        .concat(func.substr(raw, 17, 4))
        .concat("-")
        .concat(func.substr(raw, 21))
    )


def raw_key(column: Any) -> ColumnElement[Any]:
    """The stored id with no conversion in Python, for grouping rows by their owner."""
    return type_coerce(column, String)


def key_in(column: Any, keys: Sequence[Key], dialect: str) -> ColumnElement[bool]:
    """On PostgreSQL one array parameter (`= ANY`): a batch's 500-parameter IN list took
    about twice as long to plan and bind as the same lookup does with an array."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(keys), type_=postgresql.ARRAY(Uuid())))  # type: ignore[no-any-return]
    return type_coerce(column, String).in_(keys)


def _moment(value: Any) -> Any:
    # SQLite keeps times as text; pydantic would have parsed it, orjson formats it the same.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _day(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


# ServiceFull's nested lists, in its order; each is shown even when empty.
_NESTED = ("phones", "schedules", "service_areas", "service_at_locations", "languages",
           "contacts", "attributes", "sources")  # fmt: skip
_CITATION_FIELDS = tuple(CitationPublic.model_fields)

# The phone validator runs when a stored row is shown; numbers repeat, so remember them.
_phone_number = functools.lru_cache(maxsize=65536)(normalise_phone_number)


class Shape:
    """How one table's rows become one flat public model's dicts."""

    def __init__(self, model: type[BaseModel], table: Any, dialect: str, skip: Iterable[str] = ()):
        self.fields: list[str] = []
        self.columns: list[ColumnElement[Any]] = []
        self.converters: dict[int, Callable[[Any], Any]] = {}
        for name in model.model_fields:
            if name in skip:
                continue
            column: Column[Any] = table.__table__.c[name]
            if isinstance(column.type, Uuid):
                self.columns.append(uuid_text(column, dialect))
            elif isinstance(column.type, DateTime):
                self.columns.append(type_coerce(column, String) if dialect == "sqlite" else column)
                self.converters[len(self.fields)] = _moment
            elif isinstance(column.type, Date):
                self.columns.append(type_coerce(column, String) if dialect == "sqlite" else column)
                self.converters[len(self.fields)] = _day
            else:
                self.columns.append(column)
            if name == "number" and table is Phone:
                self.converters[len(self.fields)] = _phone_number
            self.fields.append(name)
        self.width = len(self.fields)

    def record(self, row: Sequence[Any], start: int = 0) -> Record:
        """The dict of row[start:start + width], with empty fields left out."""
        values = row[start : start + self.width]
        if self.converters:
            values = list(values)
            for index, convert in self.converters.items():
                if values[index] is not None:
                    values[index] = convert(values[index])
        return {
            name: value
            for name, value in zip(self.fields, values, strict=True)
            if value is not None
        }


class _Shapes:
    """Every shape a service record is read with; built once per dialect."""

    def __init__(self, dialect: str) -> None:
        self.minimal = Shape(ServiceMinimal, Service, dialect)
        self.service = Shape(ServicePublic, Service, dialect, skip={"organization"})
        self.organization = Shape(OrganizationPublic, Organization, dialect)
        self.phone = Shape(PhonePublic, Phone, dialect)
        self.schedule = Shape(SchedulePublic, Schedule, dialect)
        self.area = Shape(ServiceAreaPublic, ServiceArea, dialect)
        self.language = Shape(LanguagePublic, Language, dialect)
        self.sal = Shape(ServiceAtLocationPublic, ServiceAtLocation, dialect, skip={"location"})
        self.location = Shape(LocationPublic, Location, dialect)
        self.contact = Shape(ContactPublic, Contact, dialect, skip={"phones"})
        self.attribute = Shape(AttributePublic, Attribute, dialect, skip={"taxonomy_term"})
        self.term = Shape(
            TaxonomyTermPublic, TaxonomyTerm, dialect, skip={"taxonomy", "taxonomy_detail"}
        )
        self.taxonomy = Shape(TaxonomyPublic, Taxonomy, dialect)


@functools.cache
def _shapes(dialect: str) -> _Shapes:
    return _Shapes(dialect)


class ServiceReader:
    """Reads services by their stored keys, as the dicts of ServicePublic or ServiceFull."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.shapes = _shapes(self.dialect)
        self.terms: dict[Key, Record] = {}

    def _rows(self, query: Select[Any]) -> list[Any]:
        return self.connection.execute(query).fetchall()  # type: ignore[return-value]

    def _in(self, column: Any, keys: Sequence[Key]) -> ColumnElement[bool]:
        return key_in(column, keys, self.dialect)

    def minimal(self, keys: Sequence[Key]) -> list[Record]:
        """ServiceMinimal dicts (id and last_modified), in the order of `keys`."""
        query = select(raw_key(Service.id), *self.shapes.minimal.columns).where(
            self._in(Service.id, keys)
        )
        found = {row[0]: self.shapes.minimal.record(row, 1) for row in self._rows(query)}
        return [found[key] for key in keys if key in found]

    def public(self, keys: Sequence[Key]) -> list[Record]:
        """ServicePublic dicts of these services, in the order of `keys` (missing: skipped)."""
        return [record for _, record in self._public(keys)]

    def _public(self, keys: Sequence[Key]) -> list[tuple[Key, Record]]:
        query = (
            select(
                raw_key(Service.id), *self.shapes.service.columns, *self.shapes.organization.columns
            )
            .join(Organization, Organization.id == Service.organization_id)  # type: ignore[arg-type]
            .where(self._in(Service.id, keys))
        )
        width = self.shapes.service.width
        found: dict[Key, Record] = {}
        for row in self._rows(query):
            record = self.shapes.service.record(row, 1)
            record["organization"] = self.shapes.organization.record(row, 1 + width)
            found[row[0]] = record
        return [(key, found[key]) for key in keys if key in found]

    def full(self, keys: Sequence[Key]) -> list[Record]:
        """ServiceFull dicts of these services, in the order of `keys`."""
        found = self._public(keys)
        if not found:
            return []
        by_key = dict(found)
        for record in by_key.values():
            for name in _NESTED:
                record[name] = []
        present = list(by_key)
        self._children(by_key, present, "phones", Phone, self.shapes.phone, Phone.id)
        self._children(by_key, present, "schedules", Schedule, self.shapes.schedule, Schedule.id)
        self._children(
            by_key, present, "service_areas", ServiceArea, self.shapes.area, ServiceArea.id
        )
        self._locations(by_key, present)
        self._children(by_key, present, "languages", Language, self.shapes.language, Language.id)
        self._contacts(by_key, present)
        self._attributes(by_key, present)
        self._sources(by_key, present)
        return [record for _, record in found]

    def _children(
        self,
        by_key: dict[Key, Record],
        keys: list[Key],
        field: str,
        table: Any,
        shape: Shape,
        order: Any,
    ) -> None:
        query = (
            select(raw_key(table.service_id), *shape.columns)
            .where(self._in(table.service_id, keys))
            .order_by(order)
        )
        for row in self._rows(query):
            by_key[row[0]][field].append(shape.record(row, 1))

    def _locations(self, by_key: dict[Key, Record], keys: list[Key]) -> None:
        query = (
            select(
                raw_key(ServiceAtLocation.service_id),
                *self.shapes.sal.columns,
                *self.shapes.location.columns,
            )
            .join(Location, Location.id == ServiceAtLocation.location_id)  # type: ignore[arg-type]
            .where(self._in(ServiceAtLocation.service_id, keys))
            .order_by(ServiceAtLocation.id)
        )
        width = self.shapes.sal.width
        for row in self._rows(query):
            record = self.shapes.sal.record(row, 1)
            record["location"] = self.shapes.location.record(row, 1 + width)
            by_key[row[0]]["service_at_locations"].append(record)

    def _contacts(self, by_key: dict[Key, Record], keys: list[Key]) -> None:
        query = (
            select(raw_key(Contact.service_id), raw_key(Contact.id), *self.shapes.contact.columns)
            .where(self._in(Contact.service_id, keys))
            .order_by(Contact.id)
        )
        contacts: dict[Key, Record] = {}
        for row in self._rows(query):
            record = self.shapes.contact.record(row, 2)
            record["phones"] = []
            contacts[row[1]] = record
            by_key[row[0]]["contacts"].append(record)
        if not contacts:
            return
        phones = (
            select(raw_key(Phone.contact_id), *self.shapes.phone.columns)
            .where(self._in(Phone.contact_id, list(contacts)))
            .order_by(Phone.number, Phone.id)
        )
        for row in self._rows(phones):
            contacts[row[0]]["phones"].append(self.shapes.phone.record(row, 1))

    def _attributes(self, by_key: dict[Key, Record], keys: list[Key]) -> None:
        query = (
            select(
                raw_key(Attribute.link_id),
                raw_key(Attribute.taxonomy_term_id),
                *self.shapes.attribute.columns,
            )
            .where(Attribute.link_entity == "service", self._in(Attribute.link_id, keys))
            .order_by(Attribute.id)
        )
        rows = self._rows(query)
        self._load_terms({row[1] for row in rows} - self.terms.keys())
        for row in rows:
            record = self.shapes.attribute.record(row, 2)
            record["taxonomy_term"] = self.terms[row[1]]
            by_key[row[0]]["attributes"].append(record)

    def _load_terms(self, keys: set[Key]) -> None:
        """Terms repeat across services: each is read once per reader."""
        if not keys:
            return
        query = (
            select(
                raw_key(TaxonomyTerm.id), *self.shapes.term.columns, *self.shapes.taxonomy.columns
            )
            .outerjoin(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)  # type: ignore[arg-type]
            .where(self._in(TaxonomyTerm.id, list(keys)))
        )
        width = self.shapes.term.width
        for row in self._rows(query):
            record = self.shapes.term.record(row, 1)
            taxonomy = self.shapes.taxonomy.record(row, 1 + width)
            if "id" in taxonomy:  # a term may belong to no taxonomy
                record["taxonomy"] = taxonomy["name"]
                record["taxonomy_detail"] = taxonomy
            self.terms[row[0]] = record

    def _sources(self, by_key: dict[Key, Record], keys: list[Key]) -> None:
        query = (
            select(
                raw_key(Citation.service_id),
                Source.key,
                Source.title,
                Source.url,
                Source.page_date,
                Citation.section,
                Citation.note,
            )
            .join(Source, Source.id == Citation.source_id)  # type: ignore[arg-type]
            .where(self._in(Citation.service_id, keys))
            .order_by(Citation.id)
        )
        for row in self._rows(query):
            record = dict(zip(_CITATION_FIELDS, row[1:], strict=True))
            by_key[row[0]]["sources"].append({k: v for k, v in record.items() if v is not None})


assert list(ServiceFull.model_fields)[-len(_NESTED) :] == list(_NESTED), "ServiceFull changed"
