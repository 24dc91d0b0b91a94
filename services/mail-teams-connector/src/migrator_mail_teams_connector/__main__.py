"""``python -m migrator_mail_teams_connector``."""

from __future__ import annotations

import asyncio

from migrator_mail_teams_connector.bootstrap import main

if __name__ == "__main__":
    asyncio.run(main())
