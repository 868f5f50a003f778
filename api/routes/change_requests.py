"""`/v1/change_requests`: partners' safety-critical changes awaiting an administrator."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.responses import Response

from api.auth import AdminDep, CallerDep
from api.deps import SessionDep
from api.errors import NotFound, problem_responses
from api.paging import Page, Paging
from api.queries.listing import fetch_page
from api.rendering import page_response, parse_id
from api.writes.records import approve_request, reject_request
from api.writes.resources import RESOURCES
from api.writes.responses import change_request_response
from models import ChangeRequest
from models.change_request import ChangeRequestPublic, RequestStatus

router = APIRouter(prefix="/change_requests", tags=["Change requests"])


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Told to the partner.")


@router.get(
    "",
    operation_id="listChangeRequests",
    summary="List change requests",
    description="Administrators see every request; a partner sees its organisation's.",
    response_model=Page[ChangeRequestPublic],
    responses=problem_responses(400, 401),
)
def list_change_requests(
    session: SessionDep,
    caller: CallerDep,
    paging: Paging,
    status: Annotated[RequestStatus | None, Query(description="Only this status.")] = None,
) -> Response:
    query = select(ChangeRequest).order_by(ChangeRequest.requested_at, ChangeRequest.id)
    if status is not None:
        query = query.where(ChangeRequest.status == status.value)
    if not caller.is_admin:
        query = query.where(ChangeRequest.organization_id == caller.organization_id)
    rows, total = fetch_page(session, query, paging)
    return page_response(ChangeRequestPublic, rows, total, paging)


@router.get(
    "/{id}",
    operation_id="getChangeRequest",
    summary="Get a change request",
    response_model=ChangeRequestPublic,
    responses=problem_responses(401, 404),
)
def get_change_request(id: str, session: SessionDep, caller: CallerDep) -> Response:
    request_id = parse_id(id)
    request = session.get(ChangeRequest, request_id)
    # A partner cannot learn that another organisation's request exists.
    if request is None or not (
        caller.is_admin or request.organization_id == caller.organization_id
    ):
        raise NotFound(f"No change request has the id {request_id}.")
    return change_request_response(request)


@router.post(
    "/{id}/approve",
    operation_id="approveChangeRequest",
    summary="Approve and apply a change request (administrators)",
    description="Applies the change atomically; 409 if the record changed since the "
    "request was made, or the request was already decided; 422 if the change is no longer "
    "valid (say, it names a record that has been retired since).",
    response_model=ChangeRequestPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def approve(id: str, request: Request, admin: AdminDep) -> Response:
    decided, _published = approve_request(request.app.state.engine, RESOURCES, parse_id(id), admin)
    return change_request_response(decided)


@router.post(
    "/{id}/reject",
    operation_id="rejectChangeRequest",
    summary="Reject a change request (administrators)",
    description="Nothing is published; the reason is kept with the request for the partner.",
    response_model=ChangeRequestPublic,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, body=True),
)
def reject(
    id: str, request: Request, admin: AdminDep, body: Annotated[Rejection, Body()]
) -> Response:
    decided = reject_request(request.app.state.engine, parse_id(id), body.reason, admin)
    return change_request_response(decided)
