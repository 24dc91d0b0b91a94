// A route the dashboard does not know: say so, and offer the way back.
import { html } from '../html.js';
import { useTitle } from '../title.js';

export function NotFoundPage() {
  useTitle('Page not found');
  return html`<h1>Page not found</h1>
    <p>There is no page at this address. <a href="#/tenants">Go to the tenants</a>.</p>`;
}
