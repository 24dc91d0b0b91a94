"""``python -m migrator_device_hub``: Windows agents, their registrations and command queues."""

from __future__ import annotations

import asyncio

from migrator_device_hub.bootstrap import main

if __name__ == "__main__":
    asyncio.run(main())
