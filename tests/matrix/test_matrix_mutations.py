"""The write side of the authorisation matrix: every mutation, as every role, through real HTTP.

``CASES`` is the table: a mutation on a target, and the row of ``scenario.MATRIX`` that decides it. For each role the
expected outcome follows from the matrix:

- anonymous: ``UNAUTHENTICATED`` (every mutation but signing needs a signed-in viewer);
- allowed by the cell (``that campaign`` only on the campaign the direct grant names): the change is made, and checked
  in the database;
- not allowed, on an object the role may read: a ``FORBIDDEN`` error (and null data);
- not allowed, on an object the role may not read: a ``NOT_FOUND`` user error, exactly as for an object that does
  not exist.

A denial changes nothing: after every denied attempt the rows and the relation tuples are exactly as before. Denied
roles go first, then the allowed ones, each making a change of its own (its own slug, its own subject), so every
case can run on the module's shared world.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from campaign_api.db import models
from campaign_api.db.database import Database
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.permissions.tuples import RelationTuple, user
from tests import factories
from tests.conftest import ServeFactory
from tests.graphql_client import post_graphql
from tests.matrix.scenario import (
    CREATE_CAMPAIGN,
    CREATE_ORGANISATION,
    DELETE_SIGNATURE,
    EDIT,
    MANAGE_ADMINS,
    MANAGE_MEMBERS,
    PUBLISH,
    ROLES,
    SIGN,
    World,
    allowed,
    campaign_of,
    readable,
    relation_tuples,
)

# --- the world, the server, the database -----------------------------------------------------------------------------


@pytest.fixture
async def db(migrated_database_url: str, world: World) -> AsyncIterator[Database]:
    """The module's database as it is (not emptied: the world is shared), to look at rows and tuples."""
    database = Database(migrated_database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def client(served: ServeFactory, world: World) -> AsyncIterator[httpx.AsyncClient]:
    # Every role signs the same petition from this one address: the signature rate limit is not what is tested here.
    async with httpx.AsyncClient(base_url=served(signature_rate_limit=1000), timeout=30) as client:
        yield client


State = dict[str, Any]


async def state(database: Database) -> State:
    """Every row of the domain tables and every relation tuple: what a denial must leave as it was."""
    async with database.session() as session:
        return {
            model.__tablename__: sorted(tuple(found) for found in (await session.execute(select(model.__table__))))
            for model in (
                models.Organisation,
                models.Campaign,
                models.Petition,
                models.Signature,
                models.RelationTupleRow,
            )
        }


def column_in(found: State, model: Any, row_id: int, name: str) -> Any:
    """One column of one row of a ``state`` snapshot."""
    names = [column.name for column in model.__table__.columns]
    return next(values for values in found[model.__tablename__] if values[0] == row_id)[names.index(name)]


async def row(database: Database, model: Any, **where: Any) -> Any:
    async with database.session() as session:
        return await session.scalar(select(model).filter_by(**where))


async def set_column(database: Database, model: Any, row_id: int, **values: Any) -> None:
    async with database.transaction() as session:
        await session.execute(update(model).where(model.id == row_id).values(**values))


# --- sending a mutation ----------------------------------------------------------------------------------------------

PAYLOAD = {
    "createOrganisation": "organisation { id slug }",
    "setOrganisationRole": "organisation { id slug }",
    "createCampaign": "campaign { id slug status }",
    "updateCampaign": "campaign { id slug title }",
    "setCampaignStatus": "campaign { id slug status }",
    "setCampaignRole": "campaign { id slug }",
    "createPetition": "petition { id slug status }",
    "setPetitionStatus": "petition { id slug status }",
    "deleteSignature": "petition { id slug signatureCount }",
    "signPetition": "petition { id slug signatureCount }",
}


async def send(
    client: httpx.AsyncClient, world: World, role: str, mutation: str, input: dict[str, Any]
) -> dict[str, Any]:
    input_type = mutation[0].upper() + mutation[1:] + "Input"
    document = (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {PAYLOAD[mutation]} "
        "userErrors { field code } } }"
    )
    response = await post_graphql(client, document, {"input": input}, headers=world.headers(role))
    body = response.json()
    assert response.status_code == 200, body
    return body


@dataclass
class Trial:
    """One role's attempt, for the checks of an allowed change."""

    client: httpx.AsyncClient
    world: World
    db: Database
    role: str
    before: State
    payload: dict[str, Any]

    async def again(self, mutation: str, input: dict[str, Any]) -> dict[str, Any]:
        return await send(self.client, self.world, self.role, mutation, input)


# --- the table -------------------------------------------------------------------------------------------------------

Input = Callable[[World, str], dict[str, Any]]
Effect = Callable[[Trial], Awaitable[None]]
Setup = Callable[[Database, World], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    id: str
    mutation: str
    action: str  # the row of the matrix that decides it
    target: str  # "organisation", a campaign key or a petition key (FORBIDDEN or NOT_FOUND; "that campaign")
    input: Input
    effect: Effect  # checks the change an allowed role made (and puts back what the next role needs)
    setup: Setup | None = None  # before any attempt: the rows or tuples the attempts need
    marks: tuple[Any, ...] = ()


def name_of(role: str) -> str:
    return role.replace("_", "-")


def global_id_of(world: World, target: str) -> dict[str, str]:
    if target == "organisation":
        return {"organisationId": world.organisation_global_id}
    if target in world.campaigns:
        return {"campaignId": world.campaigns[target].global_id}
    return {"petitionId": world.petitions[target].global_id}


# createOrganisation


def new_organisation(world: World, role: str) -> dict[str, Any]:
    return {"name": f"Organisation of {role}", "slug": f"organisation-of-{name_of(role)}"}


async def became_owner(trial: Trial) -> None:
    made = await row(trial.db, models.Organisation, slug=f"organisation-of-{name_of(trial.role)}")
    assert made is not None and trial.payload["organisation"]["slug"] == made.slug
    tuples = await relation_tuples(trial.db)
    assert f"Organisation:{made.id}#owners@User:{trial.world.identity_ids[trial.role]}" in tuples


# createCampaign


def new_campaign(world: World, role: str) -> dict[str, Any]:
    return {**global_id_of(world, "organisation"), "slug": f"campaign-by-{name_of(role)}", "title": "New"}


async def campaign_created(trial: Trial) -> None:
    made = await row(trial.db, models.Campaign, slug=f"campaign-by-{name_of(trial.role)}")
    assert made is not None and made.organisation_id == trial.world.organisation_id
    assert made.status is CampaignStatus.DRAFT and trial.payload["campaign"]["status"] == "DRAFT"
    assert f"Campaign:{made.id}#organisation@Organisation:{made.organisation_id}" in await relation_tuples(trial.db)


# updateCampaign


def update_campaign(target: str) -> Input:
    def make(world: World, role: str) -> dict[str, Any]:
        return {**global_id_of(world, target), "title": f"Retitled by {role}", "internalNotes": f"Notes by {role}"}

    return make


def campaign_updated(target: str) -> Effect:
    async def check(trial: Trial) -> None:
        changed = await row(trial.db, models.Campaign, id=trial.world.campaigns[target].id)
        assert (changed.title, changed.internal_notes) == (f"Retitled by {trial.role}", f"Notes by {trial.role}")
        assert trial.payload["campaign"]["title"] == f"Retitled by {trial.role}"

    return check


# setCampaignStatus


def campaign_status(target: str, status: str) -> Input:
    return lambda world, role: {**global_id_of(world, target), "status": status}


def campaign_status_set(target: str, status: CampaignStatus, back: CampaignStatus) -> Effect:
    async def check(trial: Trial) -> None:
        campaign_id = trial.world.campaigns[target].id
        assert (await row(trial.db, models.Campaign, id=campaign_id)).status is status
        assert trial.payload["campaign"]["status"] == status.name
        await set_column(trial.db, models.Campaign, campaign_id, status=back)  # as it was, for the next role

    return check


# createPetition


def new_petition(target: str) -> Input:
    def make(world: World, role: str) -> dict[str, Any]:
        slug = f"{target}-petition-by-{name_of(role)}"
        return {**global_id_of(world, target), "slug": slug, "title": "New", "body": "", "target": "Us", "goal": 10}

    return make


def petition_created(target: str) -> Effect:
    async def check(trial: Trial) -> None:
        made = await row(trial.db, models.Petition, slug=f"{target}-petition-by-{name_of(trial.role)}")
        campaign_id = trial.world.campaigns[target].id
        assert made is not None and made.campaign_id == campaign_id and made.status is PetitionStatus.DRAFT
        assert f"Petition:{made.id}#campaign@Campaign:{campaign_id}" in await relation_tuples(trial.db)

    return check


# setPetitionStatus


def petition_status(target: str, status: str) -> Input:
    return lambda world, role: {**global_id_of(world, target), "status": status}


def petition_status_set(target: str, status: PetitionStatus, back: PetitionStatus) -> Effect:
    async def check(trial: Trial) -> None:
        petition_id = trial.world.petitions[target].id
        assert (await row(trial.db, models.Petition, id=petition_id)).status is status
        assert trial.payload["petition"]["status"] == status.name
        await set_column(trial.db, models.Petition, petition_id, status=back)

    return check


# setCampaignRole


def campaign_grant(target: str, role_name: str) -> Input:
    return lambda world, role: {**global_id_of(world, target), "identityId": f"agency-{role}", "role": role_name}


def campaign_granted(target: str, relation: str) -> Effect:
    async def check(trial: Trial) -> None:
        campaign_id = trial.world.campaigns[target].id
        assert f"Campaign:{campaign_id}#{relation}@User:agency-{trial.role}" in await relation_tuples(trial.db)

    return check


# setOrganisationRole: every role acts on a person of its own (``<case>-<role>``), so the attempts never meet.


def person(case_id: str, role: str) -> str:
    return f"{case_id}-{name_of(role)}"


def organisation_role_input(case_id: str, role_name: str | None) -> Input:
    def make(world: World, role: str) -> dict[str, Any]:
        return {**global_id_of(world, "organisation"), "identityId": person(case_id, role), "role": role_name}

    return make


def holding(case_id: str, relation: str) -> Setup:
    """Before the attempts, every role's person holds ``relation`` in the organisation."""

    async def setup(database: Database, world: World) -> None:
        organisation = str(world.organisation_id)
        people = [person(case_id, role) for role in ROLES]
        await factories.grant(
            database, *(RelationTuple("Organisation", organisation, relation, user(p)) for p in people)
        )

    return setup


def organisation_roles_now(case_id: str, holds: set[str]) -> Effect:
    """After the change the person holds exactly ``holds`` (relations) in the organisation."""

    async def check(trial: Trial) -> None:
        subject = f"@User:{person(case_id, trial.role)}"
        prefix = f"Organisation:{trial.world.organisation_id}#"
        held = {t[len(prefix) :].split("@")[0] for t in await relation_tuples(trial.db) if t.endswith(subject)}
        assert held == holds

    return check


# deleteSignature and signPetition


def signer_for(target: str) -> Input:
    """Admins and owners each erase a signature of their own; the denied roles try the first one."""

    def make(world: World, role: str) -> dict[str, Any]:
        emails = world.petitions[target].signer_emails or ("nobody@signers.example.org",)
        email = emails[1 % len(emails)] if role == "owner" else emails[0]
        return {**global_id_of(world, target), "email": email.upper()}  # compared normalised

    return make


def signature_erased(target: str) -> Effect:
    async def check(trial: Trial) -> None:
        petition_id = trial.world.petitions[target].id
        count_before = column_in(trial.before, models.Petition, petition_id, "signature_count")
        erased = count_before - 1 if trial.world.petitions[target].signer_emails else count_before
        assert (await row(trial.db, models.Petition, id=petition_id)).signature_count == erased
        assert trial.payload["petition"]["signatureCount"] == erased
        async with trial.db.session() as session:
            emails = set((await session.scalars(select(models.Signature.email_normalised))).all())
        assert signer_for(target)(trial.world, trial.role)["email"].lower() not in emails
        # A second erasure of the same address, and an address that never signed, change nothing.
        after = await state(trial.db)
        for email in (signer_for(target)(trial.world, trial.role)["email"], "never-signed@signers.example.org"):
            again = await trial.again("deleteSignature", {**global_id_of(trial.world, target), "email": email})
            assert again["data"]["deleteSignature"] == {"petition": trial.payload["petition"], "userErrors": []}
            assert await state(trial.db) == after

    return check


def new_signature(target: str) -> Input:
    return lambda world, role: {
        **global_id_of(world, target),
        "name": f"Signer {name_of(role)}",
        "email": f"{name_of(role)}@new-signers.example.org",
    }


def signed(target: str) -> Effect:
    async def check(trial: Trial) -> None:
        petition_id = trial.world.petitions[target].id
        now = (await row(trial.db, models.Petition, id=petition_id)).signature_count
        before = column_in(trial.before, models.Petition, petition_id, "signature_count")
        assert now == before + 1 and trial.payload["petition"]["signatureCount"] == now
        signer = f"{name_of(trial.role)}@new-signers.example.org"
        assert (await row(trial.db, models.Signature, petition_id=petition_id, email=signer)) is not None

    return check


async def nothing_changed(trial: Trial) -> None:
    assert await state(trial.db) == trial.before


CASES = [
    Case(
        "createOrganisation", "createOrganisation", CREATE_ORGANISATION, "organisation", new_organisation, became_owner
    ),
    Case("createCampaign", "createCampaign", CREATE_CAMPAIGN, "organisation", new_campaign, campaign_created),
    *(
        Case(f"updateCampaign@{key}", "updateCampaign", EDIT, key, update_campaign(key), campaign_updated(key))
        for key in ("first", "sibling", "draft")
    ),
    Case(
        "setCampaignStatus-publish@draft",
        "setCampaignStatus",
        PUBLISH,
        "draft",
        campaign_status("draft", "PUBLISHED"),
        campaign_status_set("draft", CampaignStatus.PUBLISHED, back=CampaignStatus.DRAFT),
    ),
    Case(
        "setCampaignStatus-archive@first",
        "setCampaignStatus",
        PUBLISH,
        "first",
        campaign_status("first", "ARCHIVED"),
        campaign_status_set("first", CampaignStatus.ARCHIVED, back=CampaignStatus.PUBLISHED),
    ),
    *(
        Case(f"createPetition@{key}", "createPetition", EDIT, key, new_petition(key), petition_created(key))
        for key in ("first", "sibling")
    ),
    Case(
        "setPetitionStatus-close@first_open",
        "setPetitionStatus",
        PUBLISH,
        "first_open",
        petition_status("first_open", "CLOSED"),
        petition_status_set("first_open", PetitionStatus.CLOSED, back=PetitionStatus.OPEN),
    ),
    Case(
        "setPetitionStatus-open@first_draft",
        "setPetitionStatus",
        PUBLISH,
        "first_draft",
        petition_status("first_draft", "OPEN"),
        petition_status_set("first_draft", PetitionStatus.OPEN, back=PetitionStatus.DRAFT),
    ),
    Case(
        "setCampaignRole-editor@first",
        "setCampaignRole",
        MANAGE_MEMBERS,
        "first",
        campaign_grant("first", "EDITOR"),
        campaign_granted("first", "editors"),
    ),
    Case(
        "setCampaignRole-viewer@draft",
        "setCampaignRole",
        MANAGE_MEMBERS,
        "draft",
        campaign_grant("draft", "VIEWER"),
        campaign_granted("draft", "viewers"),
    ),
    *(
        Case(
            f"setOrganisationRole-grant-{name}",
            "setOrganisationRole",
            action,
            "organisation",
            organisation_role_input(f"grant-{name}", name.upper()),
            organisation_roles_now(f"grant-{name}", {f"{name}s"}),
        )
        for name, action in (
            ("member", MANAGE_MEMBERS),
            ("editor", MANAGE_MEMBERS),
            ("admin", MANAGE_ADMINS),
            ("owner", MANAGE_ADMINS),
        )
    ),
    *(
        Case(
            f"setOrganisationRole-remove-{name}",
            "setOrganisationRole",
            action,
            "organisation",
            organisation_role_input(f"remove-{name}", None),
            organisation_roles_now(f"remove-{name}", set()),
            setup=holding(f"remove-{name}", f"{name}s"),
        )
        for name, action in (("editor", MANAGE_MEMBERS), ("owner", MANAGE_ADMINS))
    ),
    Case(
        "setOrganisationRole-demote-admin-to-member",
        "setOrganisationRole",
        MANAGE_ADMINS,  # changing a role needs the right to manage the old one as well as the new one
        "organisation",
        organisation_role_input("demote-admin", "MEMBER"),
        organisation_roles_now("demote-admin", {"members"}),
        setup=holding("demote-admin", "admins"),
    ),
    Case(
        "setOrganisationRole-remove-someone-without-a-role",
        "setOrganisationRole",
        MANAGE_MEMBERS,
        "organisation",
        organisation_role_input("no-role", None),
        nothing_changed,
    ),
    Case(
        "deleteSignature@first_open",
        "deleteSignature",
        DELETE_SIGNATURE,
        "first_open",
        signer_for("first_open"),
        signature_erased("first_open"),
    ),
    Case(
        "deleteSignature@draft_open",
        "deleteSignature",
        DELETE_SIGNATURE,
        "draft_open",
        signer_for("draft_open"),
        signature_erased("draft_open"),
    ),
    Case(
        "signPetition@sibling_open",
        "signPetition",
        SIGN,
        "sibling_open",
        new_signature("sibling_open"),
        signed("sibling_open"),
    ),
]


def expected_outcome(case: Case, role: str) -> str:
    if role == "anonymous" and case.action != SIGN:
        return "UNAUTHENTICATED"
    if allowed(case.action, role, campaign_of(case.target)):
        return "OK"
    return "FORBIDDEN" if readable(role, case.target) else "NOT_FOUND"


def assert_outcome(body: dict[str, Any], case: Case, outcome: str, world: World) -> None:
    payload_object = PAYLOAD[case.mutation].split()[0]
    if outcome == "OK":
        assert "errors" not in body, body
        assert body["data"][case.mutation]["userErrors"] == [], body
        assert body["data"][case.mutation][payload_object] is not None, body
    elif outcome == "NOT_FOUND":
        # Exactly what an object that does not exist gets.
        (id_field,) = global_id_of(world, case.target)
        assert "errors" not in body, body
        assert body["data"][case.mutation] == {
            payload_object: None,
            "userErrors": [{"field": id_field, "code": "NOT_FOUND"}],
        }, body
    else:
        assert body["data"] is None, body
        assert [(error["path"], error["extensions"]["code"]) for error in body["errors"]] == [
            ([case.mutation], outcome)
        ], body


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id, marks=case.marks) for case in CASES])
async def test_every_mutation_as_every_role(client: httpx.AsyncClient, world: World, db: Database, case: Case) -> None:
    if case.setup is not None:
        await case.setup(db, world)
    outcomes = {role: expected_outcome(case, role) for role in ROLES}
    denied = [role for role in ROLES if outcomes[role] != "OK"]
    permitted = [role for role in ROLES if outcomes[role] == "OK"]

    # The denied attempts go together (a denial writes nothing, so they cannot disturb each other).
    before = await state(db)
    bodies = await asyncio.gather(
        *(send(client, world, role, case.mutation, case.input(world, role)) for role in denied)
    )
    for role, body in zip(denied, bodies, strict=True):
        assert_outcome(body, case, outcomes[role], world)
    assert await state(db) == before, f"a denied {case.id} changed the database"

    for role in permitted:
        trial_before = await state(db)
        body = await send(client, world, role, case.mutation, case.input(world, role))
        assert_outcome(body, case, "OK", world)
        await case.effect(Trial(client, world, db, role, trial_before, body["data"][case.mutation]))


