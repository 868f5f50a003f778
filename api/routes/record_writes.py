"""POST, PATCH, DELETE and history for each writable kind of record.

The five kinds share one write path (`api/writes/records.py`), so their routes are made
here from each kind's description rather than copied five times.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request
from starlette.responses import Response

from api.auth import AdminDep, CallerDep
from api.deps import SessionDep
from api.errors import NotFound, problem_responses
from api.paging import Page, Paging
from api.queries.changes import history_query
from api.queries.listing import fetch_page
from api.rendering import ETAG_HEADER, page_response, parse_id
from api.writes.records import Held, create_record, retire_record, update_record
from api.writes.resources import Resource
from api.writes.responses import held_response, published_response
from models.change import ChangeHistoryEntry
from models.change_request import ChangeRequestPublic

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The record's current ETag, from a GET. Without it the change is refused "
        "with 428; if the record has changed since, with 412.",
    ),
]
MERGE_PATCH = "application/merge-patch+json"

# OpenAPI for the answers to a write (problems are documented by `problem_responses`).
HELD: dict[int | str, dict[str, Any]] = {
    202: {
        "model": ChangeRequestPublic,
        "description": "Held for review: a partner's change to a phone number, email, URL or "
        "reporting channel is published only when an administrator approves it. The body is "
        "the change request.",
        "headers": {
            "Location": {
                "description": "The change request: `/v1/change_requests/{id}`.",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    }
}
PUBLISHED = {
    "description": "Published at once: the record as GET now shows it.",
    "headers": ETAG_HEADER,
}
CREATED = {
    "description": "Created and published: the record as GET shows it.",
    "headers": {
        "Location": {
            "description": "The new record's URL.",
            "required": True,
            "schema": {"type": "string"},
        },
        **ETAG_HEADER,
    },
}


def add_write_routes(router: APIRouter, resource: Resource, path: str, noun: str) -> None:
    """Register create, update (merge patch), retire and history for one kind of record."""
    name = "".join(part.title() for part in resource.type.value.split("_"))
    write_model: Any = resource.write

    def create(
        request: Request, caller: CallerDep, body: Annotated[write_model, Body()]
    ) -> Response:
        outcome = create_record(
            request.app.state.engine,
            resource,
            body.model_dump(mode="json", exclude_none=True),
            caller,
        )
        if isinstance(outcome, Held):
            return held_response(outcome)
        return published_response(outcome, 201, f"/v1{path}/{outcome.record['id']}")

    def patch(
        id: str,
        request: Request,
        caller: CallerDep,
        body: Annotated[
            dict[str, Any],
            Body(
                media_type=MERGE_PATCH,
                description="A JSON merge patch (RFC 7386) of the record as GET shows it: "
                "the fields to change; `null` removes a field; a list (such as `phones`) "
                "is replaced whole.",
            ),
        ],
        if_match: IfMatch = None,
    ) -> Response:
        outcome = update_record(
            request.app.state.engine, resource, parse_id(id), body, if_match, caller
        )
        return held_response(outcome) if isinstance(outcome, Held) else published_response(outcome)

    def retire(id: str, request: Request, caller: CallerDep, if_match: IfMatch = None) -> Response:
        retire_record(request.app.state.engine, resource, parse_id(id), if_match, caller)
        return Response(status_code=204)

    def history(id: str, session: SessionDep, _admin: AdminDep, paging: Paging) -> Response:
        record_id = parse_id(id)
        if session.get(resource.table, record_id) is None:  # retired records keep their history
            raise NotFound(f"No {resource.type.value} has the id {record_id}.")
        rows, total = fetch_page(session, history_query(resource.type, record_id), paging)
        return page_response(ChangeHistoryEntry, rows, total, paging)

    router.add_api_route(
        path,
        create,
        methods=["POST"],
        status_code=201,
        operation_id=f"create{name}",
        summary=f"Create {noun}",
        description="Administrators"
        + (" and partners (for their own organisation)" if resource.partner_may_create else "")
        + " may create.",
        response_model=resource.shape,
        responses={
            201: CREATED,
            **(HELD if resource.partner_may_create else {}),
            **problem_responses(400, 401, 403, 413, 422, body=True),
        },
    )
    router.add_api_route(
        f"{path}/{{id}}",
        patch,
        methods=["PATCH"],
        operation_id=f"update{name}",
        summary=f"Change {noun} (JSON merge patch)",
        description="Send `If-Match` with the ETag from a GET, and only the fields to change.",
        response_model=resource.shape,
        responses={
            200: PUBLISHED,
            **(HELD if resource.partner_may_edit else {}),
            **problem_responses(400, 401, 403, 404, 412, 413, 422, 428, body=True),
        },
    )
    router.add_api_route(
        f"{path}/{{id}}",
        retire,
        methods=["DELETE"],
        status_code=204,
        operation_id=f"retire{name}",
        summary=f"Retire {noun}",
        description="The record leaves every list and GET (404 from then on) and the change "
        "feed gets a tombstone; its history is kept. Refused with 409 while live records "
        "still point at it.",
        responses={
            204: {"description": "Retired."},
            **problem_responses(401, 403, 404, 409, 412, 428),
        },
    )
    router.add_api_route(
        f"{path}/{{id}}/history",
        history,
        methods=["GET"],
        operation_id=f"get{name}History",
        summary=f"History of {noun} (administrators)",
        description="Every applied change to the record, oldest first: who, when, and each "
        "field before and after.",
        response_model=Page[ChangeHistoryEntry],
        responses=problem_responses(400, 401, 403, 404),
    )
