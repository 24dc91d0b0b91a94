// The signed-in session: an HttpOnly cookie the browser keeps, and the CSRF token this page holds.
import { api, setCsrfToken } from './api.js';

/** The current session, or null when signed out. */
export async function currentSession() {
  try {
    const session = await api.get('v1/session', { quietUnauthorized: true });
    setCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

export async function signIn(apiKey) {
  const session = await api.post('v1/session', { apiKey }, { quietUnauthorized: true });
  setCsrfToken(session.csrfToken);
  return session;
}

export async function signOut() {
  try {
    await api.delete('v1/session', { quietUnauthorized: true });
  } finally {
    setCsrfToken(null);
  }
}
