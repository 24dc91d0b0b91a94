// Registering a Jira / Confluence Server or Data Center as a source: its id, address and token.
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { ErrorNote, Field } from '../components.js';
import { html } from '../html.js';

const SERVER_ID = /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/;
const BASE_URL = /^https?:\/\/\S+$/;
const EMPTY = { serverId: '', baseUrl: '', accessToken: '' };

function problems(form) {
  const found = {};
  if (!SERVER_ID.test(form.serverId.trim())) found.serverId = 'Four groups of four capitals or digits, e.g. BSQ4-J2CB-XYZ1-ABCD.';
  if (!BASE_URL.test(form.baseUrl.trim())) found.baseUrl = 'An http(s) address, e.g. https://jira.example.com.';
  if (form.accessToken.length < 8 || form.accessToken.length > 1024) found.accessToken = 'A personal access token of 8 to 1024 characters.';
  return found;
}

export function RegisterServerForm({ onRegistered }) {
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState({});
  const [state, setState] = useState({ busy: false, error: null });
  const set = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });

  const submit = async (event) => {
    event.preventDefault();
    const found = problems(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    setState({ busy: true, error: null });
    try {
      const body = { serverId: form.serverId.trim(), baseUrl: form.baseUrl.trim(), accessToken: form.accessToken };
      const { tenant } = await api.post('v1/tenants/servers', body);
      setForm(EMPTY);
      setState({ busy: false, error: null });
      announce(`${tenant.domain} is registered as a source; discovery has started.`);
      onRegistered(tenant);
    } catch (error) {
      setState({ busy: false, error });
    }
  };

  return html`<form onSubmit=${submit} novalidate>
    <div class="grid">
      <${Field} label="Server id" error=${errors.serverId} hint="Administration → System information">
        ${(aria) => html`<input name="serverId" autocomplete="off" value=${form.serverId} onInput=${set('serverId')} ...${aria} />`}
      <//>
      <${Field} label="Server address" error=${errors.baseUrl}>
        ${(aria) => html`<input name="baseUrl" type="url" autocomplete="off" placeholder="https://jira.example.com"
          value=${form.baseUrl} onInput=${set('baseUrl')} ...${aria} />`}
      <//>
    </div>
    <${Field} label="Administrator's personal access token" error=${errors.accessToken} hint="Stored encrypted">
      ${(aria) => html`<input name="accessToken" type="password" autocomplete="off" value=${form.accessToken}
        onInput=${set('accessToken')} ...${aria} />`}
    <//>
    <${ErrorNote} error=${state.error} />
    <button type="submit" class="secondary" aria-busy=${state.busy ? 'true' : 'false'} disabled=${state.busy}>Register the server</button>
  </form>`;
}
