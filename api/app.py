"""The FastAPI application: routers under /v1, problem errors, CORS, OpenAPI."""

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from api.body_limit import BodyLimit
from api.compression import GZIP_LEVEL, Gzip
from api.db import make_engine
from api.errors import install_problem_handlers
from api.head_requests import HeadAsGet
from api.open_data.export import write_package
from api.open_data.served import PackageFiles
from api.openapi_doc import build_openapi
from api.private_responses import PrivateWhenAuthenticated
from api.rate_limit import RateLimit
from api.rate_limit_stores import store_for
from api.response_cache import EXPOSED_HEADERS, CachePolicy, ResponseCache
from api.routes import (
    change_requests,
    changes,
    embed,
    exports,
    guidance,
    health,
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


def cache_policy(settings: Settings) -> CachePolicy:
    return CachePolicy(
        max_age=settings.cache_max_age,
        stale_while_revalidate=settings.cache_stale_while_revalidate,
        stale_if_error=settings.cache_stale_if_error,
        max_bytes=settings.response_cache_mb * 1024 * 1024,
        gzip_min_bytes=settings.gzip_min_bytes,
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
    app.state.engine = engine or make_engine(
        settings.database_url,
        echo=settings.sql_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
    )
    # Files sent whole, one per dataset version (api/open_data/served.py), in one folder.
    app.state.hsds_packages = PackageFiles(
        app.state.engine, settings.export_dir, build=write_package, name="hsds", suffix=".zip"
    )
    app.state.services_ndjson = PackageFiles(
        app.state.engine,
        settings.export_dir,
        name="services",  # GET /v1/services?format=ndjson, kept by its first stream
        suffix=".ndjson",
        gzipped=True,  # 400 MB for 100,000 services: too slow to gzip per download
    )

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
        exports,
    ):
        v1.include_router(module.router)
    for resource_type, path, noun, tag in WRITABLE:
        writes = APIRouter(tags=[tag])
        add_write_routes(writes, RESOURCES[resource_type], path, noun)
        v1.include_router(writes)
    app.include_router(v1)
    app.include_router(health.router)
    app.include_router(embed.router)

    # Listed innermost first. A cache hit skips everything inside the cache; gzip covers
    # what is not cached (authenticated responses, NDJSON streams).
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY)
    app.add_middleware(PrivateWhenAuthenticated)
    app.add_middleware(Gzip, minimum_size=settings.gzip_min_bytes, compresslevel=GZIP_LEVEL)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        expose_headers=EXPOSED_HEADERS,
    )
    app.add_middleware(ResponseCache, engine=app.state.engine, policy=cache_policy(settings))
    app.add_middleware(
        RateLimit,
        engine=app.state.engine,
        store=store_for(settings, app.state.engine),
        window=settings.rate_limit_window_seconds,
        anonymous=settings.rate_limit_anonymous,
        per_key=settings.rate_limit_key,
        secret=settings.rate_limit_secret,
    )
    app.add_middleware(HeadAsGet)
    install_problem_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
