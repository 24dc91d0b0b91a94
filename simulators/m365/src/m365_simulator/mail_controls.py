"""Test controls for mailboxes (under ``/_sim``): what a mailbox holds, generated mailboxes for scale
tests, edits as the mailbox's owner would make them, and ageing its delta tokens out."""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from m365_simulator.data import Tenant, User
from m365_simulator.mailbox_gen import generated_mailbox, make_folder
from m365_simulator.mailboxes import Mailbox, now_iso
from m365_simulator.state import SimState

router = APIRouter(prefix="/_sim")


def _owner(request: Request, upn: str) -> tuple[Tenant | None, User | None]:
    sim: SimState = request.app.state.sim
    tenant = sim.tenant(upn.rsplit("@", 1)[-1])
    return tenant, tenant.user(upn) if tenant else None


def _box(request: Request, upn: str) -> Mailbox | None:
    _, user = _owner(request, upn)
    return user.mailbox if user else None


def _missing(upn: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": f"no mailbox for {upn}"}, status_code=404)


@router.get("/mailboxes")
async def mailbox_content(request: Request, upn: str) -> dict[str, Any]:
    """Every folder but the root, by path, with its items (SHA-256 of their content): what a
    fidelity test compares between a source mailbox and its destination."""
    box = _box(request, upn)
    if box is None:
        return {"upn": upn, "exists": False, "mailboxId": None, "folders": []}
    folders = sorted((box.path(f), f) for f in box.folders.values() if f.parent)
    return {
        "upn": upn,
        "exists": True,
        "mailboxId": box.id,
        "folders": [
            {
                "path": path,
                "type": folder.cls,
                "items": sorted(
                    (
                        {
                            "id": i.id,
                            "type": i.type,
                            "size": i.size,
                            "sha256": hashlib.sha256(i.content).hexdigest(),
                            "createdDateTime": i.created,
                        }
                        for i in folder.items.values()
                    ),
                    key=lambda row: (row["createdDateTime"], row["sha256"]),
                ),
            }
            for path, folder in folders
        ],
    }


@router.post("/mailboxes")
async def create_mailbox(request: Request) -> JSONResponse:
    """``{"upn", "items": N, "seed": S, "folders": F}``: the user (created if absent, in the tenant
    of the UPN's domain) gets a generated mailbox; N = 0 leaves only the default folders."""
    body = await request.json()
    upn, seed = str(body["upn"]), int(body.get("seed", 1))
    tenant, user = _owner(request, upn)
    if tenant is None:
        return JSONResponse({"ok": False, "error": "no such tenant"}, status_code=404)
    if user is None:
        local = upn.split("@", 1)[0]
        user_id = str(uuid.UUID(int=random.Random(f"{seed}:{upn}:user").getrandbits(128), version=4))
        user = User(id=user_id, upn=upn, display_name=local.replace(".", " ").title())
        tenant.users.append(user)
    user.mailbox = generated_mailbox(
        upn, items=int(body.get("items", 0)), seed=seed, folders=int(body.get("folders", 0))
    )
    made = user.mailbox.all_items()
    return JSONResponse(
        {
            "ok": True,
            "upn": upn,
            "mailboxId": user.mailbox.id,
            "items": len(made),
            "bytes": sum(i.size for i in made),
        }
    )


@router.post("/mailboxes/changes")
async def change_mailbox(request: Request, upn: str) -> JSONResponse:
    """Edit a mailbox: ``{"add": [{"folder": "Inbox/Projects", "size": 2048}], "change": [itemId],
    "delete": [itemId], "addFolders": [path], "renameFolders": {path: name}, "deleteFolders": [path]}``.
    A changed item gets new content and a new changeKey. Answers the added items' ids."""
    box, body = _box(request, upn), await request.json()
    if box is None:
        return _missing(upn)
    for path in body.get("addFolders") or []:
        make_folder(box, path)
    added, unknown = [], []
    for spec in body.get("add") or []:
        folder = box.by_path(spec["folder"])
        if folder is None:
            unknown.append(spec["folder"])
            continue
        key = f"{box.id}:added:{box.made}"
        added.append(box.add_item(folder, key=key, size=int(spec.get("size", 1024)), created=now_iso()).id)
    for item_id in [*(body.get("change") or []), *(body.get("delete") or [])]:
        if box.item(item_id) is None:
            unknown.append(item_id)
    for item_id in body.get("change") or []:
        if item := box.item(item_id):
            box.change_item(item)
    for item_id in body.get("delete") or []:
        if item := box.item(item_id):
            box.delete_item(item)
    for path, name in (body.get("renameFolders") or {}).items():
        if folder := box.by_path(path):
            box.rename_folder(folder, name)
        else:
            unknown.append(path)
    for path in body.get("deleteFolders") or []:
        if folder := box.by_path(path):
            box.delete_folder(folder)
        else:
            unknown.append(path)
    return JSONResponse({"ok": not unknown, "added": added, "unknown": unknown})


@router.post("/mailboxes/expire-delta")
async def expire_delta(request: Request, upn: str) -> JSONResponse:
    """Delta tokens issued so far for this mailbox are refused from now on (410 syncStateNotFound)."""
    box = _box(request, upn)
    if box is None:
        return _missing(upn)
    box.epoch += 1
    return JSONResponse({"ok": True})
