"""Ory Kratos as the identity provider: ``GET {public}/sessions/whoami`` for every uncached credential.

Only the session credential is forwarded (the cookie alone, or the token alone), never the rest of the request.
One pooled httpx client lives as long as the app; its timeouts bound how long a request can wait for Kratos.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from campaign_api.errors import IdentityServiceUnavailable, SecondFactorRequired
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.kratos_session import viewer_from_session
from campaign_api.identity.provider import InvalidSession
from campaign_api.identity.viewer import Viewer


class KratosProvider:
    def __init__(
        self,
        public_url: str,
        *,
        cookie_name: str,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.cookie_name = cookie_name
        self.timeout_seconds = timeout_seconds
        self._client = httpx.AsyncClient(
            base_url=public_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def _credential_headers(self, credentials: Credentials) -> dict[str, str]:
        if credentials.kind is CredentialKind.COOKIE:
            return {"Cookie": f"{self.cookie_name}={credentials.value}"}
        if credentials.kind is CredentialKind.SESSION_TOKEN:
            return {"X-Session-Token": credentials.value}
        raise InvalidSession("Kratos resolves sessions, not JWTs")

    async def resolve(self, credentials: Credentials) -> Viewer:
        try:
            # httpx's timeouts bound each connect and read; this bounds the whole call, slow bodies included.
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._client.get("/sessions/whoami", headers=self._credential_headers(credentials))
        except (httpx.HTTPError, TimeoutError) as exc:
            raise IdentityServiceUnavailable() from exc
        if response.status_code == 200:
            return viewer_from_session(_json(response))
        if response.status_code == 401:
            raise InvalidSession("Kratos: session_inactive")
        if response.status_code == 403:
            error = _json(response).get("error") or {}
            if error.get("id") == "session_aal2_required":
                details = error.get("details") or {}
                raise SecondFactorRequired(redirectBrowserTo=details.get("redirect_browser_to"))
        raise IdentityServiceUnavailable(f"The identity service answered {response.status_code}.")

    async def aclose(self) -> None:
        await self._client.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise IdentityServiceUnavailable("The identity service sent something that is not JSON.") from exc
    if not isinstance(body, dict):
        raise IdentityServiceUnavailable("The identity service sent something that is not a session.")
    return body
