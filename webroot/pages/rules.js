// Traffic rules: every rule of every namespace, filtered by kind, namespace and name (kept in
// the URL), live through the UI stream's rule events.

import { h, replace, stackable } from '../dom.js';
import { ApiError } from '../api.js';
import { followRules } from '../rules-live.js';
import { dateTime, plural } from '../format.js';

/** The rule kinds, as docs/rules.md lists them. */
export const KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Gateway', 'AuthorizationPolicy',
  'RequestAuthentication', 'RateLimitPolicy', 'ExternalAuthPolicy', 'CircuitBreakerPolicy'];

export function ruleHref(kind, namespace, name) {
  return `/rules/${encodeURIComponent(kind)}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

function options(select, values, wanted, allLabel) {
  replace(select, h('option', { value: '' }, allLabel), values.map((v) => h('option', { value: v, selected: v === wanted }, v)));
  select.value = wanted;
}

export default {
  path: '/rules',
  title: 'Traffic rules',
  nav: 'Traffic rules',
  requires: 'read',
  render(container, ctx) {
    const wanted = { kind: ctx.query.get('kind') ?? '', namespace: ctx.query.get('namespace') ?? '' };
    const search = h('input', { id: 'rule-search', type: 'search', value: ctx.query.get('q') ?? '', autocomplete: 'off' });
    const kindSelect = h('select', { id: 'rule-kind' });
    const nsSelect = h('select', { id: 'rule-namespace' });
    const count = h('p', { class: 'muted', id: 'rules-count', 'aria-live': 'polite' });
    const result = h('div', { id: 'rules-result' }, h('p', { class: 'muted' }, 'Loading…'));
    const liveSlot = h('span');
    const writer = ctx.can('write_rules');
    let rules = [];
    let openedAt = null; // the rules index when the page opened: later changes are highlighted

    replace(container,
      h('h1', {}, 'Traffic rules ', liveSlot),
      writer ? h('p', { class: 'actions' },
        h('a', { href: '/rules/new', 'data-link': true, class: 'button', id: 'new-rule' }, 'New rule'), ' ',
        h('a', { href: '/rules/wizards', 'data-link': true, class: 'button secondary', id: 'rule-forms' }, 'Forms')) : null,
      h('form', { class: 'filters', role: 'search', onSubmit: (e) => e.preventDefault() },
        h('div', { class: 'field' }, h('label', { for: 'rule-search' }, 'Name'), search),
        h('div', { class: 'field' }, h('label', { for: 'rule-kind' }, 'Kind'), kindSelect),
        h('div', { class: 'field' }, h('label', { for: 'rule-namespace' }, 'Namespace'), nsSelect)),
      count, result);

    const changedSinceOpened = (r) => openedAt != null && Number(r.metadata.resourceVersion) > openedAt;

    const draw = () => {
      const kinds = [...new Set([...KINDS, ...rules.map((r) => r.kind)])];
      if (wanted.kind && !kinds.includes(wanted.kind)) kinds.push(wanted.kind);
      options(kindSelect, kinds, wanted.kind, 'All kinds');
      const namespaces = [...new Set(rules.map((r) => r.metadata.namespace))].sort();
      if (wanted.namespace && !namespaces.includes(wanted.namespace)) namespaces.push(wanted.namespace);
      options(nsSelect, namespaces, wanted.namespace, 'All namespaces');
      const q = search.value.trim().toLowerCase();
      const order = (r) => KINDS.indexOf(r.kind) < 0 ? KINDS.length : KINDS.indexOf(r.kind);
      const shown = rules.filter((r) => (!wanted.kind || r.kind === wanted.kind)
          && (!wanted.namespace || r.metadata.namespace === wanted.namespace)
          && (!q || r.metadata.name.toLowerCase().includes(q)))
        .sort((a, b) => order(a) - order(b) || a.kind.localeCompare(b.kind)
          || a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));
      const changed = rules.filter(changedSinceOpened).length;
      count.textContent = `${plural(shown.length, 'rule')} of ${rules.length}${changed ? ` · ${changed} changed since you opened this page` : ''}`;
      if (!shown.length) {
        replace(result, h('p', { class: 'empty' }, rules.length ? 'No rule matches.' : 'No traffic rules yet.'));
        return;
      }
      replace(result, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'rules' },
        h('caption', { class: 'sr-only' }, 'Traffic rules'),
        h('thead', {}, h('tr', {}, ['Name', 'Kind', 'Namespace', 'Version', 'Changed', 'By']
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, shown.map((r) => {
          const m = r.metadata;
          const status = r.status ?? {};
          return h('tr', { dataset: { kind: r.kind, namespace: m.namespace, name: m.name }, class: changedSinceOpened(r) ? 'changed' : null },
            h('th', { scope: 'row' }, h('a', { href: ruleHref(r.kind, m.namespace, m.name), 'data-link': true }, m.name)),
            h('td', {}, r.kind),
            h('td', {}, m.namespace),
            h('td', {}, `resourceVersion ${m.resourceVersion ?? '—'}`, h('span', { class: 'muted' }, ` · revision ${status.revision ?? '—'}`)),
            h('td', {}, status.updatedAt ? h('time', { datetime: status.updatedAt }, dateTime(status.updatedAt)) : '—'),
            h('td', {}, status.updatedBy ?? '—'));
        }))))));
    };

    search.addEventListener('input', () => {
      ctx.setQuery({ q: search.value.trim() });
      draw();
    });
    kindSelect.addEventListener('change', () => {
      wanted.kind = kindSelect.value;
      ctx.setQuery({ kind: wanted.kind });
      draw();
    });
    nsSelect.addEventListener('change', () => {
      wanted.namespace = nsSelect.value;
      ctx.setQuery({ namespace: wanted.namespace });
      draw();
    });

    let drawnIndex = null;
    const load = async () => {
      try {
        const doc = await ctx.api.get('/api/v1/rules', { signal: ctx.signal });
        // the stream's (re)connection asks for a reload: redraw only if a rule changed, so that
        // the rows a user is about to click are not replaced by identical ones
        if (drawnIndex !== null && doc.index === drawnIndex) return;
        drawnIndex = doc.index;
        rules = doc.rules ?? [];
        openedAt ??= doc.index;
        draw();
      } catch (e) {
        if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
        replace(result, h('p', { class: 'error', role: 'alert' }, `Could not load the rules: ${e.message}`));
      }
    };
    const reload = ctx.coalesce(1000, load);
    load();
    replace(liveSlot, followRules(ctx, () => reload()));
  },
};
