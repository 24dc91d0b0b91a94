"""``make run``: the embedded default — everything on loopback until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from migrator_devstack.stack import SERVICES, Stack

# The Atlassian simulator's seeded Data Center, as README's registration example uses it.
DATA_CENTER, DATA_CENTER_TOKEN = "BSQ4-J2CB-XYZ1-ABCD", "sim-pat-server-1"


def main() -> int:
    """Start the stack, print how to use it, supervise it, stop it cleanly on Ctrl-C / SIGTERM."""
    stack = Stack(
        data_dir=Path(os.environ.get("MIGRATOR_DATA_DIR", ".migrator")),
        http_port=int(os.environ.get("MIGRATOR_HTTP_PORT", "8000")),
        # MIGRATOR_REPLICAS=2: two processes of every service, sharing the bus and the store.
        replicas=int(os.environ.get("MIGRATOR_REPLICAS", "1")),
    )
    stopping = False

    def _stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    try:
        stack.start()
    except Exception as exc:
        print(f"migrator: start-up failed: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    store = (
        os.environ.get("MIGRATOR_MONGO_URL") or f"embedded SQLite at {stack.data_dir / 'readstore.sqlite3'}"
    )
    replicas = (
        f"\n  Replicas     {stack.replicas} of every service; gateways at {', '.join(stack.gateway_urls)}"
        if stack.replicas > 1
        else ""
    )
    atlassian = stack.procs["atlassian-simulator"].urls["base"]
    metrics = "\n               ".join(
        f"{service:<20} "
        + "  ".join(f"{stack.ops_url(name)}/metrics" for name in stack.replica_names(service))
        for service in SERVICES
    )
    print(
        f"""
Migrator is ready in {time.monotonic() - started:.1f}s.

  Dashboard    {stack.api_url}/   (sign in with the API key below)
  API          {stack.api_url}   (OpenAPI: {stack.api_url}/docs)
  Organisation {stack.org_id}
  API key      {stack.api_key}
  NATS         {stack.env["MIGRATOR_NATS_URL"]}
  Read store   {store}
  Simulators   {stack.env["MIGRATOR_M365_BASE_URL"]}   (Microsoft 365: contoso.com, fabrikam.com)
               {atlassian}   (Atlassian Cloud: acme.atlassian.net, globex.atlassian.net)
               Data Center {DATA_CENTER} at {atlassian}/server/{DATA_CENTER}, token {DATA_CENTER_TOKEN}
  Logs         {stack.log_dir}{replicas}
  Metrics      {metrics}

  export MIGRATOR_URL={stack.api_url} MIGRATOR_API_KEY={stack.api_key}
  .venv/bin/migrator tenants connect contoso.com --role source     # or with curl:
  curl -s -X POST $MIGRATOR_URL/v1/tenants/connect -H "Authorization: Bearer $MIGRATOR_API_KEY" \\
       -H 'Content-Type: application/json' -d '{{"domain":"contoso.com","role":"source"}}'

Ctrl-C stops everything.""",
        flush=True,
    )
    while not stopping:
        for name in stack.supervise_once():
            print(
                f"migrator: {name} exited unexpectedly and was restarted (see {stack.log_dir}/{name}.log)",
                flush=True,
            )
        time.sleep(1)
    print("migrator: stopping…", flush=True)
    stack.stop()
    print("migrator: stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
