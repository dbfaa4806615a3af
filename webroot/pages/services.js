// Services: every service of every tenant, with search and a tenant filter, live.

import { h, replace, stackable } from '../dom.js';
import { ApiError } from '../api.js';
import { followRegistry } from '../registry-live.js';
import { plural } from '../format.js';

export function serviceHref(tenant, name) {
  return `/services/${encodeURIComponent(tenant)}/${encodeURIComponent(name)}`;
}

export default {
  path: '/services',
  title: 'Services',
  nav: 'Services',
  requires: 'read',
  render(container, ctx) {
    const search = h('input', { id: 'service-search', type: 'search', value: ctx.query.get('q') ?? '', autocomplete: 'off' });
    const tenant = h('select', { id: 'tenant-filter' }, h('option', { value: '' }, 'All tenants'));
    const result = h('div', { id: 'services-result' }, h('p', { class: 'muted' }, 'Loading…'));
    const count = h('p', { class: 'muted', id: 'services-count', 'aria-live': 'polite' });
    const liveSlot = h('span');
    let services = [];
    let wantedTenant = ctx.query.get('tenant') ?? '';

    replace(container,
      h('div', { class: 'title-row' }, h('h1', {}, 'Services ', liveSlot),
        ctx.can('register') ? h('a', { href: '/register', 'data-link': true, class: 'button', id: 'register-service' }, 'Register a service') : null),
      h('form', { class: 'filters', role: 'search', onSubmit: (e) => e.preventDefault() },
        h('div', { class: 'field' }, h('label', { for: 'service-search' }, 'Search'), search),
        h('div', { class: 'field' }, h('label', { for: 'tenant-filter' }, 'Tenant'), tenant)),
      count, result);

    const draw = () => {
      const tenants = [...new Set(services.map((s) => s.tenant))].sort();
      if (wantedTenant && !tenants.includes(wantedTenant)) tenants.push(wantedTenant);
      replace(tenant, h('option', { value: '' }, 'All tenants'),
        tenants.map((t) => h('option', { value: t, selected: t === wantedTenant }, t)));
      tenant.value = wantedTenant;
      const q = search.value.trim().toLowerCase();
      const shown = services.filter((s) => (!wantedTenant || s.tenant === wantedTenant) && (!q || s.name.toLowerCase().includes(q)))
        .sort((a, b) => a.name.localeCompare(b.name) || a.tenant.localeCompare(b.tenant));
      count.textContent = `${plural(shown.length, 'service')} of ${services.length}`;
      if (!shown.length) {
        replace(result, h('p', { class: 'empty' }, services.length ? 'No service matches.' : 'No services registered yet.'));
        return;
      }
      replace(result, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'services' },
        h('caption', { class: 'sr-only' }, 'Services'),
        h('thead', {}, h('tr', {}, ['Service', 'Tenant', 'Versions', 'Healthy', 'Planes', 'Protocols']
          .map((c) => h('th', { scope: 'col', class: c === 'Healthy' ? 'num' : null }, c)))),
        h('tbody', {}, shown.map((s) => h('tr', { dataset: { service: s.name, tenant: s.tenant } },
          h('th', { scope: 'row' }, h('a', { href: serviceHref(s.tenant, s.name), 'data-link': true }, s.name)),
          h('td', {}, s.tenant),
          h('td', {}, (s.versions ?? []).map((v) => h('span', { class: 'chip' }, v || '(none)'))),
          h('td', { class: ['num', s.healthy < s.instances ? 'health-warning' : null] }, `${s.healthy} / ${s.instances}`),
          h('td', {}, (s.planes ?? []).join(', ')),
          h('td', {}, (s.protocols ?? []).join(', ')))))))));
    };

    search.addEventListener('input', () => {
      ctx.setQuery({ q: search.value.trim() });
      draw();
    });
    tenant.addEventListener('change', () => {
      wantedTenant = tenant.value;
      ctx.setQuery({ tenant: wantedTenant });
      draw();
    });

    const load = async () => {
      const doc = await ctx.api.get('/api/v1/services', { signal: ctx.signal });
      services = doc.services ?? [];
      draw();
      return doc.index;
    };
    const reload = ctx.coalesce(1000, load);

    load().then((index) => {
      replace(liveSlot, followRegistry(ctx, { since: index, onEvent: reload, onReset: reload }));
    }).catch((e) => {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
      replace(result, h('p', { class: 'error', role: 'alert' }, `Could not load services: ${e.message}`));
    });
  },
};
