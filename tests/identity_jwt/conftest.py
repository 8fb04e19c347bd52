"""The signing keys and the JWKS server the JWT tests share: made once a module, the server reset for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.identity_jwt.keys import JwksServer, SigningKey, ec_key, rsa_key, serve_jwks


@pytest.fixture(scope="module")
def rsa() -> SigningKey:
    return rsa_key()


@pytest.fixture(scope="module")
def ec() -> SigningKey:
    return ec_key()


@pytest.fixture(scope="module")
def shared_jwks_server(rsa: SigningKey, ec: SigningKey) -> Iterator[JwksServer]:
    with serve_jwks(rsa, ec) as server:
        yield server


@pytest.fixture
def jwks_server(shared_jwks_server: JwksServer, rsa: SigningKey, ec: SigningKey) -> JwksServer:
    """The module's JWKS server, reset for this test: serving the RSA and EC keys, no fetches yet."""
    shared_jwks_server.reset(rsa, ec)
    return shared_jwks_server
