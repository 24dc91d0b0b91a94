// A job's live log over Server-Sent Events: history, then live lines, then `done`. EventSource
// reconnects by itself with Last-Event-ID; the ids seen are kept so a line is never shown twice.
import { useEffect, useRef, useState } from '../../vendor/hooks.mjs';
import { api, apiUrl } from '../api.js';
import { Badge, Time } from '../components.js';
import { html } from '../html.js';

const LEVELS = ['OK', 'INFO', 'WARN', 'ERROR'];
const MAX_SHOWN = 2000; // the rest is in the CSV; thousands of rows make the page sluggish
const FLUSH_MS = 150; // lines arrive in bursts: render them together

export function LiveLog({ jobId }) {
  const [levels, setLevels] = useState(LEVELS);
  const [stream, setStream] = useState({ state: 'connecting', done: null, error: '' });
  const [lines, setLines] = useState([]);
  const [attempt, setAttempt] = useState(0);
  const box = useRef(null);
  const following = useRef(true);

  useEffect(() => {
    const level = levels.length === LEVELS.length ? undefined : levels.join(',');
    const source = new EventSource(apiUrl(`v1/jobs/${encodeURIComponent(jobId)}/logs`, { level }));
    const seen = new Set();
    let pending = [];
    let timer = null;
    const flush = () => {
      timer = null;
      const fresh = pending;
      pending = [];
      setLines((current) => [...current, ...fresh].slice(-MAX_SHOWN));
    };
    setLines([]);
    setStream({ state: 'connecting', done: null, error: '' });

    source.onopen = () => setStream((s) => ({ ...s, state: 'live', error: '' }));
    source.addEventListener('log', (event) => {
      const line = JSON.parse(event.data);
      const id = event.lastEventId || line.id;
      if (seen.has(id)) return;
      seen.add(id);
      pending.push({ ...line, key: id });
      if (!timer) timer = setTimeout(flush, FLUSH_MS);
    });
    source.addEventListener('done', (event) => {
      source.close();
      clearTimeout(timer);
      flush();
      setStream({ state: 'done', done: JSON.parse(event.data), error: '' });
    });
    source.onerror = async () => {
      if (source.readyState !== EventSource.CLOSED) {
        setStream((s) => ({ ...s, state: 'reconnecting' }));
        return;
      }
      // Refused outright (EventSource gives no reason): the job's own answer says why.
      let reason = 'The log stream stopped.';
      try {
        await api.get(`v1/jobs/${encodeURIComponent(jobId)}`);
      } catch (error) {
        reason = error.message;
      }
      setStream({ state: 'stopped', done: null, error: reason });
    };
    return () => {
      source.close();
      clearTimeout(timer);
    };
  }, [jobId, levels.join(','), attempt]);

  // Stay at the newest line unless the reader has scrolled up to read.
  useEffect(() => {
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  const scrolled = () => {
    const el = box.current;
    following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  };

  const toggle = (level) => (event) => {
    const on = event.currentTarget.checked;
    const next = LEVELS.filter((l) => (l === level ? on : levels.includes(l)));
    if (next.length) setLevels(next);
  };

  return html`<section aria-labelledby="log-heading">
    <h2 id="log-heading">Live log</h2>
    <fieldset class="levels">
      <legend>Levels shown</legend>
      ${LEVELS.map((level) => html`<label key=${level}>
        <input type="checkbox" checked=${levels.includes(level)} disabled=${levels.length === 1 && levels.includes(level)}
          onChange=${toggle(level)} /> ${level}</label>`)}
    </fieldset>
    <p class="log-state" aria-live="polite">
      ${stream.state === 'connecting' ? html`<span aria-busy="true">Connecting to the log…</span>` : null}
      ${stream.state === 'live' ? 'Live: new lines appear as the job runs.' : null}
      ${stream.state === 'reconnecting' ? html`<span aria-busy="true">Connection lost; reconnecting where it stopped…</span>` : null}
      ${stream.state === 'done' ? html`Log complete: the job ended <${Badge} status=${stream.done.status} />
        ${stream.done.completedAt ? html` at <${Time} iso=${stream.done.completedAt} />` : null}.` : null}
      ${stream.state === 'stopped' ? html`<span class="error-note">${stream.error}</span>
        <button type="button" class="secondary outline" onClick=${() => setAttempt((a) => a + 1)}>Reconnect</button>` : null}
    </p>
    <div class="log" role="log" aria-label="Log lines" tabindex="0" ref=${box} onScroll=${scrolled}>
      ${lines.length
        ? html`<ol>${lines.map((line) => html`<li key=${line.key} data-seq=${line.key} class=${`level-${line.level}`}>
            <time datetime=${line.ts}>${new Date(line.ts).toLocaleTimeString()}</time>
            <span class="level">${line.level}</span>
            <span class="message">${line.message}</span>
          </li>`)}</ol>`
        : html`<p class="empty-log">${stream.state === 'done' ? 'No lines at these levels.' : 'No lines yet.'}</p>`}
    </div>
    ${lines.length >= MAX_SHOWN ? html`<p><small>Showing the latest ${MAX_SHOWN} lines; the CSV holds them all.</small></p>` : null}
  </section>`;
}
