// Cluster: every member with its roles and readiness, each role's leader, the quorum, and each
// member's replicas (leader / follower / catching up, term, index, followers in sync);
// refreshed every 5 s (GET /api/v1/cluster).

import { h, replace, stackable } from '../dom.js';
import { ApiError } from '../api.js';
import { plural, NONE } from '../format.js';

const REFRESH_MS = 5000;

function short(id) {
  return id ? String(id).slice(0, 8) : NONE;
}

function uptime(seconds) {
  if (seconds == null) return NONE;
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

/** One replica's state as a badge and text: "leader · term 2 · index 1002 · 2 of 2 followers in sync". */
function replicaCell(role, r) {
  if (!r) return h('td', {}, NONE);
  const mode = r.mode ?? 'unknown';
  const badgeClass = { leader: 'health-passing', follower: 'badge', syncing: 'health-warning', takeover: 'health-warning',
    deposed: 'health-critical' }[mode] ?? 'badge';
  const parts = [`term ${r.term ?? NONE}`, `index ${r.index ?? NONE}`];
  if (mode === 'leader' && Array.isArray(r.followers)) {
    const inSync = r.followers.filter((f) => f.inSync).length;
    parts.push(`${inSync} of ${plural(r.followers.length, 'follower')} in sync`);
  }
  return h('td', { dataset: { role, mode } }, h('span', { class: ['badge', badgeClass] }, mode), ' ',
    h('span', { class: 'muted small' }, parts.join(' · ')));
}

export default {
  path: '/cluster',
  title: 'Cluster',
  nav: 'Cluster',
  requires: 'read',
  render(container, ctx) {
    const summary = h('div', { id: 'cluster-summary', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
    const members = h('div', { id: 'cluster-members' });
    replace(container,
      h('h1', {}, 'Cluster'),
      h('p', { class: 'muted' }, 'The members of the cluster, the roles each runs, which member leads each role, and how each replica of the registry, the rules and telemetry stands. Refreshed every 5 s.'),
      summary,
      h('h2', {}, 'Members'),
      members);

    const draw = (doc) => {
      const list = doc.members ?? [];
      const quorum = doc.quorum ?? {};
      const leaders = Object.entries(doc.leaders ?? {});
      const byMember = new Map(list.map((m) => [m.member, m]));
      replace(summary,
        doc.clustered
          ? h('p', {}, `${plural(list.length, 'member')}. `,
            quorum.ok === false
              ? h('strong', { class: 'error', role: 'alert' },
                `No quorum: ${quorum.present} of the ${quorum.size} members needed are present, so registry and rule changes are refused.`)
              : `Quorum: ${quorum.present ?? NONE} present, ${quorum.size ?? NONE} needed.`)
          : h('p', {}, 'Not clustered: this node runs its roles alone (start nodes with --cluster to share them).'),
        leaders.length ? h('table', { id: 'cluster-leaders', class: 'compact' },
          h('caption', {}, 'Leaders'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Led by'))),
          h('tbody', {}, leaders.map(([role, id]) => {
            const m = byMember.get(id);
            return h('tr', { dataset: { role } }, h('th', { scope: 'row' }, role),
              h('td', {}, h('code', { title: id }, short(id)), m?.ports?.admin ? ` (admin port ${m.ports.admin})` : ''));
          }))) : null);
      const replicated = [...new Set(list.flatMap((m) => Object.keys(m.replication ?? {})))].sort();
      replace(members, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'cluster-table' },
        h('caption', { class: 'sr-only' }, 'Members'),
        h('thead', {}, h('tr', {},
          ['Member', 'Roles', 'Ready', 'Up', 'Admin port', ...replicated.map((r) => `${r} replica`)]
            .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, list.map((m) => {
          if (m.error) {
            return h('tr', { dataset: { node: m.node ?? '' } }, h('th', { scope: 'row' }, h('code', {}, short(m.node))),
              h('td', { colspan: String(4 + replicated.length) }, h('span', { class: 'error' }, `does not answer: ${m.error.message ?? ''}`)));
          }
          const roles = (m.roles ?? []).map((r) => (typeof r === 'string' ? r : r.name));
          return h('tr', { dataset: { member: m.member ?? m.node } },
            h('th', { scope: 'row' }, h('code', { title: `member ${m.member ?? NONE}, node ${m.node}` }, short(m.member ?? m.node))),
            h('td', {}, roles.map((r) => h('span', { class: 'chip' }, r))),
            h('td', {}, m.ready ? h('span', { class: 'badge health-passing' }, 'ready') : h('span', { class: 'badge health-warning' }, 'not ready')),
            h('td', {}, uptime(m.uptimeSeconds)),
            h('td', {}, m.ports?.admin ?? NONE),
            replicated.map((r) => replicaCell(r, (m.replication ?? {})[r])));
        }))))));
    };

    ctx.every(REFRESH_MS, async () => {
      try {
        draw(await ctx.api.get('/api/v1/cluster', { signal: ctx.signal }));
      } catch (e) {
        if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
        replace(summary, h('p', { class: 'error', role: 'alert' }, `Could not load the cluster: ${e.message}`));
      }
    });
  },
};
