// What the rule wizards and the canary page share: choosing a service, finding the
// VirtualService and DestinationRule that already name it, building updated documents that keep
// everything a form does not cover, previewing them as YAML (with a line diff against what is in
// effect), and dry-running or applying them with the server's validation errors shown at the
// form's fields.

import { h, replace, append, announce } from './dom.js';
import { ApiError, eventStream } from './api.js';

export const ISTIO = 'networking.istio.io/v1';

const clone = (value) => (value == null ? value : JSON.parse(JSON.stringify(value)));

// ---- YAML (preview only: the API takes the documents as JSON) -----------------------------

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function scalar(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const s = String(value);
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

function isEmpty(value) {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length === 0;
}

function inline(value) {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return scalar(value);
}

function yamlLines(value, indent) {
  const out = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) {
        const inner = yamlLines(item, `${indent}  `);
        out.push(`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1));
      } else {
        out.push(`${indent}- ${inline(item)}`);
      }
    }
  } else {
    for (const [key, item] of Object.entries(value)) {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) out.push(`${indent}${scalar(key)}:`, ...yamlLines(item, `${indent}  `));
      else out.push(`${indent}${scalar(key)}: ${inline(item)}`);
    }
  }
  return out;
}

/** A JSON document as YAML lines (strings quoted whenever they could read as something else). */
export function toYamlLines(doc) {
  return yamlLines(doc, '');
}

/** The lines of a and b as a diff: [{op: ' ' | '-' | '+', line}] (longest common subsequence). */
export function lineDiff(a, b) {
  const n = a.length;
  const m = b.length;
  const common = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++] });
      j++;
    } else if (j < m && (i >= n || common[i][j + 1] >= common[i + 1][j])) {
      out.push({ op: '+', line: b[j++] });
    } else {
      out.push({ op: '-', line: a[i++] });
    }
  }
  return out;
}

// ---- the rules of one service --------------------------------------------------------------

/** Whether a rule host names service `name` of namespace (tenant) `ns`. */
export function namesService(host, name, ns) {
  return host === name || host === `${name}.${ns}` || host === `${name}.${ns}.svc.cluster.local`;
}

/**
 * The VirtualService and DestinationRule in effect for a service (null when there is none),
 * and the names already taken by each kind in its namespace.
 */
export async function loadServiceRules(ctx, tenant, name) {
  const list = (kind) => ctx.api.get('/api/v1/rules', { query: { kind, namespace: tenant }, signal: ctx.signal });
  const [vsList, drList] = await Promise.all([list('VirtualService'), list('DestinationRule')]);
  const vss = vsList.rules ?? [];
  const drs = drList.rules ?? [];
  return {
    vs: vss.find((r) => (r.spec?.hosts ?? []).some((host) => namesService(host, name, tenant))) ?? null,
    dr: drs.find((r) => namesService(r.spec?.host, name, tenant)) ?? null,
    taken: { VirtualService: new Set(vss.map((r) => r.metadata.name)), DestinationRule: new Set(drs.map((r) => r.metadata.name)) },
  };
}

/**
 * loadServiceRules, or null after saying in `where` why the rules could not be loaded (nothing
 * is said when the page was left or the token ended: the shell handles those).
 */
export async function loadServiceRulesOr(ctx, tenant, name, where) {
  try {
    return await loadServiceRules(ctx, tenant, name);
  } catch (e) {
    if (e.name !== 'AbortError' && !(e instanceof ApiError && e.status === 401)) {
      replace(where, h('p', { class: 'error', role: 'alert' }, `Could not load the rules: ${e.message}`));
    }
    return null;
  }
}

function freeName(taken, name) {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name}-${n}`;
  return candidate;
}

/** The document to edit: a copy of the rule in effect without server fields, or a new one. */
function working(existing, kind, tenant, name, taken) {
  if (existing) {
    const doc = clone(existing);
    delete doc.status;
    delete doc.metadata.resourceVersion;
    return doc;
  }
  const metadata = { name: freeName(taken?.[kind] ?? new Set(), name), namespace: tenant };
  return kind === 'VirtualService'
    ? { apiVersion: ISTIO, kind, metadata, spec: { hosts: [name], http: [] } }
    : { apiVersion: ISTIO, kind, metadata, spec: { host: name } };
}

/**
 * A plan's starting point: working copies of the service's VirtualService and DestinationRule
 * (existing or new) that a form then changes.
 */
export function startPlan(service, rules) {
  const { tenant, name } = service;
  return {
    service,
    rules,
    vs: working(rules.vs, 'VirtualService', tenant, name, rules.taken),
    dr: working(rules.dr, 'DestinationRule', tenant, name, rules.taken),
    notes: [],
    fields: [], // [kind, RegExp over the error path, field id]
  };
}

/** The subset of the DestinationRule selecting exactly `version` (by the label version), or null. */
export function subsetForVersion(dr, version) {
  const found = (dr?.spec?.subsets ?? []).find((s) => {
    const labels = s.labels ?? {};
    return labels.version === version && Object.keys(labels).length === 1;
  });
  return found ? found.name : null;
}

/** The version a subset selects (its label version), or null. */
export function versionOfSubset(dr, subset) {
  const found = (dr?.spec?.subsets ?? []).find((s) => s.name === subset);
  return found?.labels?.version ?? null;
}

/** Adds to plan.dr a subset for each version lacking one; returns version → subset name. */
export function ensureSubsets(plan, versions) {
  const spec = plan.dr.spec;
  const added = [];
  const names = new Map();
  for (const version of versions) {
    let subset = subsetForVersion(plan.dr, version);
    if (!subset) {
      spec.subsets = spec.subsets ?? [];
      const taken = new Set(spec.subsets.map((s) => s.name));
      subset = freeName(taken, version);
      spec.subsets.push({ name: subset, labels: { version } });
      added.push(subset);
    }
    names.set(version, subset);
  }
  if (added.length && plan.rules.dr) {
    plan.notes.push(`DestinationRule ${plan.dr.metadata.name} gets the subsets ${added.join(', ')}; its other subsets and its traffic policy are kept.`);
  }
  return names;
}

/** The index of the route every request falls through to (the last one without match), or -1. */
export function defaultRouteIndex(vs) {
  const http = vs?.spec?.http ?? [];
  for (let i = http.length - 1; i >= 0; i--) {
    if ((!http[i].match || http[i].match.length === 0) && Array.isArray(http[i].route)) return i;
  }
  return -1;
}

/** Makes sure plan.vs has a default route (appended, to the service itself); returns its index. */
export function ensureDefaultRoute(plan) {
  const spec = plan.vs.spec;
  spec.http = spec.http ?? [];
  let index = defaultRouteIndex(plan.vs);
  if (index < 0) {
    spec.http.push({ route: [{ destination: { host: hostOf(plan) } }] });
    index = spec.http.length - 1;
  }
  return index;
}

/** The host name the plan's routes use for the service (as the VirtualService spells it). */
export function hostOf(plan) {
  const { tenant, name } = plan.service;
  return (plan.vs.spec.hosts ?? []).find((host) => namesService(host, name, tenant)) ?? name;
}

/**
 * The weights the rule in effect gives each version on its default route: {weights: Map
 * version → weight, unversioned: weight going to no particular version (no subset, or a subset
 * without a version label), index}; null when no VirtualService routes the service.
 */
export function currentWeights(rules, service) {
  const index = defaultRouteIndex(rules.vs);
  if (index < 0) return null;
  const route = rules.vs.spec.http[index].route;
  const weights = new Map();
  let unversioned = 0;
  for (const d of route) {
    const weight = d.weight ?? (route.length === 1 ? 100 : 0);
    const ours = namesService(d.destination?.host, service.name, service.tenant);
    const version = ours && d.destination.subset ? versionOfSubset(rules.dr, d.destination.subset) : null;
    if (version != null) weights.set(version, (weights.get(version) ?? 0) + weight);
    else unversioned += weight;
  }
  return { weights, unversioned, index };
}

/** A short description of an HTTP route (for notes and route choices). */
export function describeRoute(route, index, isDefault) {
  const parts = [];
  for (const m of route.match ?? []) {
    for (const [key, value] of Object.entries(m)) {
      if (key === 'headers') {
        for (const [header, how] of Object.entries(value)) parts.push(`header ${header} ${Object.keys(how)[0]} ${Object.values(how)[0]}`);
      } else if (value && typeof value === 'object' && !Array.isArray(value)) {
        parts.push(`${key} ${Object.keys(value)[0]} ${JSON.stringify(Object.values(value)[0])}`);
      } else {
        parts.push(key);
      }
    }
  }
  const to = (route.route ?? []).map((d) => `${d.destination?.subset ?? d.destination?.host}${d.weight != null ? ` ${d.weight} %` : ''}`);
  const what = isDefault ? 'default route' : (parts.length ? parts.join(' or ') : 'route');
  return `#${index + 1} ${what}${to.length ? ` → ${to.join(', ')}` : route.redirect ? ' → redirect' : route.directResponse ? ' → direct response' : ''}`;
}

/** Sets the default route's weights (version → weight, 0 weights dropped); keeps every other route. */
export function setWeights(plan, weights, fieldIdOf) {
  const versions = weights.filter(([, w]) => w > 0).map(([v]) => v);
  const subsets = ensureSubsets(plan, versions);
  const index = ensureDefaultRoute(plan);
  const host = hostOf(plan);
  const kept = weights.filter(([, w]) => w > 0);
  plan.vs.spec.http[index].route = kept.map(([version, weight]) => ({ destination: { host, subset: subsets.get(version) }, weight }));
  kept.forEach(([version], j) => plan.fields.push(['VirtualService', new RegExp(`^spec\\.http\\[${index}\\]\\.route\\[${j}\\]`), fieldIdOf(version)]));
  notePrecedingRoutes(plan, index, 'these weights');
  return index;
}

/** Notes that routes before `index` are kept and take precedence. */
export function notePrecedingRoutes(plan, index, what) {
  const before = (plan.vs.spec.http ?? []).slice(0, index);
  if (before.length && plan.rules.vs) {
    plan.notes.push(`VirtualService ${plan.vs.metadata.name} keeps ${before.length === 1 ? 'its other route' : `its ${before.length} other routes`} `
      + `(${before.map((r, i) => describeRoute(r, i, false)).join('; ')}): requests ${before.length === 1 ? 'it matches' : 'they match'} are checked first and do not follow ${what}.`);
  }
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The documents a plan changes: [{kind, doc, before (the working copy of the rule in effect, or
 * null when new), changed}], DestinationRule first (the VirtualService may name its subsets).
 */
export function planDocuments(plan) {
  const out = [];
  for (const [kind, doc, existing] of [['DestinationRule', plan.dr, plan.rules.dr], ['VirtualService', plan.vs, plan.rules.vs]]) {
    const before = existing ? working(existing, kind) : null;
    const touched = plan.touches?.includes(kind) ?? true;
    if (!touched) continue;
    out.push({ kind, doc, before, existing, changed: !before || !sameJson(before, doc) });
  }
  return out;
}

// ---- forms --------------------------------------------------------------------------------

/** A labelled form field: label, the input, an optional help line and its error slot. */
export function field(id, label, input, help) {
  input.setAttribute('id', id);
  input.setAttribute('aria-describedby', [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' '));
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    help ? h('span', { class: 'help', id: `${id}-help` }, help) : null,
    h('span', { class: 'field-error error', id: `${id}-error` }));
}

/** Shows message under the field `id` of form (aria-invalid, text in its error slot). */
export function setFieldError(form, id, message) {
  const input = form.querySelector(`#${CSS.escape(id)}`);
  const slot = form.querySelector(`#${CSS.escape(`${id}-error`)}`);
  if (!input || !slot) return false;
  input.setAttribute('aria-invalid', 'true');
  append(slot, slot.textContent ? ' ' : null, message);
  return true;
}

/** Clears every field error of form. */
export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) replace(el);
}

