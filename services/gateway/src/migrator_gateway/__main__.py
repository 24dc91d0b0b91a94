"""``python -m migrator_gateway``: serve the API with uvicorn (graceful shutdown on SIGTERM/SIGINT)."""

from __future__ import annotations

import uvicorn
from migrator_platform.structured_logs import configure_logging

from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging(service="gateway", level=settings.log_level, fmt=settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
