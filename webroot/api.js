// The REST client: the session's token as a bearer token, JSON in and out, and Meridian's error
// document {"error": {"code", "message", "field"}} turned into an ApiError.

const TOKEN_KEY = 'meridian.token';
const MAX_EVENT_BUFFER = 1 << 20;

/** A failed call: HTTP status (0 when the server could not be reached), code, message, field, details (the error object). */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field ?? null;
  }
}

let unauthorized = () => {};

/** Called with the ApiError of any 401 answer (the session's token is no longer valid). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** The token of this browser tab (sessionStorage: gone when the tab closes). */
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

function url(path, query) {
  const u = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value != null && value !== '') u.searchParams.set(key, String(value));
  }
  return u;
}

function authHeaders(token) {
  const t = token ?? session.token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/**
 * Calls the API. Options: query (object), body (JSON), signal, token (use this token instead of
 * the session's; a 401 then does not end the session). Resolves to the parsed JSON (null for
 * 204); rejects with an ApiError.
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json', ...authHeaders(options.token) };
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(url(path, options.query), { method, headers, body, signal: options.signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `Meridian did not answer (${e.message})`, null);
  }
  const raw = response.status === 204 ? '' : await response.text();
  let doc = null;
  if (raw) {
    try {
      doc = JSON.parse(raw);
    } catch {
      doc = null;
    }
  }
  if (!response.ok) {
    const error = doc && typeof doc.error === 'object' && doc.error ? doc.error : {};
    const failure = new ApiError(response.status, error.code ?? `http_${response.status}`,
      error.message ?? (response.statusText || `HTTP ${response.status}`), error.field);
    failure.details = error; // the whole error object: the rules API's per-document results[i].errors
    if (response.status === 401 && options.token === undefined) unauthorized(failure);
    throw failure;
  }
  return doc;
}

export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, body, options) => request('POST', path, { ...options, body }),
  put: (path, body, options) => request('PUT', path, { ...options, body }),
  del: (path, options) => request('DELETE', path, options),
};

function parseEvent(block) {
  const event = { id: null, type: 'message', data: [] };
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') event.id = value;
    else if (field === 'event') event.type = value;
    else if (field === 'data') event.data.push(value);
  }
  return event.data.length || event.id ? { ...event, data: event.data.join('\n') } : null;
}

/**
 * Follows a server-sent-event stream with the session's token. EventSource cannot send an
 * Authorization header, and the API takes the token only there, so this reads the stream with
 * fetch(): it resumes with Last-Event-ID after a drop (backing off up to 15 s), and a 401 ends
 * the session like any other call.
 *
 * onEvent({id, type, data}); onState('open' | 'retrying' | 'closed', detail); lastEventId: resume
 * after this id from the start (sent as Last-Event-ID). Returns {close()}.
 */
export function eventStream(path, { query, lastEventId = null, onEvent, onState = () => {} }) {
  let lastId = lastEventId == null ? null : String(lastEventId);
  let closed = false;
  let controller = null;
  let backoff = 1000;

  async function readOnce() {
    controller = new AbortController();
    const headers = { Accept: 'text/event-stream', ...authHeaders() };
    if (lastId != null) headers['Last-Event-ID'] = lastId;
    const response = await fetch(url(path, query), { headers, signal: controller.signal, cache: 'no-store' });
    if (response.status === 401) {
      closed = true;
      unauthorized(new ApiError(401, 'unauthorized', 'the token is no longer valid', null));
      return;
    }
    if (!response.ok || !response.body) {
      let message = `HTTP ${response.status}`;
      try {
        message = (await response.json()).error.message ?? message;
      } catch {
        // not JSON
      }
      throw new Error(message);
    }
    onState('open');
    backoff = 1000;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done || closed) return;
      buffer += value.replace(/\r\n?/g, '\n');
      if (buffer.length > MAX_EVENT_BUFFER) throw new Error('event too large');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) {
          if (event.id != null) lastId = event.id;
          onEvent(event);
        }
      }
    }
  }

  (async () => {
    while (!closed) {
      let reason = 'the stream ended';
      try {
        await readOnce();
      } catch (e) {
        if (closed) break;
        reason = e.message;
      }
      if (closed) break;
      onState('retrying', reason);
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 15000);
    }
    onState('closed');
  })();

  return {
    close() {
      closed = true;
      controller?.abort();
    },
  };
}

/**
 * Sends a text body as is (YAML by default) and reads the JSON answer (Accept: application/json,
 * which the rules API honours for YAML input too). Options: contentType, query, signal. Rejects
 * with an ApiError like request(), whose `details` is the whole error object: for rules,
 * `results[i].errors`/`warnings` with `path`, `message`, `line`, or the `line` of a YAML syntax
 * error.
 */
export async function sendText(method, path, text, options = {}) {
  const headers = { Accept: 'application/json', 'Content-Type': options.contentType ?? 'application/yaml', ...authHeaders() };
  let response;
  try {
    response = await fetch(url(path, options.query), { method, headers, body: text, signal: options.signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `Meridian did not answer (${e.message})`, null);
  }
  let doc = null;
  try {
    doc = JSON.parse(await response.text());
  } catch {
    doc = null;
  }
  if (response.ok) return doc;
  const error = doc && typeof doc.error === 'object' && doc.error ? doc.error : {};
  const failure = new ApiError(response.status, error.code ?? `http_${response.status}`,
    error.message ?? (response.statusText || `HTTP ${response.status}`), error.field);
  failure.details = error;
  if (response.status === 401) unauthorized(failure);
  throw failure;
}
