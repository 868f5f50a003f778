"""RFC 9457 problem+json: domain exceptions and the one place they become HTTP responses."""

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

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

    def __init__(self, detail: str, errors: list[ProblemError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class NotFound(ApiError):
    status, title, slug = 404, "Not Found", "not-found"


class BadRequest(ApiError):
    status, title, slug = 400, "Bad Request", "bad-request"


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
    return problem(exc.status, exc.title, exc.detail, exc.slug, exc.errors)


def _on_validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [ProblemError(field=_field_path(e["loc"]), message=e["msg"]) for e in exc.errors()]
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


def _on_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem(
        exc.status_code, title, detail, title.lower().replace(" ", "-"), headers=exc.headers
    )


def _on_unexpected(_request: Request, _exc: Exception) -> Response:
    # Never leak a trace; the server log keeps it.
    return problem(500, "Internal Server Error", "Something went wrong on our side.", "internal")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the problem responses an operation may give."""
    described = {
        400: "A query or path parameter is not valid.",
        404: "No record has this id.",
        422: "The request body is not valid.",
    }
    return {
        status: {
            "model": Problem,
            "description": described.get(status, "Problem"),
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }
