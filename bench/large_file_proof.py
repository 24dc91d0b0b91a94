"""A large file through sp-connector in flat memory: the proof behind ``make large-file-proof``.

    .venv/bin/python bench/large_file_proof.py [SIZE_MIB ...]      (default: 64 5120)

For each size, in a fresh process: Azurite and the M365 simulator (a process of its own, so the
one measured holds only the connector), a site with one file of SIZE MiB that the simulator
makes as it is read, then ``SiteMigrator.migrate`` as the service runs it: the AMR read, the
file streamed from SharePoint through AES-256-CBC into staged 8 MiB blocks, the import, its
events. The destination is compared by SHA-256. Printed: the connector process's resident
memory before the migration and at its peak, and the throughput. Flat means the peak does not
grow with the file: 5 GiB costs what 64 MiB does.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from migrator_contracts.commands import MigrateSite
from migrator_readstore.sqlite import SqliteReadStore
from sp_stack import migrator, start, stop

SITE, DEST = "https://contoso.sharepoint.com/sites/media", "https://fabrikam.sharepoint.com/sites/media"
PATH = "Shared Documents/Recordings/all-hands.mp4"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def one(size_mib: int, tmp: Path, port: int) -> dict[str, Any]:
    store = SqliteReadStore(tmp / "store.sqlite3")
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(300.0)) as http:
            made = await http.post("/_sim/sites", json={"url": SITE, "items": 5, "seed": 1})
            made.raise_for_status()
            big = {"path": PATH, "size": size_mib << 20, "seed": 7}
            (await http.post("/_sim/sites/large-file", params={"url": SITE}, json=big)).raise_for_status()
            await http.post("/_sim/faults", json={"failItemsMatching": []})
            sites, _ = await migrator(http, base, store)
            cmd = MigrateSite(
                job_id="job_proof",
                unit_id="job_proof_0",
                org_id="org_proof",
                source_tenant_id="ten_SRC",
                dest_tenant_id="ten_DST",
                source_site_url=SITE,
            )
            before = rss_mib()
            started = time.perf_counter()
            await sites.migrate(cmd)
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            source = {
                i["path"]: i for i in (await http.get("/_sim/sites", params={"url": SITE})).json()["items"]
            }
            dest = {
                i["path"]: i for i in (await http.get("/_sim/sites", params={"url": DEST})).json()["items"]
            }
            whole = dest.get(PATH) == source[PATH] and dest == source
        return {"mib": size_mib, "before": before, "peak": peak, "seconds": seconds, "whole": whole}
    finally:
        await store.close()


def main(sizes: list[int]) -> int:
    if sizes and sizes[0] == -1:  # a child: one size, its figures as JSON on the last line
        with tempfile.TemporaryDirectory(prefix="large-file-") as tmp:
            azurite, sim, port = start(Path(tmp))
            try:
                print(json.dumps(asyncio.run(one(sizes[1], Path(tmp), port))))
            finally:
                stop(azurite, sim)
        return 0
    rows = []
    for size in sizes or [64, 5120]:
        done = subprocess.run(
            [sys.executable, __file__, "-1", str(size)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'file':>10} {'RSS before':>11} {'RSS peak':>9} {'seconds':>8} {'MiB/s':>7}  arrived whole")
    for r in rows:
        print(
            f"{r['mib']:>6} MiB {r['before']:>7.0f} MiB {r['peak']:>5.0f} MiB {r['seconds']:>8.1f} "
            f"{r['mib'] / r['seconds']:>7.1f}  {r['whole']}"
        )
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        print(f"peak at {large['mib']} MiB / at {small['mib']} MiB: {large['peak'] / small['peak']:.2f}x")
    return 0 if all(r["whole"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]]))
