// A tenant's discovered users, sites, teams, projects and spaces: a tab each, with search and paging.
import { useEffect, useId, useRef, useState } from '../../vendor/hooks.mjs';
import { Badge, Empty, Loaded, Pager, TableScroll, Time } from '../components.js';
import { useResource } from '../data.js';
import { DISCOVERED, kindsOf } from '../discovered.js';
import { html } from '../html.js';
import { replaceQuery, useRoute } from '../router.js';
import { discoveredPage, useSettled } from '../search.js';

const PAGE_SIZE = 25;

export function DiscoveredTabs({ tenant, discovering, onLatest }) {
  const route = useRoute();
  const kinds = kindsOf(tenant);
  const selected = kinds.includes(route.query.get('tab')) ? route.query.get('tab') : kinds[0];
  const id = useId();
  const tabs = useRef({});

  const choose = (kind, focus = false) => {
    replaceQuery({ tab: kind });
    if (focus) tabs.current[kind]?.focus();
  };
  // Arrow keys move between tabs, as in every tab list (WAI-ARIA Authoring Practices).
  const keyDown = (event) => {
    const index = kinds.indexOf(selected);
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: kinds.length - 1 - index };
    if (!(event.key in moves)) return;
    event.preventDefault();
    choose(kinds[(index + moves[event.key] + kinds.length) % kinds.length], true);
  };

  return html`<section aria-labelledby=${`${id}-heading`}>
    <h2 id=${`${id}-heading`}>What discovery found</h2>
    <div role="tablist" aria-label="Discovered items" class="tabs" onKeyDown=${keyDown}>
      ${kinds.map((kind) => html`<button key=${kind} type="button" role="tab" id=${`${id}-tab-${kind}`}
        aria-selected=${kind === selected ? 'true' : 'false'} aria-controls=${`${id}-panel`}
        tabindex=${kind === selected ? 0 : -1} ref=${(el) => { tabs.current[kind] = el; }}
        onClick=${() => choose(kind)}>${DISCOVERED[kind].label}</button>`)}
    </div>
    <div role="tabpanel" id=${`${id}-panel`} aria-labelledby=${`${id}-tab-${selected}`}>
      <${DiscoveredList} key=${selected} tenantId=${tenant.id} kind=${selected} discovering=${discovering} onLatest=${onLatest} />
    </div>
  </section>`;
}

function DiscoveredList({ tenantId, kind, discovering, onLatest }) {
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState([]);
  const settled = useSettled(search.trim());
  const cursor = cursors[cursors.length - 1];
  const listing = useResource(
    (signal) => discoveredPage(tenantId, kind, { search: settled, limit: PAGE_SIZE, cursor, signal }),
    [tenantId, kind, settled, cursor || ''],
    { every: discovering ? 2000 : 0 },
  );
  useEffect(() => {
    if (listing.data) onLatest(listing.data.latestJob);
  }, [listing.data]);
  useEffect(() => {
    if (discovering) listing.reload(); // start polling: the list changes when the discovery ends
  }, [discovering]);
  const config = DISCOVERED[kind];
  const noun = config.label.toLowerCase();

  return html`
    <label class="search">
      Search ${noun}
      <input type="search" value=${search} autocomplete="off"
        onInput=${(e) => { setSearch(e.currentTarget.value); setCursors([]); }} />
    </label>
    <${Loaded} resource=${listing} label=${`Loading ${noun}…`}>
      ${(data) => {
        const items = data[kind] || [];
        return html`
          <${LatestDiscovery} latest=${data.latestJob} />
          ${items.length
            ? html`<${TableScroll} label=${config.label}>
                <table class="striped">
                  <thead><tr>${config.columns.map(([name]) => html`<th scope="col">${name}</th>`)}</tr></thead>
                  <tbody>${items.map((item) => html`<tr key=${item.id}>
                    ${config.columns.map(([, value]) => html`<td>${value(item)}</td>`)}
                  </tr>`)}</tbody>
                </table>
              <//>
              <${Pager} label=${`${config.label} pages`} cursors=${cursors} nextCursor=${data.nextCursor} onPage=${setCursors} />`
            : html`<${Empty}><p>${settled ? `No ${noun} match “${settled}”.` : `Discovery found no ${noun}.`}</p><//>`}`;
      }}
    <//>`;
}

function LatestDiscovery({ latest }) {
  if (!latest) return html`<p>No discovery has run yet.</p>`;
  return html`<p>Latest discovery: <${Badge} status=${latest.status} />
    ${latest.completedAt ? html` completed <${Time} iso=${latest.completedAt} />` : null}</p>`;
}
