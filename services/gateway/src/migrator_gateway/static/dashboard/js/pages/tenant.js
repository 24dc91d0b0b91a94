// One tenant: its discovery results and storage, what it holds (tabs with search and paging),
// rediscovery, and disconnecting it (confirmed).
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { Badge, ConfirmDialog, ErrorNote, Loaded, Time } from '../components.js';
import { useAction, useResource } from '../data.js';
import { formatBytes, formatCount } from '../format.js';
import { html } from '../html.js';
import { link, navigate } from '../router.js';
import { TENANT_TYPES, isAtlassian, roleLabel } from '../tenants.js';
import { useTitle } from '../title.js';
import { DiscoveredTabs } from './tenant-tabs.js';

export function TenantPage({ tenantId }) {
  const [discovery, setDiscovery] = useState(null); // the rediscovery this page started, until it ends
  const tenant = useResource(
    async (signal) => (await api.get(`v1/tenants/${encodeURIComponent(tenantId)}`, { signal })).tenant,
    [tenantId],
    { every: (t) => (discovery || (t && !t.discoveredAt) ? 2000 : 30000) },
  );
  useTitle(tenant.data ? tenant.data.domain : 'Tenant');

  return html`
    <p class="breadcrumb"><a href=${link('tenants')}>Tenants</a></p>
    <${Loaded} resource=${tenant} label="Loading the tenant…">
      ${(t) => html`<${TenantView} tenant=${t} discovery=${discovery} setDiscovery=${setDiscovery}
        reload=${tenant.reload} />`}
    <//>`;
}

function TenantView({ tenant, discovery, setDiscovery, reload }) {
  const [confirming, setConfirming] = useState(false);
  const rediscover = useAction(async () => {
    const { latestJob } = await api.post(`v1/tenants/${tenant.id}/discover`);
    setDiscovery(latestJob.id);
    announce(`Discovery of ${tenant.domain} has started.`);
    reload();
  });
  const disconnect = useAction(async () => {
    await api.delete(`v1/tenants/${tenant.id}`);
    announce(`${tenant.domain} is disconnected.`);
    navigate(link('tenants'));
  });
  const discoveryEnded = (latest) => {
    if (!discovery || !latest || latest.id !== discovery || !['DONE', 'ERROR'].includes(latest.status)) return;
    setDiscovery(null);
    announce(latest.status === 'DONE' ? `Discovery of ${tenant.domain} is complete.` : `Discovery of ${tenant.domain} failed.`);
    reload();
  };

  return html`
    <h1>${tenant.domain}</h1>
    <p>
      <${Badge} status=${tenant.status} label=${tenant.status === 'RECONNECT_REQUIRED' ? 'Reconnect required' : 'Connected'} />
      ${' '}${roleLabel(tenant.role)} · ${TENANT_TYPES[tenant.type] || tenant.type}
    </p>
    ${tenant.statusMessage ? html`<p role="note">${tenant.statusMessage}</p>` : null}
    <div class="actions">
      <button type="button" aria-busy=${rediscover.busy || discovery ? 'true' : 'false'} disabled=${rediscover.busy || !!discovery}
        onClick=${() => rediscover.run()}>${discovery ? 'Discovering…' : 'Rediscover'}</button>
      <button type="button" class="danger outline" onClick=${() => setConfirming(true)}>Disconnect</button>
    </div>
    <${ErrorNote} error=${rediscover.error} />
    <${Summary} tenant=${tenant} />
    <${DiscoveredTabs} tenant=${tenant} discovering=${!!discovery} onLatest=${discoveryEnded} />
    <${ConfirmDialog} open=${confirming} title=${`Disconnect ${tenant.domain}?`} confirmLabel="Disconnect"
      busy=${disconnect.busy} error=${disconnect.error} onConfirm=${() => disconnect.run()}
      onClose=${() => { setConfirming(false); disconnect.clear(); }}>
      <p>Jobs that use ${tenant.domain} are paused, its credentials are revoked, and it leaves the list.
        Data already migrated stays where it is. To use it again, connect it again.</p>
    <//>`;
}

function Summary({ tenant }) {
  const atlassian = isAtlassian(tenant);
  const quota = tenant.sharepointQuotaBytes;
  return html`<section aria-labelledby="summary-heading">
    <h2 id="summary-heading">Discovery</h2>
    <dl class="facts">
      <div><dt>Connected</dt><dd><${Time} iso=${tenant.connectedAt} /></dd></div>
      <div><dt>Discovered</dt><dd>${tenant.discoveredAt ? html`<${Time} iso=${tenant.discoveredAt} />` : 'Not yet'}</dd></div>
      ${atlassian
        ? html`<div><dt>Projects</dt><dd>${formatCount(tenant.projectCount)}</dd></div>
               <div><dt>Spaces</dt><dd>${formatCount(tenant.spaceCount)}</dd></div>
               <div><dt>Users</dt><dd>${formatCount(tenant.userCount)}</dd></div>`
        : html`<div><dt>Mailboxes</dt><dd>${formatCount(tenant.mailboxCount)}</dd></div>
               <div><dt>Sites</dt><dd>${formatCount(tenant.siteCount)}</dd></div>`}
      <div><dt>Content size</dt><dd>${formatBytes(tenant.totalSizeBytes)}</dd></div>
      ${atlassian ? null : html`
        <div><dt>SharePoint storage</dt><dd>${quota
          ? html`${formatBytes(tenant.sharepointUsedBytes)} used of ${formatBytes(quota)}
              <meter min="0" max=${quota} value=${tenant.sharepointUsedBytes || 0} aria-label="SharePoint storage used"></meter>`
          : '—'}</dd></div>
        <div><dt>OneDrive per user</dt><dd>${formatBytes(tenant.onedriveQuotaPerUserBytes)}</dd></div>`}
      <div><dt>Workloads</dt><dd>${tenant.workloads.length ? tenant.workloads.join(', ') : '—'}</dd></div>
    </dl>
  </section>`;
}
