"""Request ids, the errors a client sees (and the ones only the log sees), and CORS, through real HTTP.

The server runs in a thread of this process, so ``monkeypatch`` reaches into it (to make a resolver fail) and
``caplog`` sees what it logs. None of this depends on the database, so these tests run on SQLite only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import campaign_api.db.loaders
import campaign_api.http.graphql_view
from campaign_api.db.database import Database
from campaign_api.http.request_id import RequestIdLogFilter
from campaign_api.schema.errors import BAD_USER_INPUT, INTERNAL_SERVER_ERROR, PARSE_FAILED, VALIDATION_FAILED
from campaign_api.schema.types import Campaign
from tests import factories
from tests.conftest import ClientFactory
from tests.graphql_client import error_codes, post_query

pytestmark = pytest.mark.parametrize("migrated_database_url", ["sqlite"], indirect=True)

WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SECRET = "secret detail"
APP_ORIGIN = "https://app.example.org"
EVIL_ORIGIN = "https://evil.example.org"


@pytest.fixture
def client(client_with: ClientFactory) -> httpx.AsyncClient:
    """The app with default settings (overrides the conftest fixture: this module's shared server)."""
    return client_with()


@pytest.fixture
def error_records(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], list[Any]]]:
    """The ERROR (and worse) records logged during the test, each with the ``request_id`` it was logged under."""
    # The CLI's configure_logging stops "campaign_api" propagating; whatever ran before, let caplog see its records.
    monkeypatch.setattr(logging.getLogger("campaign_api"), "propagate", True)
    request_ids = RequestIdLogFilter()
    handler = caplog.handler  # pytest's one capturing handler, reused for every test: take the filter off afterwards
    handler.addFilter(request_ids)
    try:
        yield lambda: [record for record in caplog.records if record.levelno >= logging.ERROR]
    finally:
        handler.removeFilter(request_ids)


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(SECRET)


# Request ids ------------------------------------------------------------------------------------------------------

