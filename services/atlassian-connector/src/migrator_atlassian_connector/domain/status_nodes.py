"""A node of Atlassian's migration status tree, as read: its status, outcome and progress.

The tree is eventually consistent, so a node is a point-in-time reading; progress details
exist only while a node is in its current phase."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FINISHED = "FINISHED"


@dataclass(frozen=True)
class Node:
    status: str
    outcome: str | None = None
    message: str | None = None
    progress: dict[str, Any] | None = None
    details: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status == FINISHED

    def processed(self) -> tuple[int, int] | None:
        """(processed, total) summed over the progress data, while in progress and supported."""
        if not self.progress or not self.progress.get("isSupported"):
            return None
        data = self.progress.get("data") or []
        return sum(int(d.get("processed", 0)) for d in data), sum(int(d.get("total", 0)) for d in data)


def node_of(data: dict[str, Any]) -> Node:
    return Node(
        status=str(data.get("status") or "PENDING"),
        outcome=data.get("outcome"),
        message=data.get("message"),
        progress=data.get("progressDetails"),
        details=data.get("details"),
    )
