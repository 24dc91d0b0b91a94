"""``python -m migrator_gateway.admin``: create, list and revoke an organisation's API keys.

Works directly on the read store the gateway uses (``MIGRATOR_MONGO_URL`` or the embedded
store under ``MIGRATOR_DATA_DIR``). A created key is printed once and stored only as a hash.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from migrator_readstore import open_read_store

from migrator_gateway.auth.api_keys import ensure_key, list_keys, new_key, revoke_key
from migrator_gateway.config import GatewaySettings


async def run(args: argparse.Namespace, settings: GatewaySettings) -> int:
    store = open_read_store(
        mongo_url=settings.mongo_url, sqlite_path=settings.sqlite_path, database=settings.mongo_database
    )
    try:
        if args.command == "create-key":
            key = new_key(live=args.live)
            await ensure_key(store, org_id=args.org, key=key)
            print(key)
            print("Shown once: store it now; Migrator keeps only its hash.", file=sys.stderr)
        elif args.command == "revoke-key":
            revoked = await revoke_key(store, org_id=args.org, prefix=args.prefix)
            if not revoked:
                print(f"no active key of {args.org} starts with {args.prefix}", file=sys.stderr)
                return 1
            print(f"revoked {revoked} key(s)")
        else:
            for entry in await list_keys(store, org_id=args.org):
                state = f"revoked {entry['revokedAt']}" if entry["revokedAt"] else "active"
                print(f"{entry['prefix']}…  created {entry['createdAt']}  {state}")
        return 0
    finally:
        await store.close()


def build_parser() -> argparse.ArgumentParser:
    """The command line: create-key, revoke-key, list-keys."""
    parser = argparse.ArgumentParser(prog="python -m migrator_gateway.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-key", help="create a key for an organisation (created if new)")
    create.add_argument("--org", required=True)
    create.add_argument("--live", action="store_true", help="tmk_live_ instead of tmk_test_")
    revoke = commands.add_parser("revoke-key", help="revoke a key by the prefix `list-keys` shows")
    revoke.add_argument("--org", required=True)
    revoke.add_argument("--prefix", required=True)
    listing = commands.add_parser("list-keys", help="an organisation's keys, by prefix")
    listing.add_argument("--org", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(build_parser().parse_args(argv), GatewaySettings()))


if __name__ == "__main__":
    raise SystemExit(main())
