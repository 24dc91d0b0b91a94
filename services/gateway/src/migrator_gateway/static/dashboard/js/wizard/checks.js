// Check results as a table: the gateway's pre-flight checks and Atlassian's pre-migration checks.
import { Badge, TableScroll } from '../components.js';
import { html } from '../html.js';

const OUTCOME_LABELS = { SUCCESS: 'Passed', WARNING: 'Warning', ERROR: 'Failed', BLOCKING: 'Failed' };

/** Check results, one row each: `{name, status, label, message}` (status colours the badge). */
function CheckTable({ label, rows }) {
  return html`<${TableScroll} label=${label}>
    <table>
      <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Message</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${r.name}>
        <th scope="row">${r.name}</th>
        <td><${Badge} status=${r.status} label=${r.label} /></td>
        <td class="wrap">${r.message}</td>
      </tr>`)}</tbody>
    </table>
  <//>`;
}

/** Pre-flight checks: `{check, ok, detail}` each. */
export function PreflightTable({ checks }) {
  const rows = checks.map((c) => ({
    name: c.check, status: c.ok ? 'PASSED' : 'FAILED', label: c.ok ? 'Passed' : 'Failed', message: c.detail,
  }));
  return html`<${CheckTable} label="Pre-flight checks" rows=${rows} />`;
}

/** Atlassian's checks: `{name, status, outcome, message, overridden}` each. */
export function ChecksTable({ checks }) {
  const rows = checks.map((c) => ({
    name: c.name,
    status: c.outcome || 'PENDING',
    label: c.overridden ? 'Overridden' : OUTCOME_LABELS[c.outcome] || (c.status === 'FINISHED' ? 'No result' : c.status),
    message: c.message || '—',
  }));
  return html`<${CheckTable} label="Atlassian checks" rows=${rows} />`;
}
