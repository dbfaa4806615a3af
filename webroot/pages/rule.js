// One traffic rule (/rules/:kind/:namespace/:name) or a new one (/rules/new): its YAML in an
// editor, server-side validation (dry run) with errors and warnings at their lines, apply,
// delete, and its history with a line diff between revisions and rollback. Live: a change made
// elsewhere reloads it (or, while it has unsaved edits, says so and keeps them).

import { h, replace, stackable, announce } from '../dom.js';
import { ApiError, sendText } from '../api.js';
import { codeEditor } from '../code-editor.js';
import { followRules } from '../rules-live.js';
import { toYaml } from '../yaml-text.js';
import { diffLines, diffStats, withContext } from '../line-diff.js';
import { dateTime, plural } from '../format.js';
import { ruleHref } from './rules.js';

const TEMPLATES = {
  VirtualService: {
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
    metadata: { name: 'orders', namespace: 'default' },
    spec: { hosts: ['orders'], http: [{ route: [{ destination: { host: 'orders' } }] }] },
  },
  DestinationRule: {
    apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule',
    metadata: { name: 'orders', namespace: 'default' },
    spec: { host: 'orders', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
  },
  RateLimitPolicy: {
    apiVersion: 'meridian.io/v1', kind: 'RateLimitPolicy',
    metadata: { name: 'orders-rl', namespace: 'default' },
    spec: { targetRef: { service: 'orders' }, key: 'client-ip', rate: 10, burst: 10, scope: 'local' },
  },
  CircuitBreakerPolicy: {
    apiVersion: 'meridian.io/v1', kind: 'CircuitBreakerPolicy',
    metadata: { name: 'orders-cb', namespace: 'default' },
    spec: {
      targetRef: { service: 'orders' }, consecutiveFailures: 5, failureRatio: 0.5, minimumRequests: 20,
      window: '10s', openDuration: '5s', halfOpenRequests: 3,
    },
  },
};

const api = (params) => `/api/v1/rules/${encodeURIComponent(params.kind)}/${encodeURIComponent(params.namespace)}/${encodeURIComponent(params.name)}`;

/** The editor's text for a rule: the document with its resourceVersion (the stale-write guard), without status. */
function editorText(rule) {
  const { status, ...document } = rule;
  return toYaml(document);
}

function identity(result) {
  return `${result.kind ?? 'document'} ${result.namespace ? `${result.namespace}/` : ''}${result.name ?? ''}`.trim();
}

/** Every error and warning of an apply's results (or of its failure's details), in order. */
function issuesOf(results, errorDetails) {
  const issues = [];
  const many = (results ?? []).length > 1;
  for (const result of results ?? []) {
    for (const severity of ['errors', 'warnings']) {
      for (const issue of result[severity] ?? []) {
        issues.push({
          severity: severity === 'errors' ? 'error' : 'warning',
          line: issue.line > 0 ? issue.line : null,
          path: issue.path,
          message: issue.message,
          owner: many ? identity(result) : null,
        });
      }
    }
  }
  if (!issues.length && errorDetails && errorDetails.line > 0) {
    issues.push({ severity: 'error', line: errorDetails.line, path: null, message: errorDetails.message, owner: null });
  }
  return issues;
}

function issueText(issue) {
  return [issue.owner, issue.line ? `line ${issue.line}` : null, issue.path, issue.message].filter(Boolean).join(': ');
}

function diffTable(diff, id) {
  return h('table', { class: 'diff', id },
    h('caption', { class: 'sr-only' }, 'Line differences'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Old'), h('th', { scope: 'col', class: 'num' }, 'New'),
      h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Change')), h('th', { scope: 'col' }, 'Line'))),
    h('tbody', {}, withContext(diff, 3).map((d) => (d.type === 'skip'
      ? h('tr', { class: 'gap' }, h('td', { colspan: '4' }, `… ${plural(d.count, 'unchanged line')}`))
      : h('tr', { class: d.type },
        h('td', { class: 'num' }, d.oldLine ?? ''),
        h('td', { class: 'num' }, d.newLine ?? ''),
        h('td', { class: 'mark' }, h('span', { 'aria-hidden': 'true' }, d.type === 'add' ? '+' : d.type === 'del' ? '−' : ' '),
          d.type === 'same' ? null : h('span', { class: 'sr-only' }, d.type === 'add' ? 'added' : 'deleted')),
        h('td', {}, h('code', {}, d.text)))))));
}

export default {
  path: '/rules/:kind/:namespace/:name',
  title: (params) => `${params.name} (${params.kind})`,
  requires: 'read',
  render(container, ctx) {
    return renderRule(container, ctx, false);
  },
};

export const newRule = {
  path: '/rules/new',
  title: 'New rule',
  requires: 'read',
  render(container, ctx) {
    return renderRule(container, ctx, true);
  },
};

function renderRule(container, ctx, isNew) {
  const params = ctx.params;
  const writer = ctx.can('write_rules');
  const liveSlot = h('span');
  const meta = h('p', { class: 'muted', id: 'rule-meta' });
  const notice = h('div', { id: 'rule-notice' });
  const outcome = h('div', { id: 'rule-outcome' });
  const historyBox = h('div', { id: 'rule-history' }, h('p', { class: 'muted' }, 'Loading…'));
  const diffBox = h('div', { id: 'rule-diff-box', 'aria-live': 'polite' });
  const editor = codeEditor({
    id: 'rule-yaml',
    value: isNew ? toYaml(TEMPLATES.VirtualService) : '',
    readOnly: !writer,
    describedBy: 'rule-yaml-help rule-outcome',
  });
  let rule = null; // the rule as last loaded (JSON)
  let baseText = isNew ? editor.value() : null; // the editor's text as last loaded
  let baseVersion = null; // the resourceVersion of that text
  let changedBy = null; // who made the last change the stream told of
  let revisions = [];
  const selected = [];

  const dirty = () => baseText !== null && editor.value() !== baseText;
  const kindOf = () => rule?.kind ?? params.kind;

  const validate = h('button', { type: 'button', id: 'rule-validate', class: 'secondary', onClick: () => submit(true) }, 'Validate (dry run)');
  const apply = h('button', { type: 'button', id: 'rule-apply', onClick: () => submit(false) }, 'Apply');
  const del = isNew ? null : h('button', { type: 'button', id: 'rule-delete', class: 'danger', onClick: () => remove() }, 'Delete');
  const buttons = [validate, apply, del].filter(Boolean);

  const template = isNew && writer ? h('select', { id: 'rule-template' },
    Object.keys(TEMPLATES).map((k) => h('option', { value: k }, k))) : null;
  if (template) {
    template.addEventListener('change', () => {
      if (dirty() && !window.confirm('Replace your text with the template?')) return;
      baseText = toYaml(TEMPLATES[template.value]);
      editor.setValue(baseText);
      clearOutcome();
    });
  }

  replace(container,
    h('p', { class: 'crumbs' }, h('a', { href: '/rules', 'data-link': true }, 'Traffic rules'),
      isNew ? null : [' / ', params.kind, ' / ', params.namespace]),
    h('h1', {}, isNew ? 'New rule' : params.name, ' ', liveSlot),
    isNew ? null : meta,
    writer ? null : h('p', { class: 'notice', id: 'rule-readonly' },
      `Read only: your token's role (${ctx.whoami.role}) may not change rules.`),
    notice,
    template ? h('div', { class: 'field' }, h('label', { for: 'rule-template' }, 'Start from'), template) : null,
    h('label', { for: 'rule-yaml' }, isNew ? 'Rule (YAML)' : `${params.name} (YAML)`),
    h('p', { class: 'help', id: 'rule-yaml-help' }, !writer ? 'The rule as stored.' : [
      'One or more YAML documents. Tab inserts two spaces; press Esc, then Tab, to leave the editor.',
      isNew ? '' : ' Keep metadata.resourceVersion: applying over a newer version is refused.']),
    editor.root,
    writer ? h('div', { class: 'actions' }, buttons) : null,
    outcome,
    isNew ? null : h('section', { 'aria-labelledby': 'h-history' },
      h('h2', { id: 'h-history' }, 'History'),
      h('p', { class: 'help' }, 'Select one revision to compare it with the current one, or two to compare them.'),
      historyBox, diffBox));

  function busy(on) {
    for (const b of buttons) b.disabled = on;
  }

  function clearOutcome() {
    replace(outcome);
    editor.setMarkers([]);
    editor.textarea.removeAttribute('aria-invalid');
  }

  function showIssues(summary, issues, { alert = false, extra = null } = {}) {
    editor.setMarkers(issues.filter((i) => i.line));
    const first = issues.find((i) => i.line && i.severity === 'error') ?? issues.find((i) => i.line);
    if (first) editor.revealLine(first.line);
    if (issues.some((i) => i.severity === 'error')) editor.textarea.setAttribute('aria-invalid', 'true');
    else editor.textarea.removeAttribute('aria-invalid');
    replace(outcome,
      h('div', { class: ['outcome', alert ? 'bad' : 'good'], role: alert ? 'alert' : 'status' }, summary, extra),
      issues.length ? h('ul', { class: 'issues', id: 'rule-issues' }, issues.map((issue) => h('li', { class: issue.severity },
        h('span', { class: 'badge' }, issue.severity),
        ' ',
        issue.line
          ? h('button', { type: 'button', class: 'link', dataset: { line: String(issue.line) }, onClick: () => editor.goToLine(issue.line) }, issueText(issue))
          : h('span', {}, issueText(issue))))) : null);
  }

  function describeResults(doc, dryRun) {
    const verb = { created: dryRun ? 'would be created' : 'created', updated: dryRun ? 'would be updated' : 'updated', unchanged: 'unchanged' };
    return h('ul', { class: 'results' }, (doc.results ?? []).map((r) => h('li', {},
      r.kind && r.namespace && r.name && !dryRun
        ? h('a', { href: ruleHref(r.kind, r.namespace, r.name), 'data-link': true }, identity(r)) : identity(r),
      `: ${verb[r.action] ?? r.action}`,
      r.resourceVersion && !(dryRun && r.action === 'created') ? ` (resourceVersion ${r.resourceVersion}, revision ${r.revision})` : '')));
  }

  async function submit(dryRun) {
    busy(true);
    const text = editor.value();
    try {
      const doc = await sendText('POST', '/api/v1/rules/apply', text, {
        query: { dryRun: dryRun ? 'true' : null, namespace: isNew ? null : params.namespace },
        signal: ctx.signal,
      });
      const results = doc.results ?? [];
      const issues = issuesOf(results);
      showIssues(h('p', {}, dryRun ? 'Valid. ' : 'Applied. ',
        issues.length ? `${plural(issues.length, 'warning')}.` : ''), issues, { extra: describeResults(doc, dryRun) });
      announce(dryRun ? 'Valid' : 'Applied');
      if (dryRun) return;
      const only = results.length === 1 ? results[0] : null;
      const here = only && !isNew && only.kind.toLowerCase() === kindOf().toLowerCase()
        && only.namespace === params.namespace && only.name === params.name;
      if (only && !here) {
        // a new rule (or one renamed in the editor): its own page
        ctx.navigate(ruleHref(only.kind, only.namespace, only.name), { replace: isNew });
        return;
      }
      if (!isNew) {
        await loadRule({ replaceText: true });
        await loadHistory();
      } else {
        baseText = text;
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      const details = e.details ?? {};
      const issues = issuesOf(details.results, details);
      const conflict = e.status === 409;
      const changes = h('div', { id: 'rule-conflict-changes' });
      showIssues(h('p', {}, conflict
        ? `Conflict: ${e.message}. Someone changed the rule since you loaded it; your text is kept. `
        : `${dryRun ? 'Not valid' : 'Not applied'}: ${e.message}`),
      issues, {
        alert: true,
        extra: conflict && !isNew ? [
          h('button', { type: 'button', class: 'secondary small', id: 'rule-show-changes', onClick: () => showChanges(changes) }, 'Compare with the current version'),
          ' ',
          h('button', { type: 'button', class: 'secondary small', id: 'rule-load-current', onClick: loadCurrent }, 'Load the current version'),
          changes] : null,
      });
      if (!issues.some((i) => i.line)) editor.textarea.setAttribute('aria-invalid', 'true');
    } finally {
      busy(false);
    }
  }

  /** Shows how the editor's text differs from the rule as stored now. */
  async function showChanges(box) {
    await loadRule();
    if (!rule) return;
    const diff = diffLines(editorText(rule), editor.value());
    const { added, deleted } = diffStats(diff);
    replace(box, h('h3', {}, `The current version (resourceVersion ${rule.metadata.resourceVersion}) → your text`,
      h('span', { class: 'muted' }, ` · +${added} −${deleted} lines`)),
    h('div', { class: 'table-wrap' }, diffTable(diff, 'conflict-diff')));
  }

  async function loadCurrent() {
    if (dirty() && !window.confirm('Replace your text with the current version? Your edits are lost.')) return;
    await loadRule({ replaceText: true });
    clearOutcome();
    replace(notice);
  }

  async function remove() {
    if (!rule) return;
    const rv = rule.metadata.resourceVersion;
    if (!window.confirm(`Delete ${rule.kind} ${params.namespace}/${params.name}? Traffic stops following it at once.`)) return;
    busy(true);
    try {
      await ctx.api.del(api(params), { query: { resourceVersion: rv }, signal: ctx.signal });
      announce(`Deleted ${params.name}`);
      ctx.navigate('/rules');
    } catch (e) {
      if (e.name === 'AbortError') return;
      showIssues(h('p', {}, e.status === 409 ? `Conflict: ${e.message}. Nothing was deleted.` : `Not deleted: ${e.message}`), [], { alert: true });
    } finally {
      busy(false);
    }
  }

  function drawMeta() {
    if (!rule) return;
    const s = rule.status ?? {};
    replace(meta, h('span', { class: 'chip' }, rule.kind), ' in ', h('strong', {}, rule.metadata.namespace),
      ` · resourceVersion ${rule.metadata.resourceVersion} · revision ${s.revision ?? '—'}`,
      s.updatedAt ? [' · changed ', h('time', { datetime: s.updatedAt }, dateTime(s.updatedAt))] : null,
      s.updatedBy ? ` by ${s.updatedBy}` : null);
  }

  /** Loads the rule; puts its text in the editor unless the editor holds unsaved edits (replaceText forces it). */
  async function loadRule({ replaceText = false } = {}) {
    const by = changedBy;
    let fresh;
    try {
      fresh = await ctx.api.get(api(params), { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
      if (e.status === 404) {
        const wasThere = rule !== null || baseText !== null;
        rule = null;
        replace(meta, 'Not stored (deleted, or never applied).');
        replace(notice, h('p', { class: 'notice', role: 'status' }, wasThere
          ? `This rule was deleted${by ? ` by ${by}` : ''}. ${writer ? 'Your text is kept: Apply creates it again.' : ''}`
          : 'There is no such rule.'));
        if (baseText === null) baseText = editor.value();
        return;
      }
      replace(notice, h('p', { class: 'error', role: 'alert' }, `Could not load the rule: ${e.message}`));
      return;
    }
    rule = fresh;
    drawMeta();
    const text = editorText(fresh);
    if (replaceText || !dirty()) {
      if (editor.value() !== text) editor.setValue(text);
      baseText = text;
      baseVersion = fresh.metadata.resourceVersion;
      replace(notice);
    } else if (baseVersion !== fresh.metadata.resourceVersion) {
      replace(notice, h('p', { class: 'notice', role: 'status' },
        `This rule changed on the server${by ? ` (by ${by})` : ''} while you were editing: it is now at resourceVersion ${fresh.metadata.resourceVersion}. Your text is kept; applying it will be refused as stale. `,
        h('button', { type: 'button', class: 'secondary small', onClick: loadCurrent }, 'Load the current version')));
    }
  }

  const currentRevision = () => {
    const last = revisions[revisions.length - 1];
    return last && last.action !== 'deleted' ? last : null;
  };

  function drawDiff() {
    const byNumber = (n) => revisions.find((r) => r.revision === n);
    if (!selected.length) {
      replace(diffBox);
      return;
    }
    let from;
    let to;
    let label;
    if (selected.length === 1) {
      from = byNumber(selected[0]);
      to = currentRevision() ?? revisions[revisions.length - 1];
      label = `Revision ${from.revision} → current (revision ${to.revision})`;
    } else {
      [from, to] = selected.map(byNumber).sort((a, b) => a.revision - b.revision);
      label = `Revision ${from.revision} → revision ${to.revision}`;
    }
    const text = (r) => (r.action === 'deleted' ? '' : toYaml(r.document));
    const diff = diffLines(text(from), text(to));
    const { added, deleted } = diffStats(diff);
    replace(diffBox,
      h('h3', { id: 'rule-diff-title' }, label, h('span', { class: 'muted' }, ` · +${added} −${deleted} lines`)),
      added || deleted ? h('div', { class: 'table-wrap' }, diffTable(diff, 'rule-diff')) : h('p', { class: 'empty', id: 'rule-diff' }, 'No difference.'));
  }

  function toggle(revision, on) {
    const at = selected.indexOf(revision);
    if (on && at < 0) {
      selected.push(revision);
      if (selected.length > 2) selected.shift();
    } else if (!on && at >= 0) {
      selected.splice(at, 1);
    }
    drawHistory();
    drawDiff();
  }

  async function rollback(revision) {
    const extra = dirty() ? ' Your unsaved edits in the editor are replaced.' : '';
    if (!window.confirm(`Roll back ${params.name} to revision ${revision}? It is applied again as a new revision.${extra}`)) return;
    try {
      const doc = await ctx.api.post(`${api(params)}/rollback`, undefined, { query: { revision }, signal: ctx.signal });
      const r = (doc.results ?? [])[0] ?? {};
      await loadRule({ replaceText: true });
      await loadHistory();
      showIssues(h('p', { id: 'rollback-done' }, `Rolled back to revision ${revision}: now revision ${r.revision ?? '—'} (resourceVersion ${r.resourceVersion ?? '—'}, ${r.action ?? 'applied'}).`),
        issuesOf(doc.results).map((i) => ({ ...i, line: null })));
      announce(`Rolled back to revision ${revision}`);
    } catch (e) {
      if (e.name === 'AbortError') return;
      showIssues(h('p', {}, `Not rolled back: ${e.message}`), [], { alert: true });
    }
  }

  function drawHistory() {
    if (!revisions.length) {
      replace(historyBox, h('p', { class: 'empty' }, 'No revisions.'));
      return;
    }
    const current = currentRevision();
    const rows = [...revisions].reverse();
    replace(historyBox, h('div', { class: 'table-wrap' }, stackable(h('table', { id: 'history' },
      h('caption', { class: 'sr-only' }, 'Revisions, newest first'),
      h('thead', {}, h('tr', {}, ['Compare', 'Revision', 'Time', 'By', 'Action', 'resourceVersion', writer ? 'Roll back' : null]
        .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => {
        const id = `compare-${r.revision}`;
        return h('tr', { dataset: { revision: String(r.revision) } },
          h('td', {}, h('input', { type: 'checkbox', id, checked: selected.includes(r.revision), onChange: (e) => toggle(r.revision, e.target.checked) }),
            h('label', { for: id, class: 'sr-only' }, `Compare revision ${r.revision}`)),
          h('th', { scope: 'row' }, String(r.revision), current && r.revision === current.revision ? h('span', { class: 'badge' }, 'current') : null),
          h('td', {}, h('time', { datetime: r.time }, dateTime(r.time))),
          h('td', {}, r.by ?? '—'),
          h('td', {}, r.action),
          h('td', {}, r.resourceVersion ?? '—'),
          writer ? h('td', {}, r.action === 'deleted' || (current && r.revision === current.revision) ? ''
            : h('button', { type: 'button', class: 'secondary small', dataset: { rollback: String(r.revision) }, onClick: () => rollback(r.revision) },
              `Roll back to revision ${r.revision}`)) : null);
      }))))));
  }

  async function loadHistory() {
    try {
      const doc = await ctx.api.get(`${api(params)}/history`, { signal: ctx.signal });
      revisions = (doc.revisions ?? []).slice().sort((a, b) => a.revision - b.revision);
    } catch (e) {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status === 401)) return;
      if (e.status !== 404) {
        replace(historyBox, h('p', { class: 'error', role: 'alert' }, `Could not load the history: ${e.message}`));
        return;
      }
      revisions = [];
    }
    for (let i = selected.length - 1; i >= 0; i--) {
      if (!revisions.some((r) => r.revision === selected[i])) selected.splice(i, 1);
    }
    drawHistory();
    drawDiff();
  }

  if (isNew) {
    replace(liveSlot);
    return;
  }

  const refresh = ctx.coalesce(1000, async () => {
    await loadRule();
    await loadHistory();
  });
  loadRule().then(loadHistory);
  replace(liveSlot, followRules(ctx, (event) => {
    if (event && !(event.kind.toLowerCase() === kindOf().toLowerCase() && event.namespace === params.namespace && event.name === params.name)) return;
    if (event) changedBy = event.by;
    refresh();
  }));
}
