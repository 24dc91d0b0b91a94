// Check results as a table: the gateway's pre-flight checks and Atlassian's pre-migration checks.
import { Badge, TableScroll } from '../components.js';
import { html } from '../html.js';

const OUTCOME_LABELS = { SUCCESS: 'Passed', WARNING: 'Warning', ERROR: 'Failed', BLOCKING: 'Failed' };

/** Pre-flight checks: `{check, ok, detail}` each. */
export function PreflightTable({ checks }) {
  return html`<${TableScroll} label="Pre-flight checks">
    <table>
      <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Message</th></tr></thead>
      <tbody>${checks.map((c) => html`<tr key=${c.check}>
        <th scope="row">${c.check}</th>
        <td><${Badge} status=${c.ok ? 'PASSED' : 'FAILED'} label=${c.ok ? 'Passed' : 'Failed'} /></td>
        <td class="wrap">${c.detail}</td>
      </tr>`)}</tbody>
    </table>
  <//>`;
}

/** Atlassian's checks: `{name, status, outcome, message, overridden}` each. */
export function ChecksTable({ checks }) {
  return html`<${TableScroll} label="Atlassian checks">
    <table>
      <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Message</th></tr></thead>
      <tbody>${checks.map((c) => html`<tr key=${c.name}>
        <th scope="row">${c.name}</th>
        <td><${Badge} status=${c.outcome || 'PENDING'} label=${c.overridden ? 'Overridden' : OUTCOME_LABELS[c.outcome] || (c.status === 'FINISHED' ? 'No result' : c.status)} /></td>
        <td class="wrap">${c.message || '—'}</td>
      </tr>`)}</tbody>
    </table>
  <//>`;
}
