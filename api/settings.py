"""Runtime settings, read once from the environment (or a `.env` file)."""

from functools import lru_cache

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
