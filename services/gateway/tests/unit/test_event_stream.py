"""An event stream stops the moment its client goes away, even while it has nothing to send."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from migrator_gateway.api.event_stream import EventStream


async def test_a_disconnect_ends_an_idle_stream_at_once() -> None:
    cleaned_up = asyncio.Event()
    sent: list[dict[str, Any]] = []
    gone = asyncio.Event()

    async def frames() -> AsyncIterator[bytes]:
        try:
            yield b"event: log\r\nid: 1\r\ndata: {}\r\n\r\n"
            await asyncio.sleep(3600)  # idle: nothing to send for an hour
            yield b"never"
        finally:
            cleaned_up.set()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
    task = asyncio.create_task(EventStream(frames())(scope, receive, send))
    await asyncio.sleep(0.05)
    assert sent[0]["type"] == "http.response.start" and (
        b"text/event-stream" in dict(sent[0]["headers"])[b"content-type"]
    )
    assert sent[1]["body"].startswith(b"event: log")
    gone.set()  # the client closes the connection
    await asyncio.wait_for(task, 1)
    assert cleaned_up.is_set()


async def test_a_finished_stream_does_not_wait_for_the_client() -> None:
    async def frames() -> AsyncIterator[bytes]:
        yield b"event: done\r\ndata: {}\r\n\r\n"

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(EventStream(frames())({"type": "http"}, receive, send), 1)
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
