"""sp-connector's copy of a site's files into staging, against a raw copy of the same files.

    .venv/bin/python bench/copy_bench.py [FILES] [KIB]      (default: 1,000 files of 64 KiB)

One process, against the same M365 simulator (a process of its own) and Azurite, 32 files at a
time either way:
- connector: ``SiteMigrator._copy`` as a site's migration runs it: each file streamed from
  SharePoint through AES-256-CBC into the staging container, and recorded as staged (``sp_staged``,
  what lets a killed copy resume);
- raw: the same URLs fetched with the same client and token, each body uploaded whole with
  ``upload_blob``, nothing encrypted or recorded.
Prints files/s and MiB/s of each and the connector's share of the raw rate, best of three rounds.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from azure.storage.blob.aio import ContainerClient
from migrator_contracts.commands import MigrateSite
from migrator_readstore.sqlite import SqliteReadStore
from migrator_sp_connector.domain.manifest_stream import ExportedObject
from migrator_sp_connector.migration.site_job import Staging
from sp_stack import migrator, start, stop

SITE = "https://contoso.sharepoint.com/sites/bench"
WORKERS = 32
WEB = "/contoso.sharepoint.com/sites/bench/_api/web"  # the site's REST root, on the simulator


async def at_once(work: list[ExportedObject], one: Callable[[ExportedObject], Awaitable[None]]) -> float:
    queue = list(reversed(work))
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            await one(queue.pop())

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return time.perf_counter() - started


async def run(files: int, kib: int, tmp: Path, port: int) -> None:
    store = SqliteReadStore(tmp / "store.sqlite3")
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=WORKERS * 2)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(120.0), limits=limits) as http:
        await http.post("/_sim/sites", json={"url": SITE, "items": 1, "seed": 1})
        for n in range(files):
            body = {"path": f"Shared Documents/file {n:05d}.bin", "size": kib << 10, "seed": n}
            (await http.post("/_sim/sites/large-file", params={"url": SITE}, json=body)).raise_for_status()
        listed = (await http.get("/_sim/sites", params={"url": SITE})).json()["items"]
        objects = [
            ExportedObject(f"u{n}", f"/sites/bench/{i['path']}", False, i["size"])
            for n, i in enumerate(x for x in listed if x["type"] == "file" and x["path"].endswith(".bin"))
        ]
        sites, sp = await migrator(http, base, store)
        dest = SITE.replace("contoso", "fabrikam")
        data_uri, manifest_uri, key = await sp.provision_containers("ten_DST", dest)
        staging = Staging(data_uri, manifest_uri, "", base64.b64encode(key).decode())
        token = await sp._tokens.access_token("ten_SRC")
        mib = len(objects) * kib / 1024
        rows: dict[str, list[float]] = {"connector": [], "raw": []}
        for round_ in range(3):
            cmd = MigrateSite(
                job_id=f"job_bench{round_}",
                unit_id=f"job_bench{round_}_0",
                org_id="org_bench",
                source_tenant_id="ten_SRC",
                dest_tenant_id="ten_DST",
                source_site_url=SITE,
            )
            started = time.perf_counter()
            _, failures = await sites._copy(cmd, objects, staging, lambda u: u, [])
            rows["connector"].append(time.perf_counter() - started)
            assert not failures, failures
            async with ContainerClient.from_container_url(data_uri) as container:

                async def raw(obj: ExportedObject) -> None:
                    literal = obj.url.replace("'", "''")
                    url = f"{WEB}/GetFileByServerRelativeUrl('{literal}')/$value"
                    got = await http.get(url, headers={"Authorization": f"Bearer {token}"})
                    got.raise_for_status()
                    await container.upload_blob(f"raw-{obj.uid}", got.content, overwrite=True)

                rows["raw"].append(await at_once(objects, raw))
        best = {name: min(times) for name, times in rows.items()}
        print(f"{len(objects)} files of {kib} KiB ({mib:.0f} MiB), {WORKERS} at a time, best of 3")
        for name, seconds in best.items():
            print(f"  {name:>9}: {len(objects) / seconds:7.0f} files/s {mib / seconds:7.1f} MiB/s")
        print(f"  connector / raw: {best['raw'] / best['connector']:.2f}x")
    await store.close()


def main(args: list[str]) -> int:
    files, kib = (int(args[0]) if args else 1000), (int(args[1]) if len(args) > 1 else 64)
    with tempfile.TemporaryDirectory(prefix="copy-bench-") as tmp:
        azurite, sim, port = start(Path(tmp))
        try:
            asyncio.run(run(files, kib, Path(tmp), port))
        finally:
            stop(azurite, sim)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
