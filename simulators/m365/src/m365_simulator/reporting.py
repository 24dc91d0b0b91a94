"""What a migration job (import or AMR export) tells its caller: the event log and the report queue.

Every event is appended to the job's log (GetMigrationJobProgress) and, when the caller gave a
queue, sent there too, in the encrypted envelope when the job has a key. Faults switched on in
``/_sim/faults`` bend this the way the real service sometimes does: a message that is not JSON,
an event type nobody documented, a key that does not match.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from azure.storage.blob.aio import ContainerClient
from azure.storage.queue.aio import QueueClient
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from m365_simulator.state import Faults, MigrationJob


def now_text() -> str:
    """The event time format of the import events: ``MM/dd/yyyy HH:mm:ss.fff``."""
    return datetime.now(UTC).strftime("%m/%d/%Y %H:%M:%S.%f")[:-3]


def aes(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    """AES-256-CBC with PKCS7 padding, as .NET's AesCryptoServiceProvider does by default."""
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    if encrypt:
        padder = padding.PKCS7(128).padder()
        enc = cipher.encryptor()
        return enc.update(padder.update(data) + padder.finalize()) + enc.finalize()
    dec = cipher.decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(dec.update(data) + dec.finalize()) + unpadder.finalize()


async def read_blob(container: ContainerClient, name: str, key: bytes | None) -> bytes:
    """A package blob, decrypted with the IV from its metadata when the job has a key."""
    downloader = await container.get_blob_client(name).download_blob()
    data = await downloader.readall()
    if key is None:
        return bytes(data)
    return aes(key, base64.b64decode(downloader.properties.metadata["IV"]), data, encrypt=False)


async def write_blob(container: ContainerClient, name: str, data: bytes, key: bytes | None) -> None:
    """Upload a blob, encrypted with a fresh IV (kept in the ``IV`` metadata) when there is a key."""
    if key is None:
        await container.upload_blob(name, data, overwrite=True)
        return
    iv = os.urandom(16)
    await container.upload_blob(
        name, aes(key, iv, data, encrypt=True), overwrite=True, metadata={"IV": base64.b64encode(iv).decode()}
    )


class Reporter:
    """Appends each event to the job's progress log and, if asked, to the report queue."""

    def __init__(
        self,
        job: MigrationJob,
        queue_uri: str | None,
        key: bytes | None,
        *,
        faults: Faults,
        common: dict[str, str],
    ) -> None:
        self.job, self.common = job, common
        # The wrong-key fault: the service encrypts with a key the caller does not have.
        self.key = os.urandom(32) if key and faults.wrong_key else key
        faults.wrong_key = False
        self.queue = QueueClient.from_queue_url(queue_uri, use_env_settings=False) if queue_uri else None
        self.correlation = str(uuid.uuid4())
        self._garbage, self._unknown = faults.garbage_queue_messages, faults.unknown_events
        faults.garbage_queue_messages = faults.unknown_events = 0  # once, for the next job

    async def emit(self, event: str, **fields: Any) -> None:
        if self._unknown > 0 and event == "JobProgress":
            self._unknown -= 1
            await self._send({"Event": "JobTeleported", "JobId": self.job.id, "Time": now_text()})
        body = {
            **self.common,
            **{k: str(v) for k, v in fields.items()},
            "JobId": self.job.id,
            "Time": fields.get("Time") or now_text(),
            "CorrelationId": self.correlation,
            "Event": event,
        }
        await self._send(body)
        if self._garbage > 0 and event == "JobStart":
            self._garbage -= 1
            if self.queue is not None:
                await self.queue.send_message(base64.b64encode(b"<html>not a report</html>").decode())

    async def item_event(self, event: str, item: dict[str, str], *, code: str, message: str) -> None:
        """JobError or JobWarning about one item (``item``: its ObjectType, Url and Id)."""
        await self.emit(
            event, **item, ErrorCode=code, ErrorType="Microsoft.SharePoint.SPException", Message=message
        )

    async def fatal(self, message: str, *, code: str = "-2147213196") -> None:
        """JobFatalError: the job as a whole failed (no object; the reference's example code)."""
        await self.item_event(
            "JobFatalError", {"ObjectType": "", "Url": "", "Id": ""}, code=code, message=message
        )

    async def _send(self, body: dict[str, Any]) -> None:
        text = json.dumps(body)
        self.job.events.append(text)
        if self.queue is None:
            return
        if self.key:
            iv = os.urandom(16)
            envelope = {
                "Label": "Encrypted",
                "JobId": self.job.id,
                "IV": base64.b64encode(iv).decode(),
                "Content": base64.b64encode(aes(self.key, iv, text.encode(), encrypt=True)).decode(),
            }
            text = json.dumps(envelope)
        await self.queue.send_message(base64.b64encode(text.encode()).decode())

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()
