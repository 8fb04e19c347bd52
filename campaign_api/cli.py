"""``campaign-api``: serve, migrate, seed, export the schema, and manage the embedded identity store."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from campaign_api.db.database import Database
from campaign_api.settings import IdentityProviderName, Settings

SCHEMA_FILE = Path("schema.graphql")
MIN_SESSION_SECONDS, MAX_SESSION_SECONDS = 60, 366 * 86_400
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [request %(request_id)s] %(message)s"


def configure_logging(level: str) -> None:
    from campaign_api.http.request_id import RequestIdLogFilter

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger = logging.getLogger("campaign_api")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from campaign_api.app import create_app
    from campaign_api.db.database import Database
    from campaign_api.db.migrate import NotMigrated, require_migrated

    async def check() -> None:
        database = Database(settings.database_url)
        try:
            await require_migrated(database)
        finally:
            await database.dispose()

    try:
        asyncio.run(check())
    except NotMigrated as exc:
        print(f"campaign-api: {exc}", file=sys.stderr)
        return 2
    print(f"campaign-api: serving GraphQL at http://{settings.host}:{settings.port}/graphql", file=sys.stderr)
    if settings.graphiql_enabled:
        print("campaign-api: open that address in a browser for GraphiQL", file=sys.stderr)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
    )
    return 0


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from campaign_api.db.migrate import head_revision, upgrade

    upgrade(settings.database_url)
    print(f"campaign-api: database migrated to revision {head_revision()}", file=sys.stderr)
    return 0


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from campaign_api.db.demo_data import seed_demo

    if not args.demo:
        print("campaign-api seed: say which data to seed (--demo)", file=sys.stderr)
        return 2
    summary = asyncio.run(seed_demo(settings.database_url))
    print(f"campaign-api: {summary}", file=sys.stderr)
    asyncio.run(_write_demo_tuples(settings))
    if settings.identity_provider is not IdentityProviderName.EMBEDDED:
        print(f"campaign-api: demo people are made in the embedded store; sign in through {settings.identity_provider}")
        return 0
    print(_demo_people(settings))
    return 0


async def _write_demo_tuples(settings: Settings) -> None:
    """The permission tuples of the demo: every row's place in the model, and the demo people's roles (writing a
    tuple that exists changes nothing, so seeding twice is harmless)."""
    from campaign_api.db.demo_data import structure_tuples
    from campaign_api.identity.demo_users import DEMO_USERS, demo_role_tuples
    from campaign_api.identity.embedded import ensure_identity
    from campaign_api.permissions import create_permission_engine

    database = Database(settings.database_url)
    engine = create_permission_engine(settings, database)
    try:
        identity_ids = {}
        if settings.identity_provider is IdentityProviderName.EMBEDDED:
            for person in DEMO_USERS:
                identity_ids[person.email] = (await ensure_identity(database, person.email, person.name)).id
        tuples = await structure_tuples(database) + await demo_role_tuples(database, identity_ids)
        await engine.write(insert=tuples)
        print(f"campaign-api: wrote {len(tuples)} permission tuples", file=sys.stderr)
    finally:
        await engine.aclose()
        await database.dispose()


def _demo_people(settings: Settings) -> str:
    from campaign_api.identity.demo_users import how_to_act_as, seed_demo_users

    async def mint() -> list:
        database = Database(settings.database_url)
        try:
            return await seed_demo_users(database, timedelta(seconds=settings.embedded_session_ttl_seconds))
        finally:
            await database.dispose()

    url = f"http://{settings.host}:{settings.port}/graphql"
    lines = ["", "Act as a demo person: paste the header into GraphiQL's Headers tab, or run the curl line.", ""]
    lines += [how_to_act_as(user, session, url) + "\n" for user, session in asyncio.run(mint())]
    return "\n".join(lines)


def _identities(settings: Settings, args: argparse.Namespace) -> int:
    from campaign_api.identity.embedded import create_identity, list_identities

    async def run() -> int:
        database = Database(settings.database_url)
        try:
            if args.action == "create":
                identity = await create_identity(database, args.email, args.name, active=not args.inactive)
                print(f"{identity.id}\t{identity.email}\t{identity.state}")
            else:
                for identity in await list_identities(database):
                    print(f"{identity.id}\t{identity.email}\t{identity.state}\t{identity.name}")
            return 0
        finally:
            await database.dispose()

    return _run_store_command(run)


def _sessions(settings: Settings, args: argparse.Namespace) -> int:
    from campaign_api.identity.embedded import create_session, revoke_sessions

    async def run() -> int:
        database = Database(settings.database_url)
        try:
            if args.action == "create":
                ttl = timedelta(seconds=args.ttl or settings.embedded_session_ttl_seconds)
                minted = await create_session(database, args.email, ttl=ttl, authenticator_assurance_level=args.aal)
                print(minted.token)
                print(
                    f"campaign-api: session {minted.session_id} until {minted.expires_at:%Y-%m-%d %H:%M:%S} UTC",
                    file=sys.stderr,
                )
            else:
                count = await revoke_sessions(database, token=args.token, session_id=args.id, email=args.email)
                print(f"campaign-api: revoked {count} session(s)", file=sys.stderr)
            return 0
        finally:
            await database.dispose()

    return _run_store_command(run)


def _run_store_command(run: Callable[[], Awaitable[int]]) -> int:
    from campaign_api.identity.embedded import IdentityStoreError

    try:
        return asyncio.run(run())
    except IdentityStoreError as exc:
        print(f"campaign-api: {exc}", file=sys.stderr)
        return 1


def _duration(text: str) -> int:
    """Seconds from ``90``, ``90s``, ``15m``, ``24h`` or ``7d``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    try:
        seconds = int(number) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 30m, 24h, 7d)") from None
    if not MIN_SESSION_SECONDS <= seconds <= MAX_SESSION_SECONDS:
        raise argparse.ArgumentTypeError("a session lasts from a minute to a year")
    return seconds


def _export_schema(_settings: Settings, args: argparse.Namespace) -> int:
    from campaign_api.schema import schema

    sdl = schema.as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"campaign-api: wrote {args.output}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="campaign-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the GraphQL API").set_defaults(run=_serve)
    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(run=_migrate)
    seed = commands.add_parser("seed", help="load data into the database")
    seed.add_argument("--demo", action="store_true", help="the demo organisations, campaigns and petitions")
    seed.set_defaults(run=_seed)
    identities = commands.add_parser("identities", help="the embedded identity store")
    identity_actions = identities.add_subparsers(dest="action", required=True)
    create = identity_actions.add_parser("create", help="add an identity")
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="")
    create.add_argument("--inactive", action="store_true", help="an identity that may not sign in")
    identity_actions.add_parser("list", help="list identities")
    identities.set_defaults(run=_identities)

    sessions = commands.add_parser("sessions", help="sessions of the embedded identity store")
    session_actions = sessions.add_subparsers(dest="action", required=True)
    mint = session_actions.add_parser("create", help="mint a session token (printed on stdout)")
    mint.add_argument("--email", required=True)
    mint.add_argument("--ttl", type=_duration, help="how long it lasts, e.g. 30m, 24h, 7d (default: the setting)")
    mint.add_argument("--aal", choices=["aal1", "aal2"], default="aal1", help="authenticator assurance level")
    revoke = session_actions.add_parser("revoke", help="revoke sessions")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--token", help="the session with this token")
    which.add_argument("--id", help="the session with this id")
    which.add_argument("--email", help="every session of this identity")
    sessions.set_defaults(run=_sessions)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", "-o", default=str(SCHEMA_FILE), help="file to write, or - for stdout")
    export.set_defaults(run=_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
