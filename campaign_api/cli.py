"""``campaign-api``: serve, migrate, seed and export the schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from campaign_api.settings import Settings

SCHEMA_FILE = Path("schema.graphql")
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
    return 0


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
