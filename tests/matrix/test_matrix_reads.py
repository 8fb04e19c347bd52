"""The read side of the authorisation matrix, for every role, on every path to the data, through real HTTP.

What each role should see is derived from ``scenario.MATRIX`` (the table of the design, as data): a draft or archived
campaign, and a petition that is not public, is readable only with the "read drafts" cell; guarded fields and
``viewerCan`` follow their rows. The same world is read through every entry point (lookups by slug and by global id,
the root list, the organisation's list, a campaign's petitions, a petition's campaign), and each path must give the
same answer: an unreadable object is absent (null, or missing from a list), a guarded field the role may not read
is null with a FORBIDDEN error at its path, and public fields always resolve.

The world is built once per backend for the module, and one server is shared: reading changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import ServeFactory
from tests.graphql_client import post_graphql
from tests.matrix.scenario import (
    CAMPAIGN_KEYS,
    CREATE_CAMPAIGN,
    DELETE_SIGNATURE,
    EDIT,
    MANAGE_ADMINS,
    MANAGE_MEMBERS,
    PETITION_KEYS,
    PUBLIC_CAMPAIGNS,
    PUBLIC_PETITIONS,
    PUBLISH,
    READ_DRAFTS,
    READ_SIGNER_DATA,
    ROLES,
    SEE_MEMBERS,
    World,
    allowed,
    campaign_of,
    readable,
)


@pytest.fixture
async def client(served: ServeFactory, world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served(), timeout=30) as client:
        yield client


async def run(client: httpx.AsyncClient, world: World, role: str, query: str, **variables: Any) -> dict[str, Any]:
    """Run ``query`` as ``role``; the body (data and errors), after checking that only FORBIDDEN errors came back."""
    response = await post_graphql(client, query, variables, headers=world.headers(role))
    body = response.json()
    assert response.status_code == 200, body
    assert body.get("data") is not None, body
    for error in body.get("errors", []):
        assert error.get("extensions", {}).get("code") == "FORBIDDEN", body["errors"]
    return body


def forbidden_fields(body: dict[str, Any]) -> set[tuple[str, str]]:
    """The guarded fields that answered FORBIDDEN, as (the slug or name of the object, the field)."""
    found = set()
    for error in body.get("errors", []):
        parent: Any = body["data"]
        for step in error["path"][:-1]:
            parent = parent[step]
        found.add((parent.get("slug") or parent["name"], error["path"][-1]))
    return found


# --- the requests ----------------------------------------------------------------------------------------------------
#
# Five requests per role, the shapes a frontend sends (a campaign page, a petition page, the campaign list, an
# organisation page, and lookups by global id). Between them they reach campaigns and petitions on every path, both
# through the list resolvers that decide their items' permissions ahead and through single lookups whose guarded
# fields are checked on their own. Each path is then checked in a test of its own.

CAMPAIGN_FIELDS = """
fragment CampaignFields on Campaign {
  slug status
  organisation { slug }
  internalNotes draftPetitionCount contactableSignatureCount
  viewerCan { viewDrafts edit publish readSignatures deleteSignatures grantRoles }
}
"""
PETITION_FIELDS = """
fragment PetitionFields on Petition {
  slug status signatureCount
  campaign { slug }
  viewerCan { edit publish readSignatures deleteSignatures }
}
"""
ORGANISATION_FIELDS = """
fragment OrganisationFields on Organisation {
  slug
  members { identityId role }
  viewerCan { viewDraftCampaigns viewMembers createCampaign manageCampaigns manageMembers manageAdmins }
}
"""
SIGNATURES = "signatures(first: 10) { edges { node { name email } } }"
PETITIONS = f"petitions(first: 50) {{ edges {{ node {{ ...PetitionFields {SIGNATURES} }} }} }}"
# Under the list of campaigns, signatures would go deeper than the configured maximum query depth.
PETITIONS_WITHOUT_SIGNATURES = "petitions(first: 50) { edges { node { ...PetitionFields } } }"


def _aliased(prefix: str, values: list[str], field: str, argument: str, selection: str) -> tuple[str, str, dict]:
    """Variables and fields for aliased lookups: ``c0: campaign(slug: $c0) { ... }``."""
    declared = ", ".join(f"${prefix}{n}: {argument}" for n in range(len(values)))
    name = "slug" if argument == "String!" else "id"
    fields = "\n".join(f"{prefix}{n}: {field}({name}: ${prefix}{n}) {selection}" for n in range(len(values)))
    return declared, fields, {f"{prefix}{n}": value for n, value in enumerate(values)}


def campaign_pages(world: World) -> tuple[str, dict[str, Any]]:
    """Every campaign by slug, with its petitions and their signatures."""
    slugs = [world.campaigns[key].slug for key in CAMPAIGN_KEYS]
    declared, fields, variables = _aliased("c", slugs, "campaign", "String!", f"{{ ...CampaignFields {PETITIONS} }}")
    return f"query({declared}) {{ {fields} }}" + CAMPAIGN_FIELDS + PETITION_FIELDS, variables


def petition_pages(world: World) -> tuple[str, dict[str, Any]]:
    """Every petition by slug, with its signatures and its campaign."""
    slugs = [world.petitions[key].slug for key in PETITION_KEYS]
    selection = f"{{ ...PetitionFields {SIGNATURES} campaign {{ ...CampaignFields }} }}"
    declared, fields, variables = _aliased("p", slugs, "petition", "String!", selection)
    return f"query({declared}) {{ {fields} }}" + CAMPAIGN_FIELDS + PETITION_FIELDS, variables


def nodes(world: World) -> tuple[str, dict[str, Any]]:
    """The organisation, every campaign and every petition by global id (each id with the fragment of its type:
    a campaign's and a petition's ``status`` differ in type, so they cannot share one selection)."""
    lookups = [
        ("o", [world.organisation_global_id], "... on Organisation { ...OrganisationFields }"),
        ("c", [world.object_global_id(key) for key in CAMPAIGN_KEYS], "... on Campaign { ...CampaignFields }"),
        (
            "p",
            [world.object_global_id(key) for key in PETITION_KEYS],
            f"... on Petition {{ ...PetitionFields {SIGNATURES} }}",
        ),
    ]
    declared, fields, variables = [], [], {}
    for prefix, ids, selection in lookups:
        these = _aliased(prefix, ids, "node", "ID!", f"{{ __typename {selection} }}")
        declared.append(these[0])
        fields.append(these[1])
        variables |= these[2]
    query = f"query({', '.join(declared)}) {{ {' '.join(fields)} }}"
    return query + ORGANISATION_FIELDS + CAMPAIGN_FIELDS + PETITION_FIELDS, variables


def campaign_list(world: World) -> tuple[str, dict[str, Any]]:
    query = f"{{ campaigns(first: 50) {{ edges {{ node {{ ...CampaignFields {PETITIONS_WITHOUT_SIGNATURES} }} }} }} }}"
    return query + CAMPAIGN_FIELDS + PETITION_FIELDS, {}


def organisation_page(world: World) -> tuple[str, dict[str, Any]]:
    query = (
        "query($slug: String!) { organisation(slug: $slug) { ...OrganisationFields "
        "campaigns(first: 50) { edges { node { ...CampaignFields } } } } }"
    )
    return query + ORGANISATION_FIELDS + CAMPAIGN_FIELDS, {"slug": world.organisation_slug}


REQUESTS = {
    "campaign pages": campaign_pages,
    "petition pages": petition_pages,
    "nodes": nodes,
    "campaign list": campaign_list,
    "organisation page": organisation_page,
}

Fetch = Callable[[str, str], Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
def responses(world: World) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The bodies of the module's requests, each made once per backend and role (reading changes nothing); made
    anew with each backend's world."""
    return {}


