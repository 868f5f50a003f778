"""`/v1/service_at_locations`: where (including virtually: by phone, online) a service is given."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.ndjson_lists import Format, list_responses, ndjson_response
from api.paging import Page, Paging
from api.queries.listing import iter_rows
from api.queries.service_at_locations import (
    FULL_SERVICE_AT_LOCATION,
    service_at_locations_query,
)
from api.queries.services import get_service_at_location, list_service_at_locations
from api.rendering import RECORD_WITH_ETAG, found, page_response, parse_id, record_response
from api.routes.services import ServiceFiltersDep
from models.service_at_location_views import ServiceAtLocationFull, ServiceAtLocationItem

router = APIRouter(prefix="/service_at_locations", tags=["Service at locations"])


@router.get(
    "",
    operation_id="listServiceAtLocations",
    summary="List services at locations",
    description="Takes the same filters as `/services`, applied to the service; "
    "`format=ndjson` streams every match, fully nested, one per line.",
    response_model=Page[ServiceAtLocationItem],
    responses=list_responses("services at locations"),
)
def list_service_at_locations_route(
    session: SessionDep,
    paging: Paging,
    filters: ServiceFiltersDep,
    request: Request,
    format: Format = "json",
) -> Response:
    if format == "ndjson":
        return ndjson_response(
            request.app.state.engine,
            lambda s: iter_rows(
                s, service_at_locations_query(s, filters), FULL_SERVICE_AT_LOCATION
            ),
            ServiceAtLocationFull,
        )
    rows, total = list_service_at_locations(session, filters, paging.offset, paging.per_page)
    return page_response(ServiceAtLocationItem, rows, total, paging)


@router.get(
    "/{id}",
    operation_id="getServiceAtLocation",
    summary="Get a fully nested service at a location",
    response_model=ServiceAtLocationFull,
    responses={**RECORD_WITH_ETAG, **problem_responses(404)},
)
def get_service_at_location_route(id: str, session: SessionDep) -> Response:
    sal_id = parse_id(id)
    sal = found(get_service_at_location(session, sal_id), "service_at_location", sal_id)
    return record_response(ServiceAtLocationFull.model_validate(sal))
