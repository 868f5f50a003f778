"""The FastAPI application: routers under /v1, problem errors, CORS, OpenAPI."""

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from api.body_limit import BodyLimit
from api.db import make_engine
from api.errors import install_problem_handlers
from api.head_requests import HeadAsGet
from api.openapi_doc import build_openapi
from api.private_responses import PrivateWhenAuthenticated
from api.routes import (
    change_requests,
    changes,
    guidance,
    organizations,
    reporting_channels,
    root,
    service_at_locations,
    services,
    taxonomies,
)
from api.routes.record_writes import add_write_routes
from api.settings import Settings, get_settings
from api.writes.resources import RESOURCES
from models.change import ResourceType

MAX_BODY = 1024 * 1024  # larger request bodies get 413

# Each writable kind: its path, how the docs name one, and its tag.
WRITABLE = (
    (ResourceType.organization, "/organizations", "an organisation", "Organizations"),
    (ResourceType.service, "/services", "a service", "Services"),
    (
        ResourceType.reporting_channel,
        "/reporting_channels",
        "a reporting channel",
        "Reporting channels",
    ),
    (ResourceType.guidance, "/guidance", "guidance", "Guidance"),
    (ResourceType.taxonomy_term, "/taxonomy_terms", "a taxonomy term", "Taxonomies"),
)


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
        change_requests,
        changes,
    ):
        v1.include_router(module.router)
    for resource_type, path, noun, tag in WRITABLE:
        writes = APIRouter(tags=[tag])
        add_write_routes(writes, RESOURCES[resource_type], path, noun)
        v1.include_router(writes)
    app.include_router(v1)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        expose_headers=["ETag", "Location"],
    )
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY)
    app.add_middleware(PrivateWhenAuthenticated)
    app.add_middleware(HeadAsGet)
    install_problem_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
