"""``python -m migrator_log_stream``: job log lines from domain events, kept for history and tails."""

from __future__ import annotations

import asyncio

from migrator_log_stream.bootstrap import main

if __name__ == "__main__":
    asyncio.run(main())
