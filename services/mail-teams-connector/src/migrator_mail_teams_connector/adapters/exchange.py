"""The Graph mailbox import and export API (v1.0), as a mailbox migration uses it.

Steps as Microsoft's overview lists them: the user's mailbox id from ``settings/exchange``;
folders and items by delta query (``@odata.nextLink`` pages, an ``@odata.deltaLink`` at the end
to continue from next time); ``exportItems`` at most 20 ids at a time, each item answered with
its opaque data or an error of its own; folders created at the destination; items imported
through a pre-authenticated ``importUrl`` from ``createImportSession``, never altered, and
replaced once it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from migrator_microsoft.graph import GraphClient, GraphError

from migrator_mail_teams_connector.domain.folders import Folder

EXPORT_BATCH = 20  # exportItems takes at most 20 ids per request
PERMISSION = "MailboxItem.ImportExport.All"  # what the app needs on a mailbox to move it
# What an import URL answers once its session has expired (the page: "the importUrl expires and is
# deleted"; it does not say with which status, so any of these means: start a new session).
SESSION_GONE = frozenset({401, 403, 404, 410})


@dataclass(frozen=True)
class Item:
    id: str
    change_key: str
    size: int
    created: str


@dataclass
class ItemPage:
    items: list[Item]
    next_link: str | None
    delta_link: str | None


@dataclass(frozen=True)
class Exported:
    """One item of an ``exportItems`` answer: its data, or why it could not be exported."""

    item_id: str
    change_key: str
    data: str | None
    error_code: str = ""
    error_message: str = ""


class ImportSessionExpired(Exception):
    """The import URL no longer takes items: create a new session and send the item again."""


@dataclass(frozen=True)
class ImportSession:
    url: str
    expires_at: datetime


class ExchangeApi:
    """Calls on one tenant's mailboxes, through its Graph client."""

    def __init__(self, graph: GraphClient, *, page_size: int = 100) -> None:
        self._graph, self._page_size = graph, page_size

    @staticmethod
    def _mailbox(mailbox_id: str) -> str:
        return f"/admin/exchange/mailboxes/{mailbox_id}"

    async def mailbox_id(self, tenant_id: str, upn: str) -> str:
        """The user's primary mailbox (``MBX:…``)."""
        settings = await self._graph.get_json(tenant_id, f"/users/{upn}/settings/exchange")
        return str(settings["primaryMailboxId"])

    async def folders(self, tenant_id: str, mailbox_id: str) -> list[Folder]:
        """Every folder of the mailbox (the folder delta, read to its end)."""
        folders: list[Folder] = []
        link: str | None = f"{self._mailbox(mailbox_id)}/folders/delta"
        while link:
            body = await self._graph.page(tenant_id, link)
            folders += [_folder(f) for f in body.get("value", []) if "@removed" not in f]
            link = body.get("@odata.nextLink")
        return folders

    def items_delta(self, mailbox_id: str, folder_id: str) -> str:
        """Where a folder's item delta starts when nothing was read before."""
        return f"{self._mailbox(mailbox_id)}/folders/{folder_id}/items/delta"

    async def items_page(self, tenant_id: str, link: str) -> ItemPage:
        """One page of a folder's items (a delta page: new and changed items; removed ones skipped)."""
        body = await self._graph.page(
            tenant_id, link, headers={"Prefer": f"odata.maxpagesize={self._page_size}"}
        )
        return ItemPage(
            items=[_item(i) for i in body.get("value", []) if "@removed" not in i],
            next_link=body.get("@odata.nextLink"),
            delta_link=body.get("@odata.deltaLink"),
        )

    async def folder_items(self, tenant_id: str, mailbox_id: str, folder_id: str) -> list[Item]:
        """Every item of a folder as it is now (to reconcile an import whose answer was lost)."""
        items: list[Item] = []
        link: str | None = f"{self._mailbox(mailbox_id)}/folders/{folder_id}/items"
        while link:
            body = await self._graph.page(tenant_id, link)
            items += [_item(i) for i in body.get("value", [])]
            link = body.get("@odata.nextLink")
        return items

    async def export(self, tenant_id: str, mailbox_id: str, item_ids: list[str]) -> list[Exported]:
        """Full-fidelity export of up to 20 items, in the order asked."""
        if not 0 < len(item_ids) <= EXPORT_BATCH:
            raise ValueError(f"exportItems takes 1 to {EXPORT_BATCH} ids, not {len(item_ids)}")
        body = await self._graph.post_json(
            tenant_id, f"{self._mailbox(mailbox_id)}/exportItems", {"itemIds": item_ids}
        )
        answers = {str(a.get("itemId")): a for a in (body or {}).get("value", [])}
        exported = []
        for item_id in item_ids:
            answer = answers.get(item_id) or {"error": {"code": "NoAnswer", "message": "not in the answer"}}
            error = answer.get("error") or {}
            exported.append(
                Exported(
                    item_id=item_id,
                    change_key=str(answer.get("changeKey") or ""),
                    data=None if error else answer.get("data"),
                    error_code=str(error.get("code") or ""),
                    error_message=str(error.get("message") or ""),
                )
            )
        return exported

    async def create_folder(
        self, tenant_id: str, mailbox_id: str, *, parent_id: str | None, name: str, folder_type: str
    ) -> Folder:
        """A folder under ``parent_id`` (None: at the mailbox's root)."""
        where = f"/folders/{parent_id}/childFolders" if parent_id else "/folders"
        body = await self._graph.post_json(
            tenant_id, f"{self._mailbox(mailbox_id)}{where}", {"displayName": name, "type": folder_type}
        )
        return _folder(body)

    async def import_session(self, tenant_id: str, mailbox_id: str) -> ImportSession:
        """A new import session: its pre-authenticated URL and when it expires."""
        body = await self._graph.post_json(tenant_id, f"{self._mailbox(mailbox_id)}/createImportSession")
        expires = str(body["expirationDateTime"]).replace("Z", "+00:00")
        return ImportSession(url=str(body["importUrl"]), expires_at=datetime.fromisoformat(expires))

    async def import_item(
        self,
        tenant_id: str,
        session: ImportSession,
        *,
        folder_id: str,
        data: str,
        replace: tuple[str, str] | None = None,
    ) -> tuple[str, str]:
        """(new item id, change key) of an exported item imported into ``folder_id``, or, with
        ``replace`` (item id, change key), of that destination item updated with the data (the
        item changed at the source)."""
        body: dict[str, Any] = {"FolderId": folder_id, "Mode": "create", "Data": data}
        if replace:
            body |= {"Mode": "update", "ItemId": replace[0], "ChangeKey": replace[1]}
        try:
            response = await self._graph.request("POST", tenant_id, session.url, json=body, authorized=False)
        except GraphError as exc:
            if exc.status in SESSION_GONE:
                raise ImportSessionExpired(str(exc)) from exc
            raise
        answer = response.json()
        return str(answer.get("ItemId") or answer.get("itemId")), str(
            answer.get("ChangeKey") or answer.get("changeKey") or ""
        )


def _folder(raw: dict[str, Any]) -> Folder:
    return Folder(
        id=str(raw["id"]),
        name=str(raw.get("displayName") or ""),
        parent_id=str(raw.get("parentFolderId") or ""),
        type=str(raw.get("type") or "IPF.Note"),
        total_items=int(raw.get("totalItemCount") or 0),
    )


def _item(raw: dict[str, Any]) -> Item:
    return Item(
        id=str(raw["id"]),
        change_key=str(raw.get("changeKey") or ""),
        size=int(raw.get("size") or 0),
        created=str(raw.get("createdDateTime") or ""),
    )
