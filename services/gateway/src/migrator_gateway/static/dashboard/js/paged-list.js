// A list page's data, as the jobs and devices pages share it: the status filter (kept in the
// URL, so a link or a reload keeps it), the stack of cursors that led to this page, and the page
// itself, polled.
import { useState } from '../vendor/hooks.mjs';
import { api } from './api.js';
import { useResource } from './data.js';
import { html } from './html.js';
import { replaceQuery, useRoute } from './router.js';

export function usePagedList(path, { statuses, pageSize, every }) {
  const route = useRoute();
  const status = statuses.includes(route.query.get('status')) ? route.query.get('status') : '';
  const [cursors, setCursors] = useState([]);
  const cursor = cursors[cursors.length - 1];
  const page = useResource(
    (signal) => api.get(path, { params: { status, limit: pageSize, cursor }, signal }),
    [status, cursor || ''],
    { every },
  );
  const setStatus = (value) => {
    setCursors([]); // a new filter starts at its first page
    replaceQuery({ status: value });
  };
  return { status, setStatus, page, cursors, setCursors };
}

/** The status filter of a list: every status, or one. */
export function StatusFilter({ statuses, status, onChange }) {
  return html`<label class="filter">
    Status
    <select value=${status} onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="">All statuses</option>
      ${statuses.map((s) => html`<option value=${s} selected=${s === status}>${s.charAt(0) + s.slice(1).toLowerCase()}</option>`)}
    </select>
  </label>`;
}
