"""The one settings object. Nothing else in the package reads the environment.

Every field is an environment variable named ``CAMPAIGN_API_<FIELD>`` (upper case); the README lists them all.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class PermissionEngineName(StrEnum):
    EMBEDDED = "embedded"
    KETO = "keto"


class IdentityProviderName(StrEnum):
    EMBEDDED = "embedded"  # identities and sessions in the application database
    KRATOS = "kratos"  # Ory Kratos resolves cookies and session tokens through /sessions/whoami
    JWT = "jwt"  # only signed JWTs are accepted (behind Oathkeeper, or with Kratos's session tokenizer)


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

    # Who is asking. Session cookies and opaque session tokens go to the identity provider; JWT-shaped bearer tokens
    # go to the JWT verifier whenever JWT keys are configured (and must be, for the `jwt` provider).
    identity_provider: IdentityProviderName = IdentityProviderName.EMBEDDED
    session_cookie_name: str = "ory_kratos_session"
    # How long a resolved session may be served from the per-process cache: the revocation window. Never longer
    # than the session itself; 0 turns the cache off.
    session_cache_seconds: float = Field(default=60.0, ge=0)
    session_cache_size: int = Field(default=10_000, ge=1)
    embedded_session_ttl_seconds: int = Field(default=86_400, ge=60, le=366 * 86_400)

    kratos_public_url: str | None = None
    kratos_timeout_seconds: float = Field(default=2.0, gt=0)

    jwt_jwks_url: str | None = None
    jwt_jwks_file: Path | None = None
    jwt_hmac_secret: SecretStr | None = None
    jwt_algorithms: Annotated[tuple[str, ...], NoDecode] = ("RS256", "ES256", "EdDSA")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: float = Field(default=5.0, ge=0, le=300)
    jwt_jwks_cache_seconds: float = Field(default=300.0, ge=0)
    # An unknown `kid` refreshes the key set at most this often, so a flood of made-up kids costs no flood of fetches.
    jwt_jwks_min_refresh_seconds: float = Field(default=30.0, ge=0)
    jwt_timeout_seconds: float = Field(default=2.0, gt=0)

    # What the viewer may do. The embedded engine keeps tuples in the application database; `keto` asks Ory Keto.
    permission_engine: PermissionEngineName = PermissionEngineName.EMBEDDED
    permission_max_depth: int = Field(default=5, ge=1, le=100)
    keto_read_url: str | None = None
    keto_write_url: str | None = None
    keto_max_batch_size: int = Field(default=10, ge=1)
    keto_max_concurrent_batches: int = Field(default=5, ge=1)
    keto_timeout_seconds: float = Field(default=1.0, gt=0)
    keto_retries: int = Field(default=2, ge=0, le=10)
    # Per-request permission statistics in the response's `extensions` (checks, engine calls, engine time).
    debug_permissions: bool = False
    # Off only to measure what batching buys (make bench): every check then makes its own engine call.
    permission_batching: bool = True

    signature_rate_limit: int = Field(default=5, ge=1)
    signature_rate_window_seconds: float = Field(default=300.0, gt=0)

    @field_validator("cors_origins", "jwt_algorithms", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
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

    @field_validator("jwt_algorithms")
    @classmethod
    def _algorithms_are_safe(cls, algorithms: tuple[str, ...]) -> tuple[str, ...]:
        if not algorithms:
            raise ValueError("name at least one JWT algorithm")
        for algorithm in algorithms:
            if algorithm.lower() == "none":
                raise ValueError("the `none` JWT algorithm is never accepted")
        return algorithms

    @model_validator(mode="after")
    def _page_sizes_agree(self) -> Settings:
        if self.default_page_size > self.max_page_size:
            raise ValueError(
                f"CAMPAIGN_API_DEFAULT_PAGE_SIZE ({self.default_page_size}) is larger than "
                f"CAMPAIGN_API_MAX_PAGE_SIZE ({self.max_page_size})"
            )
        return self

    @model_validator(mode="after")
    def _providers_are_configured(self) -> Settings:
        if self.identity_provider is IdentityProviderName.KRATOS and not self.kratos_public_url:
            raise ValueError("CAMPAIGN_API_KRATOS_PUBLIC_URL is required with the kratos identity provider")
        if self.identity_provider is IdentityProviderName.JWT and not self.jwt_enabled:
            raise ValueError("the jwt identity provider needs CAMPAIGN_API_JWT_JWKS_URL, _JWKS_FILE or _HMAC_SECRET")
        if self.permission_engine is PermissionEngineName.KETO and not (self.keto_read_url and self.keto_write_url):
            raise ValueError("the keto permission engine needs CAMPAIGN_API_KETO_READ_URL and _WRITE_URL")
        if self.jwt_enabled and not self.jwt_issuer:
            raise ValueError("CAMPAIGN_API_JWT_ISSUER is required when JWTs are accepted")
        hmac = [algorithm for algorithm in self.jwt_algorithms if algorithm.startswith("HS")]
        if hmac and self.jwt_hmac_secret is None:
            raise ValueError(
                f"{', '.join(hmac)} needs CAMPAIGN_API_JWT_HMAC_SECRET; a public key is never an HMAC secret"
            )
        return self

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_jwks_url or self.jwt_jwks_file or self.jwt_hmac_secret)

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
