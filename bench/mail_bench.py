"""EMAIL migrations through the whole system, against a bare export → import loop on the same simulator.

    .venv/bin/python bench/mail_bench.py [MAILBOXES] [ITEMS_PER_MAILBOX]

The embedded system runs as `make run` starts it (NATS, the store, every service, the M365
simulator), with the default limits (4 units of a job at once). MAILBOXES (default 8) source
mailboxes of ITEMS_PER_MAILBOX items (default 2,000) are made in the simulator for each of two
runs, with empty namesakes at the destination:
- bare: this process moves its set directly — folders listed and recreated, items read by
  delta, exported 20 at a time, imported through an import session — with the same shape of
  concurrency as the connector (4 mailboxes at once, 4 imports per mailbox), nothing recorded;
- system: one EMAIL job of the other set through the public API, timed from create to DONE.
Items/s of each and their ratio, and mail-teams-connector's peak resident memory (VmHWM).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from migrator_devstack import infra
from migrator_devstack.stack import Stack

CONCURRENT_MAILBOXES, CONCURRENT_IMPORTS = 4, 4
CLIENT = "migrator-dev-client"


def connect(api: httpx.Client, domain: str, role: str) -> str:
    started = api.post("/v1/tenants/connect", json={"domain": domain, "role": role}).json()
    return str(httpx.get(started["authUrl"], follow_redirects=True, timeout=60).json()["tenantId"])


def discover(api: httpx.Client, tenant: str) -> None:
    job = api.post(f"/v1/tenants/{tenant}/discover").json()["latestJob"]["id"]
    while (u := api.get(f"/v1/tenants/{tenant}/users").json()["latestJob"])["id"] != job or u[
        "status"
    ] != "DONE":
        time.sleep(0.2)


class Bare:
    """The bare loop: Graph calls and nothing else."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self._http, self._tokens = http, tokens

    def _h(self, domain: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._tokens[domain]}"}

    async def _get(self, domain: str, url: str) -> dict[str, Any]:
        # Links come back on the address asked (the simulator's), so they are used as they are.
        return dict((await self._http.get(url, headers=self._h(domain))).json())

    async def _folders(self, domain: str, box: str) -> dict[str, tuple[str, str]]:
        """path -> (folder id, class)."""
        raw, link = [], f"/graph.microsoft.com/v1.0/admin/exchange/mailboxes/{box}/folders/delta"
        while link:
            page = await self._get(domain, link)
            raw += page["value"]
            link = page.get("@odata.nextLink")
        by_id = {f["id"]: f for f in raw}

        def path(f: dict[str, Any]) -> str:
            parent = by_id.get(f.get("parentFolderId"))
            return f"{path(parent)}/{f['displayName']}" if parent else str(f["displayName"])

        return {path(f): (f["id"], f["type"]) for f in raw}

    async def move(self, upn: str, dest_upn: str) -> int:
        src_box = (
            await self._get("contoso.com", f"/graph.microsoft.com/v1.0/users/{upn}/settings/exchange")
        )["primaryMailboxId"]
        dest_box = (
            await self._get("fabrikam.com", f"/graph.microsoft.com/v1.0/users/{dest_upn}/settings/exchange")
        )["primaryMailboxId"]
        graph = "/graph.microsoft.com/v1.0/admin/exchange/mailboxes"
        src, dest = await self._folders("contoso.com", src_box), await self._folders("fabrikam.com", dest_box)
        session = (
            await self._http.post(f"{graph}/{dest_box}/createImportSession", headers=self._h("fabrikam.com"))
        ).json()
        import_url = urlsplit(session["importUrl"])
        target = f"/{import_url.netloc}{import_url.path}?{import_url.query}"
        moved, slots = 0, asyncio.Semaphore(CONCURRENT_IMPORTS)
        for path in sorted(src, key=lambda p: p.count("/")):
            if path not in dest:
                parent = path.rsplit("/", 1)[0] if "/" in path else None
                where = f"/folders/{dest[parent][0]}/childFolders" if parent else "/folders"
                made = await self._http.post(
                    f"{graph}/{dest_box}{where}",
                    json={"displayName": path.rsplit("/", 1)[-1], "type": src[path][1]},
                    headers=self._h("fabrikam.com"),
                )
                dest[path] = (made.json()["id"], src[path][1])
            link = f"{graph}/{src_box}/folders/{src[path][0]}/items/delta"
            while link:
                page = await self._get("contoso.com", link)
                ids = [i["id"] for i in page["value"]]
                for start in range(0, len(ids), 20):
                    exported = await self._http.post(
                        f"{graph}/{src_box}/exportItems",
                        json={"itemIds": ids[start : start + 20]},
                        headers=self._h("contoso.com"),
                    )

                    async def one(item: dict[str, Any], folder: str = dest[path][0]) -> None:
                        async with slots:
                            body = {"FolderId": folder, "Mode": "create", "Data": item["data"]}
                            (await self._http.post(target, json=body)).raise_for_status()

                    await asyncio.gather(*(one(i) for i in exported.json()["value"] if i.get("data")))
                    moved += len(exported.json()["value"])
                link = page.get("@odata.nextLink")
        return moved


