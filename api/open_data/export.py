"""Writing the HSDS tabular data package, and the JSON Lines dump of every record.

The package is a function of the published data alone: `created` is the time the dataset
last changed, rows are ordered by id and the zip entries carry that same time, so one
dataset version always gives the same bytes (which is what lets the server keep one file
per version and give it a strong ETag). Rows are streamed from the database into the zip,
so memory stays flat however large the directory is.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from api.open_data.tables import TABLES, Table, published_rows
from api.queries.guidance import guidance_query
from api.queries.listing import iter_rows
from api.queries.organizations import FULL_ORGANIZATION, organizations_query
from api.queries.reporting_channels import reporting_channels_query
from api.queries.services import FULL_SERVICE
from api.queries.taxonomies import FULL_TAXONOMY, taxonomies_query, taxonomy_terms_query
from api.rendering import to_json
from models import DatasetState, Service, Source
from models.guidance import GuidancePublic
from models.organization_full import OrganizationFull
from models.reporting_channel import ReportingChannelPublic
from models.service import ServiceFull
from models.taxonomy import TaxonomyFull, TaxonomyTermPublic

OGL_V3 = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
HSDS_URL = "https://docs.openreferral.org/en/latest/"
ATTRIBUTION = (
    "Contains data from helpdir, sourced from Buckinghamshire Council and the public pages "
    "each record cites (see `sources` and helpdir_sources.csv)."
)
CHUNK = 2000  # rows fetched from the database at a time


def as_utc(moment: datetime | str) -> datetime:
    """Aware, in UTC: SQLite gives back naive times (stored as UTC), or text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def dataset_changed_at(session: Session) -> datetime:
    """When the published directory last changed: the package's `created` time."""
    changed_at = session.scalar(select(DatasetState.changed_at).where(DatasetState.id == 1))
    return as_utc(changed_at) if changed_at is not None else datetime(1980, 1, 1, tzinfo=UTC)


def iso_datetime(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def cell(value: Any) -> str:
    """One CSV cell: absent is empty, times are ISO 8601 in UTC, lists are JSON arrays."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    return str(value)


def descriptor(session: Session, created: datetime) -> dict[str, Any]:
    """datapackage.json: what each CSV holds, the licence, the sources and `created`."""
    sources = session.scalars(select(Source).order_by(Source.key, Source.id)).all()
    return {
        "profile": "tabular-data-package",
        "name": "helpdir-hsds",
        "title": "helpdir: help for people affected by stalking and harassment in England",
        "description": "The directory as an HSDS 3.0 tabular data package (Open Referral UK "
        "3.0 profile): one CSV per HSDS table that helpdir uses, with HSDS column names, "
        "plus the helpdir_* extension tables (reporting channels, guidance, sources and "
        f"citations). HSDS: {HSDS_URL}. Attribution: {ATTRIBUTION}",
        "created": iso_datetime(created),
        "keywords": ["HSDS", "Open Referral", "Open Referral UK", "stalking", "harassment"],
        "licenses": [
            {"name": "OGL-UK-3.0", "path": OGL_V3, "title": "Open Government Licence v3.0"}
        ],
        "sources": [{"title": s.title, "path": s.url} for s in sources],
        "resources": [_resource(table) for table in TABLES],
    }


def _resource(table: Table) -> dict[str, Any]:
    fields = []
    for column in table.columns:
        field: dict[str, Any] = {"name": column.name, "type": column.type}
        if column.format:
            field["format"] = column.format
        constraints = {}
        if table.required(column):
            constraints["required"] = True
        if column.name == "id":
            constraints["unique"] = True
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    foreign_keys = [
        {
            "fields": column.name,
            "reference": {
                "resource": "" if column.references == table.name else column.references,
                "fields": "id",
            },
        }
        for column in table.columns
        if column.references
    ]
    schema: dict[str, Any] = {"fields": fields, "primaryKey": ["id"]}
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": table.name,
        "path": table.path,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": table.description,
        "schema": schema,
    }


def write_csv(session: Session, table: Table, out: IO[str]) -> int:
    """Stream the table's published rows as CSV (RFC 4180) into `out`; returns the count."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in table.columns])
    count = 0
    rows = session.execute(published_rows(table).execution_options(yield_per=CHUNK))
    for row in rows:
        writer.writerow([cell(value) for value in row])
        count += 1
    return count


def write_package(session: Session, target: Path) -> dict[str, int]:
    """Write the package as a zip (`target` ending in .zip) or into a folder; returns the
    number of rows of each table."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # One snapshot for every table, even while writes go on.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    created = dataset_changed_at(session)
    package = json.dumps(descriptor(session, created), indent=2, ensure_ascii=False) + "\n"
    counts: dict[str, int] = {}
    if target.suffix == ".zip":
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            _entry(archive, "datapackage.json", created, package)
            for table in TABLES:
                with _open_entry(archive, table.path, created) as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                    counts[table.name] = write_csv(session, table, text)
                    text.flush()
                    text.detach()
        return counts
    target.mkdir(parents=True, exist_ok=True)
    (target / "datapackage.json").write_text(package, encoding="utf-8")
    for table in TABLES:
        with (target / table.path).open("w", encoding="utf-8", newline="") as out:
            counts[table.name] = write_csv(session, table, out)
    return counts


def _zip_info(name: str, created: datetime) -> zipfile.ZipInfo:
    """Fixed metadata, so that the same data always makes the same zip."""
    moment = max(created, datetime(1980, 1, 1, tzinfo=UTC))  # the zip format's first day
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever the machine
    info.external_attr = 0o644 << 16
    return info


def _entry(archive: zipfile.ZipFile, name: str, created: datetime, text: str) -> None:
    archive.writestr(_zip_info(name, created), text.encode())


def _open_entry(archive: zipfile.ZipFile, name: str, created: datetime) -> IO[bytes]:
    # The size is not known before the rows are written, and may pass the 2 GiB a plain
    # zip entry can hold.
    return archive.open(_zip_info(name, created), "w", force_zip64=True)


# -- JSON Lines -------------------------------------------------------------------------------


def iter_records(session: Session) -> Iterator[bytes]:
    """Every published record, fully nested as its GET shows it, one JSON object a line:
    `{"type": ..., "record": {...}}`; taxonomies first, then what refers to them."""
    kinds: tuple[tuple[str, type[BaseModel], Iterable[Any]], ...] = (
        ("taxonomy", TaxonomyFull, iter_rows(session, taxonomies_query(), FULL_TAXONOMY)),
        ("taxonomy_term", TaxonomyTermPublic, iter_rows(session, taxonomy_terms_query())),
        (
            "organization",
            OrganizationFull,
            iter_rows(session, organizations_query(), FULL_ORGANIZATION),
        ),
        ("service", ServiceFull, iter_rows(session, _live_services(), FULL_SERVICE)),
        (
            "reporting_channel",
            ReportingChannelPublic,
            iter_rows(session, reporting_channels_query()),
        ),
        ("guidance", GuidancePublic, iter_rows(session, guidance_query())),
    )
    for kind, shape, rows in kinds:
        prefix = b'{"type":"' + kind.encode() + b'","record":'
        for row in rows:
            yield prefix + to_json(shape.model_validate(row)) + b"}\n"


def _live_services() -> Any:
    return select(Service).where(Service.retired_at.is_(None)).order_by(Service.id)  # type: ignore[union-attr]


def write_json_lines(session: Session, out: IO[bytes]) -> int:
    """Write every record to `out`; returns how many."""
    count = 0
    for line in iter_records(session):
        out.write(line)
        count += 1
    return count
