"""Loading an HSDS 3.0 tabular data package (ours, or another publisher's) into the database.

Everything is checked before anything is written: each row against the same models the API
validates writes with, each id for duplicates, each reference for a row it names. Any
problem, reported with its table, row and column, means nothing is written. Otherwise the
rows go in as they are, ids kept, in one transaction that first takes the dataset lock (so
every server shows the new data at once), then rebuilds the search index and gives each
new record its `created` entry in the change feed.

Tables and columns helpdir has no place for (addresses, programs, a service's fees…) are
skipped with a warning, not refused: the rest of the package is still worth having.
"""

import csv
import io
import json
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlmodel import Session

from api.dataset_version import lock_dataset
from api.open_data.export import as_utc
from api.open_data.tables import (
    ATTRIBUTE,
    BY_NAME,
    LOAD_ORDER,
    ORGANIZATION,
    TABLES,
    TAXONOMY_TERM,
    Table,
)
from api.queries.organizations import FULL_ORGANIZATION
from api.queries.services import FULL_SERVICE
from api.writes.resources import RESOURCES, render
from models import Change
from models.attribute import AttributeBase
from models.base import utcnow
from models.change import ChangeAction, ResourceType
from models.contact_details import (
    ContactBase,
    LanguageBase,
    PhoneBase,
    ScheduleBase,
    ServiceAreaBase,
)
from models.guidance import GuidanceBase
from models.location import LocationBase, ServiceAtLocationBase
from models.organization import OrganizationBase
from models.reporting_channel import ReportingChannelBase
from models.service import ServiceBase
from models.source import SourceBase
from models.taxonomy import TaxonomyBase, TaxonomyTermBase
from models.text import NAME_MAX, TEXT_MAX, CleanText

BATCH = 1000
LINKABLE = {"service", "organization"}  # what an attribute may link to here


class CitationRow(BaseModel):
    """A citation names its source and exactly one record that cites it."""

    source_id: uuid.UUID
    section: CleanText | None = None
    note: CleanText | None = None
    organization_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    reporting_channel_id: uuid.UUID | None = None
    guidance_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_owner(self) -> "CitationRow":
        owners = [self.organization_id, self.service_id, self.taxonomy_id]
        owners += [self.reporting_channel_id, self.guidance_id]
        if sum(owner is not None for owner in owners) != 1:
            raise ValueError("exactly one of the owner columns must be set")
        if self.section is not None and len(self.section) > NAME_MAX:
            raise ValueError(f"section: at most {NAME_MAX} characters")
        if self.note is not None and len(self.note) > TEXT_MAX:
            raise ValueError(f"note: at most {TEXT_MAX} characters")
        return self


class Keys(BaseModel):
    """What every row has besides its model's fields: its id and, where kept, its times."""

    model_config = ConfigDict(extra="ignore")
    id: uuid.UUID
    last_modified: datetime | None = None
    assured_date: date | None = None


# The model each table's rows must satisfy: the one API writes are checked against.
MODELS: dict[str, type[BaseModel]] = {
    "organization": OrganizationBase,
    "service": ServiceBase,
    "attribute": AttributeBase,
    "service_at_location": ServiceAtLocationBase,
    "location": LocationBase,
    "phone": PhoneBase,
    "contact": ContactBase,
    "schedule": ScheduleBase,
    "service_area": ServiceAreaBase,
    "language": LanguageBase,
    "taxonomy_term": TaxonomyTermBase,
    "taxonomy": TaxonomyBase,
    "helpdir_source": SourceBase,
    "helpdir_citation": CitationRow,
    "helpdir_reporting_channel": ReportingChannelBase,
    "helpdir_guidance": GuidanceBase,
}
KEPT_TIMES = {"service": {"last_modified", "assured_date"}}
KEPT_TIMES |= {
    name: {"last_modified"} for name in ("helpdir_reporting_channel", "helpdir_guidance")
}
DERIVED = {("taxonomy_term", "taxonomy")}  # shown from the taxonomy's own name


