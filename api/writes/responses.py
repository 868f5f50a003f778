"""How the outcome of a write is told to the client."""

from typing import Any

import orjson
from starlette.responses import Response

from api.rendering import to_json
from api.writes.records import Held, Published
from models.change_request import ChangeRequestPublic


def published_response(
    outcome: Published, status: int = 200, location: str | None = None
) -> Response:
    headers = {"ETag": outcome.etag}
    if location:
        headers["Location"] = location
    return Response(
        orjson.dumps(outcome.record),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def change_request_response(request: Any, status: int = 200) -> Response:
    body = to_json(ChangeRequestPublic.model_validate(request))
    return Response(body, status_code=status, media_type="application/json")


def held_response(outcome: Held) -> Response:
    """202: accepted for review, not published; the change request says what happens next."""
    response = change_request_response(outcome.request, status=202)
    response.headers["Location"] = f"/v1/change_requests/{outcome.request.id}"
    return response
