// Wizard step 3: the dry run. Microsoft 365 types run the gateway's pre-flight checks and create
// nothing; Jira and Confluence create a dry-run job in which Atlassian runs its own checks.
import { useEffect, useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { Badge, ErrorNote, Loading } from '../components.js';
import { html } from '../html.js';
import { LIVE_POLL_MS } from '../jobs.js';
import { link } from '../router.js';
import { ChecksTable, PreflightTable } from './checks.js';
import { KINDS, optionsFor, scopeFor } from './kinds.js';

const FAILED_CHECK = /^Pre-flight check '([^']+)' failed: (.*)$/s;

export function DryRunStep({ plan, onPassed }) {
  const [result, setResult] = useState({ state: 'running' });
  const [attempt, setAttempt] = useState(0);
  const atlassian = KINDS[plan.type].family === 'ATLASSIAN';

  useEffect(() => {
    let live = true;
    let timer = null;
    const body = {
      sourceTenantId: plan.sourceId, destTenantId: plan.destId, type: plan.type,
      scope: scopeFor(plan), options: optionsFor(plan, plan.selected), dryRun: true,
    };
    const watch = async (jobId) => {
      try {
        const checks = await api.get(`v1/jobs/${encodeURIComponent(jobId)}/checks`);
        if (!live) return;
        const finished = checks.status === 'FINISHED';
        setResult({ state: finished ? 'atlassian-done' : 'atlassian-running', jobId, checks });
        if (finished) onPassed(checks.outcome !== 'ERROR' && checks.outcome !== 'BLOCKING');
        else timer = setTimeout(() => watch(jobId), LIVE_POLL_MS);
      } catch (error) {
        if (live) setResult({ state: 'error', error });
      }
    };
    setResult({ state: 'running' });
    onPassed(false);
    api.post('v1/jobs', body).then(
      (answer) => {
        if (!live) return;
        if (atlassian) {
          watch(answer.job.id);
          return;
        }
        setResult({ state: 'passed', checks: answer.preflight });
        onPassed(answer.preflight.every((c) => c.ok));
      },
      (error) => {
        if (!live) return;
        const failed = FAILED_CHECK.exec(error.message);
        setResult(failed ? { state: 'failed', check: failed[1], detail: failed[2], error } : { state: 'error', error });
      },
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [attempt]);

  const again = html`<button type="button" class="secondary outline" onClick=${() => setAttempt((a) => a + 1)}>Run the dry run again</button>`;
  const title = html`<h3>Pre-flight checks</h3>`;
  switch (result.state) {
    case 'running':
      return html`${title}<${Loading} label="Running the pre-flight checks…" />`;
    case 'passed':
      return html`${title}<p role="status"><${Badge} status="PASSED" label="Passed" /> Every pre-flight check passed: nothing was created.</p>
        <${PreflightTable} checks=${result.checks} />`;
    case 'failed':
      return html`${title}<p role="alert"><${Badge} status="FAILED" label="Failed" /> The ${result.check} check failed: fix it, then run the dry run again.</p>
        <${PreflightTable} checks=${[{ check: result.check, ok: false, detail: result.detail }]} />${again}`;
    case 'atlassian-running':
    case 'atlassian-done':
      return html`${title}<p>The gateway's checks passed; Atlassian's run in a dry-run job
          (<a href=${link('jobs', result.jobId)}>${result.jobId}</a>) that moves nothing.</p>
        ${result.state === 'atlassian-running' ? html`<${Loading} label="Atlassian is running its checks…" />` : html`<p role="status">
          <${Badge} status=${result.checks.outcome || 'DONE'} /> ${result.checks.message || ''}</p>`}
        ${result.checks.checks.length ? html`<${ChecksTable} checks=${result.checks.checks} />` : null}
        ${result.state === 'atlassian-done' ? again : null}`;
    default:
      return html`${title}<${ErrorNote} error=${result.error} />${again}`;
  }
}