async def bare_run(base: str, secret: str, pairs: list[tuple[str, str]]) -> tuple[int, float]:
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=64)) as http:
        tokens = {}
        for domain in ("contoso.com", "fabrikam.com"):
            answer = await http.post(
                f"/login.microsoftonline.com/{domain}/oauth2/v2.0/token",
                data={
                    "client_id": CLIENT,
                    "client_secret": secret,
                    "grant_type": "client_credentials",
                    "scope": "https://graph.microsoft.com/.default",
                },
            )
            tokens[domain] = answer.json()["access_token"]
        bare, gate = Bare(http, tokens), asyncio.Semaphore(CONCURRENT_MAILBOXES)

        async def one(pair: tuple[str, str]) -> int:
            async with gate:
                return await bare.move(*pair)

        started = time.perf_counter()
        moved = sum(await asyncio.gather(*(one(p) for p in pairs)))
        return moved, time.perf_counter() - started


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    mailboxes = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    per_box = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(data_dir=Path(tmp), http_port=infra.free_port(), env={"M365SIM_OBJECT_DELAY_MS": "0"})
        stack.start()
        try:
            sim = stack.procs["m365-simulator"].urls["base"]
            api = httpx.Client(
                base_url=stack.api_url, headers={"Authorization": f"Bearer {stack.api_key}"}, timeout=60
            )
            tenants = [connect(api, "contoso.com", "source"), connect(api, "fabrikam.com", "destination")]
            sets: dict[str, list[str]] = {"bare": [], "system": []}
            for run in sets:
                for i in range(mailboxes):
                    upn = f"{run}{i}@contoso.com"
                    for who, items in ((upn, per_box), (upn.replace("contoso", "fabrikam"), 0)):
                        httpx.post(
                            f"{sim}/_sim/mailboxes",
                            json={"upn": who, "items": items, "seed": i, "folders": 8},
                            timeout=120,
                        )
                    sets[run].append(upn)
            for tenant in tenants:
                discover(api, tenant)
            pairs = [(u, u.replace("contoso", "fabrikam")) for u in sets["bare"]]
            moved, bare_seconds = asyncio.run(bare_run(sim, stack.env["MIGRATOR_M365_CLIENT_SECRET"], pairs))
            body = {
                "sourceTenantId": tenants[0],
                "destTenantId": tenants[1],
                "type": "EMAIL",
                "options": {"mailboxes": sets["system"]},
            }
            started = time.perf_counter()
            job = api.post("/v1/jobs", json=body).json()["job"]
            while (state := api.get(f"/v1/jobs/{job['id']}").json()["job"])["status"] not in (
                "DONE",
                "ERROR",
            ):
                time.sleep(0.1)
            system_seconds = time.perf_counter() - started
            connector = stack.procs["mail-teams-connector"].popen.pid
            total = mailboxes * per_box
            print(f"{mailboxes} mailboxes x {per_box:,} items = {total:,} items each run")
            bare_rate, system_rate = moved / bare_seconds, state["doneItems"] / system_seconds
            print(
                f"bare export → import loop   {moved:>8,} items in {bare_seconds:6.1f}s  "
                f"{bare_rate:8.0f} items/s"
            )
            print(
                f"system (EMAIL job, API)     {state['doneItems']:>8,} items in {system_seconds:6.1f}s  "
                f"{system_rate:8.0f} items/s   {state['status']}, {state['errorItems']} errors"
            )
            print(f"ratio system / bare         {system_rate / bare_rate:.2f}x")
            print(f"mail-teams-connector peak RSS {peak_rss_mb(connector):.0f} MB")
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
