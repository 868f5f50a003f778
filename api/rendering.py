"""Turning public models into JSON bytes: orjson, and never a `null` field."""

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response

from api.errors import NotFound
from api.paging import PageParams, make_page, page_fields


def to_json(model: BaseModel) -> bytes:
    # HSDS string fields are not nullable: absent values are left out, not sent as null.
    return orjson.dumps(model.model_dump(mode="json", exclude_none=True))


def etag_for(body: bytes) -> str:
    """A strong ETag: the same bytes always give the same tag."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def json_response(model: BaseModel) -> Response:
    return Response(to_json(model), media_type="application/json")


ETAG_HEADER = {
    "ETag": {
        "description": "The record's current version: send it back as `If-Match` to change it.",
        "required": True,
        "schema": {"type": "string"},
    }
}
# OpenAPI for a 200 sent by `record_response`.
RECORD_WITH_ETAG: dict[int | str, dict[str, Any]] = {
    200: {"description": "The record.", "headers": ETAG_HEADER}
}


def record_response(model: BaseModel) -> Response:
    """One record, with the ETag a client sends back as If-Match to change it."""
    body = to_json(model)
    return Response(body, media_type="application/json", headers={"ETag": etag_for(body)})


def page_response(
    shape: type[BaseModel], rows: Iterable[Any], total: int, params: PageParams
) -> Response:
    """A Page envelope of `rows` shown as `shape`."""
    contents = [shape.model_validate(row) for row in rows]
    return json_response(make_page(contents, total, params))


# Dicts built in a model's shape (api/queries/service_export.py) hold datetimes, dates and
# strings; with this option orjson writes a UTC time with "Z", as pydantic does.
_RECORD_OPTION = orjson.OPT_UTC_Z


def record_json(record: dict[str, Any]) -> bytes:
    """A dict already in its public model's shape (empty fields left out) as JSON."""
    return orjson.dumps(record, option=_RECORD_OPTION)


def records_page_response(
    contents: list[dict[str, Any]], total: int, params: PageParams
) -> Response:
    """A Page envelope of dicts already in their public shape: no model per row."""
    body = orjson.dumps(page_fields(contents, total, params), option=_RECORD_OPTION)
    return Response(body, media_type="application/json")


def record_dict_response(record: dict[str, Any]) -> Response:
    """`record_response` for a dict already in its public shape: the same bytes and ETag."""
    body = record_json(record)
    return Response(body, media_type="application/json", headers={"ETag": etag_for(body)})


def ndjson_lines(models: Iterable[BaseModel]) -> Iterator[bytes]:
    for model in models:
        yield to_json(model) + b"\n"


def parse_id(value: str) -> uuid.UUID:
    """A path id that is not a UUID cannot name a record: that is a 404, not a 400."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No record has the id {value[:64]!r}.") from None


def found(record: Any, kind: str, record_id: uuid.UUID) -> Any:
    if record is None:
        raise NotFound(f"No {kind} has the id {record_id}.")
    return record
