// One trace (GET /api/v1/traces/{id}) as a waterfall: a row per span, indented under its parent,
// its bar placed on the trace's time axis by start offset and sized by duration, coloured by
// service; a click on a span shows its details. Spans whose parent never arrived are roots,
// a child recorded as starting before its parent (clock skew) is drawn at the parent's start
// with a note, and big traces show PAGE rows at a time.

import { h, s, replace } from '../dom.js';
import { ms, plural } from '../format.js';
import { startTime } from './traces.js';

const PAGE = 200;
const COLOURS = 10; // style.css: .svc-0 … .svc-9
const MAX_INDENT = 16; // style.css: .indent-0 … .indent-16
const AXIS = 1000; // the bars' SVG width units

function spanKey(span) {
  return `${span.id}|${span.shared ? 1 : 0}|${span.localEndpoint?.serviceName ?? ''}|${span.timestamp ?? ''}|${span.name ?? ''}`;
}

function endpoint(e) {
  if (!e) return '—';
  const address = e.ipv6 ? `[${e.ipv6}]` : e.ipv4 ?? '';
  const where = address ? `${address}${e.port ? `:${e.port}` : ''}` : e.port ? `port ${e.port}` : '';
  return [e.serviceName, where].filter(Boolean).join(' ') || '—';
}

/**
 * The rows of the waterfall, depth first: {span, depth, start (µs, as drawn: never before its
 * parent's bar), skew (µs the span was recorded before its parent's recorded start, else 0),
 * orphan (its parent never arrived), beyond (deeper than the server nests)}.
 */
export function waterfallRows(trace) {
  const rows = [];
  const seen = new Set();
  const ids = new Set((trace.spans ?? []).map((sp) => sp.id));
  // parentStart: the parent's recorded start (for the skew); parentShown: where its bar begins
  const walk = (node, depth, parentStart, parentShown) => {
    const start = node.startOffset;
    const skew = start != null && parentStart != null && start < parentStart ? parentStart - start : 0;
    const shown = start == null ? null : Math.max(start, parentShown ?? start);
    rows.push({ span: node, depth, start: shown, skew, orphan: depth === 0 && Boolean(node.parentId) && !ids.has(node.parentId), beyond: false });
    seen.add(spanKey(node));
    for (const child of node.children ?? []) walk(child, depth + 1, start ?? parentStart, shown ?? parentShown);
  };
  // iterative over roots, recursive inside: the server nests at most 256 levels
  for (const root of trace.roots ?? []) walk(root, 0, null, null);
  for (const span of trace.spans ?? []) {
    if (!seen.has(spanKey(span))) {
      rows.push({ span, depth: 0, start: span.startOffset ?? null, skew: 0, orphan: false, beyond: true });
    }
  }
  return rows;
}

