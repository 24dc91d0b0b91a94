"""What the SharePoint benchmarks share: Azurite and the M365 simulator in a process of its own,
and sp-connector's SiteMigrator wired to them as bootstrap wires it (the bus left out)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from m365_simulator.app_tokens import SimTokens
from migrator_contracts import readmodels
from migrator_contracts.base import iso
from migrator_contracts.enums import TenantRole
from migrator_contracts.readmodels import TenantDoc
from migrator_devstack import infra
from migrator_microsoft.endpoints import Endpoints
from migrator_platform.secret_box import SecretBox
from migrator_readstore.sqlite import SqliteReadStore
from migrator_sp_connector.adapters.sharepoint_api import SharePointApi
from migrator_sp_connector.migration.site_job import SiteMigrator

DOMAINS = {"ten_SRC": "contoso.com", "ten_DST": "fabrikam.com"}


class Discard:
    """The bus publisher, dropping what is published (the bus is measured in bus_bench)."""

    async def publish(self, subject: str, message: Any, *, msg_id: str) -> None:
        return None


def start(tmp: Path) -> tuple[infra.Proc, subprocess.Popen[bytes], int]:
    """Azurite, and the simulator on it in a process of its own."""
    azurite = infra.start_azurite(data_dir=tmp / "azurite", log_dir=tmp)
    port = infra.free_port()
    env = os.environ | {
        "M365SIM_PORT": str(port),
        "M365SIM_BLOB_URL": azurite.urls["blob"],
        "M365SIM_QUEUE_URL": azurite.urls["queue"],
        "M365SIM_OBJECT_DELAY_MS": "0",
    }
    with open(tmp / "simulator.log", "ab") as log:
        sim = subprocess.Popen([sys.executable, "-m", "m365_simulator"], stdout=log, stderr=log, env=env)
    infra.wait_for_port(port, proc=sim, timeout=60)
    return azurite, sim, port


def stop(azurite: infra.Proc, sim: subprocess.Popen[bytes]) -> None:
    sim.terminate()
    sim.wait(timeout=30)
    azurite.stop()


async def migrator(
    http: httpx.AsyncClient, base: str, store: SqliteReadStore
) -> tuple[SiteMigrator, SharePointApi]:
    """SiteMigrator on the simulator, both tenants connected as the consent flow leaves them."""
    tenants = store.collection(readmodels.TENANTS)
    for tenant_id, domain in DOMAINS.items():
        role = TenantRole.SOURCE if tenant_id == "ten_SRC" else TenantRole.DESTINATION
        doc = TenantDoc(
            id=tenant_id,
            org_id="org_bench",
            domain=domain,
            role=role,
            workloads=["SHAREPOINT"],
            connected_at=iso(datetime.now(UTC)),
        )
        await tenants.insert(tenant_id, doc.to_doc())
    sp = SharePointApi(http, endpoints=Endpoints(base), tokens=SimTokens(http, DOMAINS))
    sites = SiteMigrator(
        sp=sp,
        store=store,
        box=SecretBox(base64.b64encode(os.urandom(32)).decode()),
        publisher=Discard(),
        poll_seconds=0.2,
    )
    return sites, sp
