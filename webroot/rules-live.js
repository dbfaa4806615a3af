// Live rule changes for pages: the `rules` events of the UI stream (/api/v1/ui/stream), closed
// when the page is left.

import { eventStream } from './api.js';
import { h, replace } from './dom.js';

/**
 * Follows rule changes. onChange(event) for each `rules` event ({index, type, kind, namespace,
 * name, by}) and onChange(null) when the stream coalesced a burst of them (`resync`) or
 * (re)connected (`hello`: changes may have happened while it was not connected): reload what the
 * page shows. Returns a status element that says whether updates are live.
 */
export function followRules(ctx, onChange) {
  const status = h('span', { class: 'live', role: 'status' }, 'connecting…');
  if (ctx.signal.aborted) return status;
  const stream = eventStream('/api/v1/ui/stream', {
    onEvent(event) {
      if (event.type !== 'rules' && event.type !== 'resync' && event.type !== 'hello') return;
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (event.type === 'rules') onChange(data);
      else if (event.type === 'hello' || data.type === 'rules') onChange(null);
    },
    onState(state, detail) {
      status.classList.toggle('off', state !== 'open');
      replace(status, state === 'open' ? 'live' : state === 'retrying' ? `reconnecting (${detail})` : 'stopped');
    },
  });
  ctx.onCleanup(() => stream.close());
  return status;
}
