// Data plane: the xDS clients connected to every xDS server of the cluster, with what each type
// was sent and ACKed (a NACK flagged with its message), and the gateways with their scopes;
// refreshed every 5 s. A client's page shows its config dump.

import { h, replace, stackable } from '../dom.js';
import { ApiError } from '../api.js';
import { time, plural, NONE } from '../format.js';

const REFRESH_MS = 5000;
const TYPES = ['cds', 'eds', 'lds', 'rds'];

/** A client's page; the node id goes in the query: ids like sidecar~10.0.0.1~a.b would look like file names in a path. */
export function clientHref(nodeId) {
  return `/data-plane/client?node=${encodeURIComponent(nodeId)}`;
}

function shortVersion(v) {
  return v ? String(v).slice(0, 12) : NONE;
}

function ignorable(e) {
  return e.name === 'AbortError' || (e instanceof ApiError && e.status === 401);
}

function unavailable(what, e) {
  return h('p', { class: 'error', role: 'alert' }, e.status === 503
    ? `No node of the cluster answers for ${what} (${e.message}).` : `Could not load ${what}: ${e.message}`);
}

/** One type's state: ACKed, waiting for the ACK, or NACKed (with the rejected version and the client's message). */
export function typeState(name, t) {
  const nack = t.nack;
  const acked = t.sentVersion != null && t.sentVersion === t.ackedVersion;
  const state = nack ? 'nack' : acked ? 'acked' : t.sentVersion == null ? 'waiting' : 'pending';
  const badge = {
    nack: h('span', { class: 'badge health-critical' }, 'NACK'),
    acked: h('span', { class: 'badge health-passing' }, 'ACK'),
    pending: h('span', { class: 'badge health-warning' }, 'sent, not ACKed'),
    waiting: h('span', { class: 'badge' }, 'nothing sent'),
  }[state];
  const withheld = Object.entries(t.withheld ?? {});
  const resources = Array.isArray(t.resources) ? t.resources.length : t.resources ?? 0; // the dump lists them
  return h('div', { class: ['xds-type', `xds-${state}`], dataset: { type: name, state } },
    h('span', { class: 'xds-type-name' }, name.toUpperCase()), ' ', badge, ' ',
    h('span', { class: 'muted small' },
      `sent ${shortVersion(t.sentVersion)} · acked ${shortVersion(t.ackedVersion)} · ${plural(resources, 'resource')}`),
    nack ? h('div', { class: 'nack', role: 'note' },
      h('strong', {}, `Rejected version ${shortVersion(nack.rejectedVersion)}`), nack.at ? ` at ${time(nack.at)}` : null, ': ',
      h('span', { class: 'nack-message' }, nack.message)) : null,
    withheld.length ? h('div', { class: 'withheld' }, h('strong', {}, 'Withheld: '),
      withheld.map(([resource, problem]) => h('div', {}, h('code', {}, resource), ` — ${problem}`))) : null);
}

