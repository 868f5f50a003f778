"""Runtime settings, read once from the environment (or a `.env` file)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/helpdir.db",
        description="sqlite:///path or postgresql+psycopg://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    web_concurrency: int = Field(default=1, ge=1)
    public_base_url: str | None = Field(
        default=None,
        description="Absolute URL clients reach us at (behind a proxy); "
        "default: taken from each request.",
    )
    cors_origins: list[str] = Field(default=["*"], description="Origins allowed by CORS.")
    sql_echo: bool = False
    db_pool_size: int = Field(default=5, ge=1, description="PostgreSQL connections kept open.")
    db_max_overflow: int = Field(default=10, ge=0, description="Extra connections under load.")
    db_pool_timeout: float = Field(
        default=10, gt=0, description="Seconds a request waits for a connection, then 503."
    )
    db_connect_timeout: int = Field(
        default=5, ge=1, description="Seconds to wait for PostgreSQL to accept a connection."
    )

    # HTTP caching of anonymous reads (docs/caching.md).
    cache_max_age: int = Field(
        default=60, ge=0, description="Seconds browsers and CDNs may reuse an anonymous read."
    )
    cache_stale_while_revalidate: int = Field(
        default=60, ge=0, description="Seconds a cache may serve a stale read while it refetches."
    )
    cache_stale_if_error: int = Field(
        default=86400, ge=0, description="Seconds a cache may serve a stale read while we are down."
    )
    response_cache_mb: int = Field(
        default=64, ge=0, description="Memory per process for ready-made responses; 0 turns it off."
    )
    gzip_min_bytes: int = Field(default=1024, ge=1, description="Smallest body sent gzipped.")
    export_dir: Path = Field(
        default=Path("var/exports"),
        description="Where GET /v1/export/hsds.zip keeps the package of the current version.",
    )

    # Rate limits (requests per window; 0 turns a limit off).
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    rate_limit_anonymous: int = Field(
        default=600, ge=0, description="Requests per window from one anonymous client address."
    )
    rate_limit_key: int = Field(default=6000, ge=0, description="Requests per window per API key.")
    rate_limit_secret: str = Field(
        default="helpdir",
        description="Keys the hashes the limiter stores instead of addresses and keys; set a "
        "random value in production, the same in every process.",
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db: the limiter's store (else the database)."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
