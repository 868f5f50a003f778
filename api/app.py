"""The FastAPI application: routers under /v1, problem errors, CORS, OpenAPI."""

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from api.db import make_engine
from api.errors import install_problem_handlers
from api.head_requests import HeadAsGet
from api.openapi_doc import build_openapi
from api.routes import (
    guidance,
    organizations,
    reporting_channels,
    root,
    service_at_locations,
    services,
    taxonomies,
)
from api.settings import Settings, get_settings


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="helpdir",
        version="1.0.0",
        summary="Help for people affected by stalking and harassment in England, as open data.",
        openapi_url="/v1/openapi.json",
        docs_url="/docs",
        redoc_url="/redoc",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, echo=settings.sql_echo)

    v1 = APIRouter(prefix="/v1")
    for module in (
        root,
        services,
        service_at_locations,
        organizations,
        taxonomies,
        reporting_channels,
        guidance,
    ):
        v1.include_router(module.router)
    app.include_router(v1)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["*"],
    )
    app.add_middleware(HeadAsGet)
    install_problem_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
