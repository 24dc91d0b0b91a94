// One job: its counters and progress (polled while it runs), pause / resume / delete, its units,
// its live log and the log's CSV.
import { useState } from '../../vendor/hooks.mjs';
import { api, apiUrl } from '../api.js';
import { announce } from '../announce.js';
import { Badge, ConfirmDialog, ErrorNote, JobProgress, Loaded, Time } from '../components.js';
import { useAction, useResource } from '../data.js';
import { formatBytes, formatCount } from '../format.js';
import { html } from '../html.js';
import { JOB_TYPE_LABELS, LIVE_POLL_MS, TERMINAL, canPause, canResume } from '../jobs.js';
import { link, navigate } from '../router.js';
import { byId } from '../tenants.js';
import { useTitle } from '../title.js';
import { AtlassianChecks } from './job-checks.js';
import { LiveLog } from './job-log.js';
import { JobUnits } from './job-units.js';

export function JobPage({ jobId }) {
  const path = `v1/jobs/${encodeURIComponent(jobId)}`;
  const job = useResource(async (signal) => (await api.get(path, { signal })).job, [jobId], {
    every: (j) => (j && TERMINAL.has(j.status) ? 0 : LIVE_POLL_MS),
  });
  const tenants = useResource(async (signal) => byId((await api.get('v1/tenants', { signal })).tenants), []);
  useTitle(job.data ? `${JOB_TYPE_LABELS[job.data.type] || job.data.type} job ${job.data.id}` : 'Job');

  return html`
    <p class="breadcrumb"><a href=${link('jobs')}>Jobs</a></p>
    <${Loaded} resource=${job} label="Loading the job…">
      ${(j) => html`<${JobView} job=${j} tenants=${tenants.data || {}} path=${path}
        setJob=${job.setData} reload=${job.reload} />`}
    <//>`;
}

function JobView({ job, tenants, path, setJob, reload }) {
  const [confirming, setConfirming] = useState(false);
  const domain = (id) => (tenants[id] ? tenants[id].domain : id);
  const control = useAction(async (action, past) => {
    const { status } = await api.patch(`${path}/${action}`);
    setJob({ ...job, status });
    announce(`Job ${job.id} ${past} (${status.toLowerCase()}).`);
    reload();
  });
  const remove = useAction(async () => {
    await api.delete(path);
    announce(`Job ${job.id} deleted.`);
    navigate(link('jobs'));
  });
  const finished = TERMINAL.has(job.status);

  return html`
    <h1>${JOB_TYPE_LABELS[job.type] || job.type} job <span class="job-id">${job.id}</span></h1>
    ${job.name ? html`<p class="job-name">${job.name}</p>` : null}
    <p>${domain(job.sourceTenantId)} → ${domain(job.destTenantId)}${job.dryRun ? html` <${Badge} status="PENDING" label="Dry run" />` : null}</p>
    <div class="actions">
      ${canPause(job) ? html`<button type="button" class="secondary" aria-busy=${control.busy ? 'true' : 'false'}
        disabled=${control.busy} onClick=${() => control.run('pause', 'paused')}>Pause</button>` : null}
      ${canResume(job) ? html`<button type="button" aria-busy=${control.busy ? 'true' : 'false'}
        disabled=${control.busy} onClick=${() => control.run('resume', 'resumed')}>Resume</button>` : null}
      <a href=${apiUrl(`${path}/logs/export`)} download=${`${job.id}-logs.csv`} class="download">Download the log (CSV)</a>
      <button type="button" class="danger outline" onClick=${() => setConfirming(true)}>Delete</button>
    </div>
    <${ErrorNote} error=${control.error} />
    <section aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <${JobProgress} job=${job} label="Job progress" />
      <dl class="facts">
        <div><dt>Status</dt><dd><${Badge} status=${job.status} /></dd></div>
        <div><dt>Items</dt><dd>${formatCount(job.totalItems)}</dd></div>
        <div><dt>Done</dt><dd>${formatCount(job.doneItems)}</dd></div>
        <div><dt>Errors</dt><dd>${formatCount(job.errorItems)}</dd></div>
        <div><dt>Skipped</dt><dd>${formatCount(job.skippedItems)}</dd></div>
        <div><dt>Transferred</dt><dd>${formatBytes(job.bytesTransferred)}</dd></div>
        <div><dt>Created</dt><dd><${Time} iso=${job.createdAt} /></dd></div>
        ${job.scheduledAt ? html`<div><dt>Scheduled</dt><dd><${Time} iso=${job.scheduledAt} /></dd></div>` : null}
        <div><dt>Started</dt><dd>${job.startedAt ? html`<${Time} iso=${job.startedAt} />` : 'Not yet'}</dd></div>
        <div><dt>Completed</dt><dd>${job.completedAt ? html`<${Time} iso=${job.completedAt} />` : '—'}</dd></div>
      </dl>
      ${Object.keys(job.scope || {}).length
        ? html`<p>Scope: ${Object.entries(job.scope).filter(([, on]) => on).map(([name]) => name).join(', ') || 'nothing'}</p>`
        : null}
    </section>
    ${job.type === 'JIRA' || job.type === 'CONFLUENCE' ? html`<${AtlassianChecks} jobId=${job.id} live=${!finished} />` : null}
    <${JobUnits} job=${job} live=${!finished} />
    <${LiveLog} jobId=${job.id} />
    <${ConfirmDialog} open=${confirming} title=${`Delete job ${job.id}?`} confirmLabel="Delete the job"
      busy=${remove.busy} error=${remove.error} onConfirm=${() => remove.run()}
      onClose=${() => { setConfirming(false); remove.clear(); }}>
      <p>${finished ? 'The job leaves the list.' : 'The job is cancelled (items in flight complete) and leaves the list.'}
        Data already migrated is not reversed.</p>
    <//>`;
}
