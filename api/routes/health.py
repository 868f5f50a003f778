"""`/healthz` (the process answers) and `/readyz` (it can serve: database reachable and
migrated to this code's head), for load balancers and orchestrators. Never cached."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from api.errors import problem, problem_responses
from api.migrate import head_revision
from api.rendering import to_json

router = APIRouter(tags=["Operations"])

NO_STORE = {"Cache-Control": "no-store"}
_HEAD = head_revision()


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    migration: str


@router.get(
    "/healthz",
    operation_id="getHealth",
    summary="Is the process up?",
    description="200 whenever the process can answer; it does not touch the database.",
    response_model=Health,
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
def healthz() -> Response:
    return Response(to_json(Health()), media_type="application/json", headers=NO_STORE)


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="Can it serve?",
    description="200 when the database answers and is migrated to this code's newest "
    "migration; otherwise 503, so a load balancer sends traffic elsewhere.",
    response_model=Readiness,
    responses={
        200: {
            "content": {"application/json": {"example": {"status": "ready", "migration": _HEAD}}}
        },
        **problem_responses(503),
    },
)
def readyz(request: Request) -> Response:
    try:
        with request.app.state.engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return _not_ready("The database cannot be reached, or has not been migrated.")
    if current != _HEAD:
        return _not_ready(f"The database is at migration {current}; this code needs {_HEAD}.")
    body = to_json(Readiness(migration=current))
    return Response(body, media_type="application/json", headers=NO_STORE)


def _not_ready(detail: str) -> Response:
    return problem(
        503, "Service Unavailable", detail, "unavailable", headers={**NO_STORE, "Retry-After": "5"}
    )