/** '' → undefined, else the number (NaN kept, so the server names the bad value). */
export function numberOrNone(value) {
  const s = String(value ?? '').trim();
  return s === '' ? undefined : Number(s);
}

/** '' → undefined, else the trimmed text. */
export function textOrNone(value) {
  const s = String(value ?? '').trim();
  return s === '' ? undefined : s;
}

/** An object without its undefined values (and null when nothing is left). */
export function compact(object) {
  const out = {};
  for (const [k, v] of Object.entries(object)) {
    if (v !== undefined && v !== null && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) out[k] = v;
  }
  return Object.keys(out).length ? out : null;
}

/** Sets or removes key of object (removed when value is null/undefined). */
export function setOrDelete(object, key, value) {
  if (value == null) delete object[key];
  else object[key] = value;
}

// ---- choosing a service ------------------------------------------------------------------

/**
 * Tenant and service selects over GET /api/v1/services, kept in the URL (?tenant=&service=).
 * onChange({tenant, name, versions}) or onChange(null) when no service is chosen. Returns
 * {element, reload()} (reload re-reads the registry: versions may have changed).
 */
export function servicePicker(ctx, { onChange }) {
  const tenantSelect = h('select', { name: 'tenant' });
  const serviceSelect = h('select', { name: 'service' });
  const status = h('p', { class: 'muted small', role: 'status' }, 'Loading services…');
  let services = [];
  let chosen = { tenant: ctx.query.get('tenant') ?? '', service: ctx.query.get('service') ?? '' };
  let last = null;

  const emit = () => {
    const found = services.find((s) => s.tenant === chosen.tenant && s.name === chosen.service);
    const next = found ? { tenant: found.tenant, name: found.name, versions: [...(found.versions ?? [])].filter((v) => v).sort() } : null;
    if (sameJson(next, last)) return;
    last = next;
    onChange(next);
  };

  const draw = () => {
    const tenants = [...new Set(services.map((s) => s.tenant))].sort();
    if (!chosen.tenant && tenants.length === 1) chosen.tenant = tenants[0];
    replace(tenantSelect, h('option', { value: '' }, 'Choose a tenant'),
      tenants.map((t) => h('option', { value: t, selected: t === chosen.tenant }, t)));
    const names = services.filter((s) => s.tenant === chosen.tenant).map((s) => s.name).sort();
    replace(serviceSelect, h('option', { value: '' }, names.length ? 'Choose a service' : 'No service'),
      names.map((n) => h('option', { value: n, selected: n === chosen.service }, n)));
    tenantSelect.value = chosen.tenant;
    serviceSelect.value = names.includes(chosen.service) ? chosen.service : '';
    replace(status, services.length ? '' : 'No service is registered.');
  };

  tenantSelect.addEventListener('change', () => {
    chosen = { tenant: tenantSelect.value, service: '' };
    ctx.setQuery({ tenant: chosen.tenant, service: null });
    draw();
    emit();
  });
  serviceSelect.addEventListener('change', () => {
    chosen.service = serviceSelect.value;
    ctx.setQuery({ tenant: chosen.tenant, service: chosen.service });
    emit();
  });

  const reload = async () => {
    try {
      const doc = await ctx.api.get('/api/v1/services', { signal: ctx.signal });
      services = doc.services ?? [];
      draw();
      emit();
    } catch (e) {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
      replace(status, h('span', { class: 'error', role: 'alert' }, `Could not load the services: ${e.message}`));
    }
  };
  reload();

  const element = h('div', { class: 'filters service-picker' },
    field('pick-tenant', 'Tenant', tenantSelect), field('pick-service', 'Service', serviceSelect), status);
  return { element, reload };
}

