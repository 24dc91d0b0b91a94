// Jobs: the organisation's jobs, newest first, with live counters (polled), a status filter and
// cursor paging.
import { api } from '../api.js';
import { Badge, Empty, JobProgress, Loaded, Pager, TableScroll, Time } from '../components.js';
import { useResource } from '../data.js';
import { formatBytes, formatCount } from '../format.js';
import { html } from '../html.js';
import { JOB_STATUSES, JOB_TYPE_LABELS, LIVE_POLL_MS } from '../jobs.js';
import { StatusFilter, usePagedList } from '../paged-list.js';
import { link } from '../router.js';
import { byId } from '../tenants.js';
import { useTitle } from '../title.js';

const PAGE_SIZE = 20;

export function JobsPage() {
  useTitle('Jobs');
  const list = usePagedList('v1/jobs', { statuses: JOB_STATUSES, pageSize: PAGE_SIZE, every: LIVE_POLL_MS });
  const { status, cursors, setCursors } = list;
  const tenants = useResource(async (signal) => byId((await api.get('v1/tenants', { signal })).tenants), []);

  return html`
    <div class="page-heading">
      <h1>Jobs</h1>
      <a href="#/migrations/new" class="primary-link">Plan a new migration</a>
    </div>
    <${StatusFilter} statuses=${JOB_STATUSES} status=${status} onChange=${list.setStatus} />
    <${Loaded} resource=${list.page} label="Loading jobs…">
      ${(page) => html`
        ${page.jobs.length
          ? html`<${JobTable} jobs=${page.jobs} tenants=${tenants.data || {}} />`
          : html`<${Empty}>${status
            ? html`<p>No ${status.toLowerCase()} jobs.</p>`
            : html`<p>No jobs yet. <a href="#/migrations/new">Plan a migration</a> to create some.</p>`}<//>`}
        <${Pager} label="Job pages" cursors=${cursors} nextCursor=${page.nextCursor} onPage=${setCursors} />`}
    <//>`;
}

function JobTable({ jobs, tenants }) {
  const domain = (id) => (tenants[id] ? tenants[id].domain : id);
  return html`<${TableScroll} label="Jobs">
    <table class="striped">
      <thead><tr>
        <th scope="col">Job</th><th scope="col">Status</th><th scope="col">Progress</th>
        <th scope="col">Errors</th><th scope="col">Transferred</th><th scope="col">From → to</th><th scope="col">Created</th>
      </tr></thead>
      <tbody>
        ${jobs.map((job) => html`<tr key=${job.id}>
          <th scope="row"><a href=${link('jobs', job.id)}>${JOB_TYPE_LABELS[job.type] || job.type}
            <span class="job-id">${job.id}</span></a>${job.name ? html`<br /><small>${job.name}</small>` : null}</th>
          <td><${Badge} status=${job.status} /></td>
          <td><${JobProgress} job=${job} label=${`Progress of ${job.id}`} />
            <br /><small>${formatCount(job.doneItems)} of ${formatCount(job.totalItems)} done${job.skippedItems ? `, ${formatCount(job.skippedItems)} skipped` : ''}</small></td>
          <td>${formatCount(job.errorItems)}</td>
          <td>${formatBytes(job.bytesTransferred)}</td>
          <td>${domain(job.sourceTenantId)} → ${domain(job.destTenantId)}</td>
          <td><${Time} iso=${job.createdAt} />${job.scheduledAt && !job.startedAt
            ? html`<br /><small>Starts <${Time} iso=${job.scheduledAt} /></small>` : null}</td>
        </tr>`)}
      </tbody>
    </table>
  <//>`;
}
