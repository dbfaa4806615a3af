// One rule wizard: a form for a common traffic rule of one service (traffic shifting, header
// routing, timeouts and retries, fault injection, circuit breaking). It starts from the service's
// VirtualService / DestinationRule in effect, changes only what the form covers, and previews,
// dry-runs and applies the result.

import { h, replace } from '../dom.js';
import {
  servicePicker, loadServiceRulesOr, startPlan, ruleActions, followChanges, field, currentWeights, setWeights,
  ensureSubsets, ensureDefaultRoute, defaultRouteIndex, hostOf, describeRoute, notePrecedingRoutes,
  numberOrNone, textOrNone, compact, setOrDelete,
} from '../traffic-rules.js';

const input = (attrs) => h('input', { type: 'text', autocomplete: 'off', ...attrs });
const numberInput = (attrs) => h('input', { type: 'number', inputmode: 'numeric', ...attrs });
const valueOf = (form, id) => form.querySelector(`#${CSS.escape(id)}`).value;
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A route's delay or abort percentage (percentage.value, or Istio's older integer percent). */
const percentOf = (part) => part?.percentage?.value ?? part?.percent ?? '';

/**
 * Which HTTP routes a route-level setting goes to: "all", or one route's index. Preselected:
 * every route when they all agree on the setting (settingOf(route)), else the default route.
 */
function scopeField(rules, settingOf) {
  const http = rules.vs?.spec?.http ?? [];
  const def = defaultRouteIndex(rules.vs);
  const agree = new Set(http.map((r) => JSON.stringify(settingOf(r) ?? null))).size <= 1;
  const chosen = agree || http.length === 0 ? 'all' : String(def >= 0 ? def : 0);
  const select = h('select', {},
    h('option', { value: 'all', selected: chosen === 'all' }, http.length ? `Every HTTP route (${http.length})` : 'Every request (a new default route)'),
    http.map((r, i) => h('option', { value: String(i), selected: chosen === String(i) }, describeRoute(r, i, i === def))));
  return field('route-scope', 'Routes', select, http.length ? 'The settings go to these routes; other routes keep theirs.' : null);
}

/** The routes a plan's route-level settings go to (a default route is created when there is none). */
function targetRoutes(plan, scope) {
  if (!(plan.vs.spec.http ?? []).length) ensureDefaultRoute(plan);
  const http = plan.vs.spec.http;
  const indexes = scope === 'all' || scope === '' ? http.map((_, i) => i) : [Number(scope)].filter((i) => i < http.length);
  if (!plan.rules.vs) plan.notes.push(`A new VirtualService ${plan.vs.metadata.name} sends every request to ${hostOf(plan)} (any version) with these settings.`);
  return indexes;
}

/** The route a form prefills from: the chosen one, else the default route, else the first. */
function sampleRoute(rules) {
  const http = rules.vs?.spec?.http ?? [];
  const def = defaultRouteIndex(rules.vs);
  return http[def >= 0 ? def : 0] ?? {};
}

const routeField = (kind, pattern, id) => [kind, new RegExp(`^spec\\.http\\[\\d+\\]\\.${pattern}`), id];

