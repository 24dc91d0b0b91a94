"""Moving items between mailboxes: Graph's exportItems and createImportSession, and the
pre-authenticated importItem endpoint on outlook.office365.com that takes what was exported.

The exported ``data`` is our own opaque stream (Exchange's is a FastTransfer stream that only
Exchange reads): a magic, a 4-byte length, a JSON header carrying the item's properties (type,
createdDateTime, lastModifiedDateTime, categories) and then the item's content. Only importItem
reads it, and it restores those properties with the content.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from m365_simulator.exchange import BOX, NOT_FOUND, mailbox_for
from m365_simulator.mailboxes import Item, Mailbox, iso, now_iso
from m365_simulator.odata import bad_request
from m365_simulator.state import ImportSession, SimState
from m365_simulator.throttling import guard_mailbox

MAGIC = b"M365SIM-ITEM\x01"
MAX_EXPORT = 20  # "You can export up to 20 items in a single export request."
SESSION_SECONDS = 3600
graph = APIRouter(prefix="/graph.microsoft.com/v1.0")
outlook = APIRouter(prefix="/outlook.office365.com/api")
_TARGET = re.compile(r"^Mailboxes\('([^']+)'\)$")


def pack(item: Item) -> str:
    header = json.dumps(
        {
            "type": item.type,
            "createdDateTime": item.created,
            "lastModifiedDateTime": item.modified,
            "categories": item.categories,
        }
    ).encode()
    return base64.b64encode(MAGIC + len(header).to_bytes(4, "big") + header + item.content).decode()


def unpack(data: Any) -> tuple[dict[str, Any], bytes]:
    """The header and content of an exported stream (400 ErrorCorruptData for anything else)."""
    try:
        raw = base64.b64decode(data, validate=True) if isinstance(data, str) else b""
        if not raw.startswith(MAGIC):
            raise ValueError("not an exported item")
        start = len(MAGIC) + 4
        end = start + int.from_bytes(raw[len(MAGIC) : start], "big")
        header = json.loads(raw[start:end])
        return header, raw[end:]
    except (ValueError, binascii.Error):
        raise bad_request("The data is corrupt.", "ErrorCorruptData") from None


def _every(counts: dict[str, int], upn: str) -> int:
    return next((k for u, k in counts.items() if u.lower() == upn.lower()), 0)


@graph.post(BOX + "/exportItems")
async def export_items(request: Request, mailbox_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    ids = (await request.json()).get("itemIds")
    if (
        not isinstance(ids, list)
        or not all(isinstance(i, str) for i in ids)
        or not 1 <= len(ids) <= MAX_EXPORT
    ):
        raise bad_request(f"itemIds must hold 1 to {MAX_EXPORT} item ids of this mailbox.")
    every = _every(request.app.state.sim.faults.unexportable_items, box.upn)
    value: list[dict[str, Any]] = []
    for item_id in ids:
        item = box.item(item_id)
        if item is None:  # not in this mailbox (ids of another mailbox included)
            value.append({"itemId": item_id, "error": {"code": "ErrorItemNotFound", "message": NOT_FOUND}})
        elif every and item.index % every == 0:
            error = {"code": "ErrorCorruptData", "message": "The item is corrupt and can't be exported."}
            value.append({"itemId": item_id, "error": error})
        else:
            value.append({"itemId": item.id, "changeKey": item.change_key, "data": pack(item)})
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(exportItemResponse)",
        "value": value,
    }


@graph.post(BOX + "/createImportSession")
async def create_import_session(request: Request, mailbox_id: str) -> JSONResponse:
    _, box = mailbox_for(request, mailbox_id)
    sim: SimState = request.app.state.sim
    session = ImportSession(secrets.token_urlsafe(32), box.id, box.upn, time.time() + SESSION_SECONDS)
    sim.import_sessions[session.token] = session
    # 201, as the import guide says (the createImportSession reference's example shows 200).
    return JSONResponse(
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.mailboxItemImportSession",
            "importUrl": f"https://outlook.office365.com/api/gv1.0/Mailboxes('{box.id}')/importItem"
            f"?authtoken={session.token}",
            "expirationDateTime": iso(datetime.fromtimestamp(session.expires, UTC)),
        },
        201,
    )


def _expired() -> HTTPException:
    """The import guide is silent on how an expired session is refused: 401, as for any token
    that is no longer valid."""
    message = "The import session has expired or is not valid."
    return HTTPException(401, {"code": "InvalidAuthenticationToken", "message": message})


def _session(request: Request, target: str) -> tuple[ImportSession, Mailbox]:
    """The live session the authtoken names, for the mailbox in the URL."""
    sim: SimState = request.app.state.sim
    session = sim.import_sessions.get(request.query_params.get("authtoken", ""))
    match = _TARGET.match(target)
    boxes = [t.mailbox(match[1]) for t in sim.tenants.values()] if match else []
    box = next((b for b in boxes if b is not None), None)
    if session is None or box is None or session.mailbox_id != box.id:
        raise _expired()
    if session.dead or time.time() > session.expires:
        raise _expired()
    guard_mailbox(request, box.upn)
    limit = _every(sim.faults.import_session_max_imports, box.upn)
    if limit and session.imports >= limit:
        session.dead = True  # and stays refused, whatever the fault says later
        raise _expired()
    return session, box


@outlook.post("/{version}/{target}/importItem")
async def import_item(request: Request, version: str, target: str) -> dict[str, Any]:
    session, box = _session(request, target)
    body: dict[str, Any] = await request.json()
    folder = box.resolve(str(body.get("FolderId") or ""))
    if folder is None:
        raise HTTPException(404, {"code": "ErrorFolderNotFound", "message": "The folder was not found."})
    header, content = unpack(body.get("Data"))
    mode, item_id, change_key = body.get("Mode"), body.get("ItemId"), body.get("ChangeKey")
    if mode == "create":
        if item_id or change_key:
            raise bad_request("ItemId and ChangeKey are not allowed in create mode.")
        item = box.add_item(
            folder,
            key="imported",
            size=len(content),
            created=str(header.get("createdDateTime") or now_iso()),
            type_=header.get("type"),
            content=content,
            modified=now_iso(),
        )
        item.categories = list(header.get("categories") or [])
    elif mode == "update":
        if not item_id or not change_key:
            raise bad_request("ItemId and ChangeKey are required in update mode.")
        found = folder.items.get(item_id)
        if found is None:
            raise HTTPException(404, {"code": "ErrorItemNotFound", "message": NOT_FOUND})
        item = found
        if item.change_key != change_key:
            message = (
                "The change key passed in the request does not match the current change key for the item."
            )
            raise HTTPException(409, {"code": "ErrorIrresolvableConflict", "message": message})
        box.change_item(item, content=content, type_=header.get("type"))
    else:
        raise bad_request("Mode must be create or update.")
    session.imports += 1
    return {
        "@odata.context": f"https://outlook.office365.com/api/{version}/$metadata#microsoft.graph.importMailboxItemResponse",
        "itemId": item.id,
        "changeKey": item.change_key,
    }
