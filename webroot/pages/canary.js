// Canary: one service's split between a stable and a canary version — a slider (and a number per
// version when there are more than two), applied as the service's DestinationRule (subsets by the
// label version) and VirtualService weights — beside each version's live traffic (rate, share,
// error ratio, p99) so the split shows in real requests.

import { h, s, replace, stackable } from '../dom.js';
import { rate, ratio, ms, NONE } from '../format.js';
import {
  servicePicker, loadServiceRulesOr, currentWeights, startPlan, setWeights, ruleActions, followChanges, field, yamlLink,
} from '../traffic-rules.js';

const METRICS_MS = 5000;

function weightsText(weights, unversioned) {
  const parts = [...weights.entries()].map(([v, w]) => `${v} ${w} %`);
  if (unversioned) parts.push(`any version ${unversioned} %`);
  return parts.join(' · ');
}

export default {
  path: '/canary',
  title: 'Canary',
  nav: 'Canary',
  requires: 'read',
  render(container, ctx) {
    const liveSlot = h('span');
    const body = h('div', { id: 'canary-body' }, h('p', { class: 'muted' }, 'Choose a service with at least two versions.'));
    const traffic = h('div', { id: 'canary-traffic' });
    let svc = null;
    let rules = null;
    let state = null; // {versions, weights: Map, stable, canary, dirty}
    let actions = null;
    let stream = false;
    let draw = () => {};
    let generation = 0;
    let metrics = null; // {doc} | {error}
    let wantedCanary = ctx.query.get('canary'); // from the URL, for the first service only
    let chosenService = 0;

    const picker = servicePicker(ctx, {
      onChange: (next) => {
        // the same service with other versions keeps the chosen pair; another service starts afresh
        const same = svc && next && svc.tenant === next.tenant && svc.name === next.name;
        svc = next;
        generation++;
        if (!same) {
          state = null;
          rules = null;
          metrics = null;
          if (chosenService++ > 0) {
            wantedCanary = null;
            ctx.setQuery({ canary: null });
          }
        }
        if (!svc) {
          replace(body, h('p', { class: 'muted' }, 'Choose a service with at least two versions.'));
          replace(traffic);
          return;
        }
        loadRules(true);
        pollNow();
      },
    });

    replace(container,
      h('h1', {}, 'Canary ', liveSlot),
      h('p', { class: 'muted' }, 'Shift a service\'s traffic between its stable and its canary version, and watch each version\'s '
        + 'requests, errors and latency side by side. Other changes: the ', h('a', { href: '/rules/wizards', 'data-link': true }, 'rule wizards'), '.'),
      picker.element,
      h('div', { class: 'canary-grid' },
        h('section', { 'aria-labelledby': 'h-split' }, h('h2', { id: 'h-split' }, 'Split'), body),
        h('section', { 'aria-labelledby': 'h-canary-traffic' }, h('h2', { id: 'h-canary-traffic' }, 'Traffic by version (last minute)'), traffic)));

    const initState = () => {
      const current = currentWeights(rules, svc);
      const versions = [...new Set([...svc.versions, ...(current ? current.weights.keys() : [])])].sort();
      const weights = new Map(versions.map((v) => [v, current ? (current.weights.get(v) ?? 0) : 0]));
      // keep the pair chosen on this page (or asked for in the URL) while those versions exist
      const wanted = state?.canary ?? wantedCanary;
      const stable = versions.includes(state?.stable) && state.stable !== wanted ? state.stable : versions[0];
      const last = versions[versions.length - 1];
      const canary = versions.includes(wanted) && wanted !== stable ? wanted : (last !== stable ? last : versions[0]);
      if (!current || current.unversioned || [...weights.values()].reduce((a, b) => a + b, 0) !== 100) {
        for (const v of versions) weights.set(v, v === stable ? 100 : 0);
      }
      state = { versions, weights, stable, canary, dirty: false };
    };

    const loadRules = async (fresh) => {
      const mine = generation;
      const loaded = await loadServiceRulesOr(ctx, svc.tenant, svc.name, body);
      if (!loaded || mine !== generation) return;
      rules = loaded;
      if (fresh || !state || !state.dirty) initState();
      if (fresh) buildForm();
      else draw();
      if (!stream) {
        stream = true;
        replace(liveSlot, followChanges(ctx, svc.tenant, {
          onRules: (event) => svc && (!event.namespace || event.namespace === svc.tenant) && reloadRules(),
          onRegistry: () => picker.reload(),
        }));
      }
    };
    const reloadRules = ctx.coalesce(1000, () => svc && loadRules(false));

    const buildForm = () => {
      if (state.versions.length < 2) {
        replace(body, h('p', { class: 'empty' }, `${svc.name} has ${state.versions.length ? `one version (${state.versions[0]})` : 'no version'}: `
          + 'a canary needs at least two. Register instances of another version.'));
        actions = null;
        return;
      }
      const many = state.versions.length > 2;
      const slider = h('input', { type: 'range', min: '0', max: '100', step: '1', class: 'canary-slider' });
      const splitText = h('output', { id: 'split-text', for: 'canary-weight', class: 'split-text' });
      const bar = s('svg', { class: 'split-bar', viewBox: '0 0 100 6', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' });
      const stableSelect = h('select', {});
      const canarySelect = h('select', {});
      const numbers = new Map();
      const total = h('p', { id: 'weight-total', role: 'status', class: 'small' });
      const inEffect = h('p', { id: 'current-weights' });
      const links = h('p', { class: 'small' });
      const others = () => state.versions.filter((v) => v !== state.stable && v !== state.canary)
        .reduce((sum, v) => sum + state.weights.get(v), 0);

      draw = () => {
        const current = currentWeights(rules, svc);
        replace(inEffect, h('strong', {}, 'In effect: '), current
          ? weightsText(current.weights, current.unversioned)
          : 'no VirtualService routes this service: requests are balanced over every healthy instance, whatever its version.');
        replace(links, rules.vs ? yamlLink(rules.vs) : null, rules.vs && rules.dr ? ' · ' : null, rules.dr ? yamlLink(rules.dr) : null);
        const room = Math.max(0, 100 - others());
        slider.max = String(room);
        slider.value = String(Math.min(room, state.weights.get(state.canary)));
        const text = `${state.stable} (stable) ${state.weights.get(state.stable)} % · ${state.canary} (canary) ${state.weights.get(state.canary)} %`;
        slider.setAttribute('aria-valuetext', text);
        replace(splitText, text);
        let x = 0;
        replace(bar, state.versions.filter((v) => state.weights.get(v) > 0).map((v) => {
          const width = state.weights.get(v);
          const part = s('rect', { x, y: 0, width, height: 6, class: ['split-part', v === state.canary ? 'canary' : v === state.stable ? 'stable' : 'other'] });
          x += width;
          return part;
        }));
        for (const [v, input] of numbers) if (document.activeElement !== input) input.value = String(state.weights.get(v));
        const sum = [...state.weights.values()].reduce((a, b) => a + b, 0);
        replace(total, `Total: ${sum} %`, sum === 100 ? '' : h('span', { class: 'error' }, ' — the weights must add up to 100 %'));
        actions?.refresh();
        drawTraffic();
      };

      slider.addEventListener('input', () => {
        const room = 100 - others();
        const value = Math.max(0, Math.min(room, Number(slider.value)));
        state.weights.set(state.canary, value);
        state.weights.set(state.stable, room - value);
        state.dirty = true;
        draw();
      });
      const pick = (select, role) => {
        replace(select, state.versions.map((v) => h('option', { value: v, selected: v === state[role] }, v)));
        select.addEventListener('change', () => {
          const other = role === 'stable' ? 'canary' : 'stable';
          if (select.value === state[other]) state[other] = state[role];
          state[role] = select.value;
          if (role === 'canary' || state.canary !== wantedCanary) {
            wantedCanary = state.canary;
            ctx.setQuery({ canary: state.canary });
          }
          stableSelect.value = state.stable;
          canarySelect.value = state.canary;
          draw();
        });
      };
      pick(stableSelect, 'stable');
      pick(canarySelect, 'canary');

      const form = h('form', { class: 'canary-form', novalidate: true, onSubmit: (e) => e.preventDefault() },
        inEffect, links,
        many ? h('div', { class: 'filters' }, field('stable-version', 'Stable version', stableSelect), field('canary-version', 'Canary version', canarySelect)) : null,
        field('canary-weight', `Canary weight (${many ? 'between the stable and the canary version' : `${state.canary} vs ${state.stable}`})`, slider,
          'Arrow keys move it by 1 %, Page Up/Down by 10 %, Home/End to either end.'),
        splitText, bar,
        many ? h('fieldset', { class: 'weights' }, h('legend', {}, 'Weight of every version (%)'),
          state.versions.map((v) => {
            const input = h('input', { type: 'number', min: '0', max: '100', step: '1', inputmode: 'numeric', class: 'weight-input' });
            numbers.set(v, input);
            input.addEventListener('input', () => {
              const n = Number(input.value);
              if (input.value === '' || !Number.isFinite(n)) return;
              state.weights.set(v, Math.max(0, Math.min(100, Math.round(n))));
              state.dirty = true;
              draw();
            });
            return field(`weight-${v}`, v, input);
          }), total) : total);

      actions = ruleActions(ctx, {
        form,
        applyLabel: 'Apply split',
        buildPlan: () => {
          const plan = startPlan(svc, rules);
          setWeights(plan, state.versions.map((v) => [v, state.weights.get(v)]), (v) => (many ? `weight-${v}` : 'canary-weight'));
          return plan;
        },
        onApplied: async () => {
          state.dirty = false;
          await loadRules(false);
        },
      });
      replace(body, form, actions.element);
      draw();
    };

    // ---- traffic ----
    const drawTraffic = () => {
      if (!svc) return;
      if (!metrics) {
        replace(traffic, h('p', { class: 'muted' }, 'Loading…'));
        return;
      }
      if (metrics.error) {
        replace(traffic, h('p', { class: 'error' }, metrics.error));
        return;
      }
      const byVersion = new Map((metrics.doc.versions ?? []).map((m) => [m.version, m]));
      const versions = [...new Set([...(state?.versions ?? svc.versions), ...byVersion.keys()])]
        .filter((v) => v !== '' || (byVersion.get('')?.rate ?? 0) > 0).sort();
      const sum = versions.reduce((acc, v) => acc + (byVersion.get(v)?.rate ?? 0), 0);
      const current = rules ? currentWeights(rules, svc) : null;
      replace(traffic, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'canary-traffic-table' },
        h('thead', {}, h('tr', {}, ['Version', 'Weight in effect', 'Rate', 'Share', 'Errors', 'p99']
          .map((c, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : null }, c)))),
        h('tbody', {}, versions.map((v) => {
          const m = byVersion.get(v) ?? {};
          const role = state && v === state.canary ? 'canary' : state && v === state.stable ? 'stable' : null;
          return h('tr', { dataset: { version: v } },
            h('th', { scope: 'row' }, v || '(no version chosen)', role ? ' ' : null, role ? h('span', { class: ['badge', `role-${role}`] }, role) : null),
            h('td', { class: 'num' }, current ? `${current.weights.get(v) ?? 0} %` : NONE),
            h('td', { class: 'num rate' }, rate(m.rate)),
            h('td', { class: 'num share' }, sum > 0 && m.rate != null ? ratio(m.rate / sum) : NONE),
            h('td', { class: ['num', 'errors', m.errorRatio > 0.01 ? 'health-critical' : null] }, ratio(m.errorRatio)),
            h('td', { class: 'num p99' }, ms(m.p99)));
        }))))),
      h('p', { class: 'muted small' }, 'Requests through Meridian\'s gateways and sidecars, averaged over the last minute; refreshed every 5 s. '
        + 'Share is each version\'s part of the requests: it follows a new split within the minute.'));
    };

    const poll = async () => {
      if (!svc) return;
      const asked = svc;
      try {
        const doc = await ctx.api.get('/api/v1/metrics/service', { query: { name: asked.name, tenant: asked.tenant, window: '1m' }, signal: ctx.signal });
        if (asked !== svc) return;
        metrics = { doc };
      } catch (e) {
        if (e.name === 'AbortError' || e.status === 401) throw e;
        metrics = { error: e.status === 503 ? 'No node runs the telemetry role: no traffic figures.' : `Traffic figures unavailable: ${e.message}` };
      }
      drawTraffic();
    };
    const pollNow = ctx.coalesce(500, poll);
    ctx.every(METRICS_MS, poll);
  },
};