@dataclass(frozen=True)
class Problem:
    """Something that stops the import: where it is (row 1 is the header) and what it is."""

    table: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


# -- reading a package ------------------------------------------------------------------------


class PackageSource:
    """A data package as a folder, a zip, or the path of its datapackage.json."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive: zipfile.ZipFile | None = None
        self.root = PurePosixPath("")
        if path.is_file() and zipfile.is_zipfile(path):
            self.archive = zipfile.ZipFile(path)
            names = [n for n in self.archive.namelist() if n.endswith("datapackage.json")]
            if names:  # a package zipped with its folder: paths are relative to it
                self.root = PurePosixPath(min(names, key=len)).parent
        elif path.is_file():
            self.path = path.parent

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def exists(self, name: str) -> bool:
        if self.archive is not None:
            return str(self.root / name) in self.archive.namelist()
        return (self.path / name).is_file()

    @contextmanager
    def open(self, name: str) -> Iterator[IO[str]]:
        """Text, UTF-8 (a byte-order mark is dropped), newlines left to the csv module."""
        if self.archive is not None:
            with self.archive.open(str(self.root / name)) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        else:
            with (self.path / name).open(encoding="utf-8-sig", newline="") as text:
                yield text


def _table_for(resource: dict[str, Any]) -> Table | None:
    if resource.get("name") in BY_NAME:
        return BY_NAME[resource["name"]]
    path = PurePosixPath(str(resource.get("path", ""))).name
    return next((t for t in TABLES if t.path == path), None)


def _resources(source: PackageSource) -> tuple[dict[str, Any], list[Problem]]:
    if not source.exists("datapackage.json"):
        return {}, [Problem("datapackage.json", None, None, "not found in the package")]
    try:
        with source.open("datapackage.json") as text:
            descriptor = json.load(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return {}, [Problem("datapackage.json", None, None, f"not valid JSON: {exc}")]
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        return {}, [Problem("datapackage.json", None, None, "has no list of resources")]
    return descriptor, []


# -- checking rows ----------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict[str, Any]  # the row's fields, converted, ready to insert


class _Checker:
    """One pass over the package: every row checked, the rows' ids collected by table."""

    def __init__(self, session: Session, source: PackageSource, descriptor: dict[str, Any]):
        self.session = session
        self.source = source
        self.problems: list[Problem] = []
        self.report = ImportReport()
        self.ids: dict[str, set[uuid.UUID]] = {t.name: set() for t in TABLES}
        # Ids of rows refused for another reason: what points at them is not reported too.
        self.refused: dict[str, set[uuid.UUID]] = {t.name: set() for t in TABLES}
        self.existing: dict[str, set[uuid.UUID]] = {}
        self.paths: dict[str, tuple[str, str]] = {}  # our table -> (resource name, path)
        created = descriptor.get("created")
        try:
            self.created = as_utc(created) if isinstance(created, str) else utcnow()
        except ValueError:
            self.created = utcnow()
        for resource in descriptor.get("resources", []):
            if not isinstance(resource, dict):
                continue
            label = str(resource.get("name") or resource.get("path"))
            table = _table_for(resource)
            path = resource.get("path")
            if table is None:
                self.report.warnings.append(
                    f"{label}: helpdir has no table for it; its rows are not imported"
                )
            elif not isinstance(path, str) or not source.exists(path):
                self.problems.append(Problem(label, None, None, f"file {path!r} not found"))
            else:
                self.paths[table.name] = (f"{table.name} ({path})", path)

    def existing_ids(self, table: Table) -> set[uuid.UUID]:
        if table.name not in self.existing:
            self.existing[table.name] = set(self.session.scalars(select(table.model.id)))
        return self.existing[table.name]

    def rows(self, table: Table) -> Iterator[_Row]:
        """The table's valid rows, converted; problems with the others are recorded."""
        if table.name not in self.paths:
            return
        label, path = self.paths[table.name]
        model = MODELS[table.name]
        ours = {c.name: c for c in table.columns}
        required = {n for n, f in model.model_fields.items() if f.is_required()} | {"id"}
        dropped: Counter[str] = Counter()
        number = 1
        try:
            with self.source.open(path) as text:
                reader = csv.reader(text)
                header = next(reader, [])
                missing = sorted(required - set(header))
                if missing:
                    self.problems.append(
                        Problem(label, 1, ", ".join(missing), "required column missing")
                    )
                    return
                for number, cells in enumerate(reader, start=2):
                    row = self._row(table, label, model, ours, header, cells, number, dropped)
                    if row is not None:
                        yield row
        except (csv.Error, UnicodeDecodeError) as exc:
            # Not CSV in UTF-8 (or a cell over the csv module's limit): the rest is unread.
            self.problems.append(Problem(label, number + 1, None, f"cannot be read: {exc}"))
        for column, count in sorted(dropped.items()):
            self.report.warnings.append(
                f"{label}: column {column} is not kept by helpdir ({count} value(s) dropped)"
            )

    def _row(
        self,
        table: Table,
        label: str,
        model: type[BaseModel],
        ours: dict[str, Any],
        header: list[str],
        cells: list[str],
        number: int,
        dropped: Counter[str],
    ) -> _Row | None:
        if len(cells) != len(header):
            self.problems.append(
                Problem(label, number, None, f"{len(cells)} cells, the header has {len(header)}")
            )
            return None
        data: dict[str, Any] = {}
        bad = False
        for name, value in zip(header, cells, strict=True):
            if name not in ours or (table.name, name) in DERIVED:
                if value != "" and (table.name, name) not in DERIVED:
                    dropped[name] += 1
                continue
            if value == "":
                continue
            if ours[name].type == "array":
                try:
                    parsed = json.loads(value)
                except json.JSONDecodeError:
                    parsed = None
                if not isinstance(parsed, list):
                    self.problems.append(Problem(label, number, name, "not a JSON array"))
                    bad = True
                    continue
                data[name] = parsed
            else:
                data[name] = value
        try:
            keys = Keys.model_validate(data)
            record = model.model_validate(
                {k: v for k, v in data.items() if k in model.model_fields}
            )
        except ValidationError as exc:
            with suppress(ValueError):
                self.refused[table.name].add(uuid.UUID(str(data.get("id"))))
            for error in exc.errors():
                column = str(error["loc"][0]) if error["loc"] else None
                message = error["msg"].removeprefix("Value error, ")
                self.problems.append(Problem(label, number, column, message))
            return None
        if bad:
            return None
        values = record.model_dump(include=set(model.model_fields))
        values["id"] = keys.id
        for kept in KEPT_TIMES.get(table.name, ()):
            values[kept] = getattr(keys, kept)
        if "last_modified" in table.model.model_fields and values.get("last_modified") is None:
            values["last_modified"] = self.created
        if table is ATTRIBUTE and values["link_entity"] not in LINKABLE:
            self.report.warnings.append(
                f"{label}, row {number}: an attribute of a {values['link_entity']} is not "
                "kept by helpdir"
            )
            return None
        return _Row(number, values)

    def check(self) -> None:
        """The whole package, table by table in load order."""
        for table in LOAD_ORDER:
            label = self.paths.get(table.name, (table.name, ""))[0]
            self_references: list[tuple[_Row, str]] = []
            for row in self.rows(table):
                row_id = row.values["id"]
                if row_id in self.ids[table.name]:
                    self.problems.append(Problem(label, row.number, "id", f"{row_id} repeats"))
                elif row_id in self.existing_ids(table):
                    self.problems.append(
                        Problem(label, row.number, "id", f"{row_id} is already in the database")
                    )
                self.ids[table.name].add(row_id)
                for column in table.columns:
                    target = column.references
                    if target is None or row.values.get(column.name) is None:
                        continue
                    if target == table.name:
                        self_references.append((row, column.name))
                    else:
                        self._reference(label, row, column.name, target)
                if table is ATTRIBUTE:
                    self._reference(label, row, "link_id", row.values["link_entity"])
                self.report.counts[table.name] += 1
            for row, column in self_references:
                self._reference(label, row, column, table.name)

    def _reference(self, label: str, row: _Row, column: str, target: str) -> None:
        value = row.values[column]
        if value in self.ids[target] or value in self.refused[target]:
            return
        if value in self.existing_ids(BY_NAME[target]):
            return
        self.problems.append(Problem(label, row.number, column, f"no {target} has the id {value}"))