# --- the last owner, and revocation ----------------------------------------------------------------------------------


async def succeed(
    client: httpx.AsyncClient, world: World, role: str, mutation: str, input: dict[str, Any]
) -> dict[str, Any]:
    """Run a mutation that must succeed; its payload."""
    body = await send(client, world, role, mutation, input)
    assert "errors" not in body and body["data"][mutation]["userErrors"] == [], body
    return body["data"][mutation]


LAST_OWNER = {"organisation": None, "userErrors": [{"field": "identityId", "code": "LAST_OWNER"}]}


async def test_the_last_owner_cannot_be_removed(client: httpx.AsyncClient, world: World, db: Database) -> None:
    """Neither removed nor demoted while they are the only owner (LAST_OWNER, nothing changes); with a second owner
    they may go, and the second is then the last."""
    founder, newcomer = world.identity_ids["campaign_viewer"], world.identity_ids["newcomer"]
    solo = await succeed(client, world, "campaign_viewer", "createOrganisation", {"name": "Solo", "slug": "solo"})

    async def set_role(role: str, identity_id: str, new_role: str | None) -> dict[str, Any]:
        input = {"organisationId": solo["organisation"]["id"], "identityId": identity_id, "role": new_role}
        return (await send(client, world, role, "setOrganisationRole", input))["data"]["setOrganisationRole"]

    before = await state(db)
    for new_role in (None, "ADMIN", "MEMBER"):
        assert await set_role("campaign_viewer", founder, new_role) == LAST_OWNER
        assert await state(db) == before

    assert (await set_role("campaign_viewer", newcomer, "OWNER"))["userErrors"] == []
    assert (await set_role("campaign_viewer", founder, None))["userErrors"] == []
    solo_id = (await row(db, models.Organisation, slug="solo")).id
    tuples_of_solo = {t for t in await relation_tuples(db) if t.startswith(f"Organisation:{solo_id}#")}
    assert tuples_of_solo == {f"Organisation:{solo_id}#owners@User:{newcomer}"}

    before = await state(db)
    assert await set_role("newcomer", newcomer, None) == LAST_OWNER
    assert await state(db) == before


