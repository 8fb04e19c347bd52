"""The demo dataset ``campaign-api seed --demo`` loads: believable, small, and in every status.

Seeding twice changes nothing: an organisation whose slug already exists is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from campaign_api.db.database import Database
from campaign_api.db.models import Campaign, Organisation, Petition, Signature
from campaign_api.domain.signature_input import normalise_email
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.permissions.relations import campaign_in_organisation, petition_in_campaign
from campaign_api.permissions.tuples import RelationTuple


@dataclass(frozen=True)
class DemoPetition:
    slug: str
    title: str
    target: str
    goal: int
    status: PetitionStatus
    signatures: int


@dataclass(frozen=True)
class DemoCampaign:
    slug: str
    title: str
    description: str
    status: CampaignStatus
    petitions: list[DemoPetition] = field(default_factory=list)


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    campaigns: list[DemoCampaign]


P, C = PetitionStatus, CampaignStatus
DEMO = [
    DemoOrganisation(
        "clean-rivers",
        "Clean Rivers Trust",
        [
            DemoCampaign(
                "stop-sewage-dumping",
                "Stop sewage dumping",
                "Water companies released raw sewage into rivers hundreds of thousands of times last year.",
                C.PUBLISHED,
                [
                    DemoPetition(
                        "ban-sewage-discharges",
                        "Ban sewage discharges into bathing waters",
                        "The Secretary of State for the Environment",
                        10_000,
                        P.OPEN,
                        42,
                    ),
                    DemoPetition("publish-spill-data", "Publish live sewage spill data", "Ofwat", 5_000, P.CLOSED, 17),
                    DemoPetition("fine-repeat-polluters", "Fine repeat polluters", "Parliament", 20_000, P.DRAFT, 0),
                ],
            ),
            DemoCampaign(
                "river-bathing-status",
                "Bathing status for the Wye",
                "Designate the River Wye as a bathing water.",
                C.DRAFT,
                [DemoPetition("designate-the-wye", "Designate the Wye", "DEFRA", 2_000, P.DRAFT, 0)],
            ),
            DemoCampaign(
                "thames-clean-up-2023",
                "Thames clean-up 2023",
                "Our 2023 volunteer clean-up.",
                C.ARCHIVED,
                [DemoPetition("thames-bins", "More bins on the Thames path", "City of London", 500, P.CLOSED, 9)],
            ),
        ],
    ),
    DemoOrganisation(
        "safe-streets",
        "Safe Streets Alliance",
        [
            DemoCampaign(
                "school-streets",
                "School streets for every primary school",
                "Close roads outside schools to through traffic at drop-off and pick-up.",
                C.PUBLISHED,
                [
                    DemoPetition(
                        "school-streets-hackney", "School streets in Hackney", "Hackney Council", 1_000, P.OPEN, 25
                    ),
                    DemoPetition(
                        "school-streets-leeds", "School streets in Leeds", "Leeds City Council", 1_500, P.OPEN, 11
                    ),
                ],
            ),
            DemoCampaign(
                "twenty-is-plenty",
                "20 is plenty",
                "20 mph limits on residential streets.",
                C.PUBLISHED,
                [
                    DemoPetition(
                        "twenty-mph-bristol", "20 mph across Bristol", "Bristol City Council", 3_000, P.CLOSED, 30
                    )
                ],
            ),
        ],
    ),
    DemoOrganisation(
        "open-libraries",
        "Friends of Open Libraries",
        [
            DemoCampaign(
                "save-branch-libraries",
                "Save our branch libraries",
                "Keep every branch library open with professional staff.",
                C.PUBLISHED,
                [
                    DemoPetition(
                        "keep-libraries-open", "Keep branch libraries open", "Your local council", 2_500, P.OPEN, 8
                    )
                ],
            ),
            DemoCampaign("library-funding-2025", "Library funding review", "A review of library funding.", C.DRAFT),
        ],
    ),
]

_FIRST_NAMES = ["Amara", "Ben", "Chen", "Dara", "Elif", "Finn", "Grace", "Hamid", "Ines", "Jonas", "Kemi", "Luca"]
_LAST_NAMES = ["Okafor", "Smith", "Wang", "Murphy", "Yilmaz", "Byrne", "Patel", "Rahimi", "Costa", "Berg", "Adeyemi"]
_COUNTRIES = ["GB", "GB", "GB", "IE", "DE", "FR", "NL", None]


def _signatures(petition: Petition, count: int, rng: random.Random, start: datetime) -> list[Signature]:
    signatures = []
    for number in range(count):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        email = f"{first}.{last}.{number}@example.org".lower()
        signatures.append(
            Signature(
                petition_id=petition.id,
                name=f"{first} {last}",
                email=email,
                email_normalised=normalise_email(email),
                country=rng.choice(_COUNTRIES),
                comment=None,
                consent_to_contact=rng.random() < 0.3,
                created_at=start + timedelta(minutes=37 * number),
            )
        )
    return signatures


async def seed_demo(database_url: str) -> str:
    rng = random.Random(2026)  # noqa: S311 (demo names, not secrets: the same demo data every time)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    database = Database(database_url)
    added: list[str] = []
    try:
        async with database.transaction() as session:
            existing = set((await session.scalars(select(Organisation.slug))).all())
            for demo_org in DEMO:
                if demo_org.slug in existing:
                    continue
                organisation = Organisation(slug=demo_org.slug, name=demo_org.name)
                session.add(organisation)
                await session.flush()
                for demo_campaign in demo_org.campaigns:
                    campaign = Campaign(
                        organisation_id=organisation.id,
                        slug=demo_campaign.slug,
                        title=demo_campaign.title,
                        description=demo_campaign.description,
                        status=demo_campaign.status,
                    )
                    session.add(campaign)
                    await session.flush()
                    for demo_petition in demo_campaign.petitions:
                        petition = Petition(
                            campaign_id=campaign.id,
                            slug=demo_petition.slug,
                            title=demo_petition.title,
                            body=f"We call on {demo_petition.target} to act: {demo_petition.title.lower()}.",
                            target=demo_petition.target,
                            goal=demo_petition.goal,
                            status=demo_petition.status,
                            signature_count=demo_petition.signatures,
                        )
                        session.add(petition)
                        await session.flush()
                        session.add_all(_signatures(petition, demo_petition.signatures, rng, start))
                added.append(demo_org.slug)
    finally:
        await database.dispose()
    if not added:
        return "demo data already present; nothing added"
    return f"seeded demo organisations: {', '.join(added)}"


async def structure_tuples(database: Database) -> list[RelationTuple]:
    """Where every campaign and petition sits in the model: campaign -> organisation, petition -> campaign."""
    async with database.session() as session:
        campaigns = (await session.execute(select(Campaign.id, Campaign.organisation_id))).all()
        petitions = (await session.execute(select(Petition.id, Petition.campaign_id))).all()
    return [campaign_in_organisation(*row) for row in campaigns] + [petition_in_campaign(*row) for row in petitions]
