"""``python -m migrator_sp_connector``."""

from __future__ import annotations

import asyncio

from migrator_sp_connector.bootstrap import main

if __name__ == "__main__":
    asyncio.run(main())
