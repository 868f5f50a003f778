"""`format=ndjson` on the lists: every matching record, fully nested, one JSON object a line,
streamed as it is read (constant memory, no envelope, no paging)."""

from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.responses import Response, StreamingResponse

from api.errors import problem_responses
from api.rendering import to_json

NDJSON = "application/x-ndjson"

Format = Annotated[
    Literal["json", "ndjson"],
    Query(description="`ndjson` streams every match, fully nested, one per line (no paging)."),
]


def list_responses(noun: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI of a list that also streams: its 200 in both media types, and its 400."""
    return {
        200: {
            "content": {NDJSON: {"schema": {"type": "string"}}},
            "description": f"A page of {noun} (JSON) or every match (NDJSON).",
        },
        **problem_responses(400),
    }


def ndjson_response(
    engine: Engine, rows: Callable[[Session], Iterable[Any]], shape: type[BaseModel]
) -> Response:
    def lines() -> Iterator[bytes]:
        # The stream outlives the request's session, so it reads through its own.
        with Session(engine) as session:
            for row in rows(session):
                yield to_json(shape.model_validate(row)) + b"\n"

    return StreamingResponse(lines(), media_type=NDJSON)
