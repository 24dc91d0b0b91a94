"""The Azure Storage side of a migration: encrypted package blobs and the report queue (SAS URIs)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from azure.storage.blob.aio import ContainerClient
from azure.storage.queue.aio import QueueClient

from migrator_sp_connector.migration.encryption import encrypt


async def upload_encrypted(container_uri: str, blobs: dict[str, bytes], *, key: bytes) -> None:
    """Upload each blob AES-256-CBC encrypted, its IV in the blob's ``IV`` metadata."""
    async with ContainerClient.from_container_url(container_uri) as container:
        for name, data in blobs.items():
            iv, ciphertext = encrypt(key, data)
            await container.upload_blob(
                name, ciphertext, overwrite=True, metadata={"IV": base64.b64encode(iv).decode()}
            )


@dataclass(frozen=True)
class QueuedReport:
    """One report-queue message: its text, and what deleting it needs."""

    id: str
    pop_receipt: str
    text: str


class ReportQueue:
    """Reads the reporting queue: a message stays invisible while handled and is deleted only after."""

    def __init__(self, queue_uri: str, *, visibility_timeout: int = 60) -> None:
        self._client = QueueClient.from_queue_url(queue_uri)
        self._visibility = visibility_timeout

    async def receive(self, *, max_messages: int = 32) -> list[QueuedReport]:
        """Up to ``max_messages`` messages, oldest first."""
        out: list[QueuedReport] = []
        pager = self._client.receive_messages(
            messages_per_page=max_messages, visibility_timeout=self._visibility, max_messages=max_messages
        )
        async for message in pager:
            out.append(
                QueuedReport(id=message.id, pop_receipt=str(message.pop_receipt), text=str(message.content))
            )
        return out

    async def delete(self, report: QueuedReport) -> None:
        """Remove a handled message."""
        await self._client.delete_message(report.id, report.pop_receipt)

    async def close(self) -> None:
        await self._client.close()
