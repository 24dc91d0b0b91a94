// Sign-in with an API key: the key is exchanged for a session cookie and not kept by the page.
import { useState } from '../../vendor/hooks.mjs';
import { ErrorNote } from '../components.js';
import { html } from '../html.js';
import { signIn } from '../session.js';
import { useTitle } from '../title.js';

export function SignInPage({ notice, onSignedIn }) {
  useTitle('Sign in');
  const [key, setKey] = useState('');
  const [state, setState] = useState({ busy: false, error: null });

  const submit = async (event) => {
    event.preventDefault();
    const apiKey = key.trim();
    if (!apiKey) {
      setState({ busy: false, error: new Error('Enter your API key.') });
      return;
    }
    setState({ busy: true, error: null });
    try {
      const session = await signIn(apiKey);
      setKey('');
      onSignedIn(session);
    } catch (error) {
      setState({ busy: false, error });
    }
  };

  return html`<main class="container sign-in" id="main">
    <article>
      <header><h1>Sign in to Migrator</h1></header>
      ${notice ? html`<p role="status">${notice}</p>` : null}
      <form onSubmit=${submit} novalidate>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" name="apiKey" autocomplete="off" spellcheck="false" value=${key}
          aria-describedby="api-key-hint" aria-invalid=${state.error ? 'true' : undefined}
          onInput=${(e) => setKey(e.currentTarget.value)} />
        <small id="api-key-hint">Your organisation's key (tmk_…), from Settings → API keys or
          <code>migrator keys create</code>. It signs this browser in; the page does not keep it.</small>
        <${ErrorNote} error=${state.error} />
        <button type="submit" aria-busy=${state.busy ? 'true' : 'false'} disabled=${state.busy}>Sign in</button>
      </form>
    </article>
  </main>`;
}
