"""``python -m atlassian_simulator``: serve until SIGINT/SIGTERM, announcing the address when listening."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from atlassian_simulator.app import create_app
from atlassian_simulator.config import SimSettings


async def main() -> None:
    settings = SimSettings()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(128)  # connections made right after the READY line wait in the backlog, not refused
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", access_log=False))
    print(f"ATLSIM_READY http://{settings.host}:{sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])


if __name__ == "__main__":
    asyncio.run(main())