export default {
  path: '/traces/:id',
  title: (params) => `Trace ${params.id.slice(0, 16)}`,
  requires: 'read',
  render(container, ctx) {
    const { id } = ctx.params;
    const body = h('div', { id: 'trace-body' }, h('p', { class: 'muted' }, 'Loading…'));
    replace(container,
      h('p', { class: 'crumbs' }, h('a', { href: '/traces', 'data-link': true }, 'Traces'), ' / ', h('code', {}, id)),
      h('h1', {}, 'Trace ', h('code', { class: 'trace-id' }, id)),
      body);

    const show = (trace) => {
      const rows = waterfallRows(trace);
      const total = Math.max(1, trace.duration ?? 0);
      const colour = new Map();
      for (const r of rows) {
        const name = r.span.localEndpoint?.serviceName ?? '(no service)';
        if (!colour.has(name)) colour.set(name, colour.size % COLOURS);
      }
      const serviceOf = (span) => span.localEndpoint?.serviceName ?? '(no service)';
      const skewed = rows.filter((r) => r.skew > 0).length;
      const orphans = rows.filter((r) => r.orphan).length;
      const beyond = rows.filter((r) => r.beyond).length;
      const root = trace.roots?.[0];
      // the services that recorded spans, and those called (a client span's remote endpoint)
      const involved = [...new Set([...(trace.services ?? []),
        ...(trace.spans ?? []).map((sp) => sp.remoteEndpoint?.serviceName).filter(Boolean)])].sort();

      const details = (r) => {
        const sp = r.span;
        const tags = Object.entries(sp.tags ?? {}).sort(([a], [b]) => a.localeCompare(b));
        return h('div', { class: 'span-details', id: `details-${rows.indexOf(r)}` },
          h('dl', { class: 'facts' },
            h('dt', {}, 'Service'), h('dd', {}, serviceOf(sp)),
            h('dt', {}, 'Name'), h('dd', {}, sp.name ?? '—'),
            h('dt', {}, 'Kind'), h('dd', {}, sp.kind ?? '—', sp.shared ? ' (shared with its client)' : ''),
            h('dt', {}, 'Span id'), h('dd', {}, h('code', {}, sp.id)),
            h('dt', {}, 'Trace id'), h('dd', {}, h('code', {}, sp.traceId ?? trace.traceId)),
            h('dt', {}, 'Parent id'), h('dd', {}, sp.parentId ? h('code', {}, sp.parentId) : '—', r.orphan ? ' (not received: shown as a root)' : ''),
            h('dt', {}, 'Start'), h('dd', {}, sp.startOffsetMs != null ? `+${ms(sp.startOffsetMs)} (${startTime(sp.timestamp)})` : 'not recorded',
              r.skew > 0 ? ` — ${ms(r.skew / 1000)} before its parent` : ''),
            h('dt', {}, 'Duration'), h('dd', {}, ms(sp.durationMs)),
            h('dt', {}, 'Local endpoint'), h('dd', {}, endpoint(sp.localEndpoint)),
            h('dt', {}, 'Remote endpoint'), h('dd', {}, endpoint(sp.remoteEndpoint))),
          tags.length ? h('table', { class: 'tags' }, h('caption', {}, 'Tags'),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'))),
            h('tbody', {}, tags.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, k)), h('td', {}, h('code', {}, v))))))
            : h('p', { class: 'muted small' }, 'No tags.'),
          (sp.annotations ?? []).length ? h('div', {}, h('h3', { class: 'small-heading' }, 'Annotations'),
            h('ul', { class: 'annotations' }, sp.annotations.map((a) => h('li', {},
              h('span', { class: 'muted' }, `+${ms((a.timestamp - trace.start) / 1000)} `), a.value)))) : null);
      };

      const row = (r, index) => {
        const sp = r.span;
        const service = serviceOf(sp);
        const error = sp.tags && 'error' in sp.tags;
        const detailsId = `details-${index}`;
        let open = null;
        const bar = s('svg', { class: 'span-bar', viewBox: `0 0 ${AXIS} 20`, preserveAspectRatio: 'none', 'aria-hidden': 'true' },
          [250, 500, 750].map((x) => s('line', { x1: x, x2: x, y1: 0, y2: 20, class: 'grid' })),
          r.start == null ? null : s('rect', {
            x: (r.start / total) * AXIS,
            width: Math.max(2, Math.min(AXIS - (r.start / total) * AXIS, ((sp.duration ?? 0) / total) * AXIS)),
            y: 3, height: 14, rx: 2,
            class: [`svc-${colour.get(service)}`, error ? 'err' : null],
          }));
        const button = h('button', {
          type: 'button', class: ['span-toggle', `indent-${Math.min(r.depth, MAX_INDENT)}`], 'aria-expanded': 'false', 'aria-controls': detailsId,
          dataset: { depth: r.depth },
        },
        h('span', { class: 'sr-only' }, `level ${r.depth + 1}, `),
        h('span', { class: ['swatch', `svc-${colour.get(service)}`], 'aria-hidden': 'true' }),
        h('span', { class: 'span-service' }, service), ' ',
        h('span', { class: 'span-name' }, sp.name ?? ''),
        error ? h('span', { class: 'badge health-critical' }, '✕ error') : null,
        r.depth > MAX_INDENT ? h('span', { class: 'muted small' }, ` (level ${r.depth + 1})`) : null);
        const li = h('li', { class: ['span-row', error ? 'has-error' : null], dataset: { span: sp.id, depth: r.depth } },
          h('div', { class: 'span-line' }, button,
            h('span', { class: 'span-duration' }, ms(sp.durationMs)),
            bar),
          r.skew > 0 ? h('p', { class: 'span-note' }, `⚠ recorded ${ms(r.skew / 1000)} before its parent started (clock skew?); drawn at the parent's start.`) : null,
          r.orphan ? h('p', { class: 'span-note' }, `⚠ its parent (${sp.parentId}) was not received; shown as a root.`) : null,
          r.beyond ? h('p', { class: 'span-note' }, '⚠ nested deeper than the server follows; shown as a root.') : null,
          r.start == null ? h('p', { class: 'span-note' }, 'No start time recorded: no bar.') : null);
        button.addEventListener('click', () => {
          if (open) {
            open.remove();
            open = null;
            button.setAttribute('aria-expanded', 'false');
            return;
          }
          open = details(r);
          open.id = detailsId;
          li.append(open);
          button.setAttribute('aria-expanded', 'true');
        });
        return li;
      };

      const list = h('ol', { class: 'waterfall', id: 'waterfall', 'aria-label': `Spans of the trace, ${plural(rows.length, 'span')}, parents before their children` });
      const more = h('div', { class: 'waterfall-more' });
      let shown = 0;
      const showMore = (n) => {
        const upto = Math.min(rows.length, shown + n);
        for (let i = shown; i < upto; i++) list.append(row(rows[i], i));
        shown = upto;
        replace(more, shown < rows.length ? [
          h('p', { class: 'muted', id: 'waterfall-shown' }, `Showing ${shown} of ${rows.length} spans.`),
          h('button', { type: 'button', class: 'secondary', id: 'show-more', onClick: () => showMore(PAGE) }, `Show ${Math.min(PAGE, rows.length - shown)} more`),
          ' ',
          h('button', { type: 'button', class: 'secondary', id: 'show-all', onClick: () => showMore(rows.length) }, 'Show all'),
        ] : []);
      };

      const ticks = [0, 0.25, 0.5, 0.75, 1].map((f, i) => h('span', { class: `tick t${i}` }, ms((total * f) / 1000)));
      replace(body,
        h('dl', { class: 'facts trace-summary', id: 'trace-summary' },
          h('dt', {}, 'Root'), h('dd', {}, root ? `${serviceOf(root)} · ${root.name ?? ''}` : '—'),
          h('dt', {}, 'Started'), h('dd', {}, startTime(trace.start)),
          h('dt', {}, 'Duration'), h('dd', {}, ms(trace.durationMs)),
          h('dt', {}, 'Spans'), h('dd', { id: 'trace-span-count' }, trace.spanCount),
          h('dt', {}, 'Services'), h('dd', {}, involved.map((name) => [
            h('a', { href: `/traces?service=${encodeURIComponent(name)}`, 'data-link': true, class: 'chip' }, name), ' '])),
          h('dt', {}, 'Status'), h('dd', {}, trace.error ? h('span', { class: 'badge health-critical' }, '✕ a span has an error') : 'no error')),
        skewed ? h('p', { class: 'notice', id: 'skew-note' }, `${plural(skewed, 'span')} started before ${skewed === 1 ? 'its' : 'their'} parent by the recorded times `
          + '(the hosts\' clocks differ): drawn at the parent\'s start; their details give the recorded times.') : null,
        orphans ? h('p', { class: 'notice', id: 'orphan-note' }, `${plural(orphans, 'span')} whose parent was not received ${orphans === 1 ? 'is' : 'are'} shown as ${orphans === 1 ? 'a root' : 'roots'}.`) : null,
        beyond ? h('p', { class: 'notice' }, `${plural(beyond, 'span')} nested deeper than 256 levels ${beyond === 1 ? 'is' : 'are'} shown as roots.`) : null,
        h('ul', { class: 'service-legend', 'aria-label': 'Service colours' }, [...colour.entries()].map(([name, c]) =>
          h('li', {}, h('span', { class: ['swatch', `svc-${c}`], 'aria-hidden': 'true' }), name))),
        h('p', { class: 'help' }, 'Select a span for its tags, annotations, kind, endpoints and ids.'),
        h('div', { class: 'waterfall-box' },
          h('div', { class: 'waterfall-axis', 'aria-hidden': 'true' }, h('span', { class: 'axis-label' }, 'Span'), h('span', { class: 'axis-gap' }, 'Duration'), h('div', { class: 'axis-ticks' }, ticks)),
          list),
        more);
      showMore(PAGE);
    };

    ctx.api.get(`/api/v1/traces/${encodeURIComponent(id)}`, { signal: ctx.signal }).then(show).catch((e) => {
      if (e.name === 'AbortError' || e.status === 401) return;
      replace(body, h('p', { class: 'error', role: 'alert' }, e.status === 404
        ? 'No such trace: it was never received, or the store has evicted it (traces are kept in memory only).'
        : e.status === 503 ? 'No node runs the telemetry role: no traces.' : `The trace could not be loaded: ${e.message}`),
      h('p', {}, h('a', { href: '/traces', 'data-link': true }, 'Search traces')));
    });
  },
};
