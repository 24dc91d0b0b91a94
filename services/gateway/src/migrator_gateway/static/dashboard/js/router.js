// Hash routing (#/jobs/job_…): the server serves one page, whatever the route.
import { useEffect, useState } from '../vendor/hooks.mjs';

function parseHash(hash = window.location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, path: `/${parts.join('/')}`, query: new URLSearchParams(query) };
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const changed = () => setRoute(parseHash());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** The href of a route, its parts encoded: link('jobs', id) → #/jobs/job_… */
export function link(...parts) {
  return `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
}

export function navigate(href) {
  window.location.hash = href.replace(/^#/, '');
}

/** The same route with other query parameters, without adding a history entry per keystroke. */
export function replaceQuery(params) {
  const { path } = parseHash();
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  const hash = `#${path}${text ? `?${text}` : ''}`;
  window.history.replaceState(null, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
