"""`/v1/reporting_channels`: typed ways to report stalking or get urgent help."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.ndjson_lists import Format, list_responses, ndjson_response
from api.paging import Page, Paging
from api.queries.listing import fetch_page, iter_rows
from api.queries.reporting_channels import get_reporting_channel, reporting_channels_query
from api.rendering import RECORD_WITH_ETAG, found, page_response, parse_id, record_response
from models.reporting_channel import ChannelMethod, ReportingChannelPublic, SuitableFor, Urgency

router = APIRouter(prefix="/reporting_channels", tags=["Reporting channels"])


@router.get(
    "",
    operation_id="listReportingChannels",
    summary="List ways to report stalking or get urgent help",
    description="A page of channels by name, then id; `format=ndjson` streams every match, "
    "one per line.",
    response_model=Page[ReportingChannelPublic],
    responses=list_responses("reporting channels"),
)
def list_reporting_channels_route(
    session: SessionDep,
    paging: Paging,
    request: Request,
    urgency: Annotated[Urgency | None, Query(description="emergency or non_emergency")] = None,
    method: Annotated[ChannelMethod | None, Query(description="How you reach it.")] = None,
    suitable_for: Annotated[
        SuitableFor | None, Query(description="Channels suitable for this need.")
    ] = None,
    format: Format = "json",
) -> Response:
    if format == "ndjson":
        return ndjson_response(
            request.app.state.engine,
            lambda s: iter_rows(s, reporting_channels_query(urgency, method, suitable_for)),
            ReportingChannelPublic,
        )
    rows, total = fetch_page(
        session, reporting_channels_query(urgency, method, suitable_for), paging
    )
    return page_response(ReportingChannelPublic, rows, total, paging)


@router.get(
    "/{id}",
    operation_id="getReportingChannel",
    summary="Get a reporting channel",
    response_model=ReportingChannelPublic,
    responses={**RECORD_WITH_ETAG, **problem_responses(404)},
)
def get_reporting_channel_route(id: str, session: SessionDep) -> Response:
    channel_id = parse_id(id)
    channel = found(get_reporting_channel(session, channel_id), "reporting channel", channel_id)
    return record_response(ReportingChannelPublic.model_validate(channel))