@pytest.fixture
def fetch(client: httpx.AsyncClient, world: World, responses: dict[tuple[str, str, str], dict[str, Any]]) -> Fetch:
    async def fetch(request: str, role: str) -> dict[str, Any]:
        key = (str(client.base_url), request, role)
        if key not in responses:
            query, variables = REQUESTS[request](world)
            responses[key] = await run(client, world, role, query, **variables)
        return responses[key]

    return fetch


def _edges(connection: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]] if connection else []


def _found(body: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """The aliased lookups that found something (``prefix`` keeps one type of the nodes)."""
    return [value for alias, value in body["data"].items() if value is not None and alias.startswith(prefix)]


def _petitions_under(campaigns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The petitions of each campaign, each checked to name the campaign it was listed under."""
    petitions = []
    for campaign in campaigns:
        for petition in _edges(campaign["petitions"]):
            assert petition["campaign"]["slug"] == campaign["slug"], (petition, campaign["slug"])
            petitions.append(petition)
    return petitions


def _typed(found: list[dict[str, Any]], type_name: str) -> list[dict[str, Any]]:
    return [node for node in found if node["__typename"] == type_name]


def _reached_campaigns(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list({petition["campaign"]["slug"]: petition["campaign"] for petition in _found(body)}.values())


# path -> (the request, how to pick the campaigns or petitions that path reached out of its body)
Picker = Callable[[dict[str, Any]], list[dict[str, Any]]]
CAMPAIGN_PATHS: dict[str, tuple[str, Picker]] = {
    "campaign(slug)": ("campaign pages", _found),
    "node(id)": ("nodes", lambda body: _typed(_found(body), "Campaign")),
    "campaigns": ("campaign list", lambda body: _edges(body["data"]["campaigns"])),
    "organisation.campaigns": ("organisation page", lambda body: _edges(body["data"]["organisation"]["campaigns"])),
    "petition.campaign": ("petition pages", _reached_campaigns),
}
PETITION_PATHS: dict[str, tuple[str, Picker]] = {
    "petition(slug)": ("petition pages", _found),
    "node(id)": ("nodes", lambda body: _typed(_found(body), "Petition")),
    "campaign(slug).petitions": ("campaign pages", lambda body: _petitions_under(_found(body))),
    "campaigns.petitions": ("campaign list", lambda body: _petitions_under(_edges(body["data"]["campaigns"]))),
}
SIGNATURE_PATHS = {name: PETITION_PATHS[name] for name in ("petition(slug)", "node(id)", "campaign(slug).petitions")}
ORGANISATION_PATHS: dict[str, tuple[str, Picker]] = {
    "organisation(slug)": ("organisation page", lambda body: [body["data"]["organisation"]]),
    "node(id)": ("nodes", lambda body: _typed(_found(body), "Organisation")),
}


async def reach(fetch: Fetch, paths: dict[str, tuple[str, Picker]], path: str, role: str) -> tuple[list, set]:
    """What ``path`` reached as ``role``, and the (slug or name, field) of every FORBIDDEN in that request."""
    request, pick = paths[path]
    body = await fetch(request, role)
    return pick(body), forbidden_fields(body)


# --- what the matrix says each role sees ------------------------------------------------------------------------------


def campaign_viewer_can(role: str, key: str) -> dict[str, bool]:
    return {
        "viewDrafts": allowed(READ_DRAFTS, role, key),
        "edit": allowed(EDIT, role, key),
        "publish": allowed(PUBLISH, role, key),
        "readSignatures": allowed(READ_SIGNER_DATA, role, key),
        "deleteSignatures": allowed(DELETE_SIGNATURE, role, key),
        "grantRoles": allowed(MANAGE_MEMBERS, role, key),
    }


def petition_viewer_can(role: str, key: str) -> dict[str, bool]:
    campaign = campaign_of(key)
    return {
        "edit": allowed(EDIT, role, campaign),
        "publish": allowed(PUBLISH, role, campaign),
        "readSignatures": allowed(READ_SIGNER_DATA, role, campaign),
        "deleteSignatures": allowed(DELETE_SIGNATURE, role, campaign),
    }


def organisation_viewer_can(role: str) -> dict[str, bool]:
    return {
        "viewDraftCampaigns": allowed(READ_DRAFTS, role),
        "viewMembers": allowed(SEE_MEMBERS, role),
        "createCampaign": allowed(CREATE_CAMPAIGN, role),
        "manageCampaigns": allowed(PUBLISH, role),
        "manageMembers": allowed(MANAGE_MEMBERS, role),
        "manageAdmins": allowed(MANAGE_ADMINS, role),
    }


def expected_campaign(world: World, role: str, key: str) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """The campaign as ``role`` must see it, and its guarded fields that must answer FORBIDDEN."""
    row = world.campaigns[key]
    guarded = {
        "internalNotes": (EDIT, row.notes),
        "draftPetitionCount": (READ_DRAFTS, row.draft_petitions),
        "contactableSignatureCount": (READ_SIGNER_DATA, row.contactable_signatures),
    }
    seen: dict[str, Any] = {
        "slug": row.slug,
        "status": row.status,
        "organisation": {"slug": world.organisation_slug},
        "viewerCan": campaign_viewer_can(role, key),
    }
    forbidden = set()
    for field, (action, value) in guarded.items():
        seen[field] = value if allowed(action, role, key) else None
        if not allowed(action, role, key):
            forbidden.add((row.slug, field))
    return seen, forbidden


def expected_petition(world: World, role: str, key: str) -> dict[str, Any]:
    row = world.petitions[key]
    return {
        "slug": row.slug,
        "status": row.status,
        "signatureCount": len(row.signer_emails),
        "campaign": {"slug": world.campaigns[row.campaign].slug},
        "viewerCan": petition_viewer_can(role, key),
    }


def readable_campaigns(world: World, role: str) -> set[str]:
    return {world.campaigns[key].slug for key in CAMPAIGN_KEYS if readable(role, key)}


def readable_petitions(world: World, role: str) -> set[str]:
    return {world.petitions[key].slug for key in PETITION_KEYS if readable(role, key)}


def key_of_slug(world: World, slug: str) -> str:
    return next(key for key, row in (*world.campaigns.items(), *world.petitions.items()) if row.slug == slug)


# --- the tests --------------------------------------------------------------------------------------------------------

role_params = pytest.mark.parametrize("role", ROLES)
CAMPAIGN_GUARDED = {"internalNotes", "draftPetitionCount", "contactableSignatureCount"}


def _of_fields(forbidden: set[tuple[str, str]], fields: set[str]) -> set[tuple[str, str]]:
    return {(owner, field) for owner, field in forbidden if field in fields}


@role_params
@pytest.mark.parametrize("path", CAMPAIGN_PATHS)
async def test_campaigns_are_readable_on_every_path_as_the_matrix_says(
    fetch: Fetch, world: World, path: str, role: str
) -> None:
    campaigns, _ = await reach(fetch, CAMPAIGN_PATHS, path, role)

    slugs = [campaign["slug"] for campaign in campaigns]
    assert len(slugs) == len(set(slugs)), slugs
    assert set(slugs) == readable_campaigns(world, role)


@role_params
@pytest.mark.parametrize("path", CAMPAIGN_PATHS)
async def test_guarded_campaign_fields_and_viewer_can_follow_the_matrix_on_every_path(
    fetch: Fetch, world: World, path: str, role: str
) -> None:
    """internalNotes (edit), draftPetitionCount (read drafts), contactableSignatureCount (signers' data): the value
    or null with FORBIDDEN at the field's path; ``viewerCan`` equals the matrix, cell for cell."""
    campaigns, forbidden = await reach(fetch, CAMPAIGN_PATHS, path, role)

    expected_forbidden = set()
    for campaign in campaigns:
        expected, forbidden_here = expected_campaign(world, role, key_of_slug(world, campaign["slug"]))
        assert {field: campaign[field] for field in expected} == expected
        expected_forbidden |= forbidden_here
    assert _of_fields(forbidden, CAMPAIGN_GUARDED) == expected_forbidden


@role_params
@pytest.mark.parametrize("path", PETITION_PATHS)
async def test_petitions_are_readable_on_every_path_as_the_matrix_says(
    fetch: Fetch, world: World, path: str, role: str
) -> None:
    """Drafts of a campaign appear in its petitions for those who may read drafts there, and disappear for others;
    every petition names the campaign it was listed under (``petition.campaign``)."""
    petitions, _ = await reach(fetch, PETITION_PATHS, path, role)

    slugs = [petition["slug"] for petition in petitions]
    assert len(slugs) == len(set(slugs)), slugs
    assert set(slugs) == readable_petitions(world, role)


@role_params
@pytest.mark.parametrize("path", PETITION_PATHS)
async def test_petition_fields_and_viewer_can_follow_the_matrix_on_every_path(
    fetch: Fetch, world: World, path: str, role: str
) -> None:
    petitions, _ = await reach(fetch, PETITION_PATHS, path, role)

    for petition in petitions:
        expected = expected_petition(world, role, key_of_slug(world, petition["slug"]))
        seen = {field: petition[field] for field in expected} | {"campaign": {"slug": petition["campaign"]["slug"]}}
        assert seen == expected


@role_params
@pytest.mark.parametrize("path", SIGNATURE_PATHS)
async def test_signer_emails_only_for_those_who_may_read_signers_data(
    fetch: Fetch, world: World, path: str, role: str
) -> None:
    """Names are public; ``Signature.email`` is the address for admins and owners and null with FORBIDDEN for
    everybody else, signature by signature."""
    petitions, forbidden = await reach(fetch, SIGNATURE_PATHS, path, role)

    expected_forbidden = set()
    for petition in petitions:
        key = key_of_slug(world, petition["slug"])
        may = allowed(READ_SIGNER_DATA, role, campaign_of(key))
        names = {email.split("@")[0].title(): email for email in world.petitions[key].signer_emails}
        seen = {node["name"]: node["email"] for node in _edges(petition["signatures"])}
        assert seen == {name: email if may else None for name, email in names.items()}
        expected_forbidden |= set() if may else {(name, "email") for name in names}
    assert _of_fields(forbidden, {"email"}) == expected_forbidden


@role_params
@pytest.mark.parametrize("path", ORGANISATION_PATHS)
async def test_the_member_list_and_organisation_viewer_can_follow_the_matrix(
    fetch: Fetch, world: World, path: str, role: str
) -> None:
    """``members`` is the list for the organisation's people (member and up) and null with FORBIDDEN for the rest,
    the direct campaign roles included (they are not the organisation's people)."""
    (organisation,), forbidden = await reach(fetch, ORGANISATION_PATHS, path, role)

    may = allowed(SEE_MEMBERS, role)
    assert organisation["members"] == (world.members() if may else None)
    assert _of_fields(forbidden, {"members"}) == (set() if may else {(world.organisation_slug, "members")})
    assert organisation["viewerCan"] == organisation_viewer_can(role)


@role_params
async def test_every_error_is_a_forbidden_guarded_field(fetch: Fetch, role: str) -> None:
    """Nothing else fails: public fields always resolve, and only the guarded fields answer FORBIDDEN."""
    for request in REQUESTS:
        body = await fetch(request, role)
        assert {field for _, field in forbidden_fields(body)} <= {*CAMPAIGN_GUARDED, "email", "members"}, body


async def test_anonymous_sees_exactly_the_public_world(fetch: Fetch, world: World) -> None:
    """Written out rather than derived from the matrix: the published campaigns, their open and closed petitions with
    their signature counts, and nothing else, on every path."""
    public_campaigns = {world.campaigns[key].slug for key in PUBLIC_CAMPAIGNS}
    public_petitions = {world.petitions[key].slug for key in PUBLIC_PETITIONS}
    assert public_campaigns == {world.campaigns["first"].slug, world.campaigns["sibling"].slug}

    for path in CAMPAIGN_PATHS:
        campaigns, _ = await reach(fetch, CAMPAIGN_PATHS, path, "anonymous")
        assert {campaign["slug"] for campaign in campaigns} == public_campaigns, path
        for campaign in campaigns:
            assert campaign["status"] == "PUBLISHED"
            assert campaign["internalNotes"] is campaign["draftPetitionCount"] is None
            assert campaign["contactableSignatureCount"] is None
            assert not any(campaign["viewerCan"].values()), campaign
    for path in PETITION_PATHS:
        petitions, _ = await reach(fetch, PETITION_PATHS, path, "anonymous")
        assert {petition["slug"] for petition in petitions} == public_petitions, path
        counts = {petition["slug"]: petition["signatureCount"] for petition in petitions}
        assert counts == {world.petitions["first_open"].slug: 2, world.petitions["sibling_open"].slug: 1}
        assert all(petition["status"] in ("OPEN", "CLOSED") for petition in petitions)
        assert not any(any(petition["viewerCan"].values()) for petition in petitions)
