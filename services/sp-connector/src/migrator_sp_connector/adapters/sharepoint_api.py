"""A client of the SharePoint REST endpoints a site migration uses (``odata=verbose``).

429/503/504 are retried after Retry-After (or with backoff); 500 is not retried, as the
GetMigrationJobProgress reference says, and surfaces as :class:`SharePointError`.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from aiolimiter import AsyncLimiter
from migrator_microsoft.endpoints import Endpoints
from migrator_platform.throttling import Throttled, raise_if_throttled, retrying

DOWNLOAD_CHUNK = 1 << 20
_VERBOSE = {"Accept": "application/json;odata=verbose", "Content-Type": "application/json;odata=verbose"}


class AccessTokens(Protocol):
    """Bearer tokens for a connected tenant."""

    async def access_token(self, tenant_id: str) -> str: ...

    def forget(self, tenant_id: str) -> None: ...


@dataclass(frozen=True)
class ReadJobInfo:
    """What CreateSPAsyncReadJob answers that we keep: the job, and the change token to start from next."""

    job_id: str
    change_token: str


@dataclass(frozen=True)
class SiteList:
    """A list of a site, as ``web/lists`` describes it."""

    title: str
    root: str  # its root folder, server-relative: /sites/marketing/Shared Documents
    template: int  # BaseTemplate: 101 a document library
    hidden: bool
    items: int

    @property
    def is_library(self) -> bool:
        return self.template == DOCUMENT_LIBRARY and not self.hidden

    @property
    def is_item_list(self) -> bool:
        """A list of items (with columns and attachments), not of files."""
        return self.template in ITEM_LISTS and not self.hidden


DOCUMENT_LIBRARY = 101
# Generic list, links, announcements, contacts, events, tasks: items with columns and attachments.
ITEM_LISTS = frozenset({100, 103, 104, 105, 106, 107})


class SharePointError(Exception):
    """A non-retryable SharePoint answer; ``code`` is the SharePoint error code when it gave one."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"SharePoint {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class SharePointApi:
    """Calls ``{site}/_api/...`` with the tenant's token, retrying throttling politely."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        endpoints: Endpoints,
        tokens: AccessTokens,
        max_attempts: int = 8,
        requests_per_minute: int = 6000,
    ) -> None:
        self._http, self._endpoints, self._tokens = http, endpoints, tokens
        self._max_attempts = max_attempts
        self._per_minute = requests_per_minute
        self._budgets: dict[str, AsyncLimiter] = {}

    def _budget(self, tenant_id: str) -> AsyncLimiter:
        """A tenant's request budget: SharePoint limits an app per tenant, so we pace ourselves."""
        if tenant_id not in self._budgets:
            self._budgets[tenant_id] = AsyncLimiter(self._per_minute, 60)
        return self._budgets[tenant_id]

    async def _call(
        self,
        method: str,
        tenant_id: str,
        url: str,
        *,
        json: Any = None,
        stream: bool = False,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The answer to a call, after throttling and a renewed token; with ``stream``, its body
        not yet read (the caller closes it)."""
        renewed = False
        async for attempt in retrying(self._max_attempts):
            with attempt:
                await self._budget(tenant_id).acquire()
                token = await self._tokens.access_token(tenant_id)
                request = self._http.build_request(
                    method,
                    self._endpoints.resolve(url),
                    json=json,
                    headers={**_VERBOSE, **(headers or {}), "Authorization": f"Bearer {token}"},
                )
                response = await self._http.send(request, stream=stream)
                if response.status_code >= 400 and stream:
                    await response.aread()  # an error's body is small, and says why
                    await response.aclose()
                raise_if_throttled(response)
                if response.status_code == 401 and not renewed:
                    # A token revoked early: ask for a new one, once. A tenant whose consent
                    # was withdrawn gets none (ConsentLost), which says what to do.
                    renewed = True
                    self._tokens.forget(tenant_id)
                    raise Throttled(401, 0.0)
                if response.status_code >= 400:
                    raise _error(response, url)
        return response

    @asynccontextmanager
    async def download_stream(
        self, tenant_id: str, site_url: str, server_relative_url: str, *, version: int | None = None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """A file's content (or an earlier version's) as it arrives, ``DOWNLOAD_CHUNK`` at a
        time: a file of any size passes through in constant memory."""
        literal = _url_literal(server_relative_url)
        which = f"/versions({version})" if version is not None else ""
        url = f"{site_url}/_api/web/GetFileByServerRelativeUrl('{literal}'){which}/$value"
        response = await self._call("GET", tenant_id, url, stream=True)
        try:
            yield response.aiter_bytes(DOWNLOAD_CHUNK)
        finally:
            await response.aclose()

    async def lists(self, tenant_id: str, site_url: str) -> list[SiteList]:
        """Every list of the site, document libraries and others, with its root folder."""
        fields = "Title,BaseTemplate,Hidden,ItemCount,RootFolder/ServerRelativeUrl"
        url = f"{site_url}/_api/web/lists?$select={fields}&$expand=RootFolder"
        body = (await self._call("GET", tenant_id, url)).json()["d"]
        return [
            SiteList(
                title=str(row["Title"]),
                root=str(row["RootFolder"]["ServerRelativeUrl"]),
                template=int(row["BaseTemplate"]),
                hidden=bool(row.get("Hidden")),
                items=int(row.get("ItemCount") or 0),
            )
            for row in body.get("results", [])
        ]

    async def create_list(
        self, tenant_id: str, site_url: str, *, name: str, title: str, template: int = DOCUMENT_LIBRARY
    ) -> None:
        """A list whose root folder is named ``name`` (``Lists/<name>`` for a list of items),
        titled ``title``: SharePoint names the root folder after the title it is created with,
        so it is created with the folder's name and then given its title."""
        body = {"__metadata": {"type": "SP.List"}, "Title": name, "BaseTemplate": template}
        await self._call("POST", tenant_id, f"{site_url}/_api/web/lists", json=body)
        if title != name:
            await self._call(
                "POST",
                tenant_id,
                f"{site_url}/_api/web/lists/GetByTitle('{_url_literal(name)}')",
                json={"__metadata": {"type": "SP.List"}, "Title": title},
                headers={"X-HTTP-Method": "MERGE", "IF-MATCH": "*"},
            )

    async def list_columns(self, tenant_id: str, site_url: str, title: str) -> list[str]:
        """A list's columns by internal name."""
        url = f"{site_url}/_api/web/lists/GetByTitle('{_url_literal(title)}')/fields"
        body = (await self._call("GET", tenant_id, url)).json()
        return [str(f["InternalName"]) for f in body["d"]["results"]]

    async def add_text_column(self, tenant_id: str, site_url: str, title: str, column: str) -> None:
        url = f"{site_url}/_api/web/lists/GetByTitle('{_url_literal(title)}')/fields"
        body = {"__metadata": {"type": "SP.Field"}, "Title": column, "FieldTypeKind": 2}
        await self._call("POST", tenant_id, url, json=body)

    async def groups(self, tenant_id: str, site_url: str) -> dict[str, list[str]]:
        """The site's SharePoint groups by title, with their members (user principal names)."""
        body = (await self._call("GET", tenant_id, f"{site_url}/_api/web/sitegroups?$expand=Users")).json()
        return {
            str(g["Title"]): [
                str(u["LoginName"]).rsplit("|", 1)[-1] for u in (g.get("Users") or {}).get("results", [])
            ]
            for g in body["d"]["results"]
        }

    async def create_group(self, tenant_id: str, site_url: str, title: str) -> None:
        body = {"__metadata": {"type": "SP.Group"}, "Title": title}
        await self._call("POST", tenant_id, f"{site_url}/_api/web/sitegroups", json=body)

    async def add_to_group(self, tenant_id: str, site_url: str, title: str, upn: str) -> None:
        body = {"__metadata": {"type": "SP.User"}, "LoginName": f"i:0#.f|membership|{upn}"}
        url = f"{site_url}/_api/web/sitegroups/GetByName('{_url_literal(title)}')/users"
        await self._call("POST", tenant_id, url, json=body)

    async def role_definitions(self, tenant_id: str, site_url: str) -> dict[str, str]:
        """The site's role definitions: name -> base permissions."""
        body = (await self._call("GET", tenant_id, f"{site_url}/_api/web/roledefinitions")).json()
        return {str(r["Name"]): str(r.get("BasePermissions") or "") for r in body["d"]["results"]}

    async def create_role_definition(
        self, tenant_id: str, site_url: str, name: str, base_permissions: str
    ) -> None:
        body = {
            "__metadata": {"type": "SP.RoleDefinition"},
            "Name": name,
            "BasePermissions": base_permissions,
        }
        await self._call("POST", tenant_id, f"{site_url}/_api/web/roledefinitions", json=body)

    async def reset_inheritance(
        self, tenant_id: str, site_url: str, server_relative_url: str, *, folder: bool
    ) -> bool:
        """An item inherits its permissions again (its unique ones go); False if it is not there."""
        getter = "GetFolderByServerRelativeUrl" if folder else "GetFileByServerRelativeUrl"
        url = (
            f"{site_url}/_api/web/{getter}('{_url_literal(server_relative_url)}')"
            "/ListItemAllFields/ResetRoleInheritance()"
        )
        try:
            await self._call("POST", tenant_id, url)
        except SharePointError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def provision_containers(self, tenant_id: str, site_url: str) -> tuple[str, str, bytes]:
        """(data container SAS URI, manifest container SAS URI, encryption key) provided by SharePoint."""
        info = (
            await self._call("POST", tenant_id, f"{site_url}/_api/site/ProvisionMigrationContainers")
        ).json()
        body = info["d"]["ProvisionMigrationContainers"]
        return body["DataContainerUri"], body["MetadataContainerUri"], base64.b64decode(body["EncryptionKey"])

    async def provision_queue(self, tenant_id: str, site_url: str) -> str:
        """The SAS URI of a reporting queue for this site's jobs."""
        info = (await self._call("POST", tenant_id, f"{site_url}/_api/site/ProvisionMigrationQueue")).json()
        return str(info["d"]["ProvisionMigrationQueue"]["JobQueueUri"])

    async def create_job_encrypted(
        self,
        tenant_id: str,
        site_url: str,
        *,
        web_id: str,
        data_uri: str,
        manifest_uri: str,
        queue_uri: str,
        key: bytes,
    ) -> str:
        """Submit the import; returns SharePoint's migration job id."""
        body = {
            "options": {"AES256CBCKey": base64.b64encode(key).decode()},
            "gWebId": web_id,
            "azureContainerSourceUri": data_uri,
            "azureContainerManifestUri": manifest_uri,
            "azureQueueReportUri": queue_uri,
        }
        info = (
            await self._call(
                "POST", tenant_id, f"{site_url}/_api/site/CreateMigrationJobEncrypted", json=body
            )
        ).json()
        return str(info["d"]["CreateMigrationJobEncrypted"])

    async def create_read_job(
        self,
        tenant_id: str,
        site_url: str,
        *,
        urls: list[str],
        options: dict[str, Any],
        key: bytes,
        manifest_uri: str,
        queue_uri: str,
    ) -> ReadJobInfo:
        """Start an AMR read (CreateSPAsyncReadJob, or its multi-URL form for several URLs)."""
        method = "CreateSPAsyncReadJob" if len(urls) == 1 else "CreateSPAsyncReadJobWithMultiUrl"
        body: dict[str, Any] = {
            "readOptions": options,
            "encryptionOption": {"AES256CBCKey": base64.b64encode(key).decode()},
            "azureContainerManifestUri": manifest_uri,
            "azureQueueReportUri": queue_uri,
        }
        body |= {"url": urls[0]} if len(urls) == 1 else {"urls": urls}
        info = (await self._call("POST", tenant_id, f"{site_url}/_api/site/{method}", json=body)).json()
        job = info["d"][method]
        return ReadJobInfo(job_id=str(job["JobId"]), change_token=str(job.get("CurrentChangeToken") or ""))

    async def recycle(self, tenant_id: str, site_url: str, server_relative_url: str, *, folder: bool) -> bool:
        """Move a file or folder to the site's recycle bin; False if it was not there."""
        literal = _url_literal(server_relative_url)
        getter = "GetFolderByServerRelativeUrl" if folder else "GetFileByServerRelativeUrl"
        try:
            await self._call("POST", tenant_id, f"{site_url}/_api/web/{getter}('{literal}')/recycle()")
        except SharePointError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def job_progress(
        self, tenant_id: str, site_url: str, job_id: str, next_token: str
    ) -> tuple[list[str], str]:
        """GetMigrationJobProgress: (event JSON strings, next token)."""
        url = f"{site_url}/_api/site/GetMigrationJobProgress(jobId='{job_id}',nextToken={next_token})"
        body = (await self._call("GET", tenant_id, url)).json()["d"]["GetMigrationJobProgress"]
        return list(body["Logs"]["results"]), str(body["NextToken"])


def _url_literal(server_relative_url: str) -> str:
    """A URL as the string literal of a REST call's argument: quotes doubled, then URL-encoded."""
    return quote(server_relative_url.replace("'", "''"), safe="/")


def _error(response: httpx.Response, url: str) -> SharePointError:
    code, message = "", response.text[:300]
    try:
        err = response.json()["error"]
        code = str(err.get("code", "")).split(",")[0]
        message = (
            (err.get("message") or {}).get("value", message)
            if isinstance(err.get("message"), dict)
            else str(err.get("message", message))
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    if response.status_code == 403:  # the progress reference: "at least Sites.Read.All"
        site = url.split("/_api/")[0]
        message = (
            f"{message} (SharePoint refused the app on {site}: it needs Sites.Read.All on a source "
            "tenant and Sites.FullControl.All on a destination, granted by an administrator)"
        )
    return SharePointError(response.status_code, code, message)
