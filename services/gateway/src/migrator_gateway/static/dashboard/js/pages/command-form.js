// The form that queues a device command: the type, then its payload's fields, each checked as the
// API would check it (field errors shown beside the field), then the API's own verdict.
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { ErrorNote, Field } from '../components.js';
import { apiFieldErrors, checkedCommand, COMMAND_TYPES } from '../commands.js';
import { html } from '../html.js';

const EMPTY = { ppkgUrl: '', destTenantId: '', uploadUrl: '', rebootDelaySeconds: '', commandId: '', userMappings: [] };
const MIGRATIONS = new Set(['FULL_MIGRATION', 'PROFILE_MIGRATION', 'ENTRA_JOIN']);

export function CommandForm({ device, path, history, onQueued }) {
  const [type, setType] = useState('FULL_MIGRATION');
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState({});
  const [state, setState] = useState({ busy: false, error: null });
  const fields = COMMAND_TYPES[type].fields;
  const set = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const setRow = (index, name, value) => setForm({ ...form, userMappings: form.userMappings.map((r, i) => (i === index ? { ...r, [name]: value } : r)) });

  const submit = async (event) => {
    event.preventDefault();
    const { payload, errors: found } = checkedCommand(type, form);
    setErrors(found);
    if (Object.keys(found).length) {
      setState({ busy: false, error: null });
      return;
    }
    setState({ busy: true, error: null });
    try {
      const { command } = await api.post(`${path}/commands`, { type, payload });
      setForm(EMPTY);
      setState({ busy: false, error: null });
      announce(`${COMMAND_TYPES[type].label} queued for ${device.hostname} (${command.id}): it runs at the agent's next check-in.`);
      onQueued(command);
    } catch (error) {
      const byField = error.status === 400 ? apiFieldErrors(error.message) : {};
      setErrors(byField);
      setState({ busy: false, error: Object.keys(byField).length ? null : error });
    }
  };

  const text = (name, label, hint, extra = {}) => html`<${Field} label=${label} hint=${hint} error=${errors[name]}>
    ${(aria) => html`<input name=${name} value=${form[name]} autocomplete="off" spellcheck="false" onInput=${set(name)} ...${extra} ...${aria} />`}
  <//>`;

  return html`<form onSubmit=${submit} novalidate>
    <${Field} label="Command" hint=${COMMAND_TYPES[type].description}>
      ${(aria) => html`<select value=${type} onChange=${(e) => { setType(e.currentTarget.value); setErrors({}); }} ...${aria}>
        ${Object.entries(COMMAND_TYPES).map(([value, t]) => html`<option value=${value} selected=${value === type}>${t.label}</option>`)}
      </select>`}
    <//>
    ${fields.includes('ppkgUrl') ? text('ppkgUrl', 'Provisioning package URL', 'The https address of the .ppkg that joins the destination', { type: 'url', placeholder: 'https://storage.example.com/enroll.ppkg' }) : null}
    ${fields.includes('destTenantId') ? text('destTenantId', 'Destination tenant id', 'The destination Entra tenant id (a GUID)', { placeholder: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' }) : null}
    ${fields.includes('uploadUrl') ? text('uploadUrl', 'Upload URL', 'Where the agent uploads its logs, e.g. a blob SAS URL', { type: 'url' }) : null}
    ${fields.includes('rebootDelaySeconds') ? text('rebootDelaySeconds', 'Reboot delay (seconds)', 'From 0 to 3600; empty: reboot at once', { type: 'number', min: '0', max: '3600', inputmode: 'numeric' }) : null}
    ${fields.includes('commandId') ? html`<${Field} label="Migration to roll back" error=${errors.commandId}>
      ${(aria) => html`<select value=${form.commandId} onChange=${set('commandId')} ...${aria}>
        <option value="" selected=${!form.commandId}>The latest migration</option>
        ${history.filter((c) => MIGRATIONS.has(c.type)).map((c) => html`<option value=${c.id} selected=${c.id === form.commandId}>
          ${COMMAND_TYPES[c.type].label}, ${c.id} (${c.status.toLowerCase()})</option>`)}
      </select>`}
    <//>` : null}
    ${fields.includes('userMappings') ? html`<fieldset>
      <legend>User profiles${COMMAND_TYPES[type].mappingsRequired ? '' : ' (optional)'}</legend>
      ${form.userMappings.map((row, index) => html`<div class="grid mapping-row" key=${index}>
        <label>Source account ${index + 1}
          <input value=${row.sourceUser} autocomplete="off" placeholder="CONTOSO\\jane" onInput=${(e) => setRow(index, 'sourceUser', e.currentTarget.value)} /></label>
        <label>Destination user ${index + 1}
          <input type="email" value=${row.destUpn} autocomplete="off" placeholder="jane@fabrikam.com" onInput=${(e) => setRow(index, 'destUpn', e.currentTarget.value)} /></label>
        <button type="button" class="secondary outline" onClick=${() => setForm({ ...form, userMappings: form.userMappings.filter((_, i) => i !== index) })}>
          Remove<span class="visually-hidden"> profile mapping ${index + 1}</span></button>
      </div>`)}
      ${errors.userMappings ? html`<p class="field-error" role="alert">${errors.userMappings}</p>` : null}
      <button type="button" class="secondary" onClick=${() => setForm({ ...form, userMappings: [...form.userMappings, { sourceUser: '', destUpn: '' }] })}>Add a profile mapping</button>
    </fieldset>` : null}
    <${ErrorNote} error=${state.error} />
    <button type="submit" aria-busy=${state.busy ? 'true' : 'false'} disabled=${state.busy}>Queue the command</button>
  </form>`;
}
