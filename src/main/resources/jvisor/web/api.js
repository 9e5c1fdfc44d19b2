// The daemon's REST API (/api/v1, docs/HOST.md) as the page uses it: JSON calls with the bearer
// token in a header, the event stream read with fetch() (EventSource cannot send headers), and
// the URL and subprotocols of a console WebSocket (which cannot either).

export const BASE = '/api/v1';

/** An answer other than 2xx: the API's message ({"error": ..., "field": ...}) and status. */
export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

export class Api {
  /** @param token the daemon's bearer token; @param onUnauthorized called on any 401 */
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized || (() => {});
  }

  /** method on BASE + path with an optional JSON body; the parsed answer, or null for 204. */
  async call(method, path, body) {
    const headers = { Authorization: 'Bearer ' + this.token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(BASE + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store', credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, 'cannot reach the daemon (' + e.message + ')');
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
    if (!res.ok) {
      const message = json && json.error ? json.error : `${res.status} ${res.statusText}`;
      const err = new ApiError(res.status, message, json && json.field);
      if (res.status === 401) this.onUnauthorized(err);
      throw err;
    }
    return json;
  }

  get(path) { return this.call('GET', path); }
  post(path, body) { return this.call('POST', path, body); }

  /**
   * Follows /events until stop() is called, reconnecting with a growing delay when the stream
   * ends (the daemon restarted). handlers: event(ev) per state event, connected() each time the
   * stream is (re)opened, disconnected(message, retryMs) each time it is lost.
   */
  followEvents(handlers) {
    let stopped = false;
    let controller = null;
    let delay = 500;
    let wake = null;
    const run = async () => {
      while (!stopped) {
        controller = new AbortController();
        let opened = false;
        try {
          const res = await fetch(BASE + '/events', {
            headers: { Authorization: 'Bearer ' + this.token, Accept: 'text/event-stream' },
            signal: controller.signal, cache: 'no-store', credentials: 'omit',
          });
          if (res.status === 401) {
            this.onUnauthorized(new ApiError(401, (await res.json().catch(() => ({}))).error || 'unauthorized'));
            return;
          }
          if (!res.ok || !res.body) throw new Error(`${res.status} ${res.statusText}`);
          opened = true;
          delay = 500;
          handlers.connected();
          await readEventStream(res.body, handlers.event);
          if (!stopped) handlers.disconnected('the event stream ended', delay);
        } catch (e) {
          if (stopped) return;
          handlers.disconnected(opened ? 'the event stream broke' : 'cannot reach the daemon', delay);
        }
        await new Promise(resolve => { wake = resolve; setTimeout(resolve, delay); });
        wake = null;
        delay = Math.min(delay * 2, 8000);
      }
    };
    run();
    return {
      stop() { stopped = true; if (controller) controller.abort(); if (wake) wake(); },
      /** Tries again now rather than after the delay (the page came back to the foreground). */
      hurry() { delay = 500; if (wake) wake(); },
    };
  }

  /** The console WebSocket of a VM: its URL, and the subprotocols that carry the token. */
  consoleSocket(name) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}${BASE}/vms/${encodeURIComponent(name)}/console`;
    return new WebSocket(url, ['jvisor.console', 'jvisor.bearer.' + this.token]);
  }
}

/** Reads text/event-stream messages from a body stream, calling onEvent({event, data}) for each. */
async function readEventStream(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue; // a comment (the keep-alive)
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = val;
        else if (field === 'data') data.push(val);
      }
      if (data.length) onEvent({ event, data: data.join('\n') });
    }
  }
}

export function sleep(ms) { return new Promise(resolve => setTimeout(resolve, ms)); }
