// Settings → API keys: the organisation's keys (prefix, name, created, last used, revoked), a new
// key (its secret shown once, with a copy button) and revoking one (confirmed).
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { Badge, ConfirmDialog, Empty, ErrorNote, Field, Loaded, TableScroll, Time } from '../components.js';
import { useAction, useResource } from '../data.js';
import { html } from '../html.js';
import { sessionKeyPrefix } from '../session.js';
import { useTitle } from '../title.js';

/** Whether this browser signed in with the key (both show the key's first 16 characters). */
const isSessionKey = (key) => !!sessionKeyPrefix() && key.prefix === sessionKeyPrefix();

export function KeysPage() {
  useTitle('API keys');
  const keys = useResource(async (signal) => (await api.get('v1/keys', { signal })).keys, []);
  const [created, setCreated] = useState(null); // { key, secret }: held only until dismissed
  const [revoking, setRevoking] = useState(null);
  const revoke = useAction(async (key) => {
    await api.delete(`v1/keys/${encodeURIComponent(key.id)}`);
    setRevoking(null);
    announce(`The key ${key.name || key.prefix} is revoked.`);
    keys.reload();
  });

  return html`
    <h1>API keys</h1>
    <p>Keys let scripts and the <code>migrator</code> command use the API as your organisation. Each is shown once, when it is created.</p>
    <section aria-labelledby="create-heading">
      <h2 id="create-heading">Create a key</h2>
      ${created
        ? html`<${NewSecret} created=${created} onDone=${() => setCreated(null)} />`
        : html`<${CreateKeyForm} onCreated=${(answer) => { setCreated(answer); keys.reload(); }} />`}
    </section>
    <section aria-labelledby="keys-heading">
      <h2 id="keys-heading">Keys</h2>
      <${Loaded} resource=${keys} label="Loading keys…">
        ${(list) => (list.length ? html`<${TableScroll} label="API keys">
          <table class="striped">
            <thead><tr>
              <th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Created</th>
              <th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr></thead>
            <tbody>${list.map((key) => html`<tr key=${key.id}>
              <th scope="row">${key.name || html`<span class="hint">Unnamed</span>`}
                ${isSessionKey(key) && !key.revokedAt ? html`<br /><small>This browser signed in with it</small>` : null}</th>
              <td><code>${key.prefix}…</code></td>
              <td><${Time} iso=${key.createdAt} /></td>
              <td>${key.lastUsedAt ? html`<${Time} iso=${key.lastUsedAt} />` : 'Never'}</td>
              <td>${key.revokedAt
                ? html`<${Badge} status="REVOKED" label="Revoked" /> <${Time} iso=${key.revokedAt} />`
                : html`<${Badge} status="ACTIVE" label="Active" />`}</td>
              <td>${key.revokedAt ? null : html`<button type="button" class="danger outline" onClick=${() => setRevoking(key)}>
                Revoke<span class="visually-hidden"> ${key.name || key.prefix}</span></button>`}</td>
            </tr>`)}</tbody>
          </table>
        <//>` : html`<${Empty}><p>No keys yet.</p><//>`)}
      <//>
    </section>
    <${ConfirmDialog} open=${!!revoking} title=${`Revoke ${revoking ? revoking.name || revoking.prefix : 'the key'}?`}
      confirmLabel="Revoke the key" busy=${revoke.busy} error=${revoke.error}
      onConfirm=${() => revoke.run(revoking)} onClose=${() => { setRevoking(null); revoke.clear(); }}>
      <p>Scripts that use it stop working at once. This cannot be undone.
        ${revoking ? html` (<code>${revoking.prefix}…</code>)` : null}</p>
      ${revoking && isSessionKey(revoking) ? html`<p><strong>This browser signed in with this key: revoking it signs you out.</strong></p>` : null}
    <//>`;
}

function CreateKeyForm({ onCreated }) {
  const [name, setName] = useState('');
  const [live, setLive] = useState(false);
  const [fieldError, setFieldError] = useState('');
  const create = useAction(async () => onCreated(await api.post('v1/keys', { name: name.trim(), live })));

  const submit = (event) => {
    event.preventDefault();
    const trimmed = name.trim();
    const problem = !trimmed ? 'Name the key after what uses it.' : trimmed.length > 100 ? 'At most 100 characters.' : '';
    setFieldError(problem);
    if (!problem) create.run();
  };

  return html`<form onSubmit=${submit} novalidate>
    <${Field} label="Key name" hint="What the key is for, e.g. Nightly sync script" error=${fieldError}>
      ${(aria) => html`<input value=${name} maxlength="100" autocomplete="off" onInput=${(e) => setName(e.currentTarget.value)} ...${aria} />`}
    <//>
    <label><input type="checkbox" role="switch" checked=${live} onChange=${(e) => setLive(e.currentTarget.checked)} />
      Live key (<code>tmk_live_</code>; otherwise <code>tmk_test_</code>)</label>
    <${ErrorNote} error=${create.error} />
    <button type="submit" aria-busy=${create.busy ? 'true' : 'false'} disabled=${create.busy}>Create the key</button>
  </form>`;
}

function NewSecret({ created, onDone }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('Copied to the clipboard.');
      announce('The key is copied to the clipboard.');
    } catch {
      setCopied('Copying is not allowed here: select the key and copy it yourself.');
    }
  };
  return html`<article class="secret" aria-labelledby="secret-heading">
    <h3 id="secret-heading">Your new key: ${created.key.name}</h3>
    <p><strong>Copy it now: it is shown this once.</strong> Migrator keeps only its hash.</p>
    <label>New API key
      <input readonly value=${created.secret} class="secret-value" onFocus=${(e) => e.currentTarget.select()} /></label>
    <div class="actions">
      <button type="button" onClick=${copy}>Copy the key</button>
      <button type="button" class="secondary" onClick=${onDone}>Done: hide the key</button>
    </div>
    ${copied ? html`<p aria-live="polite">${copied}</p>` : null}
  </article>`;
}
