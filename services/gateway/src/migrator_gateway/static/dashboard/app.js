// The dashboard's entry point: the session check, the page shell (header, nav, status region,
// main) and the route table.
import { render } from './vendor/preact.mjs';
import { useEffect, useErrorBoundary, useRef, useState } from './vendor/hooks.mjs';
import { onUnauthorized } from './js/api.js';
import { announce, useAnnouncement } from './js/announce.js';
import { ErrorNote, Loading } from './js/components.js';
import { html } from './js/html.js';
import { DevicePage } from './js/pages/device.js';
import { DevicesPage } from './js/pages/devices.js';
import { JobPage } from './js/pages/job.js';
import { JobsPage } from './js/pages/jobs.js';
import { KeysPage } from './js/pages/keys.js';
import { NotFoundPage } from './js/pages/not-found.js';
import { SignInPage } from './js/pages/signin.js';
import { TenantPage } from './js/pages/tenant.js';
import { TenantsPage } from './js/pages/tenants.js';
import { WizardPage } from './js/pages/wizard.js';
import { link, useRoute } from './js/router.js';
import { currentSession, signOut } from './js/session.js';

const NAV = [
  { href: '#/tenants', label: 'Tenants', section: 'tenants' },
  { href: '#/migrations/new', label: 'New migration', section: 'migrations' },
  { href: '#/jobs', label: 'Jobs', section: 'jobs' },
  { href: '#/devices', label: 'Devices', section: 'devices' },
  { href: '#/settings/keys', label: 'API keys', section: 'settings' },
];

function pageFor(parts) {
  const [section = 'tenants', id, extra] = parts;
  if (section === 'tenants') return id ? html`<${TenantPage} tenantId=${id} />` : html`<${TenantsPage} />`;
  if (section === 'migrations' && id === 'new' && !extra) return html`<${WizardPage} />`;
  if (section === 'jobs') return id ? html`<${JobPage} jobId=${id} />` : html`<${JobsPage} />`;
  if (section === 'devices') return id ? html`<${DevicePage} deviceId=${id} />` : html`<${DevicesPage} />`;
  if (section === 'settings' && (!id || id === 'keys')) return html`<${KeysPage} />`;
  return html`<${NotFoundPage} />`;
}

/** A page that throws shows what happened instead of vanishing. */
function PageBoundary({ children }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return html`<h1>Something went wrong</h1>
      <${ErrorNote} error=${error} />
      <button type="button" onClick=${reset}>Try again</button>`;
  }
  return children;
}

function Shell({ session, onSignOut }) {
  const route = useRoute();
  const message = useAnnouncement();
  const main = useRef(null);
  const section = route.parts[0] || 'tenants';
  const [leaving, setLeaving] = useState(false);

  // A new page moves focus to it, as a page load would (not on a filter change in the query).
  const shownPath = useRef(route.path);
  useEffect(() => {
    if (shownPath.current !== route.path) {
      shownPath.current = route.path;
      main.current?.focus();
    }
  }, [route.path]);

  const skip = (event) => {
    event.preventDefault();
    main.current?.focus();
  };
  const leave = async () => {
    setLeaving(true);
    try {
      await onSignOut();
    } finally {
      setLeaving(false);
    }
  };

  return html`
    <header class="site-header">
      <a class="skip-link" href=${`#${route.path}`} onClick=${skip}>Skip to content</a>
      <nav class="container" aria-label="Main">
        <ul><li><a class="brand" href="#/tenants">Migrator</a></li></ul>
        <ul class="nav-links">
          ${NAV.map((item) => html`<li key=${item.href}>
            <a href=${item.href} aria-current=${item.section === section ? 'page' : undefined}>${item.label}</a>
          </li>`)}
        </ul>
        <ul class="account">
          <li><span class="org">Organisation <code>${session.orgId}</code></span></li>
          <li><button type="button" class="secondary outline" aria-busy=${leaving ? 'true' : 'false'}
            disabled=${leaving} onClick=${leave}>Sign out</button></li>
        </ul>
      </nav>
    </header>
    <div class="container status-region" role="status" aria-live="polite">${message}</div>
    <main id="main" class="container" tabindex="-1" ref=${main}>
      <${PageBoundary} key=${route.path}>${pageFor(route.parts)}<//>
    </main>`;
}

function App() {
  const [session, setSession] = useState(undefined); // undefined while checking; null: signed out
  const [startup, setStartup] = useState({ error: null, attempt: 0 });
  const [notice, setNotice] = useState('');

  useEffect(() => {
    onUnauthorized(() => {
      setSession((current) => {
        if (current) setNotice('Your session has ended. Sign in again to continue.');
        return null;
      });
    });
  }, []);

  useEffect(() => {
    let live = true;
    currentSession().then(
      (found) => live && setSession(found),
      (error) => live && setStartup((s) => ({ ...s, error })),
    );
    return () => {
      live = false;
    };
  }, [startup.attempt]);

  if (startup.error && session === undefined) {
    return html`<main class="container">
      <h1>Migrator</h1>
      <${ErrorNote} error=${startup.error} />
      <button type="button" onClick=${() => setStartup((s) => ({ error: null, attempt: s.attempt + 1 }))}>Try again</button>
    </main>`;
  }
  if (session === undefined) {
    return html`<main class="container"><h1>Migrator</h1><${Loading} /></main>`;
  }
  if (session === null) {
    return html`<${SignInPage} notice=${notice} onSignedIn=${(found) => {
      setNotice('');
      setSession(found);
      if (!window.location.hash) window.location.hash = link('tenants');
    }} />`;
  }
  const leave = async () => {
    try {
      await signOut();
    } catch (error) {
      announce(`Sign-out did not complete: ${error.message}`);
      return;
    }
    setNotice('You have signed out.');
    setSession(null);
  };
  return html`<${Shell} session=${session} onSignOut=${leave} />`;
}

const root = document.getElementById('app');
root.textContent = ''; // the static "Loading…" fallback, rendered before this module ran
render(html`<${App} />`, root);
