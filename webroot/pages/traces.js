// Traces: search the telemetry role's recent traces (GET /api/v1/traces) by service, span name,
// duration and time; the results as a table (latest first) and a duration chart. The form is
// kept in the URL, so a search can be bookmarked or linked to (/traces?service=orders).

import { h, s, replace, stackable } from '../dom.js';
import { ms, plural } from '../format.js';

const FIELDS = ['service', 'spanName', 'minDuration', 'maxDuration', 'lookback', 'limit'];
const LOOKBACKS = [['', 'any time'], ['5m', 'last 5 minutes'], ['15m', 'last 15 minutes'], ['1h', 'last hour'], ['6h', 'last 6 hours'], ['24h', 'last 24 hours']];
const LIMITS = ['10', '20', '50', '100', '500'];

export function traceHref(id) {
  return `/traces/${encodeURIComponent(id)}`;
}

/** Start time of a trace (epoch µs) as local date and time with milliseconds. */
export function startTime(micros) {
  if (micros == null) return '—';
  const d = new Date(micros / 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A small scatter chart: start time (x) against duration (y), errors as crosses. */
function durationChart(traces) {
  const W = 1000;
  const H = 170;
  const P = { left: 80, right: 10, top: 12, bottom: 24 };
  const starts = traces.map((t) => t.start);
  const from = Math.min(...starts);
  const to = Math.max(...starts);
  const span = Math.max(1, to - from);
  const max = Math.max(0.001, ...traces.map((t) => t.durationMs)) * 1.1;
  const x = (t) => (traces.length === 1 ? (P.left + W - P.right) / 2 : P.left + ((t - from) / span) * (W - P.left - P.right));
  const y = (v) => H - P.bottom - (v / max) * (H - P.top - P.bottom);
  const errors = traces.filter((t) => t.error).length;
  const slowest = traces.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
  const summary = `Durations of ${plural(traces.length, 'trace')}: the slowest ${ms(slowest.durationMs)}; ${plural(errors, 'trace')} with errors`;
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart trace-chart', role: 'img', 'aria-label': summary },
    s('title', {}, summary),
    s('line', { x1: P.left, y1: H - P.bottom, x2: W - P.right, y2: H - P.bottom, class: 'axis' }),
    s('line', { x1: P.left, y1: P.top, x2: W - P.right, y2: P.top, class: 'grid' }),
    s('text', { x: P.left - 6, y: P.top + 4, class: 'tick', 'text-anchor': 'end' }, ms(max)),
    s('text', { x: P.left - 6, y: H - P.bottom, class: 'tick', 'text-anchor': 'end' }, '0 ms'),
    s('text', { x: P.left, y: H - 4, class: 'tick' }, startTime(from).slice(11)),
    s('text', { x: W - P.right, y: H - 4, class: 'tick', 'text-anchor': 'end' }, startTime(to).slice(11)),
    traces.map((t) => (t.error
      ? s('path', { d: `M ${x(t.start) - 4} ${y(t.durationMs) - 4} l 8 8 m 0 -8 l -8 8`, class: 'dot-error' })
      : s('circle', { cx: x(t.start), cy: y(t.durationMs), r: 3.5, class: 'dot' }))));
}

export default {
  path: '/traces',
  title: 'Traces',
  nav: 'Traces',
  requires: 'read',
  render(container, ctx) {
    const value = (name) => ctx.query.get(name) ?? '';
    const errorOf = {};
    const field = (name, label, input, help) => {
      errorOf[name] = h('p', { class: 'field-error error', id: `trace-${name}-error`, role: 'alert' });
      input.setAttribute('aria-describedby', [help ? `trace-${name}-help` : null, `trace-${name}-error`].filter(Boolean).join(' '));
      return h('div', { class: 'field' }, h('label', { for: `trace-${name}` }, label), input,
        help ? h('p', { class: 'help', id: `trace-${name}-help` }, help) : null, errorOf[name]);
    };
    const inputs = {
      service: h('input', { id: 'trace-service', name: 'service', type: 'search', value: value('service'), autocomplete: 'off', list: 'trace-services' }),
      spanName: h('input', { id: 'trace-spanName', name: 'spanName', type: 'search', value: value('spanName'), autocomplete: 'off' }),
      minDuration: h('input', { id: 'trace-minDuration', name: 'minDuration', value: value('minDuration'), autocomplete: 'off', inputmode: 'text', class: 'short' }),
      maxDuration: h('input', { id: 'trace-maxDuration', name: 'maxDuration', value: value('maxDuration'), autocomplete: 'off', class: 'short' }),
      lookback: h('select', { id: 'trace-lookback', name: 'lookback' },
        LOOKBACKS.map(([v, label]) => h('option', { value: v, selected: v === value('lookback') }, label))),
      limit: h('select', { id: 'trace-limit', name: 'limit' },
        LIMITS.map((v) => h('option', { value: v, selected: v === (value('limit') || '20') }, v))),
    };
    const services = h('datalist', { id: 'trace-services' });
    const formError = h('p', { class: 'error', role: 'alert', id: 'traces-error' });
    const count = h('p', { class: 'muted', id: 'traces-count', 'aria-live': 'polite' });
    const chartBox = h('div', { id: 'traces-chart' });
    const result = h('div', { id: 'traces-result' }, h('p', { class: 'muted' }, 'Searching…'));
    const form = h('form', { class: 'filters trace-search', role: 'search', 'aria-label': 'Search traces' },
      field('service', 'Service', inputs.service),
      field('spanName', 'Span name', inputs.spanName),
      field('minDuration', 'Min duration', inputs.minDuration, 'e.g. 100ms, 2s'),
      field('maxDuration', 'Max duration', inputs.maxDuration, 'e.g. 1s'),
      field('lookback', 'Started', inputs.lookback),
      field('limit', 'At most', inputs.limit),
      h('div', { class: 'field' }, h('button', { type: 'submit', id: 'trace-search' }, 'Search')),
      services);

    replace(container,
      h('h1', {}, 'Traces'),
      form, formError,
      h('p', { class: 'help' }, 'Recent traces held in memory by the telemetry role (gateway spans and spans posted to its Zipkin port). '
        + 'A number without a unit is microseconds, as in Zipkin. Tags are not searchable.'),
      count, chartBox, result);

    let generation = 0;
    const search = async () => {
      const asked = ++generation;
      const query = {};
      for (const name of FIELDS) query[name] = inputs[name].value.trim();
      ctx.setQuery({ ...query, limit: query.limit === '20' ? '' : query.limit });
      for (const name of FIELDS) {
        inputs[name].removeAttribute('aria-invalid');
        errorOf[name].textContent = '';
      }
      formError.textContent = '';
      result.setAttribute('aria-busy', 'true');
      let doc;
      try {
        doc = await ctx.api.get('/api/v1/traces', { query, signal: ctx.signal });
      } catch (e) {
        if (e.name === 'AbortError' || e.status === 401 || asked !== generation) return;
        result.removeAttribute('aria-busy');
        if (e.field && errorOf[e.field]) {
          inputs[e.field].setAttribute('aria-invalid', 'true');
          errorOf[e.field].textContent = e.message;
        } else {
          formError.textContent = e.status === 503 ? 'No node runs the telemetry role: no traces.' : `The search failed: ${e.message}`;
        }
        replace(result);
        replace(chartBox);
        count.textContent = '';
        return;
      }
      if (asked !== generation) return;
      result.removeAttribute('aria-busy');
      const traces = [...(doc.traces ?? [])].sort((a, b) => b.start - a.start);
      count.textContent = `${plural(traces.length, 'trace')}${traces.length >= Number(query.limit) ? ' (the limit: narrow the search or raise it)' : ''}, latest first`;
      replace(chartBox, traces.length ? h('figure', {}, h('figcaption', {}, 'Duration by start time'), durationChart(traces)) : null);
      if (!traces.length) {
        replace(result, h('p', { class: 'empty' }, 'No trace matches.'));
        return;
      }
      replace(result, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'traces' },
        h('caption', { class: 'sr-only' }, 'Traces, latest first'),
        h('thead', {}, h('tr', {}, ['Trace', 'Root', 'Spans', 'Duration', 'Started', 'Status']
          .map((c) => h('th', { scope: 'col', class: c === 'Spans' || c === 'Duration' ? 'num' : null }, c)))),
        h('tbody', {}, traces.map((t) => h('tr', { dataset: { trace: t.traceId } },
          h('th', { scope: 'row' }, h('a', { href: traceHref(t.traceId), 'data-link': true }, h('code', {}, t.traceId))),
          h('td', {}, h('span', { class: 'root-service' }, t.rootService ?? '—'), ' ', h('span', { class: 'muted' }, t.rootName ?? ''),
            (t.services ?? []).length > 1 ? h('div', { class: 'small muted' }, `services: ${t.services.join(', ')}`) : null),
          h('td', { class: 'num' }, t.spanCount),
          h('td', { class: 'num' }, ms(t.durationMs)),
          h('td', {}, h('time', { datetime: t.startTime ?? '' }, startTime(t.start))),
          h('td', {}, t.error ? h('span', { class: 'badge health-critical' }, '✕ error') : h('span', { class: 'badge health-passing' }, 'ok')))))))));
    };

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      search();
    });
    inputs.lookback.addEventListener('change', search);
    inputs.limit.addEventListener('change', search);
    ctx.api.get('/api/v1/services', { signal: ctx.signal }).then((doc) => {
      replace(services, [...new Set((doc.services ?? []).map((x) => x.name))].sort().map((n) => h('option', { value: n })));
    }).catch(() => {});
    search();
  },
};
