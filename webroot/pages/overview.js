// Overview: instance counts by tenant, kind and health (live from the registry's events), the
// latest registry changes, and the gateways' request rate and error ratio.

import { h, replace, stackable } from '../dom.js';
import { ApiError } from '../api.js';
import { followRegistry } from '../registry-live.js';
import { lineChart } from '../chart.js';
import { rate, ratio, time, plural } from '../format.js';

const RECENT = 25;
const KINDS = ['mesh', 'shared', 'external'];
const HEALTH = ['passing', 'warning', 'critical'];
const SAMPLE_MS = 5000;
const MAX_POINTS = 61; // 5 minutes at 5 s
const MAX_TENANTS_CHARTED = 20;

function health(instance) {
  return instance?.status?.state ?? 'unknown';
}

function countsTable(instances) {
  const byTenant = new Map();
  for (const i of instances) {
    const row = byTenant.get(i.tenant) ?? { total: 0 };
    row.total += 1;
    row[i.kind] = (row[i.kind] ?? 0) + 1;
    row[health(i)] = (row[health(i)] ?? 0) + 1;
    byTenant.set(i.tenant, row);
  }
  const columns = [...KINDS, ...HEALTH];
  const total = { total: instances.length };
  for (const c of columns) total[c] = instances.filter((i) => i.kind === c || health(i) === c).length;
  const cell = (row, c) => h('td', { class: ['num', row[c] && HEALTH.includes(c) ? `health-${c}` : null] }, row[c] ?? 0);
  return h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'counts' },
    h('caption', {}, 'Instances by tenant, kind and health'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Tenant'), h('th', { scope: 'col', class: 'num' }, 'Instances'),
      columns.map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
    h('tbody', {}, [...byTenant.keys()].sort().map((tenant) => {
      const row = byTenant.get(tenant);
      return h('tr', {}, h('th', { scope: 'row' }, tenant), h('td', { class: 'num' }, row.total), columns.map((c) => cell(row, c)));
    })),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'All'), h('td', { class: 'num' }, total.total),
      columns.map((c) => cell(total, c)))))));
}

function changeItem(event) {
  const services = (event.services ?? []).join(', ');
  return h('li', { class: 'change' },
    h('time', { datetime: event.time ?? '' }, time(event.time)), ' ',
    h('span', { class: ['badge', `type-${event.type}`] }, event.type), ' ',
    h('span', { class: 'change-what' }, h('span', { class: 'muted' }, `${event.tenant}/`), event.id),
    services ? h('span', { class: 'muted' }, ` · ${services}`) : null,
    event.type === 'health' && event.instance ? h('span', {}, ` → ${health(event.instance)}`) : null,
    event.reason ? h('span', { class: 'muted' }, ` (${event.reason})`) : null);
}