/**
 * Follows the UI event stream: onRules(event) for rule changes (event.namespace is the tenant;
 * a resync has none: reload), onRegistry(event) for registry changes. Returns the live badge.
 */
export function followChanges(ctx, tenant, { onRules, onRegistry }) {
  const status = h('span', { class: 'live', role: 'status' }, 'connecting…');
  if (ctx.signal.aborted) return status;
  const stream = eventStream('/api/v1/ui/stream', {
    query: { tenant },
    onEvent(event) {
      let data = null;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (event.type === 'rules' || (event.type === 'resync' && data.type === 'rules')) onRules?.(data);
      if (event.type === 'registry' || (event.type === 'resync' && data.type === 'registry')) onRegistry?.(data);
    },
    onState(state, detail) {
      status.classList.toggle('off', state !== 'open');
      replace(status, state === 'open' ? 'live' : state === 'retrying' ? `reconnecting (${detail})` : 'stopped');
    },
  });
  ctx.onCleanup(() => stream.close());
  return status;
}

// ---- preview, dry run, apply --------------------------------------------------------------

/** The YAML editor's path for a rule. */
export function editorPath(kind, namespace, name) {
  return `/rules/${encodeURIComponent(kind)}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** A link opening a rule in the YAML editor. */
export function yamlLink(rule) {
  const { name, namespace } = rule.metadata;
  return h('a', { href: editorPath(rule.kind, namespace, name), 'data-link': true, class: 'small' }, `open ${rule.kind} ${name} as YAML`);
}

function previewOf(entry) {
  const after = toYamlLines(entry.doc);
  const title = `${entry.kind} ${entry.doc.metadata.name}`;
  if (!entry.before) {
    return h('div', { class: 'rule-preview', dataset: { kind: entry.kind } },
      h('h3', {}, title, ' ', h('span', { class: 'badge type-registered' }, 'new')),
      h('pre', { class: 'yaml', tabindex: '0', 'aria-label': `${title} (new)` }, h('code', {}, after.join('\n'))));
  }
  if (!entry.changed) {
    return h('div', { class: 'rule-preview', dataset: { kind: entry.kind } },
      h('h3', {}, title, ' ', h('span', { class: 'badge' }, 'unchanged')), h('p', { class: 'small' }, yamlLink(entry.existing)));
  }
  const diff = lineDiff(toYamlLines(entry.before), after);
  const added = diff.filter((d) => d.op === '+').length;
  const removed = diff.filter((d) => d.op === '-').length;
  return h('div', { class: 'rule-preview', dataset: { kind: entry.kind } },
    h('h3', {}, title, ' ', h('span', { class: 'badge type-health' }, 'update'),
      ' ', h('span', { class: 'muted small' }, `${added} line${added === 1 ? '' : 's'} added, ${removed} removed`)),
    h('p', { class: 'small' }, yamlLink(entry.existing)),
    h('pre', { class: 'yaml diff', tabindex: '0', 'aria-label': `${title}: changes (+ added, - removed)` },
      h('code', {}, diff.map((d) => h('span', { class: d.op === '+' ? 'add' : d.op === '-' ? 'del' : 'same' }, `${d.op} ${d.line}\n`)))));
}

/**
 * The preview and the Dry run / Apply buttons of a form. buildPlan() returns the plan for the
 * form's current values (or throws an Error whose message is shown); form is the element whose
 * fields get the errors. onApplied() runs after a successful apply (reload the rules in effect).
 * Returns {element, refresh()} — call refresh() whenever the form or the rules in effect change.
 */
export function ruleActions(ctx, { form, buildPlan, onApplied, applyLabel = 'Apply' }) {
  const canWrite = ctx.can('write_rules');
  const notes = h('div', { class: 'plan-notes' });
  const preview = h('div', { class: 'rule-previews' });
  const results = h('div', { class: 'rule-results', id: 'rule-results', 'aria-live': 'polite' });
  let plan = null;
  let busy = false;

  const refresh = () => {
    try {
      plan = buildPlan();
    } catch (e) {
      plan = null;
      replace(notes);
      replace(preview, h('p', { class: 'muted' }, e.message));
      return;
    }
    if (!plan) {
      replace(notes);
      replace(preview, h('p', { class: 'muted' }, 'Choose a service to see the documents.'));
      return;
    }
    const docs = planDocuments(plan);
    replace(notes, plan.notes.map((n) => h('p', { class: 'notice' }, n)));
    replace(preview, docs.map(previewOf));
  };

  const fieldFor = (kind, path) => {
    const hit = plan.fields.find(([k, re]) => k === kind && re.test(path));
    return hit ? hit[2] : null;
  };

  const run = async (dryRun, button) => {
    if (busy) return;
    refresh();
    clearFieldErrors(form);
    if (!plan) {
      replace(results, h('p', { class: 'error', role: 'alert' }, 'Choose a service first.'));
      return;
    }
    const changed = planDocuments(plan).filter((d) => d.changed);
    if (!changed.length) {
      replace(results, h('p', { role: 'status' }, 'Nothing to change: the rules in effect already say this.'));
      return;
    }
    const body = changed.map((d) => {
      const doc = clone(d.doc);
      if (d.existing?.metadata?.resourceVersion) doc.metadata.resourceVersion = d.existing.metadata.resourceVersion;
      return doc;
    });
    busy = true;
    button.disabled = true;
    replace(results, h('p', { class: 'muted' }, dryRun ? 'Validating…' : 'Applying…'));
    try {
      const answer = await ctx.api.post('/api/v1/rules/apply', body, {
        query: { namespace: plan.service.tenant, dryRun: dryRun ? 'true' : null }, signal: ctx.signal,
      });
      const lines = (answer.results ?? []).map((r) => h('li', {}, `${r.kind} ${r.name}: ${dryRun ? 'would be ' : ''}${r.action}`,
        (r.warnings ?? []).map((w) => h('div', { class: 'warning' }, `warning: ${w.path ? `${w.path}: ` : ''}${w.message}`))));
      const message = dryRun ? 'Dry run passed: the server accepts these documents.' : 'Applied.';
      replace(results, h('div', { class: 'result-ok', role: 'status' }, h('p', {}, h('strong', {}, message)), h('ul', {}, lines)));
      announce(message);
      if (!dryRun) await onApplied?.();
    } catch (e) {
      if (e.name === 'AbortError') return;
      showFailure(e, dryRun);
    } finally {
      busy = false;
      button.disabled = false;
    }
  };

  const showFailure = (e, dryRun) => {
    const listed = [];
    let atFields = 0;
    const results400 = e instanceof ApiError && e.status === 400 ? (e.details?.results ?? []) : [];
    for (const r of results400) {
      for (const err of r.errors ?? []) {
        const id = fieldFor(r.kind, err.path ?? '');
        if (id && setFieldError(form, id, err.message)) atFields++;
        else listed.push(h('li', {}, h('code', {}, `${r.kind} ${r.name}${err.path ? ` ${err.path}` : ''}`), ': ', err.message));
      }
    }
    if (!results400.length) listed.push(h('li', {}, e.message));
    const head = e.status === 409
      ? 'The rule changed meanwhile (someone else applied it): the form now shows the new version; check the preview and apply again.'
      : `${dryRun ? 'Dry run' : 'Apply'} refused${e.status ? ` (${e.status})` : ''}${atFields ? `: ${atFields} problem${atFields === 1 ? '' : 's'} shown at the fields` : ''}.`;
    replace(results, h('div', { class: 'result-error', role: 'alert' }, h('p', {}, h('strong', {}, head)), listed.length ? h('ul', {}, listed) : null));
    if (e.status === 409) onApplied?.();
  };

  const dry = h('button', { type: 'button', class: 'secondary', id: 'dry-run', onClick: (ev) => run(true, ev.currentTarget) }, 'Dry run');
  const apply = h('button', { type: 'button', id: 'apply', onClick: (ev) => run(false, ev.currentTarget) }, applyLabel);
  const element = h('section', { 'aria-labelledby': 'h-preview', class: 'rule-actions' },
    h('h2', { id: 'h-preview' }, 'Preview'),
    notes, preview,
    canWrite ? h('div', { class: 'actions' }, dry, apply)
      : h('p', { class: 'muted', id: 'read-only' }, `Your token's role (${ctx.whoami.role}) may not write rules: preview only.`),
    results);
  return { element, refresh };
}
