"""What the GraphQL endpoint refuses before running anything: oversized, over-deep or over-wide operations, bodies that
are too large, and requests that are not JSON POSTs; and where GraphiQL and introspection are available.

Everything goes through real HTTP to the app served by uvicorn. None of it depends on the database, so these tests run
on SQLite only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import graphql
import httpx
import pytest

from campaign_api.db.database import Database
from campaign_api.schema.errors import PARSE_FAILED, VALIDATION_FAILED
from tests import factories
from tests.conftest import ClientFactory, signature_count
from tests.graphql_client import error_codes, post_query

pytestmark = pytest.mark.parametrize("migrated_database_url", ["sqlite"], indirect=True)

DEFAULT_MAX_QUERY_DEPTH = 10
DEFAULT_MAX_ALIASES = 15
DEFAULT_MAX_TOKENS = 2000
DEFAULT_MAX_BODY_BYTES = 65_536


@pytest.fixture
def client(client_with: ClientFactory) -> httpx.AsyncClient:
    """The app with default settings (overrides the conftest fixture: this module's shared server)."""
    return client_with()


def assert_refused_unexecuted(response: httpx.Response, code: str) -> None:
    """A GraphQL request error: 400, ``data: null`` (nothing ran), and every error carries ``code``."""
    body = response.json()
    assert response.status_code == 400, body
    assert body["data"] is None
    assert error_codes(body) and set(error_codes(body)) == {code}, body


def assert_ran(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]


# Depth ------------------------------------------------------------------------------------------------------------

_CHAIN = ("campaigns", "edges", "node", "organisation")
_SCALAR_OF = {"edges": "cursor", "node": "title", "organisation": "name"}


LIMITS_OF_DEPTH = [
    pytest.param({"max_query_depth": 3}, 3, id="max_query_depth=3"),
    pytest.param({}, DEFAULT_MAX_QUERY_DEPTH, id="default"),
]


def query_of_depth(depth: int) -> str:
    """``{ campaigns { edges { node { organisation { ... } } } } }``: ``depth`` nested fields, then a scalar."""
    fields = [_CHAIN[level % len(_CHAIN)] for level in range(depth)]
    return "{ " + " { ".join(fields) + f" {{ {_SCALAR_OF[fields[-1]]}" + " }" * depth + " }"


@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_DEPTH)
async def test_an_operation_deeper_than_max_query_depth_is_refused_unexecuted(
    client_with: ClientFactory, settings: dict[str, Any], limit: int
) -> None:
    response = await post_query(client_with(**settings), query_of_depth(limit + 1))

    assert_refused_unexecuted(response, VALIDATION_FAILED)
    assert f"maximum operation depth of {limit}" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_DEPTH)
async def test_an_operation_at_max_query_depth_runs(
    client_with: ClientFactory, database: Database, settings: dict[str, Any], limit: int
) -> None:
    await factories.campaign(database)

    data = assert_ran(await post_query(client_with(**settings), query_of_depth(limit)))

    assert data["campaigns"]["edges"], "the query must reach the campaign it reads"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(
            "{ ...Deep } fragment Deep on Query { campaigns { edges { node { organisation { name } } } } }",
            id="named fragment",
        ),
        pytest.param(
            "{ ... on Query { campaigns { edges { node { organisation { name } } } } } }", id="inline fragment"
        ),
        pytest.param(
            "{ campaigns { edges { node { ...C } } } } fragment C on Campaign { organisation { name } }",
            id="nested fragment",
        ),
        pytest.param("{ deep: campaigns { edges { node { organisation { name } } } } }", id="aliased field"),
        pytest.param(
            "{ __deep: campaigns { edges { node { organisation { name } } } } }",
            id="field aliased with a double underscore",
        ),
    ],
)
async def test_depth_is_counted_however_the_operation_is_written(client_with: ClientFactory, query: str) -> None:
    response = await post_query(client_with(max_query_depth=3), query)

    assert_refused_unexecuted(response, VALIDATION_FAILED)


# Aliases ----------------------------------------------------------------------------------------------------------


