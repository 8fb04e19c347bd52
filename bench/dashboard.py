"""The dashboard benchmark: a campaign list with every capability boolean and guarded field, served by uvicorn.

Measured side by side in one run, rounds interleaved so the machine's noise falls on every configuration alike:
- public:        the anonymous viewer (no permission checks: the baseline);
- batched:       the organisation's owner, with request-wide batching (the product);
- unbatched:     the owner with CAMPAIGN_API_PERMISSION_BATCHING off: every field asks the engine on its own.
Prints requests per second, the ratios, and the engine calls per request each configuration made.

Usage: python -m bench.dashboard [--campaigns 20] [--rounds 3] [--seconds 4] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import httpx

from campaign_api.db.database import Database
from campaign_api.db.migrate import upgrade
from campaign_api.db.models import Campaign, Organisation, Petition
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.identity.embedded import create_identity, create_session
from campaign_api.permissions.embedded.store import write_tuples
from campaign_api.permissions.relations import (
    OrganisationRole,
    campaign_in_organisation,
    organisation_role,
    petition_in_campaign,
)
from campaign_api.settings import Settings
from tests.conftest import running_server

DASHBOARD = (Path(__file__).resolve().parent.parent / "graphql" / "Dashboard.graphql").read_text()


async def build_world(url: str, campaigns: int) -> str:
    """One organisation with ``campaigns`` published campaigns of three petitions each; returns the owner's token."""
    database = Database(url)
    try:
        owner = await create_identity(database, "owner@bench.example.org", "Owner")
        async with database.transaction() as session:
            organisation = Organisation(slug="bench", name="Bench")
            session.add(organisation)
            await session.flush()
            tuples = [organisation_role(organisation.id, OrganisationRole.OWNER, owner.id)]
            for number in range(campaigns):
                campaign = Campaign(
                    organisation_id=organisation.id,
                    slug=f"c-{number}",
                    title=f"C {number}",
                    status=CampaignStatus.PUBLISHED,
                )
                session.add(campaign)
                await session.flush()
                tuples.append(campaign_in_organisation(campaign.id, organisation.id))
                for petition_number in range(3):
                    petition = Petition(
                        campaign_id=campaign.id,
                        slug=f"p-{number}-{petition_number}",
                        title="P",
                        target="T",
                        goal=100,
                        status=PetitionStatus.OPEN,
                    )
                    session.add(petition)
                    await session.flush()
                    tuples.append(petition_in_campaign(petition.id, campaign.id))
            await write_tuples(session, insert=tuples)
        return (await create_session(database, owner.email, ttl=timedelta(hours=1))).token
    finally:
        await database.dispose()


async def measure(
    base_url: str, token: str | None, first: int, seconds: float, concurrency: int
) -> tuple[float, float]:
    """Requests per second over about ``seconds`` (each client finishes its request in flight), and engine calls per
    request (from the debug extension)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": DASHBOARD, "variables": {"first": first}}
    engine_calls: list[int] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=120, headers=headers) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline or not engine_calls:
                response = await client.post("/graphql", json=body)
                payload = response.json()
                # The anonymous viewer is refused the guarded fields (FORBIDDEN, no engine call); nothing else fails.
                unexpected = [e for e in payload.get("errors", []) if e["extensions"]["code"] != "FORBIDDEN" or token]
                assert not unexpected, unexpected[:1]
                engine_calls.append(payload["extensions"]["permissions"]["engineCalls"])

        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(engine_calls) / elapsed, statistics.mean(engine_calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="per configuration per round")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="campaign-api-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    token = asyncio.run(build_world(url, args.campaigns))
    common = {
        "database_url": url,
        "debug_permissions": True,
        "max_page_size": max(100, args.campaigns),
        "log_level": "warning",
    }
    configurations = {
        "public": (Settings(**common), None),
        "batched": (Settings(**common), token),
        "unbatched": (Settings(**common, permission_batching=False), token),
    }
    rates: dict[str, list[float]] = {name: [] for name in configurations}
    calls: dict[str, float] = {}
    with ExitStack() as servers:
        urls = {name: servers.enter_context(running_server(settings)) for name, (settings, _) in configurations.items()}
        for name, (_, viewer_token) in configurations.items():  # warm-up
            asyncio.run(measure(urls[name], viewer_token, args.campaigns, 0.5, args.concurrency))
        for _ in range(args.rounds):
            for name, (_, viewer_token) in configurations.items():
                rate, calls[name] = asyncio.run(
                    measure(urls[name], viewer_token, args.campaigns, args.seconds, args.concurrency)
                )
                rates[name].append(rate)

    median = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"dashboard: {args.campaigns} campaigns x 3 petitions, {args.concurrency} concurrent clients, "
        f"{args.rounds} rounds of {args.seconds:g} s each (median req/s)"
    )
    for name in configurations:
        print(f"  {name:<10} {median[name]:8.1f} req/s   engine calls per request: {calls[name]:.0f}")
    print(f"  batched / public    = {median['batched'] / median['public']:.2f}  (the cost of permissions)")
    print(f"  batched / unbatched = {median['batched'] / median['unbatched']:.2f}  (what batching buys)")


if __name__ == "__main__":
    main()
