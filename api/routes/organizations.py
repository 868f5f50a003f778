"""`/v1/organizations`: who runs the services."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.ndjson_lists import Format, list_responses, ndjson_response
from api.paging import Page, Paging
from api.queries.listing import fetch_page, iter_rows
from api.queries.organizations import (
    FULL_ORGANIZATION,
    get_organization,
    organizations_query,
)
from api.rendering import RECORD_WITH_ETAG, found, page_response, parse_id, record_response
from models.organization import OrganizationPublic
from models.organization_full import OrganizationFull

router = APIRouter(prefix="/organizations", tags=["Organizations"])


@router.get(
    "",
    operation_id="listOrganizations",
    summary="List organisations",
    description="A page of organisations by name, then id; `format=ndjson` streams every "
    "organisation, fully nested, one per line.",
    response_model=Page[OrganizationPublic],
    responses=list_responses("organisations"),
)
def list_organizations_route(
    session: SessionDep, paging: Paging, request: Request, format: Format = "json"
) -> Response:
    if format == "ndjson":
        return ndjson_response(
            request.app.state.engine,
            lambda s: iter_rows(s, organizations_query(), FULL_ORGANIZATION),
            OrganizationFull,
        )
    rows, total = fetch_page(session, organizations_query(), paging)
    return page_response(OrganizationPublic, rows, total, paging)


@router.get(
    "/{id}",
    operation_id="getOrganization",
    summary="Get a fully nested organisation with its services",
    response_model=OrganizationFull,
    responses={**RECORD_WITH_ETAG, **problem_responses(404)},
)
def get_organization_route(id: str, session: SessionDep) -> Response:
    organization_id = parse_id(id)
    organization = found(
        get_organization(session, organization_id), "organization", organization_id
    )
    return record_response(OrganizationFull.model_validate(organization))