def query_with_aliases(count: int) -> str:
    return "{ " + " ".join(f"a{number}: __typename" for number in range(count)) + " }"


LIMITS_OF_ALIASES = [
    pytest.param({"max_aliases": 2}, 2, id="max_aliases=2"),
    pytest.param({}, DEFAULT_MAX_ALIASES, id="default"),
]


@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_ALIASES)
async def test_more_aliases_than_max_aliases_are_refused(
    client_with: ClientFactory, settings: dict[str, Any], limit: int
) -> None:
    response = await post_query(client_with(**settings), query_with_aliases(limit + 1))

    assert_refused_unexecuted(response, VALIDATION_FAILED)
    assert response.json()["errors"][0]["message"] == f"{limit + 1} aliases found. Allowed: {limit}"


@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_ALIASES)
async def test_max_aliases_aliases_are_allowed(
    client_with: ClientFactory, settings: dict[str, Any], limit: int
) -> None:
    data = assert_ran(await post_query(client_with(**settings), query_with_aliases(limit)))

    assert len(data) == limit


async def test_aliases_inside_fragments_count_towards_max_aliases(client_with: ClientFactory) -> None:
    query = "{ ...F } fragment F on Query { a: __typename b: __typename c: __typename }"

    response = await post_query(client_with(max_aliases=2), query)

    assert_refused_unexecuted(response, VALIDATION_FAILED)


# Tokens -----------------------------------------------------------------------------------------------------------


def document_of_tokens(count: int) -> str:
    """Operations ``query Q<n> { __typename }``, the first topped up with ``__typename``: ``count`` tokens in all.

    Many small operations rather than one selection of thousands of fields: graphql-core gives up validating such a
    selection (its field-overlap budget) whatever the token limit.
    """
    operations, extra = divmod(count, 5)
    document = " ".join(
        f"query Q{number} {{ " + "__typename " * (1 + (extra if number == 0 else 0)) + "}"
        for number in range(operations)
    )
    assert _tokens_in(document) == count
    return document


def _tokens_in(document: str) -> int:
    lexer = graphql.language.Lexer(graphql.Source(document))
    count = 0
    while lexer.advance().kind is not graphql.language.TokenKind.EOF:
        count += 1
    return count


async def post_document_of_tokens(client: httpx.AsyncClient, count: int) -> httpx.Response:
    return await client.post("/graphql", json={"query": document_of_tokens(count), "operationName": "Q0"})


LIMITS_OF_TOKENS = [
    pytest.param({"max_tokens": 30}, 30, id="max_tokens=30"),
    pytest.param({}, DEFAULT_MAX_TOKENS, id="default"),
]


@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_TOKENS)
async def test_a_document_of_more_than_max_tokens_is_refused_as_a_parse_failure(
    client_with: ClientFactory, settings: dict[str, Any], limit: int
) -> None:
    response = await post_document_of_tokens(client_with(**settings), limit + 1)

    assert_refused_unexecuted(response, PARSE_FAILED)
    assert f"more than {limit} tokens" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_TOKENS)
async def test_a_document_of_max_tokens_runs(client_with: ClientFactory, settings: dict[str, Any], limit: int) -> None:
    data = assert_ran(await post_document_of_tokens(client_with(**settings), limit))

    assert data == {"__typename": "Query"}


async def test_a_circular_fragment_is_refused_as_invalid(client: httpx.AsyncClient) -> None:
    query = """
        query { campaigns { edges { node { ...A } } } }
        fragment A on Campaign { organisation { campaigns { edges { node { ...A } } } } }
    """

    response = await post_query(client, query)

    assert_refused_unexecuted(response, VALIDATION_FAILED)
    assert "Cannot spread fragment 'A' within itself" in response.json()["errors"][0]["message"]


# Body size --------------------------------------------------------------------------------------------------------


def body_of_size(size: int) -> bytes:
    """A valid JSON GraphQL request of exactly ``size`` bytes (the query padded with spaces)."""
    unpadded = len(json.dumps({"query": "{ __typename }"}))
    body = json.dumps({"query": "{ __typename }" + " " * (size - unpadded)}).encode()
    assert len(body) == size
    return body


