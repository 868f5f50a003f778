"""RFC 9457 problem+json: domain exceptions and the one place they become HTTP responses."""

from http import HTTPStatus
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
    headers = dict(exc.headers or {})
    if "GET" in headers.get("Allow", "").split(", "):
        headers["Allow"] += ", HEAD"  # HeadAsGet answers HEAD wherever GET is routed
    return problem(
        exc.status_code, title, detail, title.lower().replace(" ", "-"), headers=headers or None
    )


def _on_unexpected(_request: Request, _exc: Exception) -> Response:
    # Never leak a trace; the server log keeps it.
    return problem(500, "Internal Server Error", "Something went wrong on our side.", "internal")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int | str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation (with an example) of the problem responses an operation may give.

    `"4XX"` documents client errors in general, for an operation that has no specific one.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        code = 405 if status == "4XX" else int(status)
        title = _TITLES.get(code) or HTTPStatus(code).phrase
        description, detail = _DESCRIBED.get(status, (title, title))
        example: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
            "title": title,
            "status": code,
            "detail": detail,
        }
        if code == 400:
            example["type"] = PROBLEM_TYPE_BASE + "invalid-parameter"
            example["errors"] = [
                {"field": "query.per_page", "message": "Input should be less than or equal to 1000"}
            ]
        responses[status] = {
            "model": Problem,
            "description": description,
            "content": {"application/problem+json": {"example": example}},
        }
    return responses


_TITLES = {422: "Unprocessable Content"}
_DESCRIBED: dict[int | str, tuple[str, str]] = {
    400: ("A query or path parameter is not valid.", "A query or path parameter is not valid."),
    404: ("No record has this id.", "No record has the id 'unknown'."),
    422: ("The request body is not valid.", "The request body is not valid."),
    "4XX": (
        "A client error, such as 405 for a method other than GET; the body is a problem.",
        "Method Not Allowed",
    ),
}
