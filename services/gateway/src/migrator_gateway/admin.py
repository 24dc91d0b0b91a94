"""``python -m migrator_gateway.admin``: create, list and revoke an organisation's API keys.

Works directly on the read store the gateway uses (``MIGRATOR_MONGO_URL`` or the embedded
store under ``MIGRATOR_DATA_DIR``). A created key is printed once and stored only as a hash; a
revocation is announced on the bus (``MIGRATOR_NATS_URL``), so running gateways stop taking the
key at once. The API does the same at ``/v1/keys``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import nats
from migrator_contracts import subjects
from migrator_contracts.base import utcnow
from migrator_contracts.events import ApiKeyRevoked
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
            print(f"revoked {len(revoked)} key(s)")
            if not await _announce_revoked(settings.nats_url, args.org, revoked):
                print(
                    f"NATS did not answer at {settings.nats_url}: running gateways stop taking the key "
                    f"within MIGRATOR_API_KEY_CACHE_SECONDS ({settings.api_key_cache_seconds:g} s)",
                    file=sys.stderr,
                )
        else:
            for entry in await list_keys(store, org_id=args.org):
                state = f"revoked {entry['revokedAt']}" if entry["revokedAt"] else "active"
                print(f"{entry['prefix']}…  created {entry['createdAt']}  {state}")
        return 0
    finally:
        await store.close()


async def _announce_revoked(nats_url: str, org_id: str, key_ids: list[str]) -> bool:
    """Tell every running gateway (ApiKeyRevoked, as the API's revoke does), so that they stop
    taking the keys at once; False when the bus cannot be reached."""

    async def quiet(_: Exception) -> None:  # the caller says it in words
        return None

    try:
        connection = await asyncio.wait_for(
            nats.connect(nats_url, connect_timeout=2, allow_reconnect=False, error_cb=quiet), timeout=5
        )
    except (OSError, TimeoutError, nats.errors.Error):
        return False
    try:
        for key in key_ids:
            event = ApiKeyRevoked(
                event_id=f"{key}:revoked", seq=1, occurred_at=utcnow(), key_id=key, org_id=org_id
            )
            headers = {"Nats-Msg-Id": event.event_id, "Content-Type": "application/json"}
            await connection.jetstream().publish(
                subjects.apikey_event(key, "ApiKeyRevoked"), event.to_json(), headers=headers
            )
        return True
    except nats.errors.Error:
        return False
    finally:
        await connection.close()


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