DRAFT_CAMPAIGN = "query($slug: String!) { campaign(slug: $slug) { slug viewerCan { viewDrafts publish } } }"


async def test_a_revoked_role_is_denied_on_the_very_next_request(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    """No decision outlives its request: once the owner has removed a person, that person's very next request is
    refused, on the write side and on the read side, for an organisation role and for a direct campaign role."""
    newcomer = world.identity_ids["newcomer"]
    draft = world.campaigns["draft"]
    organisation_role = {"organisationId": world.organisation_global_id, "identityId": newcomer}
    campaign_role = {"campaignId": draft.global_id, "identityId": newcomer}
    publish_draft = {"campaignId": draft.global_id, "status": "PUBLISHED"}
    archive_sibling = {"campaignId": world.campaigns["sibling"].global_id, "status": "ARCHIVED"}

    async def read_draft() -> dict[str, Any] | None:
        body = await post_graphql(client, DRAFT_CAMPAIGN, {"slug": draft.slug}, headers=world.headers("newcomer"))
        return body.json()["data"]["campaign"]

    await succeed(client, world, "owner", "setOrganisationRole", {**organisation_role, "role": "ADMIN"})
    assert await read_draft() == {"slug": draft.slug, "viewerCan": {"viewDrafts": True, "publish": True}}
    published = await succeed(client, world, "newcomer", "setCampaignStatus", publish_draft)
    assert published["campaign"]["status"] == "PUBLISHED"
    await set_column(db, models.Campaign, draft.id, status=CampaignStatus.DRAFT)

    await succeed(client, world, "owner", "setOrganisationRole", {**organisation_role, "role": None})
    before = await state(db)
    body = await send(client, world, "newcomer", "setCampaignStatus", publish_draft)  # the very next request
    assert body["data"]["setCampaignStatus"] == {
        "campaign": None,
        "userErrors": [{"field": "campaignId", "code": "NOT_FOUND"}],
    }, body
    body = await send(client, world, "newcomer", "setCampaignStatus", archive_sibling)
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"], body
    assert await state(db) == before
    assert await read_draft() is None

    # A direct campaign role, granted and removed with setCampaignRole.
    await succeed(client, world, "owner", "setCampaignRole", {**campaign_role, "role": "VIEWER"})
    assert await read_draft() == {"slug": draft.slug, "viewerCan": {"viewDrafts": True, "publish": False}}
    await succeed(client, world, "owner", "setCampaignRole", {**campaign_role, "role": None})
    assert await read_draft() is None
    acme = (f"Organisation:{world.organisation_id}#", *(f"Campaign:{c.id}#" for c in world.campaigns.values()))
    assert not [t for t in await relation_tuples(db) if t.startswith(acme) and t.endswith(f"@User:{newcomer}")]