async def _in_pieces(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 1000):
        yield body[start : start + 1000]


async def send_body(client: httpx.AsyncClient, body: bytes, transfer: str) -> httpx.Response:
    """POST ``body`` with its size declared in Content-Length, or chunked with no size declared."""
    content = body if transfer == "declared" else _in_pieces(body)
    response = await client.post("/graphql", content=content, headers={"Content-Type": "application/json"})
    declared = response.request.headers.get("Content-Length")
    assert declared == (str(len(body)) if transfer == "declared" else None), "the request was not sent as intended"
    return response


LIMITS_OF_BODY = [
    pytest.param({"max_body_bytes": 300}, 300, id="max_body_bytes=300"),
    pytest.param({}, DEFAULT_MAX_BODY_BYTES, id="default"),
]
TRANSFERS = ["declared", "chunked"]


@pytest.mark.parametrize("transfer", TRANSFERS)
@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_BODY)
async def test_a_body_larger_than_max_body_bytes_is_refused_with_413(
    client_with: ClientFactory, settings: dict[str, Any], limit: int, transfer: str
) -> None:
    response = await send_body(client_with(**settings), body_of_size(limit + 1), transfer)

    assert response.status_code == 413
    assert response.text == f"Request body larger than {limit} bytes."


@pytest.mark.parametrize("transfer", TRANSFERS)
@pytest.mark.parametrize(("settings", "limit"), LIMITS_OF_BODY)
async def test_a_body_of_max_body_bytes_is_served(
    client_with: ClientFactory, settings: dict[str, Any], limit: int, transfer: str
) -> None:
    response = await send_body(client_with(**settings), body_of_size(limit), transfer)

    assert assert_ran(response) == {"__typename": "Query"}


# What may reach the endpoint --------------------------------------------------------------------------------------


def _as_query_string(operation: dict[str, Any]) -> dict[str, Any]:
    return {"params": {"query": operation["query"], "variables": json.dumps(operation["variables"])}}


def _as_content_type(content_type: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda operation: {"content": json.dumps(operation), "headers": {"Content-Type": content_type}}


REFUSED_REQUESTS = [
    pytest.param("GET", _as_query_string, 405, id="GET with the operation in the query string"),
    pytest.param("POST", lambda op: {"json": [op]}, 400, id="a batch (JSON array)"),
    pytest.param("POST", _as_content_type("text/plain"), 415, id="text/plain"),
    pytest.param("POST", lambda op: {"data": _as_query_string(op)["params"]}, 415, id="form urlencoded"),
    pytest.param(
        "POST",
        lambda op: {"files": {"operations": (None, json.dumps(op), "application/json"), "map": (None, "{}")}},
        415,
        id="multipart/form-data",
    ),
    pytest.param("POST", lambda op: {"content": json.dumps(op).encode()}, 415, id="no content type"),
    pytest.param(
        "POST",
        lambda op: {"content": json.dumps(op)[:-1], "headers": {"Content-Type": "application/json"}},
        400,
        id="invalid JSON",
    ),
    pytest.param("PUT", lambda op: {"json": op}, 405, id="PUT"),
    pytest.param("PATCH", lambda op: {"json": op}, 405, id="PATCH"),
    pytest.param("DELETE", lambda op: {"json": op}, 405, id="DELETE"),
]


@pytest.mark.parametrize(("method", "request_of", "status"), REFUSED_REQUESTS)
async def test_a_request_that_is_not_a_single_json_post_is_refused_and_runs_nothing(
    client: httpx.AsyncClient,
    database: Database,
    sign_operation: dict[str, Any],
    method: str,
    request_of: Callable[[dict[str, Any]], dict[str, Any]],
    status: int,
) -> None:
    response = await client.request(method, "/graphql", **request_of(sign_operation))

    assert response.status_code == status, response.text
    assert await signature_count(database) == 0


async def test_the_same_operation_as_a_json_post_signs(
    client: httpx.AsyncClient, database: Database, sign_operation: dict[str, Any]
) -> None:
    """The control for the refusals above: their operation does run when sent the allowed way."""
    data = assert_ran(await client.post("/graphql", json=sign_operation))

    assert data["signPetition"] == {"petition": {"signatureCount": 1}, "userErrors": []}
    assert await signature_count(database) == 1


async def test_an_operation_over_get_is_refused_with_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql?query={__typename}")

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("body", [b'"{ __typename }"', b"42", b"true", b"null"])
async def test_a_json_body_that_is_not_an_object_is_refused_with_400(client_with: ClientFactory, body: bytes) -> None:
    client = client_with()
    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text


# GraphiQL and introspection ---------------------------------------------------------------------------------------

SCHEMA_TYPES = "{ __schema { types { name } } }"
INTROSPECTION_QUERIES = [
    pytest.param(graphql.get_introspection_query(), id="graphql-core default"),
    pytest.param(
        graphql.get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
            one_of=True,
        ),
        id="every option",
    ),
]


