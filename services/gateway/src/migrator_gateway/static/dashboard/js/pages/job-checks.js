// Atlassian's pre-migration checks of a Jira or Confluence job, as they run.
import { api } from '../api.js';
import { Badge, Loaded, Time } from '../components.js';
import { useResource } from '../data.js';
import { html } from '../html.js';
import { LIVE_POLL_MS } from '../jobs.js';
import { ChecksTable } from '../wizard/checks.js';

export function AtlassianChecks({ jobId, live }) {
  const checks = useResource(
    (signal) => api.get(`v1/jobs/${encodeURIComponent(jobId)}/checks`, { signal }),
    [jobId],
    { every: (c) => (live && (!c || c.status !== 'FINISHED') ? LIVE_POLL_MS : 0) },
  );
  return html`<section aria-labelledby="checks-heading">
    <h2 id="checks-heading">Atlassian pre-migration checks</h2>
    <${Loaded} resource=${checks} label="Loading the checks…">
      ${(c) => html`<p><${Badge} status=${c.outcome || c.status} label=${c.outcome || c.status} />
          ${c.message ? ` ${c.message}` : ''}${c.checkedAt ? html` (<${Time} iso=${c.checkedAt} />)` : null}</p>
        ${c.checks.length ? html`<${ChecksTable} checks=${c.checks} />` : html`<p>The checks have not run yet.</p>`}`}
    <//>
  </section>`;
}
