"""Signing a petition over real HTTP with the frontend's SignPetition document: counting, de-duplication, typed
userErrors, petitions that cannot be signed, malformed requests and the per-client, per-petition rate limit."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from campaign_api.db.database import Database
from campaign_api.db.models import Petition
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from tests import factories
from tests.graphql_client import error_codes, execute, operation, post_graphql

SIGN_PETITION = operation("SignPetition")


def petition_id(pet: Petition) -> str:
    return factories.global_id("Petition", pet.id)


def signature_input(pet: Petition | str, **overrides: Any) -> dict[str, Any]:
    """A valid input; ``overrides`` change single fields (``None`` leaves a field out of the request)."""
    fields = {
        "petitionId": pet if isinstance(pet, str) else petition_id(pet),
        "name": "Alice Example",
        "email": "alice@example.org",
        "country": "GB",
        "comment": "Please act.",
        "consentToContact": False,
        **overrides,
    }
    return {name: value for name, value in fields.items() if value is not None}


async def sign(client: httpx.AsyncClient, pet: Petition | str, **overrides: Any) -> httpx.Response:
    return await post_graphql(client, SIGN_PETITION, {"input": signature_input(pet, **overrides)})


async def signed(client: httpx.AsyncClient, pet: Petition | str, **overrides: Any) -> dict[str, Any]:
    """The payload of a signPetition that must answer without top-level errors."""
    response = await sign(client, pet, **overrides)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]["signPetition"]


@dataclass(frozen=True)
class Stored:
    """What the database holds for one petition: its counter and its signature rows."""

    signature_count: int
    rows: list[tuple[Any, ...]]


async def stored(database: Database, pet: Petition) -> Stored:
    async with database.session() as session:
        count = (
            await session.execute(text("SELECT signature_count FROM petitions WHERE id = :id"), {"id": pet.id})
        ).scalar_one()
        rows = (
            await session.execute(
                text(
                    "SELECT name, email, email_normalised, country, comment, consent_to_contact FROM signatures "
                    "WHERE petition_id = :id ORDER BY id"
                ),
                {"id": pet.id},
            )
        ).all()
    return Stored(count, [tuple(row) for row in rows])


async def public_page(client: httpx.AsyncClient, pet: Petition) -> dict[str, Any]:
    return (await execute(client, operation("PetitionPage"), {"slug": pet.slug}))["petition"]


@asynccontextmanager
async def http_client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield client


# --- a valid signature ----------------------------------------------------------------------------------------------


async def test_a_valid_signature_is_counted_and_listed_publicly(client: httpx.AsyncClient, database: Database) -> None:
    pet = await factories.petition(database)
    await factories.signatures(database, pet, 2)

    payload = await signed(client, pet, name="Alice Example", country="GB")

    assert payload == {"petition": {"id": petition_id(pet), "signatureCount": 3}, "userErrors": []}
    page = await public_page(client, pet)
    assert page["signatureCount"] == 3
    newest = page["signatures"]["edges"][0]["node"]
    assert (newest["name"], newest["country"]) == ("Alice Example", "GB")
    assert (await stored(database, pet)).signature_count == 3


async def test_a_signature_is_stored_trimmed_with_the_country_upper_cased(
    client: httpx.AsyncClient, database: Database
) -> None:
    pet = await factories.petition(database)

    await signed(
        client,
        pet,
        name="  Alice Example ",
        email=" Alice+news@Example.org ",
        country="gb",
        comment="  ",
        consentToContact=True,
    )

    assert (await stored(database, pet)).rows == [
        ("Alice Example", "Alice+news@Example.org", "alice@example.org", "GB", None, True)
    ]


async def test_country_and_comment_may_be_left_out(client: httpx.AsyncClient, database: Database) -> None:
    pet = await factories.petition(database)
    variables = {"input": {"petitionId": petition_id(pet), "name": "Alice Example", "email": "alice@example.org"}}

    response = await post_graphql(client, SIGN_PETITION, variables)

    assert response.json()["data"]["signPetition"]["userErrors"] == []
    assert (await stored(database, pet)).rows == [
        ("Alice Example", "alice@example.org", "alice@example.org", None, None, False)
    ]


BOUNDARY_VALUES = {
    "100-character name": {"name": "A" * 100},
    "1000-character comment": {"comment": "c" * 1000},
    "name with an apostrophe and accents": {"name": "Zoë O'Brien-Łukasiewicz"},
    "comment with line breaks": {"comment": "First line.\nSecond line.\r\n\tIndented."},
}


@pytest.mark.parametrize("overrides", BOUNDARY_VALUES.values(), ids=BOUNDARY_VALUES.keys())
async def test_values_at_the_limits_are_accepted(
    client: httpx.AsyncClient, database: Database, overrides: dict[str, Any]
) -> None:
    pet = await factories.petition(database)

    payload = await signed(client, pet, **overrides)

    assert payload["userErrors"] == []
    assert (await stored(database, pet)).signature_count == 1


# --- one signature per normalised email -----------------------------------------------------------------------------


async def test_a_repeated_signature_gets_exactly_the_first_answer_and_changes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    pet = await factories.petition(database)

    first = await sign(client, pet, email="alice@example.org", name="Alice Example")
    after_first = await stored(database, pet)
    repeated = await sign(client, pet, email="Alice+x@Example.org ", name="Someone Else", country="DE")

    assert first.json()["data"]["signPetition"] == {
        "petition": {"id": petition_id(pet), "signatureCount": 1},
        "userErrors": [],
    }
    assert (repeated.status_code, repeated.content) == (first.status_code, first.content)
    assert await stored(database, pet) == after_first
    assert [row[2] for row in after_first.rows] == ["alice@example.org"]


async def test_the_same_email_may_sign_different_petitions(client: httpx.AsyncClient, database: Database) -> None:
    one, other = await factories.petition(database), await factories.petition(database)

    await signed(client, one)
    payload = await signed(client, other)

    assert payload["petition"]["signatureCount"] == 1
    assert (await stored(database, one)).signature_count == (await stored(database, other)).signature_count == 1


# --- bad input: typed userErrors, nothing stored --------------------------------------------------------------------

BAD_INPUTS = {
    "empty name": ({"name": ""}, {("name", "REQUIRED")}),
    "blank name": ({"name": "   "}, {("name", "REQUIRED")}),
    "101-character name": ({"name": "A" * 101}, {("name", "TOO_LONG")}),
    "name with a URL": ({"name": "Alice https://spam.example"}, {("name", "NOT_ALLOWED")}),
    "name with a web address": ({"name": "Visit www.cheap-pills"}, {("name", "NOT_ALLOWED")}),
    "name with a domain": ({"name": "Alice from spam.com"}, {("name", "NOT_ALLOWED")}),
    "name starting with =": ({"name": "=HYPERLINK(1)"}, {("name", "NOT_ALLOWED")}),
    "name starting with + after spaces": ({"name": "  +1 Alice"}, {("name", "NOT_ALLOWED")}),
    "name starting with @": ({"name": "@SUM(A1)"}, {("name", "NOT_ALLOWED")}),
    "name with a control character": ({"name": "Alice\u0007Example"}, {("name", "INVALID")}),
    "empty email": ({"email": ""}, {("email", "REQUIRED")}),
    "invalid email": ({"email": "not-an-email"}, {("email", "INVALID")}),
    "email without a domain": ({"email": "alice@"}, {("email", "INVALID")}),
    "email longer than 254 characters": ({"email": "a" * 64 + "@" + "b" * 190 + ".org"}, {("email", "TOO_LONG")}),
    "unknown country XX": ({"country": "XX"}, {("country", "INVALID")}),
    "country name instead of code": ({"country": "Germany"}, {("country", "INVALID")}),
    "1001-character comment": ({"comment": "c" * 1001}, {("comment", "TOO_LONG")}),
    "several problems together": (
        {"name": "", "email": "nope", "country": "XX", "comment": "c" * 1001},
        {("name", "REQUIRED"), ("email", "INVALID"), ("country", "INVALID"), ("comment", "TOO_LONG")},
    ),
}


@pytest.mark.parametrize(("overrides", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
async def test_bad_input_gets_typed_user_errors_and_changes_nothing(
    client: httpx.AsyncClient,
    database: Database,
    overrides: dict[str, Any],
    expected: set[tuple[str, str]],
) -> None:
    pet = await factories.petition(database)
    await factories.signatures(database, pet, 1)
    before = await stored(database, pet)

    payload = await signed(client, pet, **overrides)

    assert payload["petition"] is None
    assert {(error["field"], error["code"]) for error in payload["userErrors"]} == expected
    assert len(payload["userErrors"]) == len(expected)
    assert all(error["message"].strip() for error in payload["userErrors"])
    assert await stored(database, pet) == before
    assert (await public_page(client, pet))["signatureCount"] == before.signature_count


async def test_a_comment_with_a_nul_character_is_answered_without_an_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    """PostgreSQL cannot store NUL in text; the answer must still be a payload, not an internal error."""
    pet = await factories.petition(database)

    payload = await signed(client, pet, comment="before\u0000after")

    stored_now = await stored(database, pet)
    if payload["userErrors"]:
        assert [error["field"] for error in payload["userErrors"]] == ["comment"]
        assert stored_now.signature_count == 0
    else:
        assert stored_now.signature_count == 1


# --- petitions that cannot be signed --------------------------------------------------------------------------------

NOT_SIGNABLE = {
    # (campaign status, petition status) -> userError code
    (CampaignStatus.PUBLISHED, PetitionStatus.CLOSED): "PETITION_CLOSED",
    (CampaignStatus.PUBLISHED, PetitionStatus.DRAFT): "NOT_FOUND",
    (CampaignStatus.DRAFT, PetitionStatus.OPEN): "NOT_FOUND",
    (CampaignStatus.DRAFT, PetitionStatus.CLOSED): "NOT_FOUND",
    (CampaignStatus.ARCHIVED, PetitionStatus.OPEN): "NOT_FOUND",
    (CampaignStatus.ARCHIVED, PetitionStatus.CLOSED): "NOT_FOUND",
}


async def nonexistent_petition_answer(client: httpx.AsyncClient) -> httpx.Response:
    unused = factories.global_id("Petition", 2_000_000_000)
    return await sign(client, unused, email="someone-else@example.org")


@pytest.mark.parametrize(
    ("campaign_status", "petition_status", "code"),
    [(camp, pet, code) for (camp, pet), code in NOT_SIGNABLE.items()],
    ids=lambda value: str(value),
)
async def test_a_petition_that_is_not_open_in_a_published_campaign_cannot_be_signed(
    client: httpx.AsyncClient,
    database: Database,
    campaign_status: CampaignStatus,
    petition_status: PetitionStatus,
    code: str,
) -> None:
    camp = await factories.campaign(database, status=campaign_status)
    pet = await factories.petition(database, camp, status=petition_status)
    await factories.signatures(database, pet, 1)
    before = await stored(database, pet)

    response = await sign(client, pet)

    payload = response.json()["data"]["signPetition"]
    assert payload["petition"] is None
    assert [(error["field"], error["code"]) for error in payload["userErrors"]] == [("petitionId", code)]
    assert await stored(database, pet) == before
    if code == "NOT_FOUND":  # indistinguishable from a petition that does not exist
        assert response.content == (await nonexistent_petition_answer(client)).content


async def test_a_nonexistent_petition_is_not_found(client: httpx.AsyncClient, database: Database) -> None:
    await factories.petition(database)

    payload = (await nonexistent_petition_answer(client)).json()["data"]["signPetition"]

    assert payload["petition"] is None
    assert [(error["field"], error["code"]) for error in payload["userErrors"]] == [("petitionId", "NOT_FOUND")]
    async with database.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM signatures"))).scalar_one() == 0


NON_PETITION_IDS: dict[str, Callable[[Petition], str]] = {
    "the petition's campaign": lambda pet: factories.global_id("Campaign", pet.campaign_id),
    "a campaign with the petition's row id": lambda pet: factories.global_id("Campaign", pet.id),
    "an organisation with the petition's row id": lambda pet: factories.global_id("Organisation", pet.id),
    "an unknown type": lambda pet: factories.global_id("Signature", pet.id),
    "a non-numeric petition id": lambda pet: factories.global_id("Petition", "abc"),
    "petition id zero": lambda pet: factories.global_id("Petition", 0),
    "a non-ascii digit": lambda pet: base64.b64encode("Petition:²".encode()).decode(),
    "beyond a 32-bit id": lambda pet: factories.global_id("Petition", 2**31),
    "beyond any row id": lambda pet: factories.global_id("Petition", 10**20),
}


@pytest.mark.parametrize("make_id", NON_PETITION_IDS.values(), ids=NON_PETITION_IDS.keys())
async def test_an_id_that_does_not_name_a_petition_is_not_found(
    client: httpx.AsyncClient, database: Database, make_id: Callable[[Petition], str]
) -> None:
    pet = await factories.petition(database)  # tables start empty: its organisation and campaign share its row id

    payload = await signed(client, make_id(pet))

    assert payload["petition"] is None
    assert [(error["field"], error["code"]) for error in payload["userErrors"]] == [("petitionId", "NOT_FOUND")]
    assert await stored(database, pet) == Stored(0, [])


MALFORMED_IDS = {
    "not base64": "not an id!",
    "base64 without a type": base64.b64encode(b"nocolon").decode(),
    "empty": "",
}


@pytest.mark.parametrize("malformed", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
async def test_a_malformed_petition_id_is_refused_as_bad_user_input(
    client: httpx.AsyncClient, database: Database, malformed: str
) -> None:
    pet = await factories.petition(database)

    response = await sign(client, malformed)

    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "petitionId"
    assert body["data"] is None
    assert await stored(database, pet) == Stored(0, [])


# --- requests that do not fit the schema ----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["petitionId", "name", "email"])
async def test_a_literal_input_without_a_required_field_fails_validation(
    client: httpx.AsyncClient, database: Database, missing: str
) -> None:
    pet = await factories.petition(database)
    fields = {"petitionId": petition_id(pet), "name": "Alice Example", "email": "alice@example.org"}
    literal = ", ".join(f'{name}: "{value}"' for name, value in fields.items() if name != missing)
    mutation = f"mutation {{ signPetition(input: {{{literal}}}) {{ userErrors {{ code }} }} }}"

    response = await post_graphql(client, mutation)

    assert response.status_code == 400
    assert error_codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await stored(database, pet) == Stored(0, [])


VARIABLES_THAT_DO_NOT_FIT: dict[str, Callable[[Petition], dict[str, Any]]] = {
    "no input variable": lambda pet: {},
    "input is null": lambda pet: {"input": None},
    "input without email": lambda pet: {"input": {"petitionId": petition_id(pet), "name": "Alice Example"}},
    "input without petitionId": lambda pet: {"input": {"name": "Alice Example", "email": "alice@example.org"}},
    "name is a number": lambda pet: {"input": signature_input(pet, name=5)},
    "consentToContact is a string": lambda pet: {"input": signature_input(pet, consentToContact="yes")},
    "email is null": lambda pet: {"input": {**signature_input(pet), "email": None}},
    "an unknown input field": lambda pet: {"input": signature_input(pet, phone="0123")},
    "input is a string": lambda pet: {"input": "Alice Example"},
}


@pytest.mark.parametrize("make_variables", VARIABLES_THAT_DO_NOT_FIT.values(), ids=VARIABLES_THAT_DO_NOT_FIT.keys())
async def test_variables_that_do_not_fit_the_input_type_are_bad_user_input(
    client: httpx.AsyncClient, database: Database, make_variables: Callable[[Petition], dict[str, Any]]
) -> None:
    pet = await factories.petition(database)

    response = await post_graphql(client, SIGN_PETITION, make_variables(pet))

    assert await stored(database, pet) == Stored(0, [])
    assert (response.status_code, error_codes(response.json())) == (400, ["BAD_USER_INPUT"])


# --- rate limit: per client, per petition ---------------------------------------------------------------------------


async def test_the_fourth_attempt_on_one_petition_is_rate_limited_and_changes_nothing(
    serve: Callable[..., str], database: Database
) -> None:
    pet = await factories.petition(database)

    async with http_client(serve(signature_rate_limit=3)) as client:
        for number in range(3):
            payload = await signed(client, pet, email=f"signer{number}@example.org")
            assert payload["userErrors"] == []
        before = await stored(database, pet)
        response = await sign(client, pet, email="one-too-many@example.org")

    body = response.json()
    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["data"] is None
    assert before.signature_count == 3
    assert await stored(database, pet) == before


async def test_refused_and_repeated_attempts_count_towards_the_rate_limit(
    serve: Callable[..., str], database: Database
) -> None:
    pet = await factories.petition(database)

    async with http_client(serve(signature_rate_limit=3)) as client:
        await signed(client, pet, email="alice@example.org")
        await signed(client, pet, email="alice@example.org")
        assert (await signed(client, pet, name=""))["userErrors"]
        response = await sign(client, pet, email="bob@example.org")

    assert error_codes(response.json()) == ["RATE_LIMITED"]
    assert (await stored(database, pet)).signature_count == 1


async def test_the_rate_limit_of_one_petition_does_not_block_another(
    serve: Callable[..., str], database: Database
) -> None:
    limited, other = await factories.petition(database), await factories.petition(database)

    async with http_client(serve(signature_rate_limit=3)) as client:
        for number in range(3):
            await signed(client, limited, email=f"signer{number}@example.org")
        assert error_codes((await sign(client, limited, email="late@example.org")).json()) == ["RATE_LIMITED"]
        payload = await signed(client, other, email="late@example.org")

    assert payload == {"petition": {"id": petition_id(other), "signatureCount": 1}, "userErrors": []}
    assert (await stored(database, other)).signature_count == 1