async def test_graphiql_is_served_in_development(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_introspection_works_in_development(client: httpx.AsyncClient) -> None:
    data = assert_ran(await post_query(client, SCHEMA_TYPES))

    assert {"Query", "Mutation", "Campaign"} <= {type_["name"] for type_ in data["__schema"]["types"]}


@pytest.mark.parametrize("query", INTROSPECTION_QUERIES)
async def test_the_full_introspection_query_passes_the_default_limits(client: httpx.AsyncClient, query: str) -> None:
    data = assert_ran(await post_query(client, query))

    assert data["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize(
    "settings", [{"environment": "production"}, {"environment": "production", "introspection": True}]
)
async def test_graphiql_is_not_served_in_production(client_with: ClientFactory, settings: dict[str, Any]) -> None:
    response = await client_with(**settings).get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 405
    assert "graphiql" not in response.text.lower()


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(SCHEMA_TYPES, id="__schema"),
        pytest.param('{ __type(name: "Query") { name } }', id="__type"),
        *INTROSPECTION_QUERIES,
    ],
)
async def test_introspection_is_refused_in_production(client_with: ClientFactory, query: str) -> None:
    response = await post_query(client_with(environment="production"), query)

    assert_refused_unexecuted(response, VALIDATION_FAILED)
    assert "introspection has been disabled" in response.json()["errors"][0]["message"]


async def test_typename_still_works_in_production(client_with: ClientFactory) -> None:
    data = assert_ran(await post_query(client_with(environment="production"), "{ __typename }"))

    assert data == {"__typename": "Query"}


async def test_introspection_can_be_switched_on_in_production(client_with: ClientFactory) -> None:
    data = assert_ran(await post_query(client_with(environment="production", introspection=True), SCHEMA_TYPES))

    assert "Campaign" in {type_["name"] for type_ in data["__schema"]["types"]}


MISTYPED_NAMES = [
    pytest.param("{ campaignz { edges { cursor } } }", id="field"),
    pytest.param(
        "{ campaigns(firs: 1) { edges { cursor } } }",
        id="argument",
    ),
    pytest.param(
        '{ node(id: "x") { ... on Petiton { title } } }',
        id="type",
    ),
]


@pytest.mark.parametrize("query", MISTYPED_NAMES)
async def test_production_errors_suggest_no_names_of_the_schema(client_with: ClientFactory, query: str) -> None:
    response = await post_query(client_with(environment="production"), query)

    assert_refused_unexecuted(response, VALIDATION_FAILED)
    assert "Did you mean" not in response.text


@pytest.mark.parametrize("query", [pytest.param(param.values[0], id=param.id) for param in MISTYPED_NAMES])
async def test_development_errors_suggest_names(client: httpx.AsyncClient, query: str) -> None:
    """The control for the test above: the same mistakes do get suggestions where introspection is on."""
    response = await post_query(client, query)

    assert_refused_unexecuted(response, VALIDATION_FAILED)
    assert "Did you mean" in response.text
