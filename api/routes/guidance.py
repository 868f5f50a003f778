"""`/v1/guidance`: what the sources advise, as ordered items."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.ndjson_lists import Format, list_responses, ndjson_response
from api.paging import Page, Paging
from api.queries.guidance import get_guidance, guidance_query
from api.queries.listing import fetch_page, iter_rows
from api.rendering import RECORD_WITH_ETAG, found, page_response, parse_id, record_response
from models.guidance import GuidanceCategory, GuidancePublic

router = APIRouter(prefix="/guidance", tags=["Guidance"])


@router.get(
    "",
    operation_id="listGuidance",
    summary="List guidance",
    description="A page of guidance by name, then id; `format=ndjson` streams every match, "
    "one per line.",
    response_model=Page[GuidancePublic],
    responses=list_responses("guidance"),
)
def list_guidance_route(
    session: SessionDep,
    paging: Paging,
    request: Request,
    category: Annotated[GuidanceCategory | None, Query(description="Only this topic.")] = None,
    format: Format = "json",
) -> Response:
    if format == "ndjson":
        return ndjson_response(
            request.app.state.engine,
            lambda s: iter_rows(s, guidance_query(category)),
            GuidancePublic,
        )
    rows, total = fetch_page(session, guidance_query(category), paging)
    return page_response(GuidancePublic, rows, total, paging)


@router.get(
    "/{id}",
    operation_id="getGuidance",
    summary="Get one piece of guidance",
    response_model=GuidancePublic,
    responses={**RECORD_WITH_ETAG, **problem_responses(404)},
)
def get_guidance_route(id: str, session: SessionDep) -> Response:
    guidance_id = parse_id(id)
    guidance = found(get_guidance(session, guidance_id), "guidance", guidance_id)
    return record_response(GuidancePublic.model_validate(guidance))
