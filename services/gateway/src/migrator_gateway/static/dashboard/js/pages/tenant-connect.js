// The form that starts admin consent for a tenant: its domain, kind and role.
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { ErrorNote, Field } from '../components.js';
import { html } from '../html.js';
import { DOMAIN_PATTERN } from '../tenants.js';

export function ConnectTenantForm({ onStarted }) {
  const [form, setForm] = useState({ domain: '', type: 'M365', role: 'source' });
  const [state, setState] = useState({ busy: false, error: null, fieldError: '' });
  const set = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const atlassian = form.type === 'ATLASSIAN';

  const submit = async (event) => {
    event.preventDefault();
    const domain = form.domain.trim().toLowerCase();
    if (!DOMAIN_PATTERN.test(domain) || domain.length > 253) {
      setState({ busy: false, error: null, fieldError: 'Enter a domain such as contoso.com.' });
      return;
    }
    const role = atlassian ? 'destination' : form.role;
    setState({ busy: true, error: null, fieldError: '' });
    try {
      const { authUrl, state: consentState } = await api.post('v1/tenants/connect', { domain, role, type: form.type });
      setState({ busy: false, error: null, fieldError: '' });
      setForm({ ...form, domain: '' });
      announce(`Consent link ready for ${domain}: open it to grant access.`);
      onStarted({ domain, role, authUrl, state: consentState });
    } catch (error) {
      setState({ busy: false, error, fieldError: '' });
    }
  };

  return html`<form onSubmit=${submit} novalidate>
    <div class="grid">
      <${Field} label="Domain" error=${state.fieldError}
        hint=${atlassian ? 'The Atlassian Cloud site, e.g. acme.atlassian.net' : 'The Microsoft 365 domain, e.g. contoso.com'}>
        ${(aria) => html`<input name="domain" autocomplete="off" spellcheck="false" value=${form.domain}
          placeholder=${atlassian ? 'acme.atlassian.net' : 'contoso.com'} onInput=${set('domain')} ...${aria} />`}
      <//>
      <label>
        Kind
        <select name="type" value=${form.type} onChange=${set('type')}>
          <option value="M365">Microsoft 365</option>
          <option value="ATLASSIAN">Atlassian Cloud (destination)</option>
        </select>
      </label>
    </div>
    <fieldset>
      <legend>Role</legend>
      <label><input type="radio" name="role" value="source" checked=${!atlassian && form.role === 'source'}
        disabled=${atlassian} onChange=${set('role')} /> Source (migrate from)</label>
      <label><input type="radio" name="role" value="destination" checked=${atlassian || form.role === 'destination'}
        onChange=${set('role')} /> Destination (migrate to)</label>
    </fieldset>
    <${ErrorNote} error=${state.error} />
    <button type="submit" aria-busy=${state.busy ? 'true' : 'false'} disabled=${state.busy}>Get the consent link</button>
  </form>`;
}
