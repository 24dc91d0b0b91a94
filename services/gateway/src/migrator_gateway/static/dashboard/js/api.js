// The API over the session cookie: every write carries the CSRF token, a 401 anywhere sends the
// user back to sign-in, and every failure becomes an ApiError in the server's own words.

let csrfToken = null;
let signedOut = () => {};

export class ApiError extends Error {
  constructor(message, { status = 0, code = 'NETWORK_ERROR' } = {}) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called with no argument when a request answers 401 (the session has ended). */
export function onUnauthorized(handler) {
  signedOut = handler;
}

/** A relative URL (so a proxy prefix works) with the params that have a value. */
export function apiUrl(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') {
      return new ApiError(body.error, { status: response.status, code: body.code || `HTTP_${response.status}` });
    }
  } catch {
    // not the API's error body (a proxy's page, say): described below
  }
  const text = `The server answered ${response.status} ${response.statusText || ''}`.trim();
  return new ApiError(`${text}; try again shortly.`, { status: response.status, code: `HTTP_${response.status}` });
}

/** One request; resolves to the JSON body (null for 204), rejects with an ApiError. */
export async function request(method, path, { body, params, signal, quietUnauthorized = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(apiUrl(path, params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError('Migrator could not be reached: check the network connection, then try again.');
  }
  if (response.status === 401 && !quietUnauthorized) signedOut();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : null;
}

export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, body, options) => request('POST', path, { ...options, body }),
  patch: (path, body, options) => request('PATCH', path, { ...options, body }),
  delete: (path, options) => request('DELETE', path, options),
};

/** Whether a failed request was aborted on purpose (a page left, a filter changed). */
export function aborted(error) {
  return error && error.name === 'AbortError';
}
