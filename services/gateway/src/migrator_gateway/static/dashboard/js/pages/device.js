// One device: its details, the command form, and its command history (a PENDING command can be
// cancelled until the agent picks it up).
import { useState } from '../../vendor/hooks.mjs';
import { api } from '../api.js';
import { announce } from '../announce.js';
import { Badge, ConfirmDialog, Empty, ErrorNote, Loaded, Pager, TableScroll, Time } from '../components.js';
import { useAction, useResource } from '../data.js';
import { html } from '../html.js';
import { link, navigate } from '../router.js';
import { useTitle } from '../title.js';
import { CommandForm } from './command-form.js';

const POLL_MS = 3000;

export function DevicePage({ deviceId }) {
  const path = `v1/devices/${encodeURIComponent(deviceId)}`;
  const device = useResource(async (signal) => (await api.get(path, { signal })).device, [deviceId], { every: POLL_MS * 2 });
  useTitle(device.data ? device.data.hostname : 'Device');

  return html`
    <p class="breadcrumb"><a href=${link('devices')}>Devices</a></p>
    <${Loaded} resource=${device} label="Loading the device…">
      ${(d) => html`<${DeviceView} device=${d} path=${path} />`}
    <//>`;
}

function DeviceView({ device, path }) {
  const [cursors, setCursors] = useState([]);
  const [confirming, setConfirming] = useState(false);
  const cursor = cursors[cursors.length - 1];
  const commands = useResource(
    (signal) => api.get(`${path}/commands`, { params: { cursor, limit: 50 }, signal }),
    [path, cursor || ''],
    { every: POLL_MS },
  );
  const remove = useAction(async () => {
    await api.delete(path);
    announce(`${device.hostname} is removed.`);
    navigate(link('devices'));
  });

  return html`
    <h1>${device.hostname}</h1>
    <p><${Badge} status=${device.status} /></p>
    <dl class="facts">
      <div><dt>Domain</dt><dd>${device.domain}</dd></div>
      <div><dt>IP address</dt><dd>${device.ipAddress}</dd></div>
      <div><dt>Agent version</dt><dd>${device.agentVersion || '—'}</dd></div>
      <div><dt>Last seen</dt><dd>${device.lastSeenAt ? html`<${Time} iso=${device.lastSeenAt} />` : 'Never'}</dd></div>
      <div><dt>Registered</dt><dd><${Time} iso=${device.createdAt} /></dd></div>
      <div><dt>Device id</dt><dd><code>${device.id}</code></dd></div>
    </dl>
    <section aria-labelledby="queue-heading">
      <h2 id="queue-heading">Queue a command</h2>
      <${CommandForm} device=${device} path=${path} history=${commands.data?.commands || []}
        onQueued=${() => { setCursors([]); commands.reload(); }} />
    </section>
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Command history</h2>
      <${Loaded} resource=${commands} label="Loading the commands…">
        ${(page) => html`${page.commands.length
          ? html`<${CommandTable} commands=${page.commands} path=${path} onChanged=${commands.reload} />`
          : html`<${Empty}><p>No commands yet.</p><//>`}
          <${Pager} label="Command pages" cursors=${cursors} nextCursor=${page.nextCursor} onPage=${setCursors} />`}
      <//>
    </section>
    <section aria-labelledby="remove-heading">
      <h2 id="remove-heading">Remove the device</h2>
      <p>The agent keeps running, but its check-ins are refused until it registers again.</p>
      <button type="button" class="danger outline" onClick=${() => setConfirming(true)}>Remove ${device.hostname}</button>
    </section>
    <${ConfirmDialog} open=${confirming} title=${`Remove ${device.hostname}?`} confirmLabel="Remove the device"
      busy=${remove.busy} error=${remove.error} onConfirm=${() => remove.run()}
      onClose=${() => { setConfirming(false); remove.clear(); }}>
      <p>Its registration and command history are deleted.</p>
    <//>`;
}

function CommandTable({ commands, path, onChanged }) {
  const cancel = useAction(async (command) => {
    const { status } = await api.patch(`${path}/commands/${encodeURIComponent(command.id)}/cancel`);
    announce(`Command ${command.id} ${status === 'CANCELLED' ? 'cancelled' : `is ${status.toLowerCase()}`}.`);
    onChanged();
  });
  return html`<${ErrorNote} error=${cancel.error} />
    <${TableScroll} label="Commands">
      <table class="striped">
        <thead><tr>
          <th scope="col">Command</th><th scope="col">Status</th><th scope="col">Queued</th>
          <th scope="col">Updated</th><th scope="col">Result</th><th scope="col">Payload</th><th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr></thead>
        <tbody>${commands.map((c) => html`<tr key=${c.id}>
          <th scope="row">${c.type}<br /><small class="job-id">${c.id}</small></th>
          <td><${Badge} status=${c.status} /></td>
          <td><${Time} iso=${c.createdAt} /></td>
          <td><${Time} iso=${c.updatedAt} /></td>
          <td class="wrap">${c.result || '—'}</td>
          <td><details><summary>Payload<span class="visually-hidden"> of ${c.id}</span></summary>
            <pre>${JSON.stringify(c.payload, null, 2)}</pre></details></td>
          <td>${c.status === 'PENDING' ? html`<button type="button" class="secondary outline" disabled=${cancel.busy}
            onClick=${() => cancel.run(c)}>Cancel<span class="visually-hidden"> ${c.type} command ${c.id}</span></button>` : null}</td>
        </tr>`)}</tbody>
      </table>
    <//>`;
}
