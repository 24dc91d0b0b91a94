// A job's units (its sites, mailboxes, teams, projects or spaces) with their own progress.
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { Badge, Empty, Loaded, Pager, TableScroll, Time } from '../components.js';
import { useResource } from '../data.js';
import { formatCount } from '../format.js';
import { html } from '../html.js';
import { LIVE_POLL_MS, UNITS } from '../jobs.js';

const PAGE_SIZE = 50;

export function JobUnits({ job, live }) {
  return UNITS[job.type] ? html`<${UnitTable} job=${job} kind=${UNITS[job.type]} live=${live} />` : null;
}

function UnitTable({ job, kind, live }) {
  const [cursors, setCursors] = useState([]);
  const cursor = cursors[cursors.length - 1];
  const units = useResource(
    (signal) => api.get(`v1/jobs/${encodeURIComponent(job.id)}/${kind.path}`, { params: { limit: PAGE_SIZE, cursor }, signal }),
    [job.id, cursor || ''],
    { every: live ? LIVE_POLL_MS : 0 },
  );

  return html`<section aria-labelledby="units-heading">
    <h2 id="units-heading">${kind.label}</h2>
    <${Loaded} resource=${units} label=${`Loading ${kind.label.toLowerCase()}…`}>
      ${(page) => {
        const rows = page[kind.path] || [];
        if (!rows.length) return html`<${Empty}><p>No ${kind.label.toLowerCase()} planned yet${live ? ': they appear when the job starts' : ''}.</p><//>`;
        return html`<${TableScroll} label=${`${kind.label}: progress of each`}>
            <table class="striped">
              <thead><tr>
                ${kind.columns.map(([name]) => html`<th scope="col">${name}</th>`)}
                <th scope="col">Status</th><th scope="col">Done</th><th scope="col">Errors</th><th scope="col">Completed</th>
              </tr></thead>
              <tbody>${rows.map((unit) => html`<tr key=${unit.id}>
                ${kind.columns.map(([, value], index) => html`<td class=${index === 0 ? 'wrap' : undefined}>${value(unit)}</td>`)}
                <td><${Badge} status=${unit.status} /></td>
                <td>${formatCount(unit.doneItems)} of ${formatCount(unit.totalItems)}</td>
                <td>${formatCount(unit.errorItems)}</td>
                <td><${Time} iso=${unit.completedAt} /></td>
              </tr>`)}</tbody>
            </table>
          <//>
          <${Pager} label=${`${kind.label} pages`} cursors=${cursors} nextCursor=${page.nextCursor} onPage=${setCursors} />`;
      }}
    <//>
  </section>`;
}
