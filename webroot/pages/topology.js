// Topology: a tenant's service graph (GET /api/v1/graph) as SVG, laid out left to right by call
// depth, edges and nodes coloured by error ratio (with a text and shape cue too), refreshed every
// 5 s in place; the edges again as a table for screen readers and narrow screens.

import { h, s, replace, stackable } from '../dom.js';
import { rate, ratio, ms, plural } from '../format.js';
import { serviceHref } from './services.js';

const REFRESH_MS = 5000;
const WINDOWS = ['1m', '5m', '15m'];
const COL = 230; // layer spacing
const ROW = 110; // spacing inside a layer
const PAD = 70;

/** The error level of a ratio: ok (< 1 %), warn (< 5 %), bad (≥ 5 %), none (no data). */
export function errorLevel(r) {
  if (r == null) return 'none';
  if (r < 0.01) return 'ok';
  if (r < 0.05) return 'warn';
  return 'bad';
}

const LEVEL_TEXT = { ok: 'errors under 1 %', warn: 'errors 1–5 %', bad: 'errors 5 % or more', none: 'no data' };
const LEVEL_MARK = { ok: '✓', warn: '!', bad: '✕', none: '–' };

/** Sums edges into a node's traffic: rate, rate-weighted error ratio, largest p99. */
function combine(edges) {
  let total = 0;
  let failing = 0;
  let counted = 0;
  let p99 = null;
  let any = false;
  for (const e of edges) {
    if (e.rate != null) {
      any = true;
      total += e.rate;
      if (e.errorRatio != null) {
        failing += e.rate * e.errorRatio;
        counted += e.rate;
      }
    }
    if (e.p99 != null) p99 = Math.max(p99 ?? 0, e.p99);
  }
  return { rate: any ? total : null, errorRatio: counted > 0 ? failing / counted : null, p99 };
}

/**
 * Layers by call depth: a node's layer is the longest path to it from a node nobody calls
 * (gateways and unknown callers first); edges closing a cycle are ignored for the layering.
 */
export function layout(nodes, edges) {
  const out = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (e.source !== e.destination && out.has(e.source) && out.has(e.destination)) out.get(e.source).push(e.destination);
  }
  const incoming = new Map(nodes.map((n) => [n.id, 0]));
  for (const targets of out.values()) for (const t of targets) incoming.set(t, incoming.get(t) + 1);
  const layer = new Map();
  const onPath = new Set();
  const visit = (id, depth) => {
    if (onPath.has(id) || (layer.get(id) ?? -1) >= depth) return;
    layer.set(id, depth);
    onPath.add(id);
    for (const t of out.get(id)) visit(t, depth + 1);
    onPath.delete(id);
  };
  const order = [...nodes].sort((a, b) => (a.kind === 'gateway' ? 0 : 1) - (b.kind === 'gateway' ? 0 : 1) || a.id.localeCompare(b.id));
  for (const n of order) if (incoming.get(n.id) === 0) visit(n.id, 0);
  for (const n of order) if (!layer.has(n.id)) visit(n.id, 0); // only in cycles
  const columns = [];
  for (const n of order) {
    const l = layer.get(n.id);
    (columns[l] ??= []).push(n.id);
  }
  const rows = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  const height = PAD * 2 + (rows - 1) * ROW;
  const positions = new Map();
  columns.forEach((ids, l) => {
    if (!ids) return;
    const top = PAD + ((rows - ids.length) * ROW) / 2;
    ids.forEach((id, i) => positions.set(id, { x: PAD + 40 + l * COL, y: top + i * ROW, layer: l }));
  });
  return { positions, width: PAD * 2 + 80 + Math.max(0, columns.length - 1) * COL, height };
}

function radius(r) {
  return 16 + Math.min(16, 6 * Math.log10(1 + (r ?? 0) * 10));
}

function nodeLabel(node) {
  return node.kind === 'gateway' ? `gateway ${node.name}` : node.tenant && node.tenant !== node.home ? `${node.name} (${node.tenant})` : node.name;
}

function edgePath(a, b, ra, rb) {
  if (a === b) {
    return `M ${a.x - 8} ${a.y - ra} C ${a.x - 40} ${a.y - ra - 60}, ${a.x + 40} ${a.y - ra - 60}, ${a.x + 8} ${a.y - ra}`;
  }
  if (b.x > a.x) {
    const x1 = a.x + ra;
    const x2 = b.x - rb - 6;
    const mid = (x1 + x2) / 2;
    return `M ${x1} ${a.y} C ${mid} ${a.y}, ${mid} ${b.y}, ${x2} ${b.y}`;
  }
  // backwards or within a layer: curve below both
  const low = Math.max(a.y, b.y) + 70;
  return `M ${a.x} ${a.y + ra} C ${a.x} ${low}, ${b.x} ${low}, ${b.x} ${b.y + rb + 6}`;
}

