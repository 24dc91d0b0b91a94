"""Reading a task's status tree: every page of a node's children, breadth first.

The tree is eventually consistent (a child may lag its parent, apps finish after migrate), so
a reading is a point-in-time snapshot: the caller takes another until the nodes it needs are
FINISHED. Progress details exist only while a node is in its current phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator_atlassian_connector.adapters.migration_api import MigrationApi
from migrator_atlassian_connector.domain.status_nodes import Node, node_of


async def expand(
    api: MigrationApi, job_id: str, task_id: str, level: str | None
) -> tuple[Node | None, dict[str, Node]]:
    """The node at ``level`` and all its children, following ``links.next`` to the last page.
    (None, {}) when the node does not exist (yet: the tree fills in eventually)."""
    node: Node | None = None
    children: dict[str, Node] = {}
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = await api.status(job_id, task_id, level=level, expand_children=True, cursor=cursor)
        data = page.get("data") or {}
        if not data:
            return node, children
        node = node or node_of(data)
        for name, child in (data.get("children") or {}).items():
            children[name] = node_of(child)
        following = (page.get("links") or {}).get("next")
        if not following or following in seen:
            return node, children
        seen.add(following)
        cursor = following


@dataclass
class Snapshot:
    """A migrate task at one moment: its root, its check level, checks, scopes and the items
    (projects or spaces)."""

    root: Node
    check: Node | None = None
    checks: dict[str, Node] = field(default_factory=dict)
    scopes: dict[str, Node] = field(default_factory=dict)
    items: dict[str, Node] = field(default_factory=dict)


async def check_results(api: MigrationApi, job_id: str, task_id: str) -> tuple[Node | None, dict[str, Node]]:
    """A check task: the overall verdict and each check (check tasks have no levels)."""
    return await expand(api, job_id, task_id, None)


async def migration_snapshot(
    api: MigrationApi,
    job_id: str,
    task_id: str,
    container: str,
    *,
    detail: bool = False,
    check: bool = False,
) -> Snapshot:
    """Breadth first: the root, then the items under ``migrate,{container}`` (projects or
    spaces); with ``check``, the check level first, as the status guide says (its error is
    where a migration that could not be scheduled shows), and its checks when it FAILED; with
    ``detail``, the checks and the scopes under migrate too. A job being followed reads only
    what it reports: each reading spends the site's 600 reads a minute, shared by every job on it."""
    root, _ = await expand(api, job_id, task_id, None)
    level: Node | None = None
    checks: dict[str, Node] = {}
    scopes: dict[str, Node] = {}
    if check and not detail:
        page = await api.status(job_id, task_id, level="check")
        level = node_of(page["data"]) if page.get("data") else None
        if level is not None and level.finished and level.outcome == "FAILED":
            _, checks = await expand(api, job_id, task_id, "check")
    if detail:
        level, checks = await expand(api, job_id, task_id, "check")
        _, scopes = await expand(api, job_id, task_id, "migrate")
    _, items = await expand(api, job_id, task_id, f"migrate,{container}")
    return Snapshot(root=root or Node("PENDING"), check=level, checks=checks, scopes=scopes, items=items)
