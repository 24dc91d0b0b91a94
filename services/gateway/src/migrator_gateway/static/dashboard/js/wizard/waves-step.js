// Wizard step 4: waves. The selection is split into batches, each with a name and a start in the
// user's own time zone (sent as ISO 8601 with its offset; empty starts at once), then created as
// one batch request (all or nothing).
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { ErrorNote, Field, TableScroll } from '../components.js';
import { formatDate, localToIso, plural, TIME_ZONE } from '../format.js';
import { html } from '../html.js';
import { link, navigate } from '../router.js';
import { KINDS, optionsFor, scopeFor } from './kinds.js';

const MAX_BATCHES = 100;

function batchOf(plan, value) {
  const index = plan.assignment[value] ?? 0;
  return index < plan.batches.length ? index : 0;
}

function problems(plan, kind) {
  const found = {};
  plan.batches.forEach((batch, index) => {
    if (!plan.selected.some((v) => batchOf(plan, v) === index)) found[`items${index}`] = `Batch ${index + 1} has no ${kind.nouns}: assign some, or remove it.`;
    if (batch.name.length > 200) found[`name${index}`] = 'At most 200 characters.';
    if (batch.start && !localToIso(batch.start)) found[`start${index}`] = 'Enter a date and time, or leave it empty to start at once.';
  });
  return found;
}

export function WavesStep({ plan, update, onBack }) {
  const kind = KINDS[plan.type];
  const [errors, setErrors] = useState({});
  const [state, setState] = useState({ busy: false, error: null });
  const names = Object.fromEntries(plan.selected.map((v) => [v, plan.labels[v] || v]));

  const setBatch = (index, changes) => update({ batches: plan.batches.map((b, i) => (i === index ? { ...b, ...changes } : b)) });
  const addBatch = () => update({ batches: [...plan.batches, { name: `Wave ${plan.batches.length + 1}`, start: '' }] });
  const removeBatch = (index) => {
    const assignment = {};
    for (const v of plan.selected) {
      const at = batchOf(plan, v);
      assignment[v] = at === index ? 0 : at > index ? at - 1 : at;
    }
    update({ batches: plan.batches.filter((_, i) => i !== index), assignment });
  };
  // Round-robin keeps each wave about the same size.
  const spread = () => update({ assignment: Object.fromEntries(plan.selected.map((v, i) => [v, i % plan.batches.length])) });

  const submit = async (event) => {
    event.preventDefault();
    const found = problems(plan, kind);
    setErrors(found);
    if (Object.keys(found).length) return;
    const batches = plan.batches.map((batch, index) => ({
      name: batch.name.trim() || null,
      scheduledAt: localToIso(batch.start),
      options: optionsFor(plan, plan.selected.filter((v) => batchOf(plan, v) === index)),
    }));
    setState({ busy: true, error: null });
    try {
      const { jobIds } = await api.post('v1/jobs/batch', {
        sourceTenantId: plan.sourceId, destTenantId: plan.destId, type: plan.type, scope: scopeFor(plan), batches,
      });
      announce(`${plural(jobIds.length, 'job')} created: ${jobIds.join(', ')}.`);
      navigate(link('jobs'));
    } catch (error) {
      setState({ busy: false, error });
    }
  };

  return html`<form onSubmit=${submit} novalidate>
    <p>Each batch becomes a job of its own, started at its time: scheduled, paused and watched on its own.
      Times are in your time zone, ${TIME_ZONE}.</p>
    ${plan.batches.map((batch, index) => {
      const count = plan.selected.filter((v) => batchOf(plan, v) === index).length;
      const iso = localToIso(batch.start);
      return html`<fieldset key=${index} class="batch">
        <legend>Batch ${index + 1}</legend>
        <div class="grid">
          <${Field} label=${`Batch ${index + 1} name`} error=${errors[`name${index}`]}>
            ${(aria) => html`<input value=${batch.name} maxlength="200" onInput=${(e) => setBatch(index, { name: e.currentTarget.value })} ...${aria} />`}
          <//>
          <${Field} label=${`Batch ${index + 1} start`} error=${errors[`start${index}`]}
            hint=${iso ? `Starts ${formatDate(iso)} (${TIME_ZONE})` : 'Empty: starts as soon as it is created'}>
            ${(aria) => html`<input type="datetime-local" value=${batch.start} onInput=${(e) => setBatch(index, { start: e.currentTarget.value })} ...${aria} />`}
          <//>
        </div>
        <p>${plural(count, kind.noun, kind.nouns)}</p>
        ${errors[`items${index}`] ? html`<${ErrorNote} error=${errors[`items${index}`]} />` : null}
        ${plan.batches.length > 1 ? html`<button type="button" class="secondary outline" onClick=${() => removeBatch(index)}>
          Remove batch ${index + 1}</button>` : null}
      </fieldset>`;
    })}
    <div class="actions">
      <button type="button" class="secondary" disabled=${plan.batches.length >= MAX_BATCHES || plan.batches.length >= plan.selected.length}
        onClick=${addBatch}>Add a batch</button>
      <button type="button" class="secondary outline" disabled=${plan.batches.length < 2} onClick=${spread}>Spread the ${kind.nouns} evenly</button>
    </div>
    <${TableScroll} label=${`Which batch each ${kind.noun} is in`}>
      <table class="striped">
        <thead><tr><th scope="col">${kind.label} ${kind.noun}</th><th scope="col">Batch</th></tr></thead>
        <tbody>${plan.selected.map((value) => html`<tr key=${value}>
          <th scope="row" class="wrap">${names[value]}</th>
          <td><select aria-label=${`Batch for ${names[value]}`} value=${String(batchOf(plan, value))}
            onChange=${(e) => update({ assignment: { ...plan.assignment, [value]: Number(e.currentTarget.value) } })}>
            ${plan.batches.map((b, i) => html`<option value=${String(i)} selected=${i === batchOf(plan, value)}>Batch ${i + 1}${b.name ? `: ${b.name}` : ''}</option>`)}
          </select></td>
        </tr>`)}</tbody>
      </table>
    <//>
    <${ErrorNote} error=${state.error} />
    <div class="wizard-nav">
      <button type="button" class="secondary" onClick=${onBack}>Back</button>
      <button type="submit" aria-busy=${state.busy ? 'true' : 'false'} disabled=${state.busy}>
        Create ${plural(plan.batches.length, 'job')}</button>
    </div>
  </form>`;
}
