"""RFC 9457 problem+json: domain exceptions and the one place they become HTTP responses."""

from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import Response

from api.openapi_doc import allowed_methods

PROBLEM_TYPE_BASE = "https://helpdir.example/problems/"


class ProblemError(BaseModel):
    """One field-level problem: where (a path of names and indexes) and what is wrong."""

    field: str
    message: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None


class ProblemResponse(Response):
    media_type = "application/problem+json"


class ApiError(Exception):
    status = 500
    title = "Internal Server Error"
    slug = "internal"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, errors: list[ProblemError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class BadRequest(ApiError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(ApiError):
    status, title, slug = 401, "Unauthorized", "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ApiError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ApiError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ApiError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(ApiError):
    status, title, slug = 412, "Precondition Failed", "stale-etag"


class Unprocessable(ApiError):
    status, title, slug = 422, "Unprocessable Content", "validation"


class PreconditionRequired(ApiError):
    status, title, slug = 428, "Precondition Required", "if-match-required"


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str,
    errors: list[ProblemError] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    return ProblemResponse(orjson.dumps(body), status_code=status, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _on_api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem(exc.status, exc.title, exc.detail, exc.slug, exc.errors, exc.headers)


def _on_validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [ProblemError(field=_field_path(e["loc"]), message=e["msg"]) for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in exc.errors()):
        return problem(400, "Bad Request", "The request body is not valid JSON.", "malformed-json")
    in_body = any(e["loc"] and e["loc"][0] == "body" for e in exc.errors())
    # Query and path parameters that do not parse are a bad request; a well-formed
    # body with wrong values is unprocessable.
    if in_body:
        return problem(
            422, "Unprocessable Content", "The request body is not valid.", "validation", errors
        )
    return problem(
        400, "Bad Request", "A query or path parameter is not valid.", "invalid-parameter", errors
    )


def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = {404: "Not Found", 405: "Method Not Allowed"}.get(
        exc.status_code, HTTPStatus(exc.status_code).phrase
    )
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
    return problem(
        exc.status_code, title, detail, title.lower().replace(" ", "-"), headers=headers or None
    )


def _on_unexpected(_request: Request, _exc: Exception) -> Response:
    # Never leak a trace; the server log keeps it.
    return problem(500, "Internal Server Error", "Something went wrong on our side.", "internal")


def database_unavailable() -> ProblemResponse:
    """A lost connection, a full pool or a locked file: the client may simply try again."""
    return problem(
        503,
        "Service Unavailable",
        "The directory's database cannot be reached just now; try again shortly.",
        "unavailable",
        headers={"Retry-After": "5", "Cache-Control": "no-store"},
    )


def _on_database_unreachable(_request: Request, _exc: Exception) -> Response:
    return database_unavailable()


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)
    for unreachable in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(unreachable, _on_database_unreachable)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int | str, body: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation (with an example) of the problem responses an operation may give.

    `"4XX"` documents client errors in general, for an operation that has no specific one.
    With `body=True` a 400 is a request body that is not JSON (there are no parameters to
    get wrong).
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, example = _DOCUMENTED[f"{status}-body" if body and status == 400 else status]
        responses[status] = {
            "model": Problem,
            "description": description,
            "content": {"application/problem+json": {"example": example}},
        }
        if status == 401:
            responses[status]["headers"] = {
                "WWW-Authenticate": {
                    "description": "`Bearer`: the scheme to authenticate with.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            }
    return responses


def _example(status: int, title: str, slug: str, detail: str, **more: Any) -> dict[str, Any]:
    """A problem exactly as `problem()` sends it."""
    return {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **more,
    }


def _raised(error: type[ApiError], detail: str, **more: Any) -> dict[str, Any]:
    """The problem sent when `error` is raised."""
    return _example(error.status, error.title, error.slug, detail, **more)


# What each status means here, and a problem exactly as the app sends it.
_DOCUMENTED: dict[int | str, tuple[str, dict[str, Any]]] = {
    400: (
        "A query or path parameter is not valid.",
        _example(
            400,
            "Bad Request",
            "invalid-parameter",
            "A query or path parameter is not valid.",
            errors=[
                {"field": "query.per_page", "message": "Input should be less than or equal to 1000"}
            ],
        ),
    ),
    "400-body": (
        "The request body is not valid JSON.",
        _example(400, "Bad Request", "malformed-json", "The request body is not valid JSON."),
    ),
    401: (
        "No API key was sent, or the key is not valid or has been revoked.",
        _raised(Unauthorized, "An API key is needed: send `Authorization: Bearer <key>`."),
    ),
    403: (
        "The key may not do this: a partner key outside its own organisation and its "
        "services, or an operation for administrators only.",
        _raised(Forbidden, "A partner key may change only its own organisation and its services."),
    ),
    404: (
        "No record has this id.",
        _raised(NotFound, "No record has the id 'unknown'."),
    ),
    409: (
        "The request conflicts with the state of things: the record is still in use (retiring), "
        "or the change request was already decided or its record changed since (approving).",
        _raised(
            Conflict,
            "This organisation still has services or reporting channels; retire them first.",
        ),
    ),
    412: (
        "`If-Match` is not the record's current ETag: it changed since you read it. GET it "
        "again, redo your change, and send the new ETag.",
        _raised(PreconditionFailed, "The record has changed since you read it; GET it again."),
    ),
    413: (
        "The request body is larger than 1 MiB.",
        _example(
            413, "Content Too Large", "too-large", "The request body is larger than 1048576 bytes."
        ),
    ),
    422: (
        "The request body is JSON but not a valid record or change: `errors` lists each field "
        "and what is wrong with it.",
        _raised(
            Unprocessable,
            "The record is not valid.",
            errors=[
                {
                    "field": "phones.0.number",
                    "message": "Value error, must be a valid UK phone number or an allowed "
                    "short code",
                }
            ],
        ),
    ),
    428: (
        "`If-Match` is missing: send the record's ETag from a GET.",
        _raised(
            PreconditionRequired,
            "Send If-Match with the record's current ETag (from a GET) to change it.",
        ),
    ),
    429: (
        "Too many requests from this client (or key) in the current window: wait `Retry-After` "
        "seconds. See RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset on any response.",
        _example(
            429,
            "Too Many Requests",
            "rate-limited",
            "At most 600 requests per 60 seconds; try again in 17 s.",
        ),
    ),
    503: (
        "The database cannot be reached just now; retry after `Retry-After` seconds.",
        _example(
            503,
            "Service Unavailable",
            "unavailable",
            "The directory's database cannot be reached just now; try again shortly.",
        ),
    ),
    "4XX": (
        "A client error, such as 405 for a method other than GET; the body is a problem.",
        _example(405, "Method Not Allowed", "method-not-allowed", "Method Not Allowed"),
    ),
}
