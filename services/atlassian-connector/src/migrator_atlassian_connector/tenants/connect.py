"""Connecting Atlassian tenants: a cloud site by OAuth consent (the destination), a Server or Data
Center by its id, URL and an administrator's access token (the source)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from migrator_contracts import readmodels, subjects
from migrator_contracts.base import iso
from migrator_contracts.enums import TenantRole, TenantStatus, TenantType
from migrator_contracts.events import TenantConnected
from migrator_contracts.readmodels import TenantDoc
from migrator_contracts.rpc import (
    ConnectTenantReply,
    ConnectTenantRequest,
    ConsentReply,
    ConsentRequest,
    RegisterServer,
    RegisterServerReply,
)
from migrator_platform.bus import Publisher
from migrator_platform.consent_states import claim_state, consent_refused, open_state
from migrator_platform.discovery_jobs import queue_discovery
from migrator_platform.ids import new_id
from migrator_platform.rpc import Refused
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

from migrator_atlassian_connector.config import AtlassianSettings
from migrator_atlassian_connector.tenants.credentials import SCOPES, Credentials, Secret, TokenError

log = get_logger(__name__)
# A server being registered answers quickly or not at all: the caller is waiting on the reply.
PROBE_SECONDS = 5.0


def _server_refused(code: str, message: str) -> Refused:
    """A server that cannot be registered as it was described: 422, naming why."""
    return Refused(422, code, message)


class Connections:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        store: ReadStore,
        credentials: Credentials,
        publisher: Publisher,
        settings: AtlassianSettings,
    ) -> None:
        self._http, self._store, self._credentials = http, store, credentials
        self._publisher, self._settings = publisher, settings
        self._consents = store.collection(readmodels.ATLASSIAN_CONSENTS)
        self._tenants = store.collection(readmodels.TENANTS)

    async def start_consent(self, req: ConnectTenantRequest) -> ConnectTenantReply:
        """A single-use, expiring state and the URL where a site admin consents."""
        # The gateway routes callbacks by the state's prefix.
        state = await open_state(
            self._consents, req, prefix="atl", ttl_seconds=self._settings.consent_ttl_seconds
        )
        query = urlencode(
            {
                "audience": "api.atlassian.com",
                "client_id": self._settings.atlassian_client_id,
                "scope": SCOPES,
                "redirect_uri": req.redirect_uri,
                "state": state,
                "response_type": "code",
                "prompt": "consent",
                "site": req.domain,  # preselects the site (the admin may still choose)
            }
        )
        return ConnectTenantReply(
            auth_url=f"{self._settings.atlassian_auth_url}/authorize?{query}", state=state
        )

    async def complete_consent(self, req: ConsentRequest) -> ConsentReply:
        """Exchange the code, find the consented site, connect it, start its discovery."""
        consent = await claim_state(self._consents, req.state)
        if req.error or not req.code:
            message = req.error_description or req.error or "The administrator did not consent"
            raise consent_refused("CONSENT_DENIED", message)
        try:
            tokens = await self._credentials.exchange(req.code, consent.redirect_uri)
            assert tokens.access_token is not None, "an exchange gives an access token"
            cloud_id = await self._cloud_id(tokens.access_token, consent.domain)
        except (TokenError, LookupError) as exc:
            log.warning("atlassian consent not completed", domain=consent.domain, error=str(exc))
            raise consent_refused("TOKEN_FAILED", str(exc)) from exc
        tenant_id = await self._upsert_tenant(
            consent.org_id,
            consent.domain,
            TenantType.ATLASSIAN,
            TenantRole(consent.role),
            {"externalTenantId": cloud_id, "siteUrl": f"https://{consent.domain}"},
        )
        await self._credentials.save(
            tenant_id, consent.org_id, tokens.model_copy(update={"cloud_id": cloud_id})
        )
        await self._connected(tenant_id, consent.org_id, consent.domain, req.state)
        return ConsentReply(tenant_id=tenant_id)

    async def _cloud_id(self, access_token: str, domain: str) -> str:
        response = await self._http.get(
            f"{self._settings.atlassian_api_url}/oauth/token/accessible-resources",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        response.raise_for_status()
        for resource in response.json():
            if urlsplit(str(resource.get("url", ""))).hostname == domain:
                return str(resource["id"])
        raise LookupError(f"the consent did not include the site {domain}")

    async def register_server(self, req: RegisterServer) -> RegisterServerReply:
        """Check the server answers with this id and token, find its products, connect it."""
        base = req.base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {req.access_token}"}
        try:
            info = await self._http.get(
                f"{base}/rest/api/2/serverInfo", headers=headers, timeout=PROBE_SECONDS
            )
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise _server_refused(
                "SERVER_UNREACHABLE", f"The server did not answer at {base}: {type(exc).__name__}"
            ) from exc
        if info.status_code in (401, 403):
            raise _server_refused("SERVER_UNAUTHORIZED", "The server refused the access token")
        if info.status_code != 200:
            raise _server_refused(
                "SERVER_UNREACHABLE", f"The server answered HTTP {info.status_code} at {base}"
            )
        try:
            answered = str(info.json().get("serverId", ""))
        except ValueError:
            answered = ""
        if answered != req.server_id:
            raise _server_refused("SERVER_ID_MISMATCH", f"The server at {base} is not {req.server_id}")
        workloads = []
        for workload, path in (("JIRA", "/rest/api/2/project"), ("CONFLUENCE", "/rest/api/space?limit=1")):
            try:
                probe = await self._http.get(base + path, headers=headers, timeout=PROBE_SECONDS)
            except httpx.HTTPError:
                continue
            if probe.status_code == 200:
                workloads.append(workload)
        tenant_id = await self._upsert_tenant(
            req.org_id,
            req.server_id,
            TenantType.ATLASSIAN_SERVER,
            TenantRole.SOURCE,
            {"externalTenantId": req.server_id, "serverBaseUrl": base, "workloads": workloads},
        )
        await self._credentials.save(
            tenant_id, req.org_id, Secret(server_token=req.access_token, base_url=base)
        )
        await self._connected(tenant_id, req.org_id, req.server_id, new_id("reg"))
        return RegisterServerReply(tenant_id=tenant_id)

    async def _upsert_tenant(
        self, org_id: str, domain: str, kind: TenantType, role: TenantRole, fields: dict[str, Any]
    ) -> str:
        """The organisation's tenant for this domain (or server id), created or updated."""
        now = iso(datetime.now(UTC))
        existing = await self._tenants.find_one({"orgId": org_id, "domain": domain})
        if existing is not None:
            # Connected again: whatever needed reconnecting is done.
            again = TenantDoc.as_stored(
                role=role.value, connected_at=now, status=TenantStatus.CONNECTED.value, status_message=None
            )
            await self._tenants.update(existing["_id"], again | fields)
            return str(existing["_id"])
        tenant_id = new_id("ten")
        doc = (
            TenantDoc(
                id=tenant_id,
                org_id=org_id,
                domain=domain,
                type=kind.value,
                role=role.value,
                workloads=["JIRA", "CONFLUENCE"],
                connected_at=now,
            ).to_doc()
            | fields
        )
        await self._tenants.insert(tenant_id, doc)
        return tenant_id

    async def _connected(self, tenant_id: str, org_id: str, domain: str, key: str) -> None:
        now = datetime.now(UTC)
        event = TenantConnected(
            event_id=f"{tenant_id}:connected:{key}",
            seq=int(now.timestamp()),
            occurred_at=now,
            tenant_id=tenant_id,
            org_id=org_id,
            domain=domain,
        )
        await self._publisher.publish(
            subjects.tenant_event(tenant_id, "TenantConnected"), event, msg_id=event.event_id
        )
        await queue_discovery(
            self._store,
            self._publisher,
            subject=subjects.CMD_ATLASSIAN_DISCOVER,
            tenant_id=tenant_id,
            org_id=org_id,
        )
