"""Where Microsoft endpoints live: the real hosts, or the simulator when one is configured."""

from __future__ import annotations

from urllib.parse import urlsplit

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"


class Endpoints:
    """Maps a real Microsoft URL to the address actually called."""

    def __init__(self, base_url: str | None) -> None:
        self._base = base_url.rstrip("/") if base_url else None

    def resolve(self, url: str) -> str:
        """``https://host/path`` unchanged in production, ``{base}/host/path`` against the simulator."""
        if self._base is None:
            return url
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self._base}/{parts.netloc}{parts.path}{query}"

    def unresolve(self, url: str) -> str:
        """The inverse of :meth:`resolve` (for @odata.nextLink and __next links from the simulator)."""
        if self._base is None or not url.startswith(self._base + "/"):
            return url
        rest = url[len(self._base) + 1 :]
        return f"https://{rest}"
