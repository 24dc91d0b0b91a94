"""The status API's query over a tree: pick a node by ``level``, filter and page its children."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from atlassian_simulator.cursors import BadCursor, decode, encode
from atlassian_simulator.status_tree import Node


def find(root: Node, level: str | None) -> tuple[Node, str] | None:
    """The node at comma path ``level`` (``migrate,projects,SC``), and its cursor path (``root:migrate``)."""
    node, path = root, ["root"]
    for name in (p.strip() for p in (level or "").split(",") if p.strip()):
        found = next((c for c in node.children if c.name == name), None)
        if found is None:
            return None
        node, path = found, [*path, name]
    return node, ":".join(path)


def _key(path: str, child: Node) -> str:
    status = str(child.fields.get("status", "")).lower()
    return encode(path, status, str(child.fields.get("outcome", "")).lower(), child.name.lower())


def _wanted(value: str | None) -> set[str] | None:
    return {v.strip().upper() for v in value.split(",") if v.strip()} if value else None


def query(
    root: Node,
    *,
    level: str | None,
    expand: bool,
    status: str | None = None,
    outcome: str | None = None,
    cursor: str | None = None,
    page_size: int = 20,
) -> dict[str, Any]:
    """``{"data", "links"}`` as the status API answers; children ordered by name so paging is stable.

    Cursors are inclusive start keys: ``self`` names this page's first child, ``next`` the next page's.
    Raises ``BadCursor`` for a cursor from another node.
    """
    found = find(root, level)
    if found is None:
        return {"data": {}, "links": {}}
    node, path = found
    data, links = dict(node.fields), dict[str, str]()
    if not expand or not node.children:
        return {"data": data, "links": links}
    statuses, outcomes = _wanted(status), _wanted(outcome)
    children: Sequence[Node] = sorted(
        (
            c
            for c in node.children
            if c.listed
            and (statuses is None or c.fields.get("status") in statuses)
            and (outcomes is None or c.fields.get("outcome") in outcomes)
        ),
        key=lambda c: c.name.lower(),
    )
    if cursor:
        cursor_path, _, _, start = decode(cursor, parts=4)
        if cursor_path != path:
            raise BadCursor(cursor)
        children = [c for c in children if c.name.lower() >= start]
    page = children[: max(1, page_size)]
    if page:
        data["children"] = {c.name: c.fields for c in page}
        links["self"] = _key(path, page[0])
    if len(children) > len(page):
        links["next"] = _key(path, children[len(page)])
    return {"data": data, "links": links}
