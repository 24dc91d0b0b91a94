"""``migrator-agent``: run N simulated agents against a gateway until SIGINT/SIGTERM, printing stats."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from migrator_device_agent.config import DEFAULT_AGENT_VERSION, AgentConfig
from migrator_device_agent.fleet import Fleet
from migrator_device_agent.log_format import configure_logging


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="migrator-agent", description=__doc__)
    p.add_argument("--base-url", default="http://127.0.0.1:8000", help="the gateway, e.g. http://host:8000")
    p.add_argument("--org", required=True, help="organisation id the devices register into")
    p.add_argument("--count", type=int, default=1, help="number of simulated agents")
    p.add_argument("--first-index", type=int, default=1, help="hostname of the first: DESKTOP-<index>")
    p.add_argument("--interval", type=float, default=180.0, help="check-in interval, seconds")
    p.add_argument("--jitter", type=float, default=0.1, help="± fraction of the interval")
    p.add_argument("--immediate", action="store_true", help="first check-in at once, not spread")
    p.add_argument("--phase-seconds", type=float, default=2.0)
    p.add_argument("--reboot-seconds", type=float, default=5.0)
    p.add_argument("--state-dir", type=Path, default=Path(".migrator/device-agent"))
    p.add_argument(
        "--enrollment-token",
        default=os.environ.get("MIGRATOR_ENROLLMENT_TOKEN"),
        help="sent when registering (default: $MIGRATOR_ENROLLMENT_TOKEN)",
    )
    p.add_argument("--agent-version", default=DEFAULT_AGENT_VERSION)
    p.add_argument("--error-rate", type=float, default=0.0, help="chance (0..1) that a command fails")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--reregister-when-deleted", action="store_true")
    p.add_argument(
        "--max-connections", type=int, default=None, help="HTTP pool size (default: min(count, 256))"
    )
    p.add_argument("--stats-every", type=float, default=10.0, help="seconds between stats lines on stdout")
    p.add_argument("--log-level", default="INFO")
    return p


async def _print_stats(fleet: Fleet, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        print(json.dumps({"stats": fleet.stats.snapshot()}), flush=True)


async def _run(args: argparse.Namespace) -> None:
    config = AgentConfig(
        base_url=args.base_url,
        org_id=args.org,
        state_dir=args.state_dir,
        agent_version=args.agent_version,
        enrollment_token=args.enrollment_token,
        checkin_interval=args.interval,
        jitter=args.jitter,
        immediate_first_checkin=args.immediate,
        phase_seconds=args.phase_seconds,
        reboot_seconds=args.reboot_seconds,
        reregister_when_deleted=args.reregister_when_deleted,
        error_rate=args.error_rate,
        seed=args.seed,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Fleet(
        config, args.count, first_index=args.first_index, max_connections=args.max_connections
    ) as fleet:
        reporter = asyncio.create_task(_print_stats(fleet, args.stats_every))
        try:
            await fleet.run(stop)
        finally:
            reporter.cancel()
            print(json.dumps({"stats": fleet.stats.snapshot()}), flush=True)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    configure_logging(getattr(logging, str(args.log_level).upper(), logging.INFO))
    logging.getLogger(__name__).info("starting", extra={"count": args.count, "baseUrl": args.base_url})
    try:
        asyncio.run(_run(args))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
