"""From credentials to a viewer: the provider for the kind of credential, behind the session cache.

- no credentials: the anonymous viewer, without any identity work;
- a session cookie that names no session: anonymous (a stale cookie is not an error);
- an explicit token (a header) that names no session: ``UNAUTHENTICATED``;
- a JWT goes to the JWT verifier, anything else to the session provider.
"""

from __future__ import annotations

from collections.abc import Sequence

from campaign_api.db.database import Database
from campaign_api.errors import Unauthenticated
from campaign_api.identity.cache import SessionCache
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.embedded import EmbeddedProvider
from campaign_api.identity.jwt_tokens import JwtProvider, KeySet
from campaign_api.identity.kratos import KratosProvider
from campaign_api.identity.provider import IdentityProvider, InvalidSession
from campaign_api.identity.viewer import ANONYMOUS, Viewer
from campaign_api.settings import IdentityProviderName, Settings


class ViewerResolver:
    def __init__(
        self, *, session_provider: IdentityProvider | None, jwt_provider: IdentityProvider | None, cache: SessionCache
    ) -> None:
        self.session_provider = session_provider
        self.jwt_provider = jwt_provider
        self.cache = cache

    async def resolve(self, credentials: Credentials | None) -> Viewer:
        if credentials is None:
            return ANONYMOUS
        provider = self.jwt_provider if credentials.kind is CredentialKind.JWT else self.session_provider
        try:
            if provider is None:
                raise InvalidSession(f"{credentials.kind} credentials are not accepted here")
            if self.cache.lifetime_seconds == 0:
                return await provider.resolve(credentials)
            return await self.cache.get_or_resolve(credentials, lambda: provider.resolve(credentials))
        except InvalidSession:
            if credentials.is_explicit:
                raise Unauthenticated("The session token is not valid, or has expired or been revoked.") from None
            return ANONYMOUS

    @property
    def providers(self) -> Sequence[IdentityProvider]:
        return [provider for provider in (self.session_provider, self.jwt_provider) if provider is not None]

    async def aclose(self) -> None:
        for provider in self.providers:
            await provider.aclose()


def create_viewer_resolver(settings: Settings, database: Database) -> ViewerResolver:
    session_provider: IdentityProvider | None = None
    if settings.identity_provider is IdentityProviderName.EMBEDDED:
        session_provider = EmbeddedProvider(database)
    elif settings.identity_provider is IdentityProviderName.KRATOS:
        assert settings.kratos_public_url is not None  # checked by Settings
        session_provider = KratosProvider(
            settings.kratos_public_url,
            cookie_name=settings.session_cookie_name,
            timeout_seconds=settings.kratos_timeout_seconds,
        )
    return ViewerResolver(
        session_provider=session_provider,
        jwt_provider=_jwt_provider(settings) if settings.jwt_enabled else None,
        cache=SessionCache(settings.session_cache_seconds, settings.session_cache_size),
    )


def _jwt_provider(settings: Settings) -> JwtProvider:
    key_set = None
    if settings.jwt_jwks_url or settings.jwt_jwks_file:
        key_set = KeySet(
            url=settings.jwt_jwks_url,
            path=settings.jwt_jwks_file,
            cache_seconds=settings.jwt_jwks_cache_seconds,
            min_refresh_seconds=settings.jwt_jwks_min_refresh_seconds,
            timeout_seconds=settings.jwt_timeout_seconds,
        )
    assert settings.jwt_issuer is not None  # checked by Settings
    return JwtProvider(
        key_set=key_set,
        hmac_secret=settings.jwt_hmac_secret.get_secret_value() if settings.jwt_hmac_secret else None,
        algorithms=settings.jwt_algorithms,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway_seconds=settings.jwt_leeway_seconds,
    )