RESPONSES = [
    pytest.param("GET", "/healthz", {}, 200, id="health"),
    pytest.param("POST", "/graphql", {"json": {"query": "{ __typename }"}}, 200, id="GraphQL result"),
    pytest.param("POST", "/graphql", {"json": {"query": "{"}}, 400, id="GraphQL request error"),
    pytest.param("GET", "/graphql", {"headers": {"Accept": "text/html"}}, 200, id="GraphiQL"),
    pytest.param("GET", "/graphql?query={__typename}", {}, 405, id="operation over GET"),
    pytest.param("POST", "/graphql", {"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 415, id="not JSON"),
    pytest.param(
        "POST",
        "/graphql",
        {"content": b"{" * 70_000, "headers": {"Content-Type": "application/json"}},
        413,
        id="too large",
    ),
    pytest.param("GET", "/nowhere", {}, 404, id="no such path"),
]


@pytest.mark.parametrize(("method", "path", "request_kwargs", "status"), RESPONSES)
async def test_every_response_carries_a_well_formed_request_id(
    client: httpx.AsyncClient, method: str, path: str, request_kwargs: dict[str, Any], status: int
) -> None:
    response = await client.request(method, path, **request_kwargs)

    assert response.status_code == status
    assert WELL_FORMED_REQUEST_ID.fullmatch(response.headers["X-Request-ID"])


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3


@pytest.mark.parametrize(
    "request_id", ["abc-123", "req.2024-01-01T12:00:00_7", "0f8fad5b-d9cb-469f-a165-70867728950e", "a" * 128]
)
async def test_a_well_formed_incoming_request_id_is_echoed(client: httpx.AsyncClient, request_id: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": request_id})

    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize("request_id", ["a" * 129, "a" * 300, "<script>", "two words", "a/b", "a;b=c", ""])
async def test_a_malformed_incoming_request_id_is_replaced_by_a_fresh_one(
    client: httpx.AsyncClient, request_id: str
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": request_id})

    assert response.headers["X-Request-ID"] != request_id
    assert WELL_FORMED_REQUEST_ID.fullmatch(response.headers["X-Request-ID"])


async def test_a_500_from_an_exception_outside_graphql_execution_carries_the_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(campaign_api.http.graphql_view, "build_context", _boom)

    response = await post_query(client, "{ __typename }", headers={"X-Request-ID": "report-500"})

    assert response.status_code == 500
    assert SECRET not in response.text
    assert response.headers.get("X-Request-ID") == "report-500"


# Unexpected errors are masked and logged once ---------------------------------------------------------------------

FAILURES = [
    pytest.param(
        (Campaign, "from_row"), "{ campaigns { edges { node { title } } } }", ["campaigns"], None, id="in a resolver"
    ),
    pytest.param(
        (campaign_api.db.loaders, "rows_by_column"),
        '{ campaign(slug: "any") { title } }',
        ["campaign"],
        {"campaign": None},
        id="in a data loader",
    ),
]


@pytest.mark.parametrize(("target", "query", "path", "data"), FAILURES)
async def test_an_unexpected_error_is_masked_for_the_client(
    client: httpx.AsyncClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    target: tuple[Any, str],
    query: str,
    path: list[str],
    data: Any,
) -> None:
    await factories.campaign(database)
    monkeypatch.setattr(*target, _boom)

    response = await post_query(client, query)

    body = response.json()
    assert response.status_code == 200  # GraphQL over HTTP: an execution error is a result, not a failed request
    assert body["data"] == data
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["path"] == path
    assert error["extensions"] == {"code": INTERNAL_SERVER_ERROR, "requestId": response.headers["X-Request-ID"]}
    for leak in (SECRET, "RuntimeError", "Traceback", ".py"):
        assert leak not in response.text


@pytest.mark.parametrize(("target", "query", "path", "data"), FAILURES)
async def test_an_unexpected_error_is_logged_once_with_traceback_and_request_id(
    client: httpx.AsyncClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    error_records: Callable[[], list[Any]],
    target: tuple[Any, str],
    query: str,
    path: list[str],
    data: Any,
) -> None:
    await factories.campaign(database)
    monkeypatch.setattr(*target, _boom)

    response = await post_query(client, query)

    [record] = error_records()
    assert record.name == "campaign_api.errors"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert str(record.exc_info[1]) == SECRET
    assert record.request_id == response.headers["X-Request-ID"]


async def test_a_masked_error_names_the_callers_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(campaign_api.db.loaders, "rows_by_column", _boom)

    response = await post_query(client, '{ campaign(slug: "any") { title } }', headers={"X-Request-ID": "ticket-42"})

    assert response.headers["X-Request-ID"] == "ticket-42"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "ticket-42"


# Client errors keep their message and code, and are not logged as errors -----------------------------------------

CLIENT_ERRORS = [
    pytest.param(
        '{ campaigns(after: "not-a-cursor") { edges { cursor } } }',
        {},
        BAD_USER_INPUT,
        "The cursor is not valid; use one this API returned.",
        id="bad cursor (ApiError)",
    ),
    pytest.param(
        "{ campaigns(first: 1000) { edges { cursor } } }",
        {},
        BAD_USER_INPUT,
        "`first` must be between 0 and 100.",
        id="page too large (ApiError)",
    ),
    pytest.param(
        "{ campaignz }",
        {},
        VALIDATION_FAILED,
        "Cannot query field 'campaignz' on type 'Query'. Did you mean 'campaign' or 'campaigns'?",
        id="validation",
    ),
    pytest.param("{ campaigns ", {}, PARSE_FAILED, "Syntax Error: Expected Name, found <EOF>.", id="syntax"),
    pytest.param(
        "query ($first: Int) { campaigns(first: $first) { edges { cursor } } }",
        {"first": "many"},
        BAD_USER_INPUT,
        "Variable '$first' has invalid value: Int cannot represent non-integer value: 'many'",
        id="variable of the wrong type",
    ),
    pytest.param(
        "query ($first: Int!) { campaigns(first: $first) { edges { cursor } } }",
        {},
        BAD_USER_INPUT,
        "Variable '$first' has invalid value: Expected a value of non-null type 'Int!' to be provided.",
        id="required variable missing",
    ),
]


@pytest.mark.parametrize(("query", "variables", "code", "message"), CLIENT_ERRORS)
async def test_a_client_error_is_answered_400_with_its_code_and_message(
    client: httpx.AsyncClient,
    error_records: Callable[[], list[Any]],
    query: str,
    variables: dict[str, Any],
    code: str,
    message: str,
) -> None:
    response = await client.post("/graphql", json={"query": query, "variables": variables})

    body = response.json()
    assert response.status_code == 400, body
    assert body["data"] is None
    assert error_codes(body) == [code]
    assert body["errors"][0]["message"] == message
    assert error_records() == []


# CORS -------------------------------------------------------------------------------------------------------------


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-request-id",
    }


async def test_a_preflight_from_an_allowed_origin_is_allowed_with_credentials(client_with: ClientFactory) -> None:
    response = await client_with(cors_origins=APP_ORIGIN).options("/graphql", headers=preflight_headers(APP_ORIGIN))

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "x-request-id" in response.headers["Access-Control-Allow-Headers"].lower()


@pytest.mark.parametrize(
    "settings", [pytest.param({"cors_origins": APP_ORIGIN}, id="another origin"), pytest.param({}, id="no origins")]
)
async def test_a_preflight_from_an_origin_not_listed_is_not_allowed(
    client_with: ClientFactory, settings: dict[str, Any]
) -> None:
    origin = EVIL_ORIGIN if settings else APP_ORIGIN

    response = await client_with(**settings).options("/graphql", headers=preflight_headers(origin))

    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_post_from_an_allowed_origin_gets_cors_headers_exposing_the_request_id(
    client_with: ClientFactory,
) -> None:
    response = await post_query(client_with(cors_origins=APP_ORIGIN), "{ __typename }", headers={"Origin": APP_ORIGIN})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "x-request-id" in response.headers["Access-Control-Expose-Headers"].lower()
    assert "X-Request-ID" in response.headers


async def test_a_post_from_an_origin_not_listed_gets_no_allow_origin(client_with: ClientFactory) -> None:
    response = await post_query(client_with(cors_origins=APP_ORIGIN), "{ __typename }", headers={"Origin": EVIL_ORIGIN})

    assert "Access-Control-Allow-Origin" not in response.headers