export const WIZARDS = [
  {
    id: 'traffic-shifting',
    title: 'Traffic shifting',
    summary: 'Split the requests between versions by weight (they add up to 100 %): a canary, a blue/green switch.',
    touches: ['DestinationRule', 'VirtualService'],
    form(svc, rules) {
      const current = currentWeights(rules, svc);
      const versions = [...new Set([...svc.versions, ...(current ? current.weights.keys() : [])])].sort();
      const total = h('p', { id: 'weight-total', role: 'status', class: 'small' });
      const inputs = versions.map((v, i) => {
        const w = current && !current.unversioned ? (current.weights.get(v) ?? 0) : (i === 0 ? 100 : 0);
        return field(`weight-${v}`, `${v} (%)`, numberInput({ min: '0', max: '100', step: '1', value: String(w), class: 'weight-input', dataset: { version: v } }));
      });
      const element = h('fieldset', { class: 'weights' }, h('legend', {}, 'Weight of each version'),
        versions.length ? inputs : h('p', { class: 'empty' }, 'This service has no version: register instances with a version first.'), total);
      const showTotal = () => {
        const sum = [...element.querySelectorAll('.weight-input')].reduce((a, el) => a + (Number(el.value) || 0), 0);
        replace(total, `Total: ${sum} %`, sum === 100 ? '' : h('span', { class: 'error' }, ' — the weights must add up to 100 %'));
      };
      element.addEventListener('input', showTotal);
      showTotal();
      return element;
    },
    build(plan, form) {
      const weights = [...form.querySelectorAll('.weight-input')].map((el) => [el.dataset.version, numberOrNone(el.value) ?? 0]);
      if (!weights.length) throw new Error('This service has no version to shift traffic between.');
      setWeights(plan, weights, (v) => `weight-${v}`);
    },
  },
  {
    id: 'header-routing',
    title: 'Header routing',
    summary: 'Send requests carrying a header value (exact, prefix or regex) to one version, and the rest to a default one.',
    touches: ['DestinationRule', 'VirtualService'],
    form(svc, rules) {
      const http = rules.vs?.spec?.http ?? [];
      const sample = http.find((r) => r.match?.length === 1 && r.match[0].headers && Object.keys(r.match[0].headers).length === 1) ?? null;
      const [header, how] = sample ? Object.entries(sample.match[0].headers)[0] : ['', {}];
      const [type, value] = Object.entries(how)[0] ?? ['exact', ''];
      const subset = sample?.route?.[0]?.destination?.subset;
      const subsetVersion = (rules.dr?.spec?.subsets ?? []).find((x) => x.name === subset)?.labels?.version;
      const hasDefault = defaultRouteIndex(rules.vs) >= 0;
      const versionOptions = (selected) => svc.versions.map((v) => h('option', { value: v, selected: v === selected }, v));
      return h('div', { class: 'form-grid' },
        field('hr-header', 'Header name', input({ value: header, placeholder: 'end-user', spellcheck: 'false' }), 'Lower case, as HTTP/2 sends it.'),
        field('hr-match', 'Match', h('select', {}, ['exact', 'prefix', 'regex'].map((t) => h('option', { value: t, selected: t === type }, t)))),
        field('hr-value', 'Value', input({ value, spellcheck: 'false' }), 'A regex is RE2 syntax and matches the whole value.'),
        field('hr-subset', 'Send matching requests to', h('select', {}, versionOptions(subsetVersion ?? svc.versions[svc.versions.length - 1]))),
        field('hr-default', 'Send other requests to', h('select', {},
          hasDefault ? h('option', { value: '' }, 'keep the current default route') : null,
          versionOptions(hasDefault ? null : svc.versions[0]))));
    },
    build(plan, form) {
      const name = valueOf(form, 'hr-header').trim();
      const type = valueOf(form, 'hr-match');
      const value = valueOf(form, 'hr-value');
      const target = valueOf(form, 'hr-subset');
      const fallback = valueOf(form, 'hr-default');
      if (!name) throw new Error('Give a header name to see the documents.');
      if (!target) throw new Error('This service has no version to route to.');
      const subsets = ensureSubsets(plan, [target, fallback].filter(Boolean));
      const host = hostOf(plan);
      const http = plan.vs.spec.http = plan.vs.spec.http ?? [];
      const match = [{ headers: { [name]: { [type]: value } } }];
      const route = [{ destination: { host, subset: subsets.get(target) } }];
      let index = http.findIndex((r) => r.match?.length === 1 && Object.keys(r.match[0]).length === 1
        && r.match[0].headers && Object.keys(r.match[0].headers).length === 1 && r.match[0].headers[name]);
      let def;
      if (index >= 0) {
        const replaced = { ...http[index], match, route };
        if (JSON.stringify(replaced) !== JSON.stringify(http[index])) {
          plan.notes.push(`Route ${describeRoute(http[index], index, false)} is replaced by this header route (its other settings are kept).`);
        }
        http[index] = replaced;
        def = ensureDefaultRoute(plan);
      } else {
        def = ensureDefaultRoute(plan);
        http.splice(def, 0, { match, route });
        index = def;
        def += 1;
      }
      if (fallback) {
        const before = http[def].route;
        http[def].route = [{ destination: { host, subset: subsets.get(fallback) } }];
        if (plan.rules.vs && JSON.stringify(before) !== JSON.stringify(http[def].route)) {
          plan.notes.push(`The default route changes from ${describeRoute({ route: before }, def, true).replace(/^#\d+ default route → /, '')} to ${fallback}.`);
        }
      }
      notePrecedingRoutes(plan, index, 'this header route');
      plan.fields.push(['VirtualService', new RegExp(`^spec\\.http\\[${index}\\]\\.match\\[0\\]\\.headers\\.${esc(name)}\\.`), 'hr-value'],
        ['VirtualService', new RegExp(`^spec\\.http\\[${index}\\]\\.match`), 'hr-header'],
        ['VirtualService', new RegExp(`^spec\\.http\\[${index}\\]\\.route`), 'hr-subset'],
        ['VirtualService', new RegExp(`^spec\\.http\\[${def}\\]\\.route`), 'hr-default']);
    },
  },
  {
    id: 'timeouts',
    title: 'Timeouts and retries',
    summary: 'Bound how long a request may take, and retry failed tries (attempts, per-try timeout, on which failures).',
    touches: ['VirtualService'],
    form(svc, rules) {
      const r = sampleRoute(rules);
      return h('div', { class: 'form-grid' }, scopeField(rules, (route) => [route.timeout, route.retries]),
        field('to-timeout', 'Timeout', input({ value: r.timeout ?? '', placeholder: '5s' }), 'The whole request, every try included: 500ms, 1.5s, 1m. Empty: the gateway\'s default (1 min).'),
        field('to-attempts', 'Retry attempts', numberInput({ min: '0', step: '1', value: r.retries?.attempts ?? '' }), 'Empty: Istio\'s default (2 retries on connect failures and 503). 0: no retry.'),
        field('to-per-try', 'Per-try timeout', input({ value: r.retries?.perTryTimeout ?? '', placeholder: '2s' })),
        field('to-retry-on', 'Retry on', input({ value: r.retries?.retryOn ?? '', placeholder: '5xx,connect-failure', spellcheck: 'false' }),
          'Comma-separated: 5xx, gateway-error, connect-failure, reset, retriable-4xx, retriable-status-codes, or status codes.'));
    },
    build(plan, form) {
      const timeout = textOrNone(valueOf(form, 'to-timeout'));
      const retries = compact({
        attempts: numberOrNone(valueOf(form, 'to-attempts')),
        perTryTimeout: textOrNone(valueOf(form, 'to-per-try')),
        retryOn: textOrNone(valueOf(form, 'to-retry-on')),
      });
      for (const i of targetRoutes(plan, valueOf(form, 'route-scope'))) {
        const route = plan.vs.spec.http[i];
        setOrDelete(route, 'timeout', timeout);
        setOrDelete(route, 'retries', retries);
      }
      plan.fields.push(routeField('VirtualService', 'timeout', 'to-timeout'),
        routeField('VirtualService', 'retries\\.attempts', 'to-attempts'),
        routeField('VirtualService', 'retries\\.perTryTimeout', 'to-per-try'),
        routeField('VirtualService', 'retries\\.retryOn', 'to-retry-on'),
        routeField('VirtualService', 'retries', 'to-attempts'));
    },
  },
  {
    id: 'fault-injection',
    title: 'Fault injection',
    summary: 'Test resilience: delay a percentage of requests, or answer a percentage with an HTTP error, at the gateway.',
    touches: ['VirtualService'],
    form(svc, rules) {
      const fault = sampleRoute(rules).fault ?? {};
      return h('div', { class: 'form-grid' }, scopeField(rules, (route) => route.fault),
        h('fieldset', {}, h('legend', {}, 'Delay'),
          field('fd-percent', 'Requests delayed (%)', numberInput({ min: '0', max: '100', step: 'any', value: percentOf(fault.delay) })),
          field('fd-delay', 'Delay', input({ value: fault.delay?.fixedDelay ?? '', placeholder: '2s' }), 'A duration: 500ms, 2s. Leave both empty for no delay.')),
        h('fieldset', {}, h('legend', {}, 'Abort'),
          field('fa-percent', 'Requests aborted (%)', numberInput({ min: '0', max: '100', step: 'any', value: percentOf(fault.abort) })),
          field('fa-status', 'HTTP status', numberInput({ min: '200', max: '599', step: '1', value: fault.abort?.httpStatus ?? '', placeholder: '503' }),
            'Leave both empty for no abort.')));
    },
    build(plan, form) {
      const percentage = (id) => {
        const value = numberOrNone(valueOf(form, id));
        return value === undefined ? undefined : { value };
      };
      const fault = compact({
        delay: compact({ percentage: percentage('fd-percent'), fixedDelay: textOrNone(valueOf(form, 'fd-delay')) }),
        abort: compact({ percentage: percentage('fa-percent'), httpStatus: numberOrNone(valueOf(form, 'fa-status')) }),
      });
      for (const i of targetRoutes(plan, valueOf(form, 'route-scope'))) setOrDelete(plan.vs.spec.http[i], 'fault', fault);
      plan.fields.push(routeField('VirtualService', 'fault\\.delay\\.(percentage|percent)', 'fd-percent'),
        routeField('VirtualService', 'fault\\.delay', 'fd-delay'),
        routeField('VirtualService', 'fault\\.abort\\.(percentage|percent)', 'fa-percent'),
        routeField('VirtualService', 'fault\\.abort', 'fa-status'));
    },
  },
  {
    id: 'circuit-breaking',
    title: 'Circuit breaking',
    summary: 'Limit connections and pending requests, and eject endpoints that keep failing (outlier detection).',
    touches: ['DestinationRule'],
    form(svc, rules) {
      const tp = rules.dr?.spec?.trafficPolicy ?? {};
      const tcp = tp.connectionPool?.tcp ?? {};
      const http = tp.connectionPool?.http ?? {};
      const od = tp.outlierDetection ?? {};
      const num = (id, label, value, help) => field(id, label, numberInput({ min: '0', step: '1', value: value ?? '' }), help);
      return h('div', { class: 'form-grid' },
        h('fieldset', {}, h('legend', {}, 'Connection pool'),
          num('cb-max-connections', 'Max connections', tcp.maxConnections, 'Per cluster; requests beyond it wait for a connection.'),
          num('cb-pending', 'Max pending requests', http.http1MaxPendingRequests, 'How many may wait; more get 503 overflow.'),
          num('cb-max-requests', 'Max requests in flight', http.http2MaxRequests),
          num('cb-per-connection', 'Max requests per connection', http.maxRequestsPerConnection)),
        h('fieldset', {}, h('legend', {}, 'Outlier detection'),
          num('od-errors', 'Consecutive 5xx errors', od.consecutive5xxErrors, 'An endpoint answering this many 5xx in a row is ejected.'),
          field('od-interval', 'Interval', input({ value: od.interval ?? '', placeholder: '10s' }), 'How often endpoints are checked.'),
          field('od-ejection', 'Base ejection time', input({ value: od.baseEjectionTime ?? '', placeholder: '30s' })),
          num('od-max-percent', 'Max ejection (%)', od.maxEjectionPercent)),
        h('p', { class: 'help' }, 'Empty fields are left out. The DestinationRule\'s subsets, load balancer and other settings are kept.'));
    },
    build(plan, form) {
      const spec = plan.dr.spec;
      const tp = { ...(spec.trafficPolicy ?? {}) };
      const pool = { ...(tp.connectionPool ?? {}) };
      const tcp = { ...(pool.tcp ?? {}) };
      const http = { ...(pool.http ?? {}) };
      setOrDelete(tcp, 'maxConnections', numberOrNone(valueOf(form, 'cb-max-connections')));
      setOrDelete(http, 'http1MaxPendingRequests', numberOrNone(valueOf(form, 'cb-pending')));
      setOrDelete(http, 'http2MaxRequests', numberOrNone(valueOf(form, 'cb-max-requests')));
      setOrDelete(http, 'maxRequestsPerConnection', numberOrNone(valueOf(form, 'cb-per-connection')));
      setOrDelete(pool, 'tcp', compact(tcp));
      setOrDelete(pool, 'http', compact(http));
      setOrDelete(tp, 'connectionPool', compact(pool));
      const od = { ...(tp.outlierDetection ?? {}) };
      setOrDelete(od, 'consecutive5xxErrors', numberOrNone(valueOf(form, 'od-errors')));
      setOrDelete(od, 'interval', textOrNone(valueOf(form, 'od-interval')));
      setOrDelete(od, 'baseEjectionTime', textOrNone(valueOf(form, 'od-ejection')));
      setOrDelete(od, 'maxEjectionPercent', numberOrNone(valueOf(form, 'od-max-percent')));
      setOrDelete(tp, 'outlierDetection', compact(od));
      setOrDelete(spec, 'trafficPolicy', compact(tp));
      const at = (path, id) => ['DestinationRule', new RegExp(`^spec\\.trafficPolicy\\.${path}`), id];
      plan.fields.push(at('connectionPool\\.tcp\\.maxConnections', 'cb-max-connections'),
        at('connectionPool\\.http\\.http1MaxPendingRequests', 'cb-pending'),
        at('connectionPool\\.http\\.http2MaxRequests', 'cb-max-requests'),
        at('connectionPool\\.http\\.maxRequestsPerConnection', 'cb-per-connection'),
        at('outlierDetection\\.consecutive5xxErrors', 'od-errors'),
        at('outlierDetection\\.interval', 'od-interval'),
        at('outlierDetection\\.baseEjectionTime', 'od-ejection'),
        at('outlierDetection\\.maxEjectionPercent', 'od-max-percent'));
    },
  },
];

