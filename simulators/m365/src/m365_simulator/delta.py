"""Delta query rounds over a mailbox's change log (folders of the mailbox, or items of a folder).

A round lists what changed after the round's start token up to the mailbox's change number when
the round began, in change order; its pages carry ``@odata.nextLink`` and the last one an
``@odata.deltaLink`` holding the state for the next round. Removals are reported only to a round
that continues an earlier one. Something changed during a round is in the next round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request

from m365_simulator.mailboxes import Folder, Item, Mailbox
from m365_simulator.odata import bad_request, decode_token, encode_token, link, page_size

Render = Callable[[Any], dict[str, Any]]


def _gone(request: Request) -> HTTPException:
    """A token the mailbox no longer honours: 410 with the URL of a new full round in Location,
    as Graph's delta query overview describes, and the documented syncStateNotFound code."""
    return HTTPException(
        410,
        {
            "code": "syncStateNotFound",
            "message": "The sync state is no longer available. Start a full synchronization.",
        },
        headers={"Location": link(request, {})},
    )


def delta_page(request: Request, box: Mailbox, scope: str, render: Render) -> dict[str, Any]:
    """One page of a delta round over ``scope``: ``folders`` (every folder), ``children:{id}``
    (a folder's subfolders) or ``items:{id}`` (a folder's items)."""
    raw = request.query_params.get("$deltatoken") or request.query_params.get("$skiptoken")
    since, upto, after, size = 0, box.seq, 0, page_size(request)
    if raw:
        state = decode_token(raw)
        if state is None:
            raise bad_request("The delta or skip token is malformed.")
        if (state.get("m"), state.get("f")) != (box.id, scope):
            raise bad_request("The token belongs to another collection.")
        if state.get("e") != box.epoch:
            raise _gone(request)
        since = int(state["s"])
        upto, after = (int(state["u"]), int(state["a"])) if "u" in state else (box.seq, since)
        size = page_size(request, default=int(state.get("n", size)))
    entries = _changes(box, scope, since, after, upto)
    page = entries[:size]
    body: dict[str, Any] = {
        "value": [
            render(x) if not isinstance(x, str) else {"id": x, "@removed": {"reason": "deleted"}}
            for _, x in page
        ]
    }
    common = {"m": box.id, "f": scope, "e": box.epoch}
    if len(entries) > size:
        state = common | {"s": since, "u": upto, "a": page[-1][0], "n": size}
        body["@odata.nextLink"] = link(request, {"$skiptoken": encode_token(state)})
    else:
        body["@odata.deltaLink"] = link(request, {"$deltatoken": encode_token(common | {"s": upto})})
    return body


def _changes(box: Mailbox, scope: str, since: int, after: int, upto: int) -> list[tuple[int, Any]]:
    kind, _, folder_id = scope.partition(":")
    live: list[Folder] | list[Item]
    if kind == "items":
        live = list(box.folders[folder_id].items.values())
    else:
        live = [f for f in box.folders.values() if f.parent and (kind == "folders" or f.parent == folder_id)]
    found: list[tuple[int, Any]] = [(x.changed, x) for x in live if after < x.changed <= upto]
    if since > 0:  # a first round lists what is there; only a later one hears of removals
        for seq, gone, what, parent in box.removed:
            mine = what == "item" if kind == "items" else what == "folder"
            if mine and (kind == "folders" or parent == folder_id) and after < seq <= upto:
                found.append((seq, gone))
    return sorted(found, key=lambda entry: entry[0])
