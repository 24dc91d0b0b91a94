// Devices: the Windows endpoints running the MigratorAgent, with their status (ONLINE, OFFLINE,
// MIGRATING) as device-hub works it out, a status filter and cursor paging.
import { Badge, Empty, Loaded, Pager, TableScroll, Time } from '../components.js';
import { html } from '../html.js';
import { StatusFilter, usePagedList } from '../paged-list.js';
import { link } from '../router.js';
import { useTitle } from '../title.js';

const DEVICE_STATUSES = ['ONLINE', 'MIGRATING', 'OFFLINE'];
const PAGE_SIZE = 100;
const POLL_MS = 5000;

export function DevicesPage() {
  useTitle('Devices');
  const list = usePagedList('v1/devices', { statuses: DEVICE_STATUSES, pageSize: PAGE_SIZE, every: POLL_MS });
  const { status, cursors, setCursors } = list;

  return html`
    <h1>Devices</h1>
    <${StatusFilter} statuses=${DEVICE_STATUSES} status=${status} onChange=${list.setStatus} />
    <${Loaded} resource=${list.page} label="Loading devices…">
      ${(page) => html`
        ${page.devices.length ? html`<${TableScroll} label="Devices">
          <table class="striped">
            <thead><tr>
              <th scope="col">Hostname</th><th scope="col">Status</th><th scope="col">Domain</th>
              <th scope="col">IP address</th><th scope="col">Agent</th><th scope="col">Last seen</th><th scope="col">Registered</th>
            </tr></thead>
            <tbody>${page.devices.map((d) => html`<tr key=${d.id}>
              <th scope="row"><a href=${link('devices', d.id)}>${d.hostname}</a></th>
              <td><${Badge} status=${d.status} /></td>
              <td>${d.domain}</td>
              <td>${d.ipAddress}</td>
              <td>${d.agentVersion || '—'}</td>
              <td>${d.lastSeenAt ? html`<${Time} iso=${d.lastSeenAt} />` : 'Never'}</td>
              <td><${Time} iso=${d.createdAt} /></td>
            </tr>`)}</tbody>
          </table>
        <//>` : html`<${Empty}>${status
          ? html`<p>No ${status.toLowerCase()} devices.</p>`
          : html`<p>No devices yet. Install the MigratorAgent on a Windows device: it registers itself and appears here.</p>`}<//>`}
        <${Pager} label="Device pages" cursors=${cursors} nextCursor=${page.nextCursor} onPage=${setCursors} />`}
    <//>`;
}
