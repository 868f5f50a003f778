"""`/v1/reporting_channels`: typed ways to report stalking or get urgent help."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.paging import Page, Paging
from api.queries.listing import fetch_page
from api.queries.reporting_channels import get_reporting_channel, reporting_channels_query
from api.rendering import RECORD_WITH_ETAG, found, page_response, parse_id, record_response
from models.reporting_channel import ChannelMethod, ReportingChannelPublic, SuitableFor, Urgency

router = APIRouter(prefix="/reporting_channels", tags=["Reporting channels"])


@router.get(
    "",
    operation_id="listReportingChannels",
    summary="List ways to report stalking or get urgent help",
    response_model=Page[ReportingChannelPublic],
    responses=problem_responses(400),
)
def list_reporting_channels_route(
    session: SessionDep,
    paging: Paging,
    urgency: Annotated[Urgency | None, Query(description="emergency or non_emergency")] = None,
    method: Annotated[ChannelMethod | None, Query(description="How you reach it.")] = None,
    suitable_for: Annotated[
        SuitableFor | None, Query(description="Channels suitable for this need.")
    ] = None,
) -> Response:
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
