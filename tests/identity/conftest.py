"""The fake Kratos the Kratos tests talk to over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.kratos import FakeKratos, running_fake_kratos


@pytest.fixture(scope="module")
def kratos_server() -> Iterator[FakeKratos]:
    """One fake Kratos for the module (starting and stopping uvicorn costs more than most tests here)."""
    with running_fake_kratos() as fake:
        yield fake


@pytest.fixture
def kratos(kratos_server: FakeKratos) -> FakeKratos:
    """The module's fake Kratos, emptied for this test."""
    kratos_server.reset()
    return kratos_server