# -- loading ----------------------------------------------------------------------------------


def import_package(engine: Engine, path: Path) -> ImportReport:
    """Check the package at `path`, then load it in one transaction. Raises ImportFailed
    with every problem found, having written nothing."""
    source = PackageSource(path)
    try:
        descriptor, problems = _resources(source)
        if problems:
            raise ImportFailed(problems)
        with Session(engine) as session:
            checker = _Checker(session, source, descriptor)
            checker.check()
            if checker.problems:
                raise ImportFailed(checker.problems)
            session.rollback()  # the checks only read: start the load afresh
            _load(session, checker)
            return checker.report
    finally:
        source.close()


def _load(session: Session, checker: _Checker) -> None:
    from api.search import rebuild_search_index

    lock_dataset(session)
    warnings = list(checker.report.warnings)  # reading the rows again repeats them
    for table in LOAD_ORDER:
        sql_table = table.model.__table__
        parents: list[dict[str, Any]] = []
        batch: list[dict[str, Any]] = []
        for row in checker.rows(table):
            values = row.values
            if table in (ORGANIZATION, TAXONOMY_TERM):
                # A parent may come later in the file: link parents once every row is in.
                parent = "parent_organization_id" if table is ORGANIZATION else "parent_id"
                if values.get(parent) is not None:
                    parents.append({"_id": values["id"], "_parent": values[parent]})
                    values = {**values, parent: None}
            batch.append(values)
            if len(batch) >= BATCH:
                session.execute(insert(sql_table), batch)
                batch = []
        if batch:
            session.execute(insert(sql_table), batch)
        if parents:
            column = "parent_organization_id" if table is ORGANIZATION else "parent_id"
            session.execute(
                update(sql_table)
                .where(sql_table.c.id == bindparam("_id"))
                .values({column: bindparam("_parent")}),
                parents,
            )
    if checker.problems:  # cannot happen after a clean check, but never commit a half load
        session.rollback()
        raise ImportFailed(checker.problems)
    checker.report.warnings = warnings
    session.flush()
    rebuild_search_index(session)
    _record_created(session)
    session.commit()


