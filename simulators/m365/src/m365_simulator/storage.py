"""Azure Storage the migration API hands out: fresh containers and queues with SAS URIs (on Azurite)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from azure.storage.blob import ContainerSasPermissions, generate_container_sas
from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue import QueueSasPermissions, generate_queue_sas
from azure.storage.queue.aio import QueueServiceClient

from m365_simulator.config import SimSettings


def _expiry() -> datetime:
    return datetime.now(UTC) + timedelta(days=30)


async def provision_containers(settings: SimSettings) -> tuple[str, str]:
    """Two new containers (data, metadata) and their SAS URIs.

    Real SharePoint grants read+write without list; we add list so a client can verify uploads.
    """
    credential = {"account_name": settings.storage_account, "account_key": settings.storage_key}
    uris = []
    # The simulator's Azure clients all pass use_env_settings=False: Azurite is local, and trusting the
    # environment costs aiohttp a thread hop, ~/.netrc and the proxy variables per request.
    async with BlobServiceClient(settings.blob_url, credential=credential, use_env_settings=False) as service:
        for kind in ("data", "meta"):
            name = f"spmig-{uuid.uuid4().hex[:20]}-{kind}"
            await service.create_container(name)
            sas = generate_container_sas(
                settings.storage_account,
                name,
                account_key=settings.storage_key,
                permission=ContainerSasPermissions(read=True, write=True, list=True),
                expiry=_expiry(),
            )
            uris.append(f"{settings.blob_url}/{name}?{sas}")
    return uris[0], uris[1]


async def provision_queue(settings: SimSettings) -> str:
    """A new reporting queue and its SAS URI (add, read, update, process)."""
    credential = {"account_name": settings.storage_account, "account_key": settings.storage_key}
    name = f"spmig-{uuid.uuid4().hex[:20]}"
    async with QueueServiceClient(
        settings.queue_url, credential=credential, use_env_settings=False
    ) as service:
        await service.create_queue(name)
    sas = generate_queue_sas(
        settings.storage_account,
        name,
        account_key=settings.storage_key,
        permission=QueueSasPermissions(read=True, add=True, update=True, process=True),
        expiry=_expiry(),
    )
    return f"{settings.queue_url}/{name}?{sas}"
