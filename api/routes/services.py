"""`/v1/services`: the ORUK service list (filters, paging, ndjson) and nested records."""

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BeforeValidator
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.responses import Response, StreamingResponse

from api.auth import AdminDep
from api.compression import request_accepts_gzip
from api.deps import SessionDep
from api.errors import problem_responses
from api.open_data.served import PackageFiles
from api.paging import Page, Paging
from api.queries.service_export import ServiceReader
from api.queries.services import (
    ServiceFilters,
    all_service_keys,
    count_services,
    live_service_keys,
    page_service_keys,
)
from api.rendering import (
    ETAG_HEADER,
    RECORD_WITH_ETAG,
    found,
    parse_id,
    record_dict_response,
    record_json,
    records_page_response,
)
from api.routes.exports import PackageFile, send_package
from api.routes.record_writes import IfMatch
from api.writes.records import verify_service
from api.writes.resources import RESOURCES
from api.writes.responses import published_response
from models.change import ResourceType
from models.service import ServiceFull, ServiceMinimal, ServicePublic

router = APIRouter(prefix="/services", tags=["Services"])

SEARCH_MAX = 500
_ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_8601(value: object) -> object:
    # Pydantic would also read a bare number ("0.5", "1700000000") as a Unix time; the
    # contract promises ISO 8601, so anything that does not start with a date is refused.
    if isinstance(value, str) and not _ISO_DATE_START.match(value):
        raise ValueError("must be an ISO 8601 date-time, such as 2026-01-31T09:00:00Z")
    return value


def service_filters(
    search: Annotated[
        str | None,
        Query(
            max_length=SEARCH_MAX,
            description="Full-text search over the names and descriptions of the service and "
            "its organisation; case- and accent-insensitive, every word must match (as a "
            "prefix), best matches first.",
        ),
    ] = None,
    taxonomy_term_id: Annotated[
        uuid.UUID | None,
        Query(description="Services linked to this taxonomy term (or a narrower one)."),
    ] = None,
    taxonomy_id: Annotated[
        uuid.UUID | None, Query(description="Services linked to any term of this taxonomy.")
    ] = None,
    organization_id: Annotated[
        uuid.UUID | None, Query(description="Services of this organisation.")
    ] = None,
    modified_after: Annotated[
        datetime | None,
        BeforeValidator(_iso_8601),
        Query(description="Services changed on or after this ISO 8601 time (UTC if no zone)."),
    ] = None,
    minimum_age: Annotated[
        float | None,
        Query(ge=0, le=150, description="Services whose minimum age is at least this."),
    ] = None,
    maximum_age: Annotated[
        float | None,
        Query(ge=0, le=150, description="Services whose maximum age is at most this."),
    ] = None,
) -> ServiceFilters:
    if modified_after is not None:
        modified_after = _in_utc(modified_after)
    return ServiceFilters(
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        organization_id=organization_id,
        modified_after=modified_after,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
    )


def _in_utc(moment: datetime) -> datetime:
    """UTC (a naive time is taken as UTC). A time whose UTC falls before year 1 or after
    year 9999 cannot be stored or compared, so it is clamped to the first or last time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year == datetime.min.year else datetime.max
        return edge.replace(tzinfo=UTC)


ServiceFiltersDep = Annotated[ServiceFilters, Depends(service_filters)]


@router.get(
    "",
    operation_id="listServices",
    summary="List services",
    description="A page of services, ordered by rank (when searching), then name, then id. "
    "`minimal=true` gives only `id` and `last_modified`; `full=true` nests every related "
    "record; `format=ndjson` streams every matching fully nested service, one per line.",
    response_model=Page[ServicePublic] | Page[ServiceMinimal] | Page[ServiceFull],
    responses={
        200: {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "description": "A page of services (JSON) or every match (NDJSON).",
        },
        **problem_responses(400),
    },
)
def list_services_route(
    session: SessionDep,
    paging: Paging,
    request: Request,
    filters: ServiceFiltersDep,
    minimal: Annotated[bool, Query(description="Only id and last_modified.")] = False,
    full: Annotated[bool, Query(description="Fully nested services in contents.")] = False,
    format: Annotated[
        Literal["json", "ndjson"], Query(description="`ndjson` streams every match.")
    ] = "json",
) -> Response:
    if format == "ndjson":
        stream = _stream(request.app.state.engine, filters)
        if filters == ServiceFilters():
            # Every service: the same bytes for everyone until the dataset changes, so kept
            # as a file while the first request streams it, then sent from disk
            # (api/open_data/served.py).
            files: PackageFiles = request.app.state.services_ndjson
            package = files.ready()
            if package is not None:
                return send_package(request, package, NDJSON, response_class=NdjsonFile)
            if request_accepts_gzip(request):
                # The gzip the file gets, sent as it is made (the gzip middleware passes a
                # response that has its Content-Encoding already).
                return StreamingResponse(
                    files.tee(stream, send_gzipped=True),
                    media_type=NDJSON,
                    headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
                )
            stream = files.tee(stream)
        return StreamingResponse(stream, media_type=NDJSON)
    # The count, then the page's ids (from an index when no search ranks them), then its
    # rows by id.
    total = count_services(session, filters)
    keys = page_service_keys(session, filters, paging.offset, paging.per_page, total)
    reader = ServiceReader(session.connection())
    read = reader.minimal if minimal else reader.full if full else reader.public
    return records_page_response(read(keys), total, paging)


EXPORT_BATCH = 500
NDJSON = "application/x-ndjson"


def _stream(engine: Engine, filters: ServiceFilters) -> Iterator[bytes]:
    """Every match, a batch of services per chunk: a few flat queries per batch, no model
    per row, so memory stays flat and the rate is set by the database and orjson."""
    # The stream outlives the request's session, so it reads through its own.
    with Session(engine) as session:
        keys = all_service_keys(session, filters)
        reader = ServiceReader(session.connection())
        for start in range(0, len(keys), EXPORT_BATCH):
            records = reader.full(keys[start : start + EXPORT_BATCH])
            yield b"".join([record_json(record) + b"\n" for record in records])


class NdjsonFile(PackageFile):
    """Read in 1 MiB chunks, not 64 KiB: a sixteenth of the reads (each a hop to a worker
    thread) and sends for a file of hundreds of MB, and still one chunk in memory at a time.
    Should the file go out through the gzip middleware (no gzip of it on disk), a chunk
    this large is compressed in a worker thread, not on the event loop."""

    chunk_size = 1024 * 1024


@router.get(
    "/{id}",
    operation_id="getService",
    summary="Get a fully nested service",
    response_model=ServiceFull,
    responses={**RECORD_WITH_ETAG, **problem_responses(404)},
)
def get_service_route(id: str, session: SessionDep) -> Response:
    service_id = parse_id(id)
    keys = live_service_keys(session, [service_id])
    records = ServiceReader(session.connection()).full(keys)
    return record_dict_response(found(records[0] if records else None, "service", service_id))


@router.post(
    "/{id}/verify",
    operation_id="verifyService",
    summary="Mark a service as verified (administrators)",
    description="Sets `assured_date` to today; `last_modified` does not change.",
    response_model=ServiceFull,
    responses={
        200: {"description": "The service, verified.", "headers": ETAG_HEADER},
        **problem_responses(401, 403, 404, 412, 428),
    },
)
def verify_service_route(
    id: str, request: Request, admin: AdminDep, if_match: IfMatch = None
) -> Response:
    resource = RESOURCES[ResourceType.service]
    outcome = verify_service(request.app.state.engine, resource, parse_id(id), if_match, admin)
    return published_response(outcome)