function scopeText(scope, node) {
  if (!scope) return NONE;
  const parts = [`tenants ${(scope.tenants ?? []).join(', ') || 'all'}`, `planes ${(scope.planes ?? []).join(', ') || 'all'}`];
  const labels = Object.entries(scope.labels ?? {});
  if (labels.length) parts.push(`labels ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (scope.includeShared) parts.push('+ shared');
  if (node?.role) parts.unshift(node.role);
  return parts.join(' · ');
}

export default {
  path: '/data-plane',
  title: 'Data plane',
  nav: 'Data plane',
  requires: 'read',
  render(container, ctx) {
    const clientsBox = h('div', { id: 'xds-clients' }, h('p', { class: 'muted' }, 'Loading…'));
    const serversBox = h('p', { id: 'xds-servers', class: 'muted small' });
    const gatewaysBox = h('div', { id: 'gateways' }, h('p', { class: 'muted' }, 'Loading…'));
    const updated = h('span', { class: 'muted small', id: 'data-plane-updated', 'aria-live': 'off' });

    replace(container,
      h('h1', {}, 'Data plane'),
      h('p', { class: 'muted' }, 'What Meridian has pushed to its xDS clients and how they answered, and the gateways with the part of the registry each one sees. Refreshed every 5 s. ', updated),
      h('section', { 'aria-labelledby': 'h-xds' }, h('h2', { id: 'h-xds' }, 'xDS clients'), serversBox, clientsBox),
      h('section', { 'aria-labelledby': 'h-gateways' }, h('h2', { id: 'h-gateways' }, 'Gateways'), gatewaysBox));

    const drawClients = (doc) => {
      const servers = doc.servers ?? [];
      serversBox.textContent = servers.length
        ? `xDS servers: ${servers.map((s) => `${s.node}${s.synced ? '' : ' (not synced yet)'}`).join(', ')}`
        : 'No node of the cluster runs the xds role.';
      const clients = [...(doc.clients ?? [])].sort((a, b) => (a.node?.id ?? '').localeCompare(b.node?.id ?? '') || a.stream.localeCompare(b.stream));
      if (!clients.length) {
        replace(clientsBox, h('p', { class: 'empty' }, 'No xDS client is connected.'));
        return;
      }
      replace(clientsBox, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'xds-clients-table' },
        h('caption', { class: 'sr-only' }, 'Connected xDS clients'),
        h('thead', {}, h('tr', {}, ['Node', 'Scope', 'Protocol', 'Server', 'Connected', 'Resources by type']
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, clients.map((c) => {
          const id = c.node?.id ?? '';
          const types = c.types ?? {};
          const nacked = Object.values(types).some((t) => t.nack);
          return h('tr', { dataset: { node: id }, class: nacked ? 'has-nack' : null },
            h('th', { scope: 'row' }, h('a', { href: clientHref(id), 'data-link': true }, id),
              c.node?.service ? h('div', { class: 'muted small' }, `${c.node.service}${c.node.version ? ` ${c.node.version}` : ''}`) : null),
            h('td', {}, scopeText(c.scope, c.node)),
            h('td', {}, c.protocol === 'delta' ? 'incremental' : 'state of the world'),
            h('td', {}, h('code', {}, c.server ?? NONE)),
            h('td', {}, h('time', { datetime: c.connectedAt }, time(c.connectedAt))),
            h('td', { class: 'xds-types' }, [...TYPES, ...Object.keys(types).filter((t) => !TYPES.includes(t))]
              .filter((t) => types[t]).map((t) => typeState(t, types[t]))));
        }))))));
    };

    const drawGateways = (doc) => {
      const gateways = doc.gateways ?? [];
      if (!gateways.length) {
        replace(gatewaysBox, h('p', { class: 'empty' }, 'No node of the cluster runs a gateway.'));
        return;
      }
      replace(gatewaysBox, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'gateways-table' },
        h('caption', { class: 'sr-only' }, 'Gateways'),
        h('thead', {}, h('tr', {}, ['Gateway', 'Tier', 'Tenants', 'Plane', 'Visibility', 'Labels', 'Listens on', 'Instances', 'State']
          .map((c) => h('th', { scope: 'col', class: c === 'Instances' ? 'num' : null }, c)))),
        h('tbody', {}, gateways.map((g) => h('tr', { dataset: { gateway: g.name, node: g.node } },
          h('th', { scope: 'row' }, g.name, h('div', { class: 'muted small' }, `node ${g.node}`)),
          h('td', {}, g.tier),
          h('td', {}, g.tenants?.length ? g.tenants.join(', ') : 'every tenant'),
          h('td', {}, h('span', { class: 'plane' }, g.plane)),
          h('td', {}, g.visibility),
          h('td', { class: 'labels' }, Object.entries(g.labels ?? {}).map(([k, v]) => h('span', { class: 'chip label' }, `${k}=${v}`))),
          h('td', {}, Object.entries(g.ports ?? {}).map(([name, port]) => h('div', {}, h('code', {}, `${g.host}:${port}`), ` ${name}`)),
            g.tls ? h('div', { class: 'muted small' }, 'TLS') : null,
            g.advertise ? h('div', { class: 'muted small' }, `registered at ${g.advertise}`) : null,
            (g.tcp ?? []).map((t) => h('div', { class: 'muted small' }, `tcp ${t.port} → ${t.service}${t.tenant ? `.${t.tenant}` : ''}`))),
          h('td', { class: 'num' }, g.instances ?? NONE),
          h('td', {}, h('span', { class: ['badge', g.ready ? 'health-passing' : 'health-warning'] }, g.ready ? 'ready' : 'starting')))))))));
    };

    ctx.every(REFRESH_MS, async () => {
      const [clients, gateways] = await Promise.allSettled([
        ctx.api.get('/api/v1/xds/clients', { signal: ctx.signal }),
        ctx.api.get('/api/v1/gateway/gateways', { signal: ctx.signal }),
      ]);
      if (ctx.signal.aborted) return;
      if (clients.status === 'fulfilled') drawClients(clients.value);
      else if (!ignorable(clients.reason)) replace(clientsBox, unavailable('the xDS clients', clients.reason));
      if (gateways.status === 'fulfilled') drawGateways(gateways.value);
      else if (!ignorable(gateways.reason)) replace(gatewaysBox, unavailable('the gateways', gateways.reason));
      updated.textContent = `Updated ${time(Date.now())}.`;
    });
  },
};

function resourceName(r) {
  return r.name ?? r.clusterName ?? '(unnamed)';
}

export const xdsClient = {
  path: '/data-plane/client',
  title: 'xDS client',
  requires: 'read',
  render(container, ctx) {
    const node = ctx.query.get('node') ?? '';
    if (!node) {
      replace(container, h('h1', {}, 'xDS client'), h('p', { class: 'error' }, 'No node id given: pick a client on ',
        h('a', { href: '/data-plane', 'data-link': true }, 'Data plane'), '.'));
      return;
    }
    const filter = h('input', { id: 'dump-filter', type: 'search', autocomplete: 'off', spellcheck: 'false' });
    const count = h('p', { id: 'dump-count', class: 'muted', 'aria-live': 'polite' });
    const box = h('div', { id: 'config-dump' }, h('p', { class: 'muted' }, 'Loading…'));
    const info = h('div', { id: 'dump-node' });
    const reload = h('button', { type: 'button', class: 'secondary', id: 'dump-reload' }, 'Reload');
    let sections = []; // [{details, resources: [{el, text}], countEl}]

    replace(container,
      h('p', { class: 'crumbs' }, h('a', { href: '/data-plane', 'data-link': true }, 'Data plane'), ' / xDS clients'),
      h('h1', {}, 'xDS client ', h('code', {}, node)),
      info,
      h('form', { class: 'filters', role: 'search', onSubmit: (e) => e.preventDefault() },
        h('div', { class: 'field' }, h('label', { for: 'dump-filter' }, 'Filter resources'), filter),
        reload),
      count, box);

    const applyFilter = () => {
      const q = filter.value.trim().toLowerCase();
      let shown = 0;
      let total = 0;
      for (const s of sections) {
        let inType = 0;
        for (const r of s.resources) {
          const match = !q || r.text.includes(q);
          r.el.hidden = !match;
          if (match) inType++;
        }
        s.countEl.textContent = q ? `${inType} of ${plural(s.resources.length, 'resource')}` : plural(s.resources.length, 'resource');
        if (q && inType) s.details.open = true;
        shown += inType;
        total += s.resources.length;
      }
      count.textContent = q ? `${shown} of ${plural(total, 'resource')} match “${filter.value.trim()}”.` : `${plural(total, 'resource')}.`;
    };

    const load = async () => {
      reload.disabled = true;
      try {
        const dump = await ctx.api.get('/api/v1/xds/config_dump', { query: { node }, signal: ctx.signal });
        const n = dump.node ?? {};
        replace(info, h('dl', { class: 'facts' },
          h('dt', {}, 'Tenant'), h('dd', {}, n.tenant ?? NONE),
          h('dt', {}, 'Plane'), h('dd', {}, h('span', { class: 'plane' }, n.plane ?? NONE)),
          h('dt', {}, 'Role'), h('dd', {}, n.role ?? NONE),
          n.service ? [h('dt', {}, 'Service'), h('dd', {}, `${n.service}${n.version ? ` ${n.version}` : ''}`)] : null,
          h('dt', {}, 'Server'), h('dd', {}, h('code', {}, dump.server ?? NONE)),
          h('dt', {}, 'Stream'), h('dd', {}, `${dump.stream}${dump.streams > 1 ? ` (latest of ${dump.streams})` : ''}`)));
        const configs = dump.configs ?? {};
        const names = [...TYPES, ...Object.keys(configs).filter((t) => !TYPES.includes(t))].filter((t) => configs[t]);
        sections = names.map((t) => {
          const c = configs[t];
          const countEl = h('span', { class: 'muted small' });
          const resources = (c.resources ?? []).map((r) => {
            const json = JSON.stringify(r, null, 2);
            const el = h('details', { class: 'resource', dataset: { resource: resourceName(r) } },
              h('summary', {}, h('code', {}, resourceName(r))),
              h('pre', { class: 'preview' }, json));
            return { el, text: json.toLowerCase() };
          });
          const details = h('details', { class: 'dump-type', id: `dump-${t}`, open: true },
            h('summary', {}, h('strong', {}, t.toUpperCase()), ' ', countEl),
            typeState(t, c),
            resources.length ? resources.map((r) => r.el) : h('p', { class: 'empty' }, 'Nothing sent of this type.'));
          return { details, resources, countEl };
        });
        replace(box, sections.length ? sections.map((s) => s.details) : h('p', { class: 'empty' }, 'Nothing was sent to this client yet.'));
        applyFilter();
      } catch (e) {
        if (ignorable(e)) return;
        sections = [];
        replace(box, h('p', { class: 'error', role: 'alert' }, e.status === 404
          ? `No xDS client with node id ${node} is connected now.` : `Could not load the config dump: ${e.message}`));
        count.textContent = '';
      } finally {
        reload.disabled = false;
      }
    };

    filter.addEventListener('input', applyFilter);
    reload.addEventListener('click', load);
    load();
  },
};
