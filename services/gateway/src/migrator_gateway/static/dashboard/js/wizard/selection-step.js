// Wizard step 2: which items move (searched and paged by the API, selected here) and where each
// goes (its mapping, found by search), plus user mappings for types that carry people's names.
import { useId, useState } from '../../vendor/hooks.mjs';
import { Empty, ErrorNote, Loaded, Pager, TableScroll } from '../components.js';
import { useResource } from '../data.js';
import { plural } from '../format.js';
import { html } from '../html.js';
import { discoveredPage, useSettled } from '../search.js';
import { KINDS } from './kinds.js';
import { loadContext } from './lists.js';
import { SearchInput } from './search-input.js';
import { UserMappings } from './user-mappings.js';

const PAGE_SIZE = 25;

export function SelectionStep({ plan, update, errors, tenants }) {
  const kind = KINDS[plan.type];
  const pair = { source: tenants.find((t) => t.id === plan.sourceId), dest: tenants.find((t) => t.id === plan.destId) };
  const context = useResource((signal) => loadContext(plan, kind, pair, signal), [plan.type, plan.sourceId, plan.destId]);

  return html`<${Loaded} resource=${context} label=${`Loading the ${kind.nouns}…`}>
    ${(ctx) => html`
      <${ItemPicker} plan=${plan} update=${update} kind=${kind} ctx=${ctx} error=${errors.selection} />
      ${kind.userMappings || kind.fallbackUser
        ? html`<${UserMappings} plan=${plan} update=${update} kind=${kind} error=${errors.userMappings} />`
        : null}`}
  <//>`;
}

function ItemPicker({ plan, update, kind, ctx, error }) {
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState([]);
  const id = useId();
  const settled = useSettled(search.trim());
  const cursor = cursors[cursors.length - 1];
  const listing = useResource(
    (signal) => discoveredPage(plan.sourceId, kind.list, { search: settled, limit: PAGE_SIZE, cursor, signal }),
    [plan.sourceId, kind.list, settled, cursor || ''],
  );
  const selected = new Set(plan.selected);
  const select = (rows, on) => {
    const labels = { ...plan.labels };
    const next = plan.selected.filter((v) => on || !rows.some((r) => r.value === v));
    if (on) {
      for (const r of rows) {
        if (!selected.has(r.value)) next.push(r.value);
        labels[r.value] = r.name;
      }
    }
    update({ selected: next, labels });
  };

  return html`<fieldset aria-describedby=${`${id}-count`}>
    <legend>${kind.label}: ${kind.nouns} to migrate</legend>
    <label class="search">Search ${kind.nouns}
      <input type="search" value=${search} autocomplete="off"
        onInput=${(e) => { setSearch(e.currentTarget.value); setCursors([]); }} /></label>
    <p id=${`${id}-count`} aria-live="polite">${plural(selected.size, kind.noun, kind.nouns)} selected.
      ${selected.size ? html` <button type="button" class="link-button" onClick=${() => update({ selected: [], labels: {} })}>Clear the selection</button>` : null}</p>
    ${error ? html`<${ErrorNote} error=${error} />` : null}
    <${Loaded} resource=${listing} label=${`Loading ${kind.nouns}…`}>
      ${(page) => {
        const rows = (page[kind.list] || []).map((item) => ({ item, value: kind.value(item, ctx), name: kind.name(item) }));
        if (!rows.length) {
          return html`<${Empty}><p>${settled ? `No ${kind.nouns} match “${settled}”.` : `Discovery found no ${kind.nouns} in the source tenant; rediscover it from its tenant page if it has some now.`}</p><//>`;
        }
        const allShown = rows.every((r) => selected.has(r.value));
        return html`
          <button type="button" class="secondary outline" onClick=${() => select(rows, !allShown)}>
            ${allShown ? 'Unselect' : 'Select'} the ${plural(rows.length, kind.noun, kind.nouns)} on this page</button>
          <${TableScroll} label=${`${kind.label} ${kind.nouns}`}>
            <table class="striped picker">
              <thead><tr>
                <th scope="col"><span class="visually-hidden">Selected</span></th>
                <th scope="col">Name</th><th scope="col">Details</th><th scope="col">Size</th>
                ${kind.dest ? html`<th scope="col">${kind.dest.label}</th>` : null}
              </tr></thead>
              <tbody>${rows.map(({ item, value, name }) => {
                const on = selected.has(value);
                return html`<tr key=${value}>
                  <td><input type="checkbox" checked=${on} aria-label=${`Select ${name}`}
                    onChange=${(e) => select([{ value, name }], e.currentTarget.checked)} /></td>
                  <th scope="row">${name}</th>
                  <td class="wrap">${kind.detail(item)}</td>
                  <td>${kind.size(item)}</td>
                  ${kind.dest ? html`<td>${on
                    ? html`<${Destination} plan=${plan} kind=${kind} ctx=${ctx} name=${name} value=${plan.mappings[value] || ''}
                        onChange=${(dest) => update({ mappings: { ...plan.mappings, [value]: dest } })} />`
                    : html`<span class="hint">Select it to map it</span>`}</td>` : null}
                </tr>`;
              })}</tbody>
            </table>
          <//>
          <${Pager} label=${`${kind.label} pages`} cursors=${cursors} nextCursor=${page.nextCursor} onPage=${setCursors} />`;
      }}
    <//>
    ${kind.dest ? html`<p><small>${kind.dest.label}: ${kind.dest.hint.charAt(0).toLowerCase()}${kind.dest.hint.slice(1)}.</small></p>` : null}
  </fieldset>`;
}

/** Where one selected item goes: a choice of the destination's teams, or a search of its items. */
function Destination({ plan, kind, ctx, name, value, onChange }) {
  const label = `${kind.dest.label} for ${name}`;
  if (kind.dest.choose) {
    return html`<select aria-label=${label} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="" selected=${!value}>Match by name, or create</option>
      ${ctx.destChoices.map((d) => {
        const v = kind.dest.value(d, ctx);
        return html`<option value=${v} selected=${v === value}>${kind.dest.text(d)}</option>`;
      })}
    </select>`;
  }
  return html`<${SearchInput} tenantId=${plan.destId} what=${kind.dest.list} aria-label=${label} value=${value}
    placeholder=${kind.dest.hint} suggest=${(d) => kind.dest.value(d, ctx)} onChange=${onChange} />`;
}
