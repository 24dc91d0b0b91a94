"""``python -m m365_simulator``: serve until SIGINT/SIGTERM, announcing the address when listening."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from m365_simulator.app import create_app
from m365_simulator.config import SimSettings


async def main() -> None:
    settings = SimSettings()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", access_log=False))
    print(f"M365SIM_READY http://{settings.host}:{sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])


if __name__ == "__main__":
    asyncio.run(main())
