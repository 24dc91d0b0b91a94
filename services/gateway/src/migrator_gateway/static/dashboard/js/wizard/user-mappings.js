// Mapping people: source user → destination user (each found by search), and the Teams fallback author.
import { ErrorNote } from '../components.js';
import { html } from '../html.js';
import { SearchInput } from './search-input.js';

const upn = (u) => u.upn;

export function UserMappings({ plan, update, kind, error }) {
  const rows = plan.userMappings;
  const set = (index, field, value) => update({ userMappings: rows.map((r, i) => (i === index ? { ...r, [field]: value } : r)) });

  return html`<details open=${rows.length > 0 || !!plan.fallbackUser || !!error}>
    <summary>Map users (optional)</summary>
    <p><small>${kind.fallbackUser
      ? 'Message authors go to the destination user of the same name unless mapped here; the fallback user takes those with no match.'
      : 'Permissions go to the destination user of the same name unless mapped here.'}</small></p>
    ${rows.map((row, index) => html`<div class="grid mapping-row" key=${index}>
      <label>Source user ${index + 1}
        <${SearchInput} tenantId=${plan.sourceId} what="users" value=${row.source} placeholder="Search source users"
          suggest=${upn} onChange=${(v) => set(index, 'source', v)} /></label>
      <label>Destination user ${index + 1}
        <${SearchInput} tenantId=${plan.destId} what="users" value=${row.dest} placeholder="Search destination users"
          suggest=${upn} onChange=${(v) => set(index, 'dest', v)} /></label>
      <button type="button" class="secondary outline" onClick=${() => update({ userMappings: rows.filter((_, i) => i !== index) })}>
        Remove<span class="visually-hidden"> user mapping ${index + 1}</span></button>
    </div>`)}
    ${error ? html`<${ErrorNote} error=${error} />` : null}
    <button type="button" class="secondary" onClick=${() => update({ userMappings: [...rows, { source: '', dest: '' }] })}>Add a user mapping</button>
    ${kind.fallbackUser ? html`<label>Fallback user
      <${SearchInput} tenantId=${plan.destId} what="users" value=${plan.fallbackUser}
        placeholder="A destination user for authors with no match" suggest=${upn} onChange=${(v) => update({ fallbackUser: v })} /></label>` : null}
  </details>`;
}
