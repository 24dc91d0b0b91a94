"""The Azure Storage side of a migration: encrypted package blobs and the report queue (SAS URIs)."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType

from azure.storage.blob import BlobBlock
from azure.storage.blob.aio import ContainerClient
from azure.storage.queue.aio import QueueClient

from migrator_sp_connector.domain.encryption import StreamEncryptor, encrypt

BLOCK = 8 << 20  # a staged block of a large file's upload
_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def _use_env_settings() -> bool:
    """Whether the Azure clients read proxy settings from the environment: only when a proxy is
    set. Trusting the environment (Azure's default) makes aiohttp read ``~/.netrc`` and every
    proxy variable, on a worker thread, for each request: a fifth of sp-connector's CPU time on
    a 10,000-item site, to find nothing a SAS URL needs."""
    return any(os.environ.get(name) for name in _PROXY_VARIABLES)


class Container:
    """One blob container (by SAS URI), shared by the many uploads and downloads of a job."""

    def __init__(self, container_uri: str) -> None:
        self._client = ContainerClient.from_container_url(container_uri, use_env_settings=_use_env_settings())

    async def __aenter__(self) -> Container:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self._client.close()

    async def upload_encrypted(self, name: str, data: bytes, *, key: bytes) -> None:
        """Upload AES-256-CBC encrypted, the IV in the blob's ``IV`` metadata."""
        iv, ciphertext = encrypt(key, data)
        await self._client.upload_blob(
            name, ciphertext, overwrite=True, metadata={"IV": base64.b64encode(iv).decode()}
        )

    async def upload_encrypted_stream(self, name: str, chunks: AsyncIterator[bytes], *, key: bytes) -> int:
        """Upload content as it arrives, encrypted as :meth:`upload_encrypted` does, in staged
        blocks of ``BLOCK`` committed at the end: constant memory for any size (up to 50,000
        blocks, 400 GB). Content that fits one block is one plain upload. Returns its size."""
        encryptor, size = StreamEncryptor(key), 0
        metadata = {"IV": base64.b64encode(encryptor.iv).decode()}
        blob, staged = self._client.get_blob_client(name), list[str]()
        pending = bytearray()
        async for chunk in chunks:
            size += len(chunk)
            pending += encryptor.update(chunk)
            if len(pending) >= BLOCK:
                staged.append(_block_id(len(staged)))
                await blob.stage_block(staged[-1], bytes(pending))
                pending.clear()
        pending += encryptor.finalize()
        if not staged:
            await blob.upload_blob(bytes(pending), overwrite=True, metadata=metadata)
            return size
        staged.append(_block_id(len(staged)))
        await blob.stage_block(staged[-1], bytes(pending))
        await blob.commit_block_list([BlobBlock(block_id) for block_id in staged], metadata=metadata)
        return size

    async def stream(self, name: str) -> tuple[bytes | None, AsyncIterator[bytes]]:
        """(IV from metadata or None, the blob's bytes chunk by chunk): never the whole blob at once."""
        downloader = await self._client.get_blob_client(name).download_blob()
        iv = (downloader.properties.metadata or {}).get("IV")
        return (base64.b64decode(iv) if iv else None), downloader.chunks()


def _block_id(n: int) -> str:
    """Block ids of one blob must all be the same length."""
    return base64.b64encode(f"{n:06d}".encode()).decode()


@dataclass(frozen=True)
class QueuedReport:
    """One report-queue message: its text, and what deleting it needs."""

    id: str
    pop_receipt: str
    text: str


class ReportQueue:
    """Reads the reporting queue: a message stays invisible while handled and is deleted only after."""

    def __init__(self, queue_uri: str, *, visibility_timeout: int = 60) -> None:
        self._client = QueueClient.from_queue_url(queue_uri, use_env_settings=_use_env_settings())
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
