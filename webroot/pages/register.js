// Register a service instance (external, shared or mesh) through a form, or edit a registered
// one. The document sent is shown as it is built; the registry validates it, and its 400's
// error.field (e.g. endpoints[1].address) is shown next to that field.

import { h, replace, announce } from '../dom.js';
import { ApiError } from '../api.js';
import { serviceHref } from './services.js';

const KINDS = ['external', 'shared', 'mesh'];
const PROTOCOLS = ['http', 'http2', 'grpc', 'tcp', 'udp', 'kafka'];
const VISIBILITIES = ['both', 'internal', 'external'];
const POLICIES = ['none', 'ttl', 'http', 'tcp'];
/** Health fields each policy takes (the registry refuses the others). */
const HEALTH_FIELDS = {
  none: [],
  ttl: ['ttl', 'deregisterAfter'],
  http: ['path', 'interval', 'timeout', 'port', 'plane', 'deregisterAfter'],
  tcp: ['interval', 'timeout', 'port', 'plane', 'deregisterAfter'],
};
const ALL_HEALTH_FIELDS = ['ttl', 'path', 'interval', 'timeout', 'port', 'plane', 'deregisterAfter'];
/** What the registry adds to a stored instance: never sent back. */
const SERVER_FIELDS = ['revision', 'createIndex', 'modifyIndex', 'registeredAt', 'registeredBy', 'status', 'warnings'];

let serial = 0;