export default {
  path: '/rules/wizards/:wizard',
  title: (params) => WIZARDS.find((w) => w.id === params.wizard)?.title ?? 'Rule wizard',
  requires: 'read',
  render(container, ctx) {
    const wizard = WIZARDS.find((w) => w.id === ctx.params.wizard);
    const crumbs = h('p', { class: 'crumbs' }, h('a', { href: '/rules/wizards', 'data-link': true }, 'Rule wizards'));
    if (!wizard) {
      replace(container, crumbs, h('h1', {}, 'No such wizard'),
        h('p', {}, 'There is no wizard ', h('code', {}, ctx.params.wizard), '.'));
      return;
    }
    const liveSlot = h('span');
    const body = h('div', { id: 'wizard-body' });
    let svc = null;
    let rules = null;
    let actions = null;
    let generation = 0;
    let streaming = false;

    const load = async (fresh) => {
      const mine = generation;
      const loaded = await loadServiceRulesOr(ctx, svc.tenant, svc.name, body);
      if (!loaded || mine !== generation) return;
      rules = loaded;
      if (fresh) {
        const form = h('form', { class: 'wizard-form', id: 'wizard-form', novalidate: true, onSubmit: (e) => e.preventDefault() },
          h('p', { class: 'muted', id: 'wizard-start' }, rules.vs || rules.dr
            ? `Starts from what is in effect for ${svc.name}: ${[rules.vs, rules.dr].filter(Boolean).map((r) => `${r.kind} ${r.metadata.name}`).join(' and ')}.`
            : `No VirtualService or DestinationRule names ${svc.name} yet: applying creates them.`),
          wizard.form(svc, rules));
        actions = ruleActions(ctx, {
          form,
          buildPlan: () => {
            const plan = startPlan(svc, rules);
            plan.touches = wizard.touches;
            wizard.build(plan, form);
            return plan;
          },
          onApplied: () => load(false),
        });
        const refresh = ctx.coalesce(150, () => actions.refresh());
        form.addEventListener('input', (e) => {
          if (e.target.getAttribute('aria-invalid') === 'true') {
            e.target.removeAttribute('aria-invalid');
            replace(form.querySelector(`#${CSS.escape(`${e.target.id}-error`)}`));
          }
          refresh();
        });
        form.addEventListener('change', refresh);
        replace(body, form, actions.element);
      }
      actions.refresh();
      if (!streaming) {
        streaming = true;
        replace(liveSlot, followChanges(ctx, svc.tenant, {
          onRules: (event) => svc && rules && (!event.namespace || event.namespace === svc.tenant) && reload(),
          onRegistry: () => picker.reload(),
        }));
      }
    };
    const reload = ctx.coalesce(1000, () => svc && load(false));

    const picker = servicePicker(ctx, {
      onChange: (next) => {
        svc = next;
        rules = null;
        generation++;
        if (!svc) {
          replace(body, h('p', { class: 'muted' }, 'Choose a service.'));
          return;
        }
        replace(body, h('p', { class: 'muted' }, 'Loading the rules in effect…'));
        load(true);
      },
    });

    replace(container, crumbs,
      h('h1', {}, wizard.title, ' ', liveSlot),
      h('p', { class: 'muted' }, wizard.summary),
      picker.element,
      body);
    replace(body, h('p', { class: 'muted' }, 'Choose a service.'));
  },
};
