// One service of one tenant: its versions, its instances with their address on every plane and
// their health (live), and its traffic by version (refreshed every 5 s).

import { h, replace, stackable } from '../dom.js';
import { ApiError } from '../api.js';
import { followRegistry } from '../registry-live.js';
import { rate, ratio, ms, plural } from '../format.js';

const METRICS_MS = 5000;

function bindingsOf(instance, name) {
  return (instance.services ?? []).filter((b) => b.name === name);
}

function addresses(instance, binding) {
  const planes = binding.planes && binding.planes.length ? binding.planes : (instance.endpoints ?? []).map((e) => e.plane);
  return (instance.endpoints ?? []).filter((e) => planes.includes(e.plane))
    .map((e) => h('li', {}, h('span', { class: 'plane' }, e.plane), ' ',
      h('code', {}, e.address.includes(':') ? `[${e.address}]:${binding.port}` : `${e.address}:${binding.port}`)));
}

function healthCell(instance) {
  const state = instance.status?.state ?? 'unknown';
  return h('td', {}, h('span', { class: ['badge', `health-${state}`] }, state),
    instance.status?.output ? h('div', { class: 'muted small' }, instance.status.output) : null);
}

export default {
  path: '/services/:tenant/:name',
  title: (params) => `${params.name} (${params.tenant})`,
  requires: 'read',
  render(container, ctx) {
    const { tenant, name } = ctx.params;
    const liveSlot = h('span');
    const versionsBox = h('div', { id: 'versions' }, h('p', { class: 'muted' }, 'Loading…'));
    const instancesBox = h('div', { id: 'instances' });
    const trafficBox = h('div', { id: 'traffic' }, h('p', { class: 'muted' }, 'Loading…'));
    const canDeregister = ctx.can('register');
    const canEdit = ctx.can('write_registry');

    replace(container,
      h('p', { class: 'crumbs' }, h('a', { href: '/services', 'data-link': true }, 'Services'), ' / ', tenant),
      h('h1', {}, name, ' ', h('span', { class: 'muted' }, `in ${tenant}`), ' ', liveSlot),
      h('p', { class: 'service-links' }, h('a', { href: `/traces?service=${encodeURIComponent(name)}`, 'data-link': true, id: 'service-traces' }, 'Traces of this service'),
        ' · ', h('a', { href: `/topology${tenant === 'default' ? '' : `?tenant=${encodeURIComponent(tenant)}`}`, 'data-link': true }, 'Topology')),
      h('section', { 'aria-labelledby': 'h-traffic' }, h('h2', { id: 'h-traffic' }, 'Traffic by version (last minute)'), trafficBox),
      h('section', { 'aria-labelledby': 'h-versions' }, h('h2', { id: 'h-versions' }, 'Versions'), versionsBox),
      h('section', { 'aria-labelledby': 'h-instances' }, h('h2', { id: 'h-instances' }, 'Instances'), instancesBox));

    const deregister = async (instance, button) => {
      if (!window.confirm(`Deregister instance ${instance.id}? It stops receiving traffic at once.`)) return;
      button.disabled = true;
      try {
        await ctx.api.del(`/api/v1/instances/${encodeURIComponent(instance.id)}`);
      } catch (e) {
        button.disabled = false;
        button.after(h('span', { class: 'error', role: 'alert' }, ` ${e.message}`));
      }
    };

    const draw = (instances) => {
      const versions = new Map();
      for (const i of instances) {
        for (const b of bindingsOf(i, name)) {
          const v = versions.get(b.version) ?? { instances: 0, healthy: 0, protocols: new Set(), ports: new Set() };
          v.instances += 1;
          if (i.status?.state === 'passing') v.healthy += 1;
          v.protocols.add(b.protocol);
          v.ports.add(b.port);
          versions.set(b.version, v);
        }
      }
      replace(versionsBox, versions.size ? h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'versions-table' },
        h('thead', {}, h('tr', {}, ['Version', 'Instances', 'Passing', 'Protocol', 'Port']
          .map((c, i) => h('th', { scope: 'col', class: i === 1 || i === 2 ? 'num' : null }, c)))),
        h('tbody', {}, [...versions.keys()].sort().map((v) => {
          const row = versions.get(v);
          return h('tr', {}, h('th', { scope: 'row' }, v || '(none)'), h('td', { class: 'num' }, row.instances),
            h('td', { class: 'num' }, row.healthy), h('td', {}, [...row.protocols].join(', ')), h('td', {}, [...row.ports].join(', ')));
        })))))
        : h('p', { class: 'empty' }, `No instance of ${name} is registered in ${tenant}.`));

      replace(instancesBox, instances.length ? h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'instances-table' },
        h('thead', {}, h('tr', {}, ['Instance', 'Kind', 'Health', 'Version', 'Addresses', 'Labels', canDeregister || canEdit ? 'Actions' : null]
          .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, instances.map((i) => {
          const bindings = bindingsOf(i, name);
          return h('tr', { dataset: { instance: i.id } },
            h('th', { scope: 'row' }, h('code', {}, i.id)),
            h('td', {}, i.kind),
            healthCell(i),
            h('td', {}, bindings.map((b) => h('div', {}, `${b.version || '(none)'} · ${b.protocol}`))),
            h('td', {}, bindings.map((b) => h('ul', { class: 'addresses' }, addresses(i, b)))),
            h('td', { class: 'labels' }, Object.entries(i.labels ?? {}).map(([k, v]) => h('span', { class: 'chip label' }, `${k}=${v}`))),
            canDeregister || canEdit ? h('td', { class: 'actions' },
              canEdit ? h('a', {
                href: `/instances/${encodeURIComponent(i.id)}/edit`, 'data-link': true, class: 'button secondary small edit',
                'aria-label': `Edit ${i.id}`,
              }, 'Edit') : null,
              canDeregister ? h('button', {
                type: 'button', class: 'danger small', 'aria-label': `Deregister ${i.id}`,
                onClick: (e) => deregister(i, e.currentTarget),
              }, 'Deregister') : null) : null);
        })))))
        : h('p', { class: 'muted' }, plural(0, 'instance')));
    };

    const load = async () => {
      const doc = await ctx.api.get('/api/v1/instances', { query: { tenant, service: name }, signal: ctx.signal });
      draw(doc.instances ?? []);
      return doc.index;
    };
    const reload = ctx.coalesce(1000, load);
    load().then((index) => {
      replace(liveSlot, followRegistry(ctx, { query: { tenant, service: name }, since: index, onEvent: reload, onReset: reload }));
    }).catch((e) => {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
      replace(versionsBox, h('p', { class: 'error', role: 'alert' }, `Could not load instances: ${e.message}`));
    });

    ctx.every(METRICS_MS, async () => {
      let doc;
      try {
        doc = await ctx.api.get('/api/v1/metrics/service', { query: { name, tenant, window: '1m' }, signal: ctx.signal });
      } catch (e) {
        if (e.name === 'AbortError' || e.status === 401) throw e;
        replace(trafficBox, h('p', { class: 'error' }, e.status === 503
          ? 'No node runs the telemetry role: no traffic figures.' : `Traffic figures unavailable: ${e.message}`));
        return;
      }
      const rows = [...(doc.versions ?? [])].sort((a, b) => a.version.localeCompare(b.version));
      const row = (label, m, total) => h('tr', { class: total ? 'total' : null },
        h('th', { scope: 'row' }, label), h('td', { class: 'num' }, rate(m.rate)),
        h('td', { class: ['num', m.errorRatio > 0.01 ? 'health-critical' : null] }, ratio(m.errorRatio)),
        h('td', { class: 'num' }, ms(m.p50)), h('td', { class: 'num' }, ms(m.p99)));
      replace(trafficBox, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'traffic-table' },
        h('thead', {}, h('tr', {}, ['Version', 'Rate', 'Errors', 'p50', 'p99']
          .map((c, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : null }, c)))),
        h('tbody', {}, rows.map((m) => row(m.version || '(no version routing)', m, false))),
        h('tfoot', {}, row('All', doc.total ?? {}, true))))),
      h('p', { class: 'muted small' }, 'Requests through Meridian\'s gateways and sidecars, averaged over the last minute; refreshed every 5 s.'));
    });
  },
};
