// Small pieces every page uses: loading and error states, badges, tables that scroll, paging, dialogs.
import { useEffect, useId, useRef } from '../vendor/hooks.mjs';
import { formatDate } from './format.js';
import { html } from './html.js';

export function Loading({ label = 'Loading…' }) {
  return html`<p class="loading" aria-busy="true">${label}</p>`;
}

/** An API error in words (the error body's `error`), or nothing. */
export function ErrorNote({ error, prefix }) {
  if (!error) return null;
  const message = error.message || String(error);
  return html`<p class="error-note" role="alert">${prefix ? `${prefix}: ` : ''}${message}</p>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

/** Data, or its loading / error state: never a blank page. */
export function Loaded({ resource, label, children }) {
  if (resource.data === undefined) {
    return resource.error ? html`<${ErrorNote} error=${resource.error} />` : html`<${Loading} label=${label} />`;
  }
  return html`${resource.error ? html`<${ErrorNote} error=${resource.error} prefix="Could not refresh" />` : null}${children(resource.data)}`;
}

const TONES = {
  DONE: 'good', ONLINE: 'good', CONNECTED: 'good', ACTIVE: 'good', PASSED: 'good', SUCCESS: 'good',
  RUNNING: 'busy', MIGRATING: 'busy', IN_PROGRESS: 'busy',
  QUEUED: 'neutral', PENDING: 'neutral', CANCELLED: 'neutral', SOURCE: 'neutral', DESTINATION: 'neutral',
  PAUSED: 'warn', OFFLINE: 'warn', WARNING: 'warn', RECONNECT_REQUIRED: 'warn',
  ERROR: 'bad', FAILED: 'bad', REVOKED: 'bad', BLOCKING: 'bad',
};

export function Badge({ status, label }) {
  const key = String(status || '').toUpperCase();
  return html`<span class=${`badge tone-${TONES[key] || 'neutral'}`}>${label || status}</span>`;
}

export function Time({ iso }) {
  return iso ? html`<time datetime=${iso}>${formatDate(iso)}</time>` : '—';
}

/** A wide table's container: scrolls sideways on a phone, and can be scrolled from the keyboard. */
export function TableScroll({ label, children }) {
  return html`<div class="table-scroll" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

/** Cursor paging: `cursors` is the stack of cursors that led to this page. */
export function Pager({ label, cursors, nextCursor, onPage }) {
  if (!cursors.length && !nextCursor) return null;
  return html`<nav class="pager" aria-label=${label}>
    <button type="button" class="secondary outline" disabled=${!cursors.length}
      onClick=${() => onPage(cursors.slice(0, -1))}>Previous page</button>
    <span>Page ${cursors.length + 1}</span>
    <button type="button" class="secondary outline" disabled=${!nextCursor}
      onClick=${() => onPage([...cursors, nextCursor])}>Next page</button>
  </nav>`;
}

/** A modal confirmation (<dialog>): Escape and Cancel close it, focus returns to the page. */
export function ConfirmDialog({ open, title, children, confirmLabel, busy, error, onConfirm, onClose }) {
  const ref = useRef(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  const cancel = (event) => {
    event.preventDefault();
    if (!busy) onClose();
  };
  return html`<dialog ref=${ref} aria-labelledby=${`${id}-title`} onCancel=${cancel}>
    <article>
      <header><h2 id=${`${id}-title`}>${title}</h2></header>
      ${children}
      <${ErrorNote} error=${error} />
      <footer>
        <button type="button" class="secondary" disabled=${busy} onClick=${cancel}>Cancel</button>
        <button type="button" class="danger" aria-busy=${busy ? 'true' : 'false'} disabled=${busy}
          onClick=${onConfirm}>${confirmLabel}</button>
      </footer>
    </article>
  </dialog>`;
}

/** A labelled form field with its hint and its error, tied together for assistive technology
 * (outside the label, so the field's name stays its label alone). */
export function Field({ label, hint, error, children }) {
  const id = useId();
  const noteId = error || hint ? `${id}-note` : undefined;
  // The error takes the hint's place: it says what the hint said, and what is wrong.
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${children({ id, 'aria-describedby': noteId, 'aria-invalid': error ? 'true' : undefined })}
    ${error ? html`<small id=${noteId} class="field-error">${error}</small>` : hint ? html`<small id=${noteId}>${hint}</small>` : null}
  </div>`;
}

/** A job's progress: determinate once its total is known. */
export function JobProgress({ job, label }) {
  const total = job.totalItems || 0;
  const finished = (job.doneItems || 0) + (job.errorItems || 0) + (job.skippedItems || 0);
  if (!total) {
    return job.status === 'RUNNING'
      ? html`<progress aria-label=${label}></progress>`
      : html`<progress aria-label=${label} value=${job.status === 'DONE' ? 1 : 0} max="1"></progress>`;
  }
  return html`<progress aria-label=${label} value=${Math.min(finished, total)} max=${total}></progress>`;
}