# Loaded with each kind when it is rendered for the feed, so that a chunk costs a fixed
# number of queries (as seed.loader.record_feed_baselines does one record at a time).
_FEED_OPTIONS: dict[ResourceType, tuple[Any, ...]] = {
    ResourceType.organization: FULL_ORGANIZATION,
    ResourceType.service: FULL_SERVICE,
}


def _record_created(session: Session, chunk: int = 200) -> None:
    """A `created` entry in the change feed for every live record that has none yet (those
    just loaded), with the record as GET shows it, so a mirror that follows the feed gets
    them too."""
    for resource in RESOURCES.values():
        table: Any = resource.table
        logged = select(Change.resource_id).where(Change.resource_type == resource.type.value)
        after = None
        while True:
            query = select(table).where(table.retired_at.is_(None), table.id.not_in(logged))
            if after is not None:
                query = query.where(table.id > after)
            query = query.order_by(table.id).options(*_FEED_OPTIONS.get(resource.type, ()))
            rows = list(session.scalars(query.limit(chunk)).unique())
            if rows:
                session.execute(
                    insert(Change),
                    [
                        {
                            "resource_type": resource.type.value,
                            "resource_id": row.id,
                            "action": ChangeAction.created.value,
                            "changed_at": getattr(row, "last_modified", None) or utcnow(),
                            "actor": "import",
                            "fields": [],
                            "record": render(resource, row),
                        }
                        for row in rows
                    ],
                )
            if len(rows) < chunk:
                break
            after = rows[-1].id
            session.expunge_all()
