"""``python -m migrator_atlassian_connector``: Atlassian tenants and JIRA / CONFLUENCE migrations."""

from __future__ import annotations

import asyncio

from migrator_atlassian_connector.bootstrap import main

if __name__ == "__main__":
    asyncio.run(main())
