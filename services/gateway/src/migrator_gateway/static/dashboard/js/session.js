// The signed-in session: an HttpOnly cookie the browser keeps, and the CSRF token this page holds.
import { api, setCsrfToken } from './api.js';

let signedInWith = ''; // the prefix of the key this browser signed in with

/** The prefix of the key behind this session: revoking that key ends the session. */
export function sessionKeyPrefix() {
  return signedInWith;
}

function started(session) {
  setCsrfToken(session.csrfToken);
  signedInWith = session.keyPrefix || '';
  return session;
}

/** The current session, or null when signed out. */
export async function currentSession() {
  try {
    return started(await api.get('v1/session', { quietUnauthorized: true }));
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

export async function signIn(apiKey) {
  return started(await api.post('v1/session', { apiKey }, { quietUnauthorized: true }));
}

export async function signOut() {
  try {
    await api.delete('v1/session', { quietUnauthorized: true });
  } finally {
    setCsrfToken(null);
    signedInWith = '';
  }
}
