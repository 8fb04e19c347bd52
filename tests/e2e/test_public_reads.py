"""Public reads over real HTTP, as the anonymous viewer: visibility on every path, pagination, node(id:) and the cost
in SQL queries of the frontend's operation documents."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import event
from sqlalchemy.engine import Engine

from campaign_api.db.database import Database
from campaign_api.db.models import Campaign, Organisation, Petition
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.settings import Settings
from tests import factories
from tests.graphql_client import error_codes, execute, operation, post_graphql

DRAFT_C, PUBLISHED, ARCHIVED = CampaignStatus.DRAFT, CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED
DRAFT_P, OPEN, CLOSED = PetitionStatus.DRAFT, PetitionStatus.OPEN, PetitionStatus.CLOSED

# What the anonymous viewer may read. Everything not visible must look exactly like something that does not exist.
CAMPAIGN_VISIBLE: dict[CampaignStatus, bool] = {
    DRAFT_C: False,
    PUBLISHED: True,
    ARCHIVED: False,
}
PETITION_VISIBLE: dict[tuple[CampaignStatus, PetitionStatus], bool] = {
    (PUBLISHED, OPEN): True,
    (PUBLISHED, CLOSED): True,
    (PUBLISHED, DRAFT_P): False,
    (DRAFT_C, OPEN): False,
    (DRAFT_C, CLOSED): False,
    (DRAFT_C, DRAFT_P): False,
    (ARCHIVED, OPEN): False,
    (ARCHIVED, CLOSED): False,
    (ARCHIVED, DRAFT_P): False,
}


@asynccontextmanager
async def http_client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield client


def encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def slugs_of(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["slug"] for edge in connection["edges"]]


async def request_error(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> tuple[int, list[str]]:
    """Status and error codes of an operation that must fail."""
    response = await post_graphql(client, query, variables)
    body = response.json()
    assert body.get("errors"), body
    return response.status_code, error_codes(body)


# --- visibility -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """The rows under test, next to a published campaign with an open petition that every path must show."""

    organisation: Organisation
    campaign: Campaign
    petition: Petition
    public_campaign: Campaign
    public_petition: Petition


async def build_world(
    database: Database, campaign_status: CampaignStatus, petition_status: PetitionStatus = OPEN
) -> World:
    org = await factories.organisation(database)
    public_campaign = await factories.campaign(database, org)
    public_petition = await factories.petition(database, public_campaign)
    camp = await factories.campaign(database, org, status=campaign_status)
    pet = await factories.petition(database, camp, status=petition_status)
    return World(org, camp, pet, public_campaign, public_petition)


Reader = Callable[[httpx.AsyncClient, World], Awaitable[set[str]]]


async def node_slug(client: httpx.AsyncClient, type_name: str, row_id: int) -> str | None:
    node = (await execute(client, operation("Node"), {"id": factories.global_id(type_name, row_id)}))["node"]
    if node is None:
        return None
    assert node["__typename"] == type_name
    return node["slug"]


async def campaign_by_slug(client: httpx.AsyncClient, world: World) -> set[str]:
    seen = set()
    for camp in (world.campaign, world.public_campaign):
        found = (await execute(client, operation("CampaignPage"), {"slug": camp.slug}))["campaign"]
        if found is not None:
            seen.add(found["slug"])
    return seen


async def campaign_by_node_id(client: httpx.AsyncClient, world: World) -> set[str]:
    slugs = [await node_slug(client, "Campaign", camp.id) for camp in (world.campaign, world.public_campaign)]
    return {slug for slug in slugs if slug is not None}


async def campaigns_list(client: httpx.AsyncClient, world: World) -> set[str]:
    data = await execute(client, operation("CampaignList"), {"first": 100})
    return set(slugs_of(data["campaigns"]))


async def campaigns_list_of_organisation(client: httpx.AsyncClient, world: World) -> set[str]:
    variables = {"first": 100, "organisationSlug": world.organisation.slug}
    data = await execute(client, operation("CampaignList"), variables)
    return set(slugs_of(data["campaigns"]))


async def organisation_campaigns(client: httpx.AsyncClient, world: World) -> set[str]:
    data = await execute(client, operation("OrganisationPage"), {"slug": world.organisation.slug})
    return set(slugs_of(data["organisation"]["campaigns"]))


async def petition_by_slug(client: httpx.AsyncClient, world: World) -> set[str]:
    seen = set()
    for pet in (world.petition, world.public_petition):
        found = (await execute(client, operation("PetitionPage"), {"slug": pet.slug}))["petition"]
        if found is not None:
            seen.add(found["slug"])
    return seen


async def petition_by_node_id(client: httpx.AsyncClient, world: World) -> set[str]:
    slugs = [await node_slug(client, "Petition", pet.id) for pet in (world.petition, world.public_petition)]
    return {slug for slug in slugs if slug is not None}


async def petitions_of_campaign_page(client: httpx.AsyncClient, world: World) -> set[str]:
    seen: set[str] = set()
    for camp in (world.campaign, world.public_campaign):
        found = (await execute(client, operation("CampaignPage"), {"slug": camp.slug}))["campaign"]
        if found is not None:
            seen.update(slugs_of(found["petitions"]))
    return seen


async def petitions_in_campaign_list(client: httpx.AsyncClient, world: World) -> set[str]:
    data = await execute(client, operation("CampaignList"), {"first": 100})
    return {slug for edge in data["campaigns"]["edges"] for slug in slugs_of(edge["node"]["petitions"])}


CAMPAIGN_READERS: dict[str, Reader] = {
    "campaign(slug)": campaign_by_slug,
    "node(id)": campaign_by_node_id,
    "campaigns": campaigns_list,
    "campaigns(organisationSlug)": campaigns_list_of_organisation,
    "organisation.campaigns": organisation_campaigns,
}
PETITION_READERS: dict[str, Reader] = {
    "petition(slug)": petition_by_slug,
    "node(id)": petition_by_node_id,
    "campaign.petitions": petitions_of_campaign_page,
    "campaigns.petitions": petitions_in_campaign_list,
}


@pytest.mark.parametrize("reader", CAMPAIGN_READERS.values(), ids=CAMPAIGN_READERS.keys())
@pytest.mark.parametrize(("campaign_status", "visible"), CAMPAIGN_VISIBLE.items(), ids=str)
async def test_a_campaign_is_readable_on_every_path_only_when_published(
    client: httpx.AsyncClient, database: Database, campaign_status: CampaignStatus, visible: bool, reader: Reader
) -> None:
    world = await build_world(database, campaign_status)

    seen = await reader(client, world)

    assert seen == {world.public_campaign.slug} | ({world.campaign.slug} if visible else set())


@pytest.mark.parametrize("reader", PETITION_READERS.values(), ids=PETITION_READERS.keys())
@pytest.mark.parametrize(
    ("campaign_status", "petition_status", "visible"),
    [(camp, pet, visible) for (camp, pet), visible in PETITION_VISIBLE.items()],
    ids=lambda value: str(value),
)
async def test_a_petition_is_readable_on_every_path_only_when_open_or_closed_in_a_published_campaign(
    client: httpx.AsyncClient,
    database: Database,
    campaign_status: CampaignStatus,
    petition_status: PetitionStatus,
    visible: bool,
    reader: Reader,
) -> None:
    world = await build_world(database, campaign_status, petition_status)

    seen = await reader(client, world)

    assert seen == {world.public_petition.slug} | ({world.petition.slug} if visible else set())


async def test_an_organisation_without_published_campaigns_shows_an_empty_list(
    client: httpx.AsyncClient, database: Database
) -> None:
    org = await factories.organisation(database)
    for status in (DRAFT_C, ARCHIVED):
        await factories.campaign(database, org, status=status)

    data = await execute(client, operation("OrganisationPage"), {"slug": org.slug})

    assert data["organisation"]["slug"] == org.slug
    assert data["organisation"]["campaigns"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


# --- campaigns(first, after): keyset pagination ---------------------------------------------------------------------

CAMPAIGN_PAGE_INFO = """
query ($first: Int, $after: String) {
  campaigns(first: $first, after: $after) {
    edges { cursor node { slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def walk_campaigns(
    client: httpx.AsyncClient, first: int, organisation_slug: str | None = None
) -> list[list[str]]:
    """Every page of CampaignList, following endCursor until hasNextPage is false."""
    pages: list[list[str]] = []
    after = None
    for _ in range(100):  # a bound, so a hasNextPage that never turns false fails instead of hanging
        variables = {"first": first, "after": after, "organisationSlug": organisation_slug}
        connection = (await execute(client, operation("CampaignList"), variables))["campaigns"]
        pages.append(slugs_of(connection))
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]
    raise AssertionError("hasNextPage never became false")


async def test_walking_the_campaign_pages_sees_every_published_campaign_once_newest_first(
    client: httpx.AsyncClient, database: Database
) -> None:
    published = []
    for number in range(8):
        published.append(await factories.campaign(database))
        if number % 3 == 0:  # hidden campaigns in between must not disturb the pages
            await factories.campaign(database, status=DRAFT_C)
            await factories.campaign(database, status=ARCHIVED)

    pages = await walk_campaigns(client, first=3)

    assert [len(page) for page in pages] == [3, 3, 2]
    seen = [slug for page in pages for slug in page]
    assert seen == [camp.slug for camp in reversed(published)]


async def test_a_page_that_ends_exactly_at_the_last_campaign_has_no_next_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    for _ in range(4):
        await factories.campaign(database)

    pages = await walk_campaigns(client, first=2)

    assert [len(page) for page in pages] == [2, 2]


async def test_has_previous_page_is_false_on_the_first_page_and_true_after_a_cursor(
    client: httpx.AsyncClient, database: Database
) -> None:
    for _ in range(3):
        await factories.campaign(database)

    first_page = (await execute(client, CAMPAIGN_PAGE_INFO, {"first": 2}))["campaigns"]
    second_page = (
        await execute(client, CAMPAIGN_PAGE_INFO, {"first": 2, "after": first_page["pageInfo"]["endCursor"]})
    )["campaigns"]

    assert first_page["pageInfo"]["hasPreviousPage"] is False
    assert first_page["pageInfo"]["startCursor"] == first_page["edges"][0]["cursor"]
    assert second_page["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": second_page["edges"][0]["cursor"],
        "endCursor": second_page["edges"][0]["cursor"],
    }


async def test_an_empty_page_has_no_cursors(client: httpx.AsyncClient, database: Database) -> None:
    data = await execute(client, CAMPAIGN_PAGE_INFO, {"first": 5})

    assert data["campaigns"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    }


@pytest.mark.parametrize(("first", "accepted"), [(5, True), (6, False), (0, True)])
async def test_first_is_limited_to_the_configured_max_page_size(
    serve: Callable[..., str], database: Database, first: int, accepted: bool
) -> None:
    for _ in range(7):
        await factories.campaign(database)

    async with http_client(serve(max_page_size=5, default_page_size=5)) as client:
        response = await post_graphql(client, operation("CampaignList"), {"first": first})
    body = response.json()

    if accepted:
        assert "errors" not in body, body
        assert len(body["data"]["campaigns"]["edges"]) == first
    else:
        assert response.status_code == 400, body
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "first"


async def test_first_above_the_default_max_page_size_of_100_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    await factories.campaign(database)

    assert (await execute(client, operation("CampaignList"), {"first": 100}))["campaigns"]["edges"]
    assert await request_error(client, operation("CampaignList"), {"first": 101}) == (400, ["BAD_USER_INPUT"])


@pytest.mark.parametrize("first", [-1, -100])
async def test_a_negative_first_is_refused(client: httpx.AsyncClient, first: int) -> None:
    assert await request_error(client, operation("CampaignList"), {"first": first}) == (400, ["BAD_USER_INPUT"])


def test_a_max_page_size_below_the_default_page_size_is_refused_at_start(database: Database) -> None:
    # Otherwise every connection asked without `first` would fail about an argument the client never sent.
    with pytest.raises(ValidationError, match="DEFAULT_PAGE_SIZE"):
        Settings(database_url=database.url, max_page_size=5)


@pytest.mark.parametrize(
    "variables",
    [{"first": "ten"}, {"first": 2**31}, {"after": 7}],
    ids=["first is a string", "first beyond 32 bits", "after is a number"],
)
async def test_variables_of_the_wrong_type_are_bad_user_input(
    client: httpx.AsyncClient, variables: dict[str, Any]
) -> None:
    assert await request_error(client, operation("CampaignList"), variables) == (400, ["BAD_USER_INPUT"])


GARBAGE_CURSORS = {
    "not base64": "!!!",
    "base64 of random text": encode("hello world"),
    "empty": "",
    "non-ascii": "cürsor",
    "no number": base64.urlsafe_b64encode(b"cursor:abc").decode(),
    "zero": base64.urlsafe_b64encode(b"cursor:0").decode(),
    "negative": base64.urlsafe_b64encode(b"cursor:-3").decode(),
    "other prefix": base64.urlsafe_b64encode(b"offset:3").decode(),
    "a global id": factories.global_id("Campaign", 1),
    "beyond any row id": base64.urlsafe_b64encode(f"cursor:{10**20}".encode()).decode(),
    "beyond a 32-bit id": base64.urlsafe_b64encode(f"cursor:{2**31}".encode()).decode(),
}


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS.values(), ids=GARBAGE_CURSORS.keys())
async def test_a_cursor_this_api_did_not_make_is_refused_as_bad_user_input(
    client: httpx.AsyncClient, database: Database, cursor: str
) -> None:
    await factories.campaign(database)

    assert await request_error(client, operation("CampaignList"), {"after": cursor}) == (400, ["BAD_USER_INPUT"])


async def test_the_organisation_filter_pages_through_that_organisations_published_campaigns_only(
    client: httpx.AsyncClient, database: Database
) -> None:
    ours, theirs = await factories.organisation(database), await factories.organisation(database)
    mine = []
    for _ in range(5):
        mine.append(await factories.campaign(database, ours))
        await factories.campaign(database, theirs)
    await factories.campaign(database, ours, status=DRAFT_C)

    pages = await walk_campaigns(client, first=2, organisation_slug=ours.slug)

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [slug for page in pages for slug in page] == [camp.slug for camp in reversed(mine)]


async def test_an_unknown_organisation_slug_gives_an_empty_connection(
    client: httpx.AsyncClient, database: Database
) -> None:
    await factories.campaign(database)

    data = await execute(client, operation("CampaignList"), {"organisationSlug": "no-such-organisation"})

    assert data["campaigns"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


# --- nested pagination ----------------------------------------------------------------------------------------------


async def test_the_signatures_of_a_petition_page_newest_first_through_the_cursor(
    client: httpx.AsyncClient, database: Database
) -> None:
    pet = await factories.petition(database)
    await factories.signatures(database, pet, 5)  # "Signer 0" is the oldest
    page_one_variables = {"slug": pet.slug, "signaturesFirst": 3}

    page_one = (await execute(client, operation("PetitionPage"), page_one_variables))["petition"]["signatures"]
    page_two_variables = {**page_one_variables, "signaturesAfter": page_one["pageInfo"]["endCursor"]}
    page_two = (await execute(client, operation("PetitionPage"), page_two_variables))["petition"]["signatures"]

    names = [[edge["node"]["name"] for edge in page["edges"]] for page in (page_one, page_two)]
    assert names == [["Signer 4", "Signer 3", "Signer 2"], ["Signer 1", "Signer 0"]]
    assert page_one["pageInfo"]["hasNextPage"] is True
    assert page_two["pageInfo"]["hasNextPage"] is False


async def test_the_petitions_of_a_campaign_page_newest_first_through_the_cursor(
    client: httpx.AsyncClient, database: Database
) -> None:
    camp = await factories.campaign(database)
    petitions = [await factories.petition(database, camp, status=status) for status in (OPEN, CLOSED, OPEN)]
    await factories.petition(database, camp, status=DRAFT_P)
    page_one_variables = {"slug": camp.slug, "petitionsFirst": 2}

    page_one = (await execute(client, operation("CampaignPage"), page_one_variables))["campaign"]["petitions"]
    page_two_variables = {**page_one_variables, "petitionsAfter": page_one["pageInfo"]["endCursor"]}
    page_two = (await execute(client, operation("CampaignPage"), page_two_variables))["campaign"]["petitions"]

    assert [slugs_of(page_one), slugs_of(page_two)] == [
        [petitions[2].slug, petitions[1].slug],
        [petitions[0].slug],
    ]
    assert page_one["pageInfo"]["hasNextPage"] is True
    assert page_two["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("operation_name", "variables"),
    [
        ("PetitionPage", {"signaturesFirst": 101}),
        ("PetitionPage", {"signaturesFirst": -1}),
        ("PetitionPage", {"signaturesAfter": "!!!"}),
        ("CampaignPage", {"petitionsFirst": 101}),
        ("CampaignPage", {"petitionsAfter": "!!!"}),
        ("OrganisationPage", {"campaignsFirst": 101}),
        ("OrganisationPage", {"campaignsAfter": "!!!"}),
    ],
)
async def test_nested_connections_refuse_bad_windows_as_bad_user_input(
    client: httpx.AsyncClient, database: Database, operation_name: str, variables: dict[str, Any]
) -> None:
    pet = await factories.petition(database)
    camp = await database_campaign_of(database, pet)
    slug = {"PetitionPage": pet.slug, "CampaignPage": camp.slug, "OrganisationPage": camp.organisation_slug}

    response = await post_graphql(client, operation(operation_name), {"slug": slug[operation_name], **variables})

    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


@dataclass(frozen=True)
class CampaignSlugs:
    slug: str
    organisation_slug: str


async def database_campaign_of(database: Database, pet: Petition) -> CampaignSlugs:
    async with database.session() as session:
        camp = await session.get(Campaign, pet.campaign_id)
        org = await session.get(Organisation, camp.organisation_id)
        return CampaignSlugs(camp.slug, org.slug)


# --- signatures never expose an email to the public ------------------------------------------------------------------


async def test_an_anonymous_viewer_asking_for_signer_emails_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    pet = await factories.petition(database)
    await factories.signatures(database, pet, 1)
    query = "query ($slug: String!) { petition(slug: $slug) { signatures { edges { node { name email } } } } }"

    response = await post_graphql(client, query, {"slug": pet.slug})

    body = response.json()
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["petition"]["signatures"]["edges"] == [{"node": {"name": "Signer 0", "email": None}}]
    assert "signer0@example.org" not in response.text


async def test_the_only_personal_field_of_a_signature_is_the_guarded_email(client: httpx.AsyncClient) -> None:
    data = await execute(client, '{ __type(name: "Signature") { fields { name } } }')

    assert {field["name"] for field in data["__type"]["fields"]} == {"name", "country", "createdAt", "email"}


async def test_a_page_of_signatures_contains_no_email_address(client: httpx.AsyncClient, database: Database) -> None:
    pet = await factories.petition(database)
    await factories.signatures(database, pet, 3)

    response = await post_graphql(client, operation("PetitionPage"), {"slug": pet.slug})

    names = [edge["node"]["name"] for edge in response.json()["data"]["petition"]["signatures"]["edges"]]
    assert names == ["Signer 2", "Signer 1", "Signer 0"]
    for number in range(3):
        assert f"signer{number}@example.org" not in response.text.lower()
    assert "@" not in response.text


# --- node(id:) ------------------------------------------------------------------------------------------------------


async def test_node_returns_each_type_by_its_global_id(client: httpx.AsyncClient, database: Database) -> None:
    org = await factories.organisation(database)
    camp = await factories.campaign(database, org)
    pet = await factories.petition(database, camp)

    for type_name, row in (("Organisation", org), ("Campaign", camp), ("Petition", pet)):
        global_id = factories.global_id(type_name, row.id)
        node = (await execute(client, operation("Node"), {"id": global_id}))["node"]
        assert (node["__typename"], node["id"], node["slug"]) == (type_name, global_id, row.slug)


async def test_the_ids_in_answers_refetch_the_same_objects(client: httpx.AsyncClient, database: Database) -> None:
    pet = await factories.petition(database)
    page = (await execute(client, operation("PetitionPage"), {"slug": pet.slug}))["petition"]

    for expected in (page, page["campaign"], page["campaign"]["organisation"]):
        node = (await execute(client, operation("Node"), {"id": expected["id"]}))["node"]
        assert (node["id"], node["slug"]) == (expected["id"], expected["slug"])


UNREADABLE_NODE_IDS = {
    "unknown type": encode("Nope:1"),
    "a type that is not a node": encode("Signature:1"),
    "the query root": encode("Query:1"),
    "no node id": encode("Petition:"),
    "non-numeric node id": encode("Petition:abc"),
    "negative node id": encode("Petition:-1"),
    "decimal node id": encode("Petition:1.0"),
    "zero": encode("Petition:0"),
    "no such row": encode("Petition:999999"),
    "non-ascii digit": encode("Petition:²"),
    "beyond any row id": encode(f"Petition:{10**20}"),
    "beyond a 32-bit id": encode(f"Petition:{2**31}"),
}


@pytest.mark.parametrize("global_id", UNREADABLE_NODE_IDS.values(), ids=UNREADABLE_NODE_IDS.keys())
async def test_node_is_null_for_an_id_that_names_nothing_readable(
    client: httpx.AsyncClient, database: Database, global_id: str
) -> None:
    await factories.petition(database)

    assert await execute(client, operation("Node"), {"id": global_id}) == {"node": None}


MALFORMED_NODE_IDS = {
    "not base64": "not base64!",
    "base64 without a type": encode("nocolon"),
    "empty": "",
}


@pytest.mark.parametrize("global_id", MALFORMED_NODE_IDS.values(), ids=MALFORMED_NODE_IDS.keys())
async def test_node_refuses_a_malformed_id_as_bad_user_input(client: httpx.AsyncClient, global_id: str) -> None:
    response = await post_graphql(client, operation("Node"), {"id": global_id})

    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    assert response.json()["data"] == {"node": None}


BAD_SLUGS = {
    "nul character": "campaign\u0000",
    "far too long": "a" * 10_000,
    "upper case": "CAMPAIGN-1",
    "empty": "",
}


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
@pytest.mark.parametrize("operation_name", ["OrganisationPage", "CampaignPage", "PetitionPage"])
async def test_a_lookup_by_a_slug_that_cannot_exist_is_null(
    client: httpx.AsyncClient, database: Database, operation_name: str, slug: str
) -> None:
    await factories.petition(database)

    data = await execute(client, operation(operation_name), {"slug": slug})

    assert list(data.values()) == [None]


# --- SQL queries per operation --------------------------------------------------------------------------------------


@contextmanager
def counting_sql_statements() -> Iterator[list[str]]:
    """Every statement any engine in this process sends (the server runs in a thread of this process)."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def campaign_list_statements(client: httpx.AsyncClient, campaigns: int) -> list[str]:
    await execute(client, operation("CampaignList"), {"first": 50})  # warm up: connections, caches
    with counting_sql_statements() as statements:
        data = await execute(client, operation("CampaignList"), {"first": 50})
    assert len(data["campaigns"]["edges"]) == campaigns
    assert all(len(edge["node"]["petitions"]["edges"]) == 2 for edge in data["campaigns"]["edges"])
    return list(statements)


async def add_campaigns_with_two_petitions(database: Database, count: int) -> None:
    for _ in range(count):
        camp = await factories.campaign(database)  # each with its own organisation
        await factories.petition(database, camp)
        await factories.petition(database, camp, status=CLOSED)


async def test_the_campaign_list_costs_the_same_sql_queries_for_3_and_for_30_campaigns(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_campaigns_with_two_petitions(database, 3)
    with_three = await campaign_list_statements(client, 3)
    await add_campaigns_with_two_petitions(database, 27)
    with_thirty = await campaign_list_statements(client, 30)

    assert len(with_thirty) == len(with_three), (with_three, with_thirty)
    selects = [statement for statement in with_three if statement.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3, selects  # campaigns, their organisations, their petitions
