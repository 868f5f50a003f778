"""`/v1/changes`: the append-only public feed of created, updated and retired records."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.deps import SessionDep
from api.errors import problem_responses
from api.queries.changes import changes_after
from api.rendering import json_response
from models.change import ChangeFeed, ChangeFeedEntry

router = APIRouter(tags=["Changes"])


@router.get(
    "/changes",
    operation_id="listChanges",
    summary="The change feed",
    description="Every change in the order it was made, after a cursor. Start from "
    "`after=0`; keep `next_cursor` and ask again later. `created`, `updated` and `verified` "
    "entries carry the record as published; `deleted` entries are tombstones. Replaying the "
    "feed from 0 reproduces the directory exactly.",
    response_model=ChangeFeed,
    responses=problem_responses(400),
)
def list_changes(
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="Cursor to read after.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> Response:
    rows = changes_after(session, after, limit)
    entries = [ChangeFeedEntry.model_validate(row) for row in rows]
    next_cursor = rows[-1].cursor if rows else after
    return json_response(ChangeFeed(changes=entries, next_cursor=next_cursor or after))
