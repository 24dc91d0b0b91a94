"""``python -m migrator_atlassian_connector``: the Atlassian migration API connector.

Today it joins the bus (streams, readiness, graceful shutdown) so the system's shape and
`/readyz` are complete; its handlers come with its own issue.
"""

from __future__ import annotations

import asyncio

from migrator_platform.service import build_runtime, run_service
from migrator_platform.settings import ServiceSettings


async def main() -> None:
    """Serve until SIGTERM / SIGINT."""
    await run_service(build_runtime("atlassian-connector", ServiceSettings()))


if __name__ == "__main__":
    asyncio.run(main())
