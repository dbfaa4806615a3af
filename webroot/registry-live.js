// Live registry changes for pages: the registry's SSE stream (/api/v1/events) resumed after a
// snapshot's index, closed when the page is left.

import { eventStream } from './api.js';
import { h, replace } from './dom.js';

/**
 * Follows registry events after index `since` (query: tenant, service). onEvent(event JSON)
 * for registered/updated/health/deregistered; onReset() when the registry no longer has the
 * events after `since` (reload). Returns a status element that says whether updates are live.
 */
export function followRegistry(ctx, { query = {}, since, onEvent, onReset }) {
  const status = h('span', { class: 'live', role: 'status' }, 'connecting…');
  if (ctx.signal.aborted) return status; // the page was left while its snapshot loaded
  const stream = eventStream('/api/v1/events', {
    query,
    lastEventId: since, // unlike ?index=, Last-Event-ID accepts 0: every event the registry keeps
    onEvent(event) {
      if (event.type === 'reset') {
        onReset?.();
        return;
      }
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      onEvent(data, event.type);
    },
    onState(state, detail) {
      status.classList.toggle('off', state !== 'open');
      replace(status, state === 'open' ? 'live' : state === 'retrying' ? `reconnecting (${detail})` : 'stopped');
    },
  });
  ctx.onCleanup(() => stream.close());
  return status;
}