export default {
  path: '/',
  title: 'Overview',
  nav: 'Overview',
  requires: 'read',
  render(container, ctx) {
    const summary = h('div', { class: 'stats', id: 'summary' });
    const counts = h('div', { id: 'counts-box' }, h('p', { class: 'muted' }, 'Loading…'));
    const changes = h('ol', { class: 'changes', id: 'changes', 'aria-label': 'Recent registry changes, newest first' });
    const changesEmpty = h('p', { class: 'muted', id: 'changes-empty' }, 'No registry changes yet.');
    const liveSlot = h('span');
    const rateChart = h('div', { class: 'chart-box', id: 'gateway-rate' });
    const errorChart = h('div', { class: 'chart-box', id: 'gateway-errors' });
    const trafficNote = h('p', { class: 'muted', id: 'traffic-note' }, 'Sampling…');

    replace(container,
      h('h1', {}, 'Overview'),
      summary,
      h('section', { 'aria-labelledby': 'h-instances' }, h('h2', { id: 'h-instances' }, 'Instances'), counts),
      h('section', { 'aria-labelledby': 'h-traffic' },
        h('h2', { id: 'h-traffic' }, 'Gateway traffic'),
        h('div', { class: 'charts' },
          h('figure', {}, h('figcaption', {}, 'Requests per second'), rateChart),
          h('figure', {}, h('figcaption', {}, 'Error ratio (5xx)'), errorChart)),
        trafficNote),
      h('section', { 'aria-labelledby': 'h-changes' },
        h('h2', { id: 'h-changes' }, 'Recent changes ', liveSlot), changesEmpty, changes));

    const instances = new Map();
    let snapshotIndex = 0;
    const recent = [];

    const draw = ctx.coalesce(1000, () => {
      const list = [...instances.values()];
      const tenants = new Set(list.map((i) => i.tenant));
      const serviceKeys = new Set(list.flatMap((i) => (i.services ?? []).map((b) => `${i.tenant}/${b.name}`)));
      const critical = list.filter((i) => health(i) === 'critical').length;
      replace(summary,
        [['Instances', list.length, 'stat-instances'], ['Services', serviceKeys.size, 'stat-services'],
          ['Tenants', tenants.size, 'stat-tenants'], ['Critical', critical, 'stat-critical']]
          .map(([label, value, id]) => h('div', { class: ['stat', id === 'stat-critical' && value ? 'bad' : null], id },
            h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label))));
      replace(counts, list.length ? countsTable(list) : h('p', { class: 'muted' }, 'No instances registered.'));
      replace(changes, recent.map(changeItem));
      changesEmpty.hidden = recent.length > 0;
    });

    const load = async () => {
      const doc = await ctx.api.get('/api/v1/instances', { signal: ctx.signal });
      instances.clear();
      for (const i of doc.instances) instances.set(i.id, i);
      snapshotIndex = doc.index;
      draw();
      return doc.index;
    };

    const onEvent = (event) => {
      recent.unshift(event);
      recent.length = Math.min(recent.length, RECENT);
      if (event.index > snapshotIndex) {
        if (event.type === 'deregistered' || !event.instance) instances.delete(event.id);
        else instances.set(event.id, event.instance);
      }
      draw();
    };

    const start = async () => {
      try {
        const index = await load();
        // the stream starts a little before the snapshot, to show the latest changes too
        replace(liveSlot, followRegistry(ctx, {
          since: Math.max(0, index - RECENT),
          onEvent,
          onReset: () => {
            recent.length = 0;
            load().catch(() => {});
          },
        }));
      } catch (e) {
        if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
        replace(counts, h('p', { class: 'error', role: 'alert' }, `Could not load the registry: ${e.message}`));
      }
      // sampling starts once the tenants are known
      if (!ctx.signal.aborted) ctx.every(SAMPLE_MS, sample);
    };

    // gateway traffic: the gateway → service edges of /api/v1/graph, summed over tenants
    const rates = [];
    const errors = [];
    const sample = async () => {
      const tenants = [...new Set([...instances.values()].map((i) => i.tenant))].sort().slice(0, MAX_TENANTS_CHARTED);
      if (!tenants.length) tenants.push('default');
      let total = 0;
      let failing = 0;
      let counted = 0;
      let problem = null;
      await Promise.all(tenants.map(async (tenant) => {
        try {
          const graph = await ctx.api.get('/api/v1/graph', { query: { tenant, window: '1m' }, signal: ctx.signal });
          for (const edge of graph.edges ?? []) {
            if (!String(edge.source).startsWith('gateway:') || edge.rate == null) continue;
            total += edge.rate;
            if (edge.errorRatio != null) {
              failing += edge.rate * edge.errorRatio;
              counted += edge.rate;
            }
          }
        } catch (e) {
          if (e.name === 'AbortError') throw e;
          problem = e;
        }
      }));
      const t = Date.now();
      const failed = problem && problem.status !== 401;
      rates.push({ t, v: failed ? null : total });
      errors.push({ t, v: failed || counted === 0 ? null : failing / counted });
      if (rates.length > MAX_POINTS) rates.shift();
      if (errors.length > MAX_POINTS) errors.shift();
      replace(rateChart, lineChart(rates, { label: 'Gateway requests per second', format: rate, minMax: 1 }));
      replace(errorChart, lineChart(errors, { label: 'Gateway error ratio', format: ratio, minMax: 0.05 }));
      replace(trafficNote, failed
        ? h('span', { class: 'error' }, problem.status === 503
          ? 'No node runs the telemetry role: no traffic figures.' : `Traffic figures unavailable: ${problem.message}`)
        : `Now: ${rate(total)}, errors ${ratio(counted ? failing / counted : null)}; ${plural(tenants.length, 'tenant')}, `
          + 'averaged over the last minute, sampled every 5 s.');
    };
    start();
  },
};
