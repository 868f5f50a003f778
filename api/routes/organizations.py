"""`/v1/organizations`: who runs the services."""

from fastapi import APIRouter
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.paging import Page, Paging
from api.queries.listing import fetch_page
from api.queries.organizations import get_organization, organizations_query
from api.rendering import RECORD_WITH_ETAG, found, page_response, parse_id, record_response
from models.organization import OrganizationPublic
from models.organization_full import OrganizationFull

router = APIRouter(prefix="/organizations", tags=["Organizations"])


@router.get(
    "",
    operation_id="listOrganizations",
    summary="List organisations",
    response_model=Page[OrganizationPublic],
    responses=problem_responses(400),
)
def list_organizations_route(session: SessionDep, paging: Paging) -> Response:
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
