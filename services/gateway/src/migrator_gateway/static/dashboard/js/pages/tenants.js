// Tenants: connect one by admin consent (the link opens in a new tab; the list updates by polling
// when consent lands), register an Atlassian Data Center, and the list with discovery results.
import { useRef, useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { Badge, Empty, Loaded, TableScroll, Time } from '../components.js';
import { useResource } from '../data.js';
import { formatBytes, formatCount } from '../format.js';
import { html } from '../html.js';
import { link } from '../router.js';
import { TENANT_TYPES, isAtlassian, roleLabel } from '../tenants.js';
import { useTitle } from '../title.js';
import { ConnectTenantForm } from './tenant-connect.js';
import { RegisterServerForm } from './tenant-server.js';

const BUSY_POLL_MS = 2000; // a consent or a discovery is on its way
const IDLE_POLL_MS = 15000;

export function TenantsPage() {
  useTitle('Tenants');
  const [pending, setPending] = useState([]);
  const pendingRef = useRef(pending);
  pendingRef.current = pending;

  const tenants = useResource(
    async (signal) => {
      const { tenants: found } = await api.get('v1/tenants', { signal });
      settle(found);
      return found;
    },
    [],
    { every: (found) => (pendingRef.current.length || (found || []).some((t) => !t.discoveredAt) ? BUSY_POLL_MS : IDLE_POLL_MS) },
  );

  // A consent has landed once its tenant is listed anew (or connected again since it started).
  function settle(found) {
    const landed = pendingRef.current.filter((p) => {
      const tenant = found.find((t) => t.domain === p.domain && t.role === p.role);
      return tenant && tenant.connectedAt !== p.connectedBefore;
    });
    if (!landed.length) return;
    for (const p of landed) announce(`${p.domain} is connected as ${roleLabel(p.role).toLowerCase()}; discovery has started.`);
    setPending((current) => current.filter((p) => !landed.includes(p)));
  }

  const started = (consent) => {
    const known = (tenants.data || []).find((t) => t.domain === consent.domain && t.role === consent.role);
    setPending((current) => [
      ...current.filter((p) => !(p.domain === consent.domain && p.role === consent.role)),
      { ...consent, connectedBefore: known ? known.connectedAt : null },
    ]);
    tenants.reload();
  };

  return html`
    <h1>Tenants</h1>
    <section aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect a tenant</h2>
      <${ConnectTenantForm} onStarted=${started} />
      ${pending.length ? html`<${PendingConsents} pending=${pending}
        onDismiss=${(p) => setPending((current) => current.filter((c) => c !== p))} />` : null}
      <details>
        <summary>Register a Jira or Confluence Server / Data Center (a source)</summary>
        <${RegisterServerForm} onRegistered=${() => tenants.reload()} />
      </details>
    </section>
    <section aria-labelledby="connected-heading">
      <h2 id="connected-heading">Connected tenants</h2>
      <${Loaded} resource=${tenants} label="Loading tenants…">
        ${(found) => (found.length ? html`<${TenantTable} tenants=${found} />` : html`<${Empty}>
          <p>No tenant is connected yet. Connect a source and a destination above to plan a migration.</p>
        <//>`)}
      <//>
    </section>`;
}

function PendingConsents({ pending, onDismiss }) {
  return html`<ul class="consents" aria-label="Consents waiting for an administrator">
    ${pending.map((p) => html`<li key=${`${p.domain}-${p.role}`}>
      <p>
        <a href=${p.authUrl} target="_blank" rel="noopener">Open the consent page for ${p.domain}</a>
        <span class="hint"> (opens in a new tab)</span>
      </p>
      <p aria-busy="true">A Global Admin of ${p.domain} grants access there; it joins the list below as a
        ${roleLabel(p.role).toLowerCase()} when they have. The link expires after a few minutes.</p>
      <button type="button" class="secondary outline" onClick=${() => onDismiss(p)}>
        Dismiss<span class="visually-hidden"> the consent for ${p.domain}</span></button>
    </li>`)}
  </ul>`;
}

function storage(tenant) {
  if (isAtlassian(tenant)) return formatBytes(tenant.totalSizeBytes);
  if (tenant.sharepointQuotaBytes) {
    return `${formatBytes(tenant.sharepointUsedBytes)} of ${formatBytes(tenant.sharepointQuotaBytes)} SharePoint`;
  }
  return formatBytes(tenant.totalSizeBytes);
}

function counts(tenant) {
  if (!tenant.discoveredAt) return null;
  if (isAtlassian(tenant)) {
    return `${formatCount(tenant.projectCount)} projects, ${formatCount(tenant.spaceCount)} spaces, ${formatCount(tenant.userCount)} users`;
  }
  return `${formatCount(tenant.mailboxCount)} mailboxes, ${formatCount(tenant.siteCount)} sites`;
}

function TenantTable({ tenants }) {
  return html`<${TableScroll} label="Tenant list">
    <table class="striped">
      <thead><tr>
        <th scope="col">Domain</th><th scope="col">Role</th><th scope="col">Kind</th><th scope="col">Status</th>
        <th scope="col">Discovered</th><th scope="col">Content</th><th scope="col">Storage</th>
      </tr></thead>
      <tbody>
        ${tenants.map((t) => html`<tr key=${t.id}>
          <th scope="row"><a href=${link('tenants', t.id)}>${t.domain}</a></th>
          <td>${roleLabel(t.role)}</td>
          <td>${TENANT_TYPES[t.type] || t.type}</td>
          <td><${Badge} status=${t.status} label=${t.status === 'RECONNECT_REQUIRED' ? 'Reconnect required' : 'Connected'} />
            ${t.statusMessage ? html`<br /><small>${t.statusMessage}</small>` : null}</td>
          <td>${t.discoveredAt ? html`<${Time} iso=${t.discoveredAt} />` : html`<span aria-busy="true">Discovering…</span>`}</td>
          <td>${counts(t) || '—'}</td>
          <td>${t.discoveredAt ? storage(t) : '—'}</td>
        </tr>`)}
      </tbody>
    </table>
  <//>`;
}
