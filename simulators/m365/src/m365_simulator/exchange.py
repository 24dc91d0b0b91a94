"""Graph's mailbox API (v1.0): users' exchangeSettings, a mailbox's folders and items, their delta
queries, and folder creation and renaming (``/admin/exchange/mailboxes/{id}/...``)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from m365_simulator.auth import tenant_for
from m365_simulator.data import Tenant
from m365_simulator.delta import delta_page
from m365_simulator.mailboxes import Folder, Item, Mailbox
from m365_simulator.odata import bad_request, skip_page
from m365_simulator.throttling import guard_mailbox

GRAPH = "https://graph.microsoft.com/v1.0"
router = APIRouter(prefix="/graph.microsoft.com/v1.0")
BOX = "/admin/exchange/mailboxes/{mailbox_id}"
_TYPE_FILTER = re.compile(r"^\s*type\s+eq\s+'([^']*)'\s*$")
NOT_FOUND = "The specified object was not found in the store."


def mailbox_for(request: Request, mailbox_id: str) -> tuple[Tenant, Mailbox]:
    """The caller's tenant and the mailbox (404 if the tenant has none such), faults applied."""
    tenant = tenant_for(request)
    box = tenant.mailbox(mailbox_id)
    if box is None:
        raise HTTPException(
            404, {"code": "ErrorNonExistentMailbox", "message": f"The mailbox {mailbox_id} doesn't exist."}
        )
    guard_mailbox(request, box.upn)
    return tenant, box


def folder_of(box: Mailbox, ref: str) -> Folder:
    folder = box.resolve(ref)
    if folder is None:
        raise HTTPException(404, {"code": "ErrorItemNotFound", "message": NOT_FOUND})
    return folder


def folder_json(box: Mailbox, folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.id,
        "displayName": folder.name,
        "parentFolderId": folder.parent,
        "parentMailboxUrl": f"{GRAPH}/admin/exchange/mailboxes/{box.id}",
        "childFolderCount": len(box.children(folder.id)),
        "totalItemCount": len(folder.items),
        "wellKnownName": folder.well_known,
        "type": folder.cls,
    }


def item_json(item: Item) -> dict[str, Any]:
    return {
        "@odata.etag": f'W/"{item.change_key}"',
        "id": item.id,
        "createdDateTime": item.created,
        "lastModifiedDateTime": item.modified,
        "changeKey": item.change_key,
        "categories": list(item.categories),
        "type": item.type,
        "size": item.size,
    }


def _folders(request: Request, box: Mailbox, parent: Folder) -> dict[str, Any]:
    folders = box.children(parent.id)
    if flt := request.query_params.get("$filter"):
        match = _TYPE_FILTER.match(flt)
        if match is None:
            raise bad_request(f"Unsupported $filter '{flt}': the simulator filters folders by type only.")
        folders = [f for f in folders if f.cls == match[1]]
    return skip_page(request, [folder_json(box, f) for f in folders])


@router.get("/users/{user_ref}")
async def user(request: Request, user_ref: str) -> dict[str, Any]:
    found = tenant_for(request).user(user_ref)
    if found is None:
        raise HTTPException(
            404, {"code": "Request_ResourceNotFound", "message": f"Resource '{user_ref}' does not exist."}
        )
    return {
        "id": found.id,
        "userPrincipalName": found.upn,
        "displayName": found.display_name,
        "mail": found.upn,
    }


@router.get("/users/{user_ref}/settings/exchange")
async def exchange_settings(request: Request, user_ref: str) -> dict[str, Any]:
    found = tenant_for(request).user(user_ref)
    if found is None or found.mailbox is None:
        raise HTTPException(
            404, {"code": "Request_ResourceNotFound", "message": f"Resource '{user_ref}' does not exist."}
        )
    guard_mailbox(request, found.upn)
    return {"id": found.id, "primaryMailboxId": found.mailbox.id, "archiveMailboxId": None}


