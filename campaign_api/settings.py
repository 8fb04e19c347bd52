"""The one settings object. Nothing else in the package reads the environment.

Every field is an environment variable named ``CAMPAIGN_API_<FIELD>`` (upper case); the README lists them all.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{Path.cwd() / 'campaign_api.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAMPAIGN_API_", frozen=True, extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = Field(default_factory=_default_database_url)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (a reverse proxy). The client
    # address is what signature rate limits are keyed on, so only list proxies you run.
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "info"

    # GraphiQL and introspection default to on in development and off in production.
    graphiql: bool | None = None
    introspection: bool | None = None

    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=15, ge=0)
    max_tokens: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=65_536, ge=256)
    max_page_size: int = Field(default=100, ge=1)
    default_page_size: int = Field(default=20, ge=1)

    signature_rate_limit: int = Field(default=5, ge=1)
    signature_rate_window_seconds: float = Field(default=300.0, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_explicit(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if origin in ("*", "null") or not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origins must be explicit http(s) origins, not {origin!r}")
        return tuple(origin.rstrip("/") for origin in origins)

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.environment is Environment.DEVELOPMENT

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is not None:
            return self.introspection
        return self.environment is Environment.DEVELOPMENT

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