function edgeLabelPoint(a, b, ra) {
  if (a === b) return { x: a.x, y: a.y - ra - 52 };
  if (b.x > a.x) return { x: (a.x + ra + b.x) / 2, y: (a.y + b.y) / 2 - 8 };
  return { x: (a.x + b.x) / 2, y: Math.max(a.y, b.y) + 62 };
}

export default {
  path: '/topology',
  title: 'Topology',
  nav: 'Topology',
  requires: 'read',
  render(container, ctx) {
    let tenant = ctx.query.get('tenant') || 'default';
    let span = WINDOWS.includes(ctx.query.get('window')) ? ctx.query.get('window') : '1m';
    const tenantSelect = h('select', { id: 'topology-tenant' }, h('option', { value: tenant }, tenant));
    const windowSelect = h('select', { id: 'topology-window' },
      WINDOWS.map((w) => h('option', { value: w, selected: w === span }, `last ${w.replace('m', ' min')}`)));
    const status = h('p', { class: 'muted', id: 'topology-status', role: 'status' }, 'Loading…');
    const graphBox = h('div', { class: 'topology-graph', id: 'topology-graph' });
    const hint = () => h('p', { class: 'muted' }, 'Point at or focus a service for its details; Enter opens its page.');
    const details = h('div', { class: 'topology-details', id: 'topology-details' }, hint());
    const tableBox = h('div', { id: 'topology-edges' });
    const legend = h('ul', { class: 'topology-legend', 'aria-label': 'Colours and marks' },
      ['ok', 'warn', 'bad', 'none'].map((l) => h('li', {}, h('span', { class: ['level-mark', `level-${l}`], 'aria-hidden': 'true' }, LEVEL_MARK[l]),
        ' ', LEVEL_TEXT[l])),
      h('li', {}, h('span', { class: 'legend-dash', 'aria-hidden': 'true' }, '- -'), ' dashed edge: errors 1 % or more'),
      h('li', {}, 'circle: service; square: gateway; size: request rate'));

    replace(container,
      h('h1', {}, 'Topology'),
      h('form', { class: 'filters', onSubmit: (e) => e.preventDefault() },
        h('div', { class: 'field' }, h('label', { for: 'topology-tenant' }, 'Tenant'), tenantSelect),
        h('div', { class: 'field' }, h('label', { for: 'topology-window' }, 'Window'), windowSelect)),
      status,
      h('div', { class: 'topology-layout' }, graphBox, h('div', { class: 'topology-side' }, details, legend)),
      h('section', { 'aria-labelledby': 'h-edges' }, h('h2', { id: 'h-edges' }, 'Calls'), tableBox));

    let shape = null; // the node and edge set the drawing was laid out for
    let drawn = null; // {nodes: Map(id → {g, circle, mark, rateText, title}), edges: Map(key → {path, label, title})}
    let generation = 0; // a tenant or window change makes older answers stale

    let shownId = null; // the node whose details are shown
    const showDetails = (node) => {
      shownId = node.id;
      const t = node.traffic;
      const link = node.kind === 'service' && node.tenant
        ? h('a', { href: serviceHref(node.tenant, node.name), 'data-link': true }, 'Service page') : null;
      const traces = node.kind === 'service'
        ? h('a', { href: `/traces?service=${encodeURIComponent(node.name)}`, 'data-link': true, id: 'topology-traces-link' }, 'Its traces') : null;
      replace(details,
        h('h2', { class: 'details-title' }, nodeLabel(node)),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Kind'), h('dd', {}, node.kind === 'gateway' ? 'gateway' : node.name === 'unknown' ? 'callers without a registered service' : 'service'),
          h('dt', {}, node.kind === 'gateway' ? 'Sends' : 'Receives'), h('dd', {}, rate(t.rate)),
          h('dt', {}, 'Errors'), h('dd', { class: `level-${errorLevel(t.errorRatio)}` }, `${ratio(t.errorRatio)} (${LEVEL_TEXT[errorLevel(t.errorRatio)]})`),
          h('dt', {}, 'p99'), h('dd', {}, ms(t.p99)),
          node.callsOut.rate != null && node.kind !== 'gateway' ? [h('dt', {}, 'Calls out'), h('dd', {}, rate(node.callsOut.rate))] : null),
        link || traces ? h('p', { class: 'details-links' }, link, link && traces ? ' · ' : null, traces) : null);
    };

    const decorate = (graph) => {
      const home = graph.tenant;
      const nodes = (graph.nodes ?? []).map((n) => {
        const into = graph.edges.filter((e) => e.destination === n.id);
        const from = graph.edges.filter((e) => e.source === n.id);
        const callsOut = combine(from);
        // what a node serves: its incoming calls; a node nobody calls (a gateway) by what it sends
        return { ...n, home, traffic: into.length ? combine(into) : callsOut, callsOut };
      });
      return nodes;
    };

    const nodeText = (n) => `${nodeLabel(n)}: ${rate(n.traffic.rate)}, errors ${ratio(n.traffic.errorRatio)} (${LEVEL_TEXT[errorLevel(n.traffic.errorRatio)]})`
      + `${n.traffic.p99 != null ? `, p99 ${ms(n.traffic.p99)}` : ''}`;
    const edgeText = (e, byId) => `${nodeLabel(byId.get(e.source))} → ${nodeLabel(byId.get(e.destination))}: ${rate(e.rate)}, errors ${ratio(e.errorRatio)}`;

    const updateNode = (el, n) => {
      const level = errorLevel(n.traffic.errorRatio);
      el.g.setAttribute('class', `topo-node kind-${n.kind} level-${level}`);
      el.g.setAttribute('aria-label', nodeText(n) + (el.href ? '. Opens its service page.' : ''));
      el.mark.textContent = LEVEL_MARK[level];
      el.rateText.textContent = `${rate(n.traffic.rate)} · ${ratio(n.traffic.errorRatio)}`;
      el.data = n;
    };

    const updateEdge = (el, e, byId) => {
      const level = errorLevel(e.errorRatio);
      el.path.setAttribute('class', `topo-edge level-${level}`);
      el.path.setAttribute('marker-end', `url(#arrow-${level})`);
      el.label.textContent = `${rate(e.rate)} · ${ratio(e.errorRatio)}`;
      el.label.setAttribute('class', `topo-edge-label level-${level}`);
      el.title.textContent = edgeText(e, byId);
    };

    const draw = (graph) => {
      const nodes = decorate(graph);
      const byId = new Map(nodes.map((n) => [n.id, n]));
      const edges = (graph.edges ?? []).filter((e) => byId.has(e.source) && byId.has(e.destination));
      const key = JSON.stringify([nodes.map((n) => n.id).sort(), edges.map((e) => `${e.source}>${e.destination}`).sort()]);
      if (!nodes.length) {
        shape = null;
        drawn = null;
        replace(graphBox, h('p', { class: 'empty' }, `No traffic in ${graph.tenant} over the last ${graph.window}.`));
      } else if (key !== shape) {
        shape = key;
        const { positions, width, height } = layout(nodes, edges);
        const nodeEls = new Map();
        const edgeEls = new Map();
        const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'topology', role: 'group', 'aria-label': `Service graph of ${graph.tenant}: ${plural(nodes.length, 'node')}, ${plural(edges.length, 'call')}` },
          s('defs', {}, ['ok', 'warn', 'bad', 'none'].map((l) => s('marker', {
            id: `arrow-${l}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
          }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow level-${l}` })))));
        const edgeLayer = s('g', { class: 'edges' });
        const labelLayer = s('g', { class: 'edge-labels', 'aria-hidden': 'true' });
        const nodeLayer = s('g', { class: 'nodes' });
        for (const e of edges) {
          const a = positions.get(e.source);
          const b = positions.get(e.destination);
          const ra = radius(byId.get(e.source).traffic.rate);
          const rb = radius(byId.get(e.destination).traffic.rate);
          const at = edgeLabelPoint(a, b, ra);
          const title = s('title');
          const el = { path: s('path', { d: edgePath(a, b, ra, rb) }, title), label: s('text', { x: at.x, y: at.y, 'text-anchor': 'middle' }), title };
          edgeLayer.append(el.path);
          labelLayer.append(el.label);
          edgeEls.set(`${e.source}>${e.destination}`, el);
        }
        for (const n of nodes) {
          const p = positions.get(n.id);
          const r = radius(n.traffic.rate);
          const href = n.kind === 'service' && n.tenant ? serviceHref(n.tenant, n.name) : null;
          const shapeEl = n.kind === 'gateway'
            ? s('rect', { x: p.x - r, y: p.y - r, width: 2 * r, height: 2 * r, rx: 4, class: 'shape' })
            : s('circle', { cx: p.x, cy: p.y, r, class: 'shape' });
          const el = {
            r,
            href,
            shape: shapeEl,
            mark: s('text', { x: p.x, y: p.y + 6, 'text-anchor': 'middle', class: 'mark', 'aria-hidden': 'true' }),
            rateText: s('text', { x: p.x, y: p.y + r + 34, 'text-anchor': 'middle', class: 'topo-rate', 'aria-hidden': 'true' }),
          };
          el.g = s('g', {
            tabindex: 0,
            role: href ? 'link' : 'img',
            dataset: { node: n.id },
            onMouseenter: () => showDetails(el.data),
            onFocus: () => showDetails(el.data),
            onClick: () => {
              if (href) ctx.navigate(href);
              else showDetails(el.data);
            },
            onKeydown: (event) => {
              if (event.key === 'Enter' && href) {
                event.preventDefault();
                ctx.navigate(href);
              }
            },
          }, el.shape, el.mark,
          s('text', { x: p.x, y: p.y + r + 17, 'text-anchor': 'middle', class: 'topo-name', 'aria-hidden': 'true' }, nodeLabel(n)),
          el.rateText);
          nodeLayer.append(el.g);
          nodeEls.set(n.id, el);
        }
        svg.append(edgeLayer, labelLayer, nodeLayer);
        drawn = { nodes: nodeEls, edges: edgeEls };
        replace(graphBox, svg);
      }
      if (drawn) {
        for (const n of nodes) updateNode(drawn.nodes.get(n.id), n);
        for (const e of edges) updateEdge(drawn.edges.get(`${e.source}>${e.destination}`), e, byId);
      }
      // the details follow the refresh, unless the focus is on one of their links
      if (shownId && byId.has(shownId) && !details.contains(document.activeElement)) showDetails(byId.get(shownId));
      else if (shownId && !byId.has(shownId)) {
        shownId = null;
        replace(details, hint());
      }
      const sorted = [...edges].sort((x, y) => (y.rate ?? 0) - (x.rate ?? 0));
      replace(tableBox, edges.length ? h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'topology-table' },
        h('caption', {}, `Calls in ${graph.tenant} over the last ${graph.window}`),
        h('thead', {}, h('tr', {}, ['From', 'To', 'Rate', 'Errors', 'p99']
          .map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : null }, c)))),
        h('tbody', {}, sorted.map((e) => {
          const level = errorLevel(e.errorRatio);
          const to = byId.get(e.destination);
          return h('tr', { dataset: { source: e.source, destination: e.destination } },
            h('th', { scope: 'row' }, nodeLabel(byId.get(e.source))),
            h('td', {}, to.kind === 'service' && to.tenant ? h('a', { href: serviceHref(to.tenant, to.name), 'data-link': true }, nodeLabel(to)) : nodeLabel(to)),
            h('td', { class: 'num' }, rate(e.rate)),
            h('td', { class: ['num', `level-${level}`] }, h('span', { 'aria-hidden': 'true' }, `${LEVEL_MARK[level]} `), ratio(e.errorRatio),
              h('span', { class: 'sr-only' }, ` (${LEVEL_TEXT[level]})`)),
            h('td', { class: 'num' }, ms(e.p99)));
        })))))
        : h('p', { class: 'empty' }, 'No calls.'));
      replace(status, `${plural(nodes.length, 'node')}, ${plural(edges.length, 'call')} in ${graph.tenant}, averaged over the last ${graph.window}; refreshed every 5 s.`);
    };

    const refresh = async () => {
      const asked = generation;
      let graph;
      try {
        graph = await ctx.api.get('/api/v1/graph', { query: { tenant, window: span }, signal: ctx.signal });
      } catch (e) {
        if (e.name === 'AbortError' || e.status === 401) throw e;
        if (asked !== generation) return;
        replace(status, h('span', { class: 'error', role: 'alert' }, e.status === 503
          ? 'No node runs the telemetry role: no service graph.' : `The service graph is unavailable: ${e.message}`));
        return;
      }
      if (asked === generation) draw(graph);
    };

    const loadTenants = async () => {
      try {
        const doc = await ctx.api.get('/api/v1/services', { signal: ctx.signal });
        const tenants = [...new Set([tenant, 'default', ...(doc.services ?? []).map((x) => x.tenant)])].sort();
        replace(tenantSelect, tenants.map((t) => h('option', { value: t, selected: t === tenant }, t)));
        tenantSelect.value = tenant;
      } catch (e) {
        if (e.name !== 'AbortError' && e.status !== 401) console.warn('tenants', e);
      }
    };

    const restart = () => {
      ctx.setQuery({ tenant: tenant === 'default' ? '' : tenant, window: span === '1m' ? '' : span });
      generation += 1;
      shape = null;
      replace(status, 'Loading…');
      refresh().catch(() => {});
    };
    tenantSelect.addEventListener('change', () => {
      tenant = tenantSelect.value;
      restart();
    });
    windowSelect.addEventListener('change', () => {
      span = windowSelect.value;
      restart();
    });
    loadTenants();
    ctx.every(REFRESH_MS, refresh);
  },
};