@router.get(BOX)
async def mailbox(request: Request, mailbox_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    return {"id": box.id, "deletedDateTime": None}


@router.get(BOX + "/folders")
async def root_folders(request: Request, mailbox_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    return _folders(request, box, box.folders[box.root])


@router.get(BOX + "/folders/delta")
async def folders_delta(request: Request, mailbox_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    return delta_page(request, box, "folders", lambda f: folder_json(box, f))


@router.get(BOX + "/folders/{folder_id}")
async def folder(request: Request, mailbox_id: str, folder_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    return folder_json(box, folder_of(box, folder_id))


@router.get(BOX + "/folders/{folder_id}/childFolders")
async def child_folders(request: Request, mailbox_id: str, folder_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    return _folders(request, box, folder_of(box, folder_id))


@router.get(BOX + "/folders/{folder_id}/childFolders/delta")
async def child_folders_delta(request: Request, mailbox_id: str, folder_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    parent = folder_of(box, folder_id)
    return delta_page(request, box, f"children:{parent.id}", lambda f: folder_json(box, f))


@router.get(BOX + "/folders/{folder_id}/items")
async def items(request: Request, mailbox_id: str, folder_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    where = folder_of(box, folder_id)
    if flt := request.query_params.get("$filter"):
        raise bad_request(f"Unsupported $filter '{flt}': the simulator lists items unfiltered.")
    return skip_page(request, [item_json(i) for i in where.items.values()])


@router.get(BOX + "/folders/{folder_id}/items/delta")
async def items_delta(request: Request, mailbox_id: str, folder_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    where = folder_of(box, folder_id)
    return delta_page(request, box, f"items:{where.id}", item_json)


@router.get(BOX + "/folders/{folder_id}/items/{item_id}")
async def item(request: Request, mailbox_id: str, folder_id: str, item_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    found = folder_of(box, folder_id).items.get(item_id)
    if found is None:
        raise HTTPException(404, {"code": "ErrorItemNotFound", "message": NOT_FOUND})
    return item_json(found)


def _folder_name(box: Mailbox, parent: Folder, name: Any, *, renaming: Folder | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise bad_request("displayName is required.")
    if any(f.name.lower() == name.lower() and f is not renaming for f in box.children(parent.id)):
        # Exchange's answer to a second folder of the same name under one parent.
        raise HTTPException(
            409, {"code": "ErrorFolderExists", "message": "A folder with the specified name already exists."}
        )
    return name


async def _create(request: Request, box: Mailbox, parent: Folder) -> JSONResponse:
    body = await request.json()
    name = _folder_name(box, parent, body.get("displayName"))
    cls = body.get("type")
    # The create page marks type Required: a body without it is refused, not given a default.
    if not isinstance(cls, str) or not cls.startswith("IPF."):
        raise bad_request("type is required: a folder class such as IPF.Note.")
    return JSONResponse(folder_json(box, box.add_folder(name, cls, parent.id)), 201)


@router.post(BOX + "/folders")
async def create_folder(request: Request, mailbox_id: str) -> JSONResponse:
    _, box = mailbox_for(request, mailbox_id)
    return await _create(request, box, box.folders[box.root])


@router.post(BOX + "/folders/{folder_id}/childFolders")
async def create_child_folder(request: Request, mailbox_id: str, folder_id: str) -> JSONResponse:
    _, box = mailbox_for(request, mailbox_id)
    return await _create(request, box, folder_of(box, folder_id))


@router.patch(BOX + "/folders/{folder_id}")
async def update_folder(request: Request, mailbox_id: str, folder_id: str) -> dict[str, Any]:
    _, box = mailbox_for(request, mailbox_id)
    target, body = folder_of(box, folder_id), await request.json()
    if "type" in body:
        raise bad_request("The folder type can't be updated.")
    if "displayName" in body:
        parent = box.folders[target.parent or box.root]
        box.rename_folder(target, _folder_name(box, parent, body["displayName"], renaming=target))
    return folder_json(box, target)
