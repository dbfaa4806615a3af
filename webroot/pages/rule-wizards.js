// The rule wizards: one form per common traffic rule, as a list to pick from.

import { h, replace } from '../dom.js';
import { WIZARDS } from './rule-wizard.js';

export default {
  path: '/rules/wizards',
  title: 'Rule wizards',
  nav: 'Wizards',
  requires: 'read',
  render(container, ctx) {
    const keep = new URLSearchParams();
    for (const key of ['tenant', 'service']) if (ctx.query.get(key)) keep.set(key, ctx.query.get(key));
    const suffix = keep.toString() ? `?${keep}` : '';
    replace(container,
      h('h1', {}, 'Rule wizards'),
      h('p', { class: 'muted' }, 'Forms for the common traffic rules of one service. Each starts from the service\'s VirtualService and '
        + 'DestinationRule in effect, changes only what it covers, shows the documents before they are applied, and can dry-run them first.'),
      h('ul', { class: 'wizard-list', id: 'wizard-list' }, WIZARDS.map((w) => h('li', { class: 'card', dataset: { wizard: w.id } },
        h('h2', {}, h('a', { href: `/rules/wizards/${w.id}${suffix}`, 'data-link': true }, w.title)),
        h('p', {}, w.summary),
        h('p', { class: 'muted small' }, `Writes: ${w.touches.join(' and ')}`)))),
      h('p', {}, 'To move traffic between two versions with a slider and watch them side by side, use ',
        h('a', { href: `/canary${suffix}`, 'data-link': true }, 'Canary'), '.'));
  },
};
