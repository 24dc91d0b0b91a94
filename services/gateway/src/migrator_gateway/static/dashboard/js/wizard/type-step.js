// Wizard step 1: what to migrate, from which tenant to which, and what of each item moves.
import { ErrorNote, Field } from '../components.js';
import { html } from '../html.js';
import { KINDS, TYPE_ORDER, tenantsFor } from './kinds.js';

function TenantSelect({ label, value, tenants, error, onChange, role }) {
  return html`<${Field} label=${label} error=${error}
    hint=${tenants.length ? null : html`No ${role} tenant can run this type yet: <a href="#/tenants">connect one</a>.`}>
    ${(aria) => html`<select value=${value} onChange=${(e) => onChange(e.currentTarget.value)} ...${aria}>
      <option value="" selected=${!value}>Choose a ${role} tenant</option>
      ${tenants.map((t) => html`<option key=${t.id} value=${t.id} selected=${t.id === value} disabled=${!t.discoveredAt}>
        ${t.domain}${t.discoveredAt ? '' : ' (discovery running)'}</option>`)}
    </select>`}
  <//>`;
}

export function TypeStep({ plan, update, tenants, errors }) {
  const kind = KINDS[plan.type];
  const { sources, destinations } = plan.type ? tenantsFor(plan.type, tenants) : { sources: [], destinations: [] };

  return html`
    <fieldset aria-describedby=${errors.type ? 'type-error' : undefined}>
      <legend>What to migrate</legend>
      <div class="type-choices">
        ${TYPE_ORDER.map((type) => html`<div key=${type} class="choice"><label>
          <input type="radio" name="type" value=${type} checked=${plan.type === type}
            aria-describedby=${`type-${type}-hint`} onChange=${() => {
              const fits = tenantsFor(type, tenants);
              update({
                type,
                sourceId: fits.sources.some((t) => t.id === plan.sourceId) ? plan.sourceId : '',
                destId: fits.destinations.some((t) => t.id === plan.destId) ? plan.destId : '',
              });
            }} />
          ${KINDS[type].label}</label>
          <small id=${`type-${type}-hint`}>${KINDS[type].description}</small>
        </div>`)}
      </div>
      ${errors.type ? html`<small id="type-error" class="field-error">${errors.type}</small>` : null}
    </fieldset>
    ${plan.type ? html`<div class="grid">
      <${TenantSelect} label="Source tenant" role="source" value=${plan.sourceId} tenants=${sources}
        error=${errors.sourceId} onChange=${(sourceId) => update({ sourceId })} />
      <${TenantSelect} label="Destination tenant" role="destination" value=${plan.destId} tenants=${destinations}
        error=${errors.destId} onChange=${(destId) => update({ destId })} />
    </div>` : null}
    ${kind?.scope ? html`<fieldset>
      <legend>What moves</legend>
      ${kind.scope.map(([name, label]) => html`<label key=${name}>
        <input type="checkbox" checked=${!!plan.scope[name]}
          onChange=${(e) => update({ scope: { ...plan.scope, [name]: e.currentTarget.checked } })} /> ${label}</label>`)}
      ${errors.scope ? html`<${ErrorNote} error=${errors.scope} />` : null}
    </fieldset>` : null}
    ${kind?.flags ? html`<fieldset>
      <legend>Options</legend>
      ${kind.flags.map(([name, label, hint]) => html`<div key=${name} class="choice"><label>
        <input type="checkbox" role="switch" checked=${!!plan.flags[name]} aria-describedby=${`flag-${name}`}
          onChange=${(e) => update({ flags: { ...plan.flags, [name]: e.currentTarget.checked } })} /> ${label}</label>
        <small id=${`flag-${name}`}>${hint}</small></div>`)}
    </fieldset>` : null}`;
}
