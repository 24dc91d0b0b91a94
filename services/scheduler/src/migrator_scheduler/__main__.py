"""``python -m migrator_scheduler``."""

from __future__ import annotations

import asyncio

from migrator_scheduler.bootstrap import main

if __name__ == "__main__":
    asyncio.run(main())