/** A number when the text is an integer, the text itself otherwise (the registry names the field), undefined when empty. */
function portValue(text) {
  const t = text.trim();
  if (!t) return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

function setOrDelete(obj, key, value) {
  if (value === undefined || value === '') delete obj[key];
  else obj[key] = value;
}

/** A labelled input in a .field box; data-field is set later (rows are renumbered). */
function field(label, input, help) {
  const id = `rf-${++serial}`;
  input.id = id;
  const helpEl = help ? h('span', { class: 'help small', id: `${id}-help` }, help) : null;
  if (helpEl) input.setAttribute('aria-describedby', helpEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, helpEl);
}

function select(options, value) {
  return h('select', {}, options.map((o) => h('option', { value: o, selected: o === value }, o)));
}

function removeButton(what, onRemove) {
  return h('button', { type: 'button', class: 'secondary small remove', 'aria-label': `Remove ${what}`, onClick: onRemove }, 'Remove');
}

export default {
  path: '/register',
  title: 'Register a service',
  requires: 'register',
  render(container, ctx) {
    renderForm(container, ctx, null);
  },
};

export const editInstance = {
  path: '/instances/:id/edit',
  title: (params) => `Edit ${params.id}`,
  requires: 'write_registry',
  render(container, ctx) {
    const { id } = ctx.params;
    replace(container, h('h1', {}, `Edit ${id}`), h('p', { class: 'muted' }, 'Loading…'));
    ctx.api.get(`/api/v1/instances/${encodeURIComponent(id)}`, { signal: ctx.signal }).then((instance) => {
      renderForm(container, ctx, instance);
      container.querySelector('h1')?.focus();
    }).catch((e) => {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
      container.append(h('p', { class: 'error', role: 'alert' }, e.status === 404
        ? `There is no instance ${id} (it may have been deregistered).` : `Could not load ${id}: ${e.message}`));
    });
  },
};

function renderForm(container, ctx, instance) {
  const editing = instance != null;
  // the document the form starts from: on edit, everything the instance has but what the
  // registry computes, so fields this form does not show (tags, binding planes, checkId…) are kept
  const base = editing ? structuredClone(instance) : { kind: 'external', tenant: 'default' };
  for (const key of SERVER_FIELDS) delete base[key];

  let planes = null; // [{name, cidrs}] when the registry told us

  const preview = h('pre', { id: 'register-preview', class: 'preview', tabindex: '0', 'aria-label': 'JSON document to be sent' });
  const summary = h('p', { id: 'register-error', class: 'error field-error', role: 'alert' });
  const submit = h('button', { type: 'submit', id: 'register-submit' }, editing ? 'Save changes' : 'Register');

  // ---- instance ----
  const idInput = h('input', { type: 'text', value: base.id ?? '', autocomplete: 'off', spellcheck: 'false', readonly: editing });
  idInput.dataset.field = 'id';
  const tenantInput = h('input', { type: 'text', value: base.tenant ?? 'default', autocomplete: 'off', spellcheck: 'false' });
  tenantInput.dataset.field = 'tenant';
  const kindSelect = select(KINDS, base.kind ?? 'mesh');
  kindSelect.dataset.field = 'kind';

  // ---- labels ----
  const labelRows = h('div', { class: 'rows', id: 'label-rows' });
  const addLabel = (key = '', value = '') => {
    const k = h('input', { type: 'text', value: key, autocomplete: 'off', spellcheck: 'false', class: 'label-key' });
    const v = h('input', { type: 'text', value, autocomplete: 'off', spellcheck: 'false', class: 'label-value' });
    const row = h('div', { class: 'row label-row' }, field('Key', k), field('Value', v));
    row.append(removeButton('this label', () => {
      row.remove();
      update();
    }));
    row.refs = { k, v };
    labelRows.append(row);
    return row;
  };
  for (const [k, v] of Object.entries(base.labels ?? {})) addLabel(k, v);

  // ---- endpoints ----
  const endpointRows = h('div', { class: 'rows', id: 'endpoint-rows' });
  const planeControl = (value) => {
    if (planes) {
      const names = planes.map((p) => p.name);
      const options = value && !names.includes(value) ? [...names, value] : names;
      return select(options, value || names[0]);
    }
    return h('input', { type: 'text', value: value ?? '', autocomplete: 'off', spellcheck: 'false' });
  };
  const addEndpoint = (endpoint = {}) => {
    const plane = planeControl(endpoint.plane);
    const address = h('input', { type: 'text', value: endpoint.address ?? '', autocomplete: 'off', spellcheck: 'false', class: 'address' });
    const row = h('div', { class: 'row endpoint-row' }, field('Plane', plane), field('Address', address, 'IP address or host name on this plane'));
    row.append(removeButton('this endpoint', () => {
      row.remove();
      update();
    }));
    row.refs = { plane, address, original: endpoint };
    endpointRows.append(row);
    return row;
  };

  // ---- services ----
  const serviceRows = h('div', { class: 'rows', id: 'service-rows' });
  const addService = (binding = {}) => {
    const r = {
      name: h('input', { type: 'text', value: binding.name ?? '', autocomplete: 'off', spellcheck: 'false', class: 'service-name' }),
      version: h('input', { type: 'text', value: binding.version ?? '', autocomplete: 'off', spellcheck: 'false', class: 'service-version' }),
      port: h('input', { type: 'text', inputmode: 'numeric', value: binding.port ?? '', autocomplete: 'off', class: 'service-port' }),
      protocol: select(PROTOCOLS, binding.protocol ?? 'http'),
      visibility: select(VISIBILITIES, binding.visibility ?? 'both'),
      path: h('input', { type: 'text', value: binding.path ?? '', autocomplete: 'off', spellcheck: 'false', class: 'service-path' }),
      metricsPath: h('input', { type: 'text', value: binding.metrics?.path ?? '', autocomplete: 'off', spellcheck: 'false', class: 'metrics-path' }),
      metricsPort: h('input', {
        type: 'text', inputmode: 'numeric', autocomplete: 'off', class: 'metrics-port',
        value: binding.metrics && binding.metrics.port !== binding.port ? binding.metrics.port : '',
      }),
      original: binding,
      // plane → reachable; planes the binding did not list start unchecked, new ones checked
      reachable: new Map((binding.planes ? (base.endpoints ?? []) : []).map((e) => [e.plane, binding.planes.includes(e.plane)])),
      planeKey: null,
    };
    const choicesLabel = `rf-${++serial}`;
    r.planeChoices = h('div', { class: 'plane-choices', role: 'group', 'aria-labelledby': choicesLabel });
    r.protocol.classList.add('service-protocol');
    const row = h('fieldset', { class: 'row service-row' },
      h('legend', {}, 'Service'),
      field('Name', r.name), field('Version', r.version), field('Port', r.port), field('Protocol', r.protocol),
      field('Visibility', r.visibility, 'which gateways may publish it'),
      field('Gateway path', r.path, 'optional prefix, e.g. /orders'),
      field('Metrics path', r.metricsPath, 'optional, e.g. /metrics'),
      field('Metrics port', r.metricsPort, 'default: the service port'),
      h('div', { class: 'field planes-field' }, h('span', { class: 'group-label', id: choicesLabel }, 'Reachable on planes'), r.planeChoices));
    row.append(removeButton('this service', () => {
      row.remove();
      update();
    }));
    row.refs = r;
    serviceRows.append(row);
    return row;
  };

  // ---- health ----
  const health = base.health ?? {};
  const policy = select(POLICIES, health.policy ?? (health.ttl ? 'ttl' : health.path ? 'http' : 'none'));
  policy.dataset.field = 'health.policy';
  const hf = {
    ttl: h('input', { type: 'text', value: health.ttl ?? '', autocomplete: 'off', placeholder: '15s' }),
    path: h('input', { type: 'text', value: health.path ?? '', autocomplete: 'off', placeholder: '/' }),
    interval: h('input', { type: 'text', value: health.interval ?? '', autocomplete: 'off', placeholder: '10s' }),
    timeout: h('input', { type: 'text', value: health.timeout ?? '', autocomplete: 'off', placeholder: '2s' }),
    port: h('input', { type: 'text', inputmode: 'numeric', value: health.port ?? '', autocomplete: 'off', placeholder: 'the first service\'s' }),
    deregisterAfter: h('input', { type: 'text', value: health.deregisterAfter ?? '', autocomplete: 'off', placeholder: 'never' }),
  };
  const hfBoxes = {
    ttl: field('TTL', hf.ttl, 'healthy while a heartbeat arrives within it (1s–24h)'),
    path: field('Check path', hf.path, 'GET on the instance; 2xx = passing'),
    interval: field('Interval', hf.interval, 'default 10s'),
    timeout: field('Timeout', hf.timeout, 'default 2s'),
    port: field('Check port', hf.port),
    deregisterAfter: field('Deregister after', hf.deregisterAfter, 'remove it once critical this long'),
  };
  for (const [k, input] of Object.entries(hf)) {
    input.dataset.field = `health.${k}`;
    input.classList.add(`health-${k}`);
  }
  const showHealthFields = () => {
    for (const [k, box] of Object.entries(hfBoxes)) box.hidden = !HEALTH_FIELDS[policy.value].includes(k);
  };

  /** The document the form describes, and data-field names on every control (rows renumbered). */
  /** Each service's plane checkboxes follow the planes the endpoints name; the last checked one cannot be unchecked. */
  const syncPlaneChoices = () => {
    const endpointPlanes = [...new Set([...endpointRows.children].map((row) => row.refs.plane.value.trim()).filter(Boolean))];
    for (const row of serviceRows.children) {
      const r = row.refs;
      const key = endpointPlanes.join('\n');
      if (key !== r.planeKey) {
        r.planeKey = key;
        replace(r.planeChoices, endpointPlanes.map((plane) => {
          const box = h('input', { type: 'checkbox', id: `rf-${++serial}`, value: plane, checked: r.reachable.get(plane) !== false });
          box.addEventListener('change', () => r.reachable.set(plane, box.checked));
          return h('label', { for: box.id }, box, plane);
        }));
      }
      const boxes = [...r.planeChoices.querySelectorAll('input')];
      const checked = boxes.filter((b) => b.checked);
      for (const b of boxes) b.disabled = b.checked && checked.length === 1;
    }
  };

  const build = () => {
    syncPlaneChoices();
    const doc = structuredClone(base);
    setOrDelete(doc, 'id', idInput.value.trim());
    doc.tenant = tenantInput.value.trim();
    doc.kind = kindSelect.value;

    const labels = {};
    for (const row of labelRows.children) {
      const key = row.refs.k.value.trim();
      row.refs.k.dataset.field = `labels.${key}`;
      row.refs.v.dataset.field = `labels.${key}`;
      if (key || row.refs.v.value) labels[key] = row.refs.v.value;
    }
    setOrDelete(doc, 'labels', Object.keys(labels).length ? labels : undefined);

    doc.endpoints = [...endpointRows.children].map((row, i) => {
      row.dataset.field = `endpoints[${i}]`;
      row.refs.plane.dataset.field = `endpoints[${i}].plane`;
      row.refs.address.dataset.field = `endpoints[${i}].address`;
      const e = { ...row.refs.original };
      setOrDelete(e, 'plane', row.refs.plane.value.trim());
      e.address = row.refs.address.value.trim();
      return e;
    });

    doc.services = [...serviceRows.children].map((row, i) => {
      const r = row.refs;
      row.dataset.field = `services[${i}]`;
      for (const k of ['name', 'version', 'port', 'protocol', 'visibility', 'path']) r[k].dataset.field = `services[${i}].${k}`;
      r.metricsPath.dataset.field = `services[${i}].metrics.path`;
      r.metricsPort.dataset.field = `services[${i}].metrics.port`;
      const b = structuredClone(r.original);
      b.name = r.name.value.trim();
      setOrDelete(b, 'version', r.version.value.trim());
      setOrDelete(b, 'port', portValue(r.port.value));
      b.protocol = r.protocol.value;
      b.visibility = r.visibility.value;
      setOrDelete(b, 'path', r.path.value.trim());
      r.planeChoices.dataset.field = `services[${i}].planes`;
      const boxes = [...r.planeChoices.querySelectorAll('input')];
      const chosen = boxes.filter((box) => box.checked);
      boxes.forEach((box) => delete box.dataset.field);
      chosen.forEach((box, j) => { box.dataset.field = `services[${i}].planes[${j}]`; });
      if (chosen.length && chosen.length < boxes.length) b.planes = chosen.map((box) => box.value);
      else delete b.planes; // every plane of the instance (the registry's default)
      const metricsPath = r.metricsPath.value.trim();
      const metricsPort = portValue(r.metricsPort.value);
      if (metricsPath || metricsPort !== undefined) {
        b.metrics = { path: metricsPath || '/metrics' };
        if (metricsPort !== undefined) b.metrics.port = metricsPort;
      } else {
        delete b.metrics;
      }
      return b;
    });

    const p = policy.value;
    const hDoc = { ...(base.health ?? {}) };
    hDoc.policy = p;
    for (const k of ALL_HEALTH_FIELDS) {
      if (!HEALTH_FIELDS[p].includes(k)) delete hDoc[k];
      else if (hf[k]) setOrDelete(hDoc, k, k === 'port' ? portValue(hf[k].value) : hf[k].value.trim());
    }
    if (p === 'none' && !hDoc.checkId && (!hDoc.initialStatus || hDoc.initialStatus === 'passing')) delete doc.health;
    else doc.health = hDoc;
    return doc;
  };

  const update = () => {
    preview.textContent = JSON.stringify(build(), null, 2);
    for (const row of endpointRows.children) {
      const plane = planes?.find((p) => p.name === row.refs.plane.value);
      const help = row.querySelector('input.address + .help');
      if (help) help.textContent = plane?.cidrs?.length ? `an IP address in ${plane.cidrs.join(', ')}` : 'IP address or host name on this plane';
    }
  };

  // ---- errors ----
  const clearErrors = () => {
    summary.textContent = '';
    for (const el of container.querySelectorAll('.server-error')) el.remove();
    for (const el of container.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      const describedBy = (el.getAttribute('aria-describedby') ?? '').split(' ').filter((x) => x && !x.endsWith('-server-error'));
      if (describedBy.length) el.setAttribute('aria-describedby', describedBy.join(' '));
      else el.removeAttribute('aria-describedby');
    }
  };

  /** The control the server's error.field names: exactly, else the nearest enclosing path's first control. */
  const controlFor = (name) => {
    if (!name) return null;
    const controls = [...container.querySelectorAll('form [data-field]')];
    let path = name;
    for (;;) {
      const exact = controls.find((c) => c.dataset.field === path && c.matches('input, select'));
      if (exact) return exact;
      const group = controls.find((c) => c.dataset.field === path);
      if (group) return group.querySelector('input, select');
      const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
      if (cut <= 0) return null;
      path = path.slice(0, cut);
    }
  };

  const showError = (e) => {
    const control = e instanceof ApiError ? controlFor(e.field) : null;
    if (!control) {
      summary.textContent = e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : e.message;
      submit.focus();
      return;
    }
    const message = h('p', { class: 'error server-error', id: `${control.id}-server-error`, role: 'alert' },
      e.field === control.dataset.field ? e.message : `${e.field}: ${e.message}`);
    control.closest('.field').append(message);
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), message.id].filter(Boolean).join(' '));
    control.closest('details')?.setAttribute('open', '');
    control.focus();
  };

  // ---- submit ----
  const form = h('form', { id: 'register-form', class: 'register-form', novalidate: true },
    h('fieldset', {}, h('legend', {}, 'Instance'),
      h('div', { class: 'row' },
        field('Instance id', idInput, editing ? 'the id cannot change' : 'optional: generated when empty; registering an existing id replaces it'),
        field('Tenant', tenantInput),
        field('Kind', kindSelect, 'external: outside the mesh; shared: offered to every tenant'))),
    h('fieldset', {}, h('legend', {}, 'Labels'), labelRows,
      h('button', { type: 'button', class: 'secondary small', id: 'add-label', onClick: () => { addLabel().refs.k.focus(); update(); } }, 'Add label')),
    h('fieldset', {}, h('legend', {}, 'Endpoints: one address per network plane'), endpointRows,
      h('button', { type: 'button', class: 'secondary small', id: 'add-endpoint', onClick: () => { addEndpoint().refs.address.focus(); update(); } }, 'Add endpoint')),
    h('fieldset', {}, h('legend', {}, 'Services'), serviceRows,
      h('button', { type: 'button', class: 'secondary small', id: 'add-service', onClick: () => { addService().refs.name.focus(); update(); } }, 'Add service')),
    h('fieldset', {}, h('legend', {}, 'Health check'),
      h('div', { class: 'row' }, field('Policy', policy, 'none: healthy while registered'), Object.values(hfBoxes))),
    summary,
    h('div', { class: 'actions' }, submit,
      editing && ctx.can('read') ? h('a', { href: backHref(instance), 'data-link': true, class: 'cancel' }, 'Cancel') : null));

  form.addEventListener('input', update);
  form.addEventListener('change', () => {
    showHealthFields();
    update();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    const doc = build();
    preview.textContent = JSON.stringify(doc, null, 2);
    submit.disabled = true;
    try {
      if (!editing && doc.id && ctx.can('read') && await exists(ctx, doc.id)) {
        throw new ApiError(409, 'conflict', `an instance ${doc.id} is already registered: edit it from its service page, or choose another id`, 'id');
      }
      const stored = await ctx.api.post('/api/v1/instances', doc);
      announce(`${stored.id} ${editing ? 'saved' : 'registered'}`);
      const first = stored.services?.[0]?.name;
      if (ctx.can('read') && first) {
        ctx.navigate(serviceHref(stored.tenant, first));
      } else {
        replace(summary);
        summary.classList.remove('error');
        summary.textContent = `Registered ${stored.id}.`;
      }
    } catch (e) {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
      showError(e);
    } finally {
      submit.disabled = false;
    }
  });

  replace(container,
    ctx.can('read') ? h('p', { class: 'crumbs' }, h('a', { href: '/services', 'data-link': true }, 'Services'),
      editing ? [' / ', h('a', { href: backHref(instance), 'data-link': true }, instance.services?.[0]?.name ?? instance.tenant)] : null) : null,
    h('h1', {}, editing ? `Edit ${instance.id}` : 'Register a service'),
    h('p', { class: 'muted' }, editing
      ? 'Saving registers the instance again under the same id (the registry keeps one document per id). Fields this form does not show are kept as they are.'
      : 'Register a process the registry should know: an external or shared service, or a mesh instance. The registry checks everything and names what it refuses.'),
    h('div', { class: 'register-layout' },
      form,
      h('section', { class: 'register-preview', 'aria-labelledby': 'h-preview' },
        h('h2', { id: 'h-preview' }, editing ? 'Document to be saved' : 'Document to be sent'),
        h('p', { class: 'muted small' }, editing ? 'POST /api/v1/instances (same id: replaces it)' : 'POST /api/v1/instances'),
        preview)));

  for (const e of base.endpoints?.length ? base.endpoints : [{}]) addEndpoint(e);
  for (const b of base.services?.length ? base.services : [{}]) addService(b);
  showHealthFields();
  update();

  // the planes the registry declares fill the plane selects (a reader may ask; an agent types them)
  if (ctx.can('read')) {
    ctx.api.get('/api/v1/registry/planes', { signal: ctx.signal }).then((doc) => {
      planes = doc.planes ?? [];
      for (const row of endpointRows.children) {
        const old = row.refs.plane;
        const replacement = planeControl(old.value.trim() || row.refs.original.plane);
        replacement.id = old.id;
        if (old.getAttribute('aria-describedby')) replacement.setAttribute('aria-describedby', old.getAttribute('aria-describedby'));
        old.replaceWith(replacement);
        row.refs.plane = replacement;
      }
      update();
    }).catch((e) => {
      if (e.name !== 'AbortError') console.warn('planes unavailable', e);
    });
  }
}

function backHref(instance) {
  const first = instance.services?.[0]?.name;
  return first ? serviceHref(instance.tenant, first) : '/services';
}

async function exists(ctx, id) {
  try {
    await ctx.api.get(`/api/v1/instances/${encodeURIComponent(id)}`, { signal: ctx.signal });
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}
