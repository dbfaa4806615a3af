// The shell: session (token → whoami), navigation, and a router over location.pathname with the
// History API. Pages are modules exporting {path, title, nav?, requires?, render(container, ctx)};
// add one to PAGES below (docs/ui.md, "Adding a page").

import { api, session, onUnauthorized, ApiError } from './api.js';
import { h, replace, clear, announce } from './dom.js';
import { renderLogin } from './pages/login.js';
import overview from './pages/overview.js';
import services from './pages/services.js';
import service from './pages/service.js';
import register, { editInstance } from './pages/register.js';
import dataPlane, { xdsClient } from './pages/dataplane.js';
import rules from './pages/rules.js';
import rule, { newRule } from './pages/rule.js';
import ruleWizards from './pages/rule-wizards.js';
import ruleWizard from './pages/rule-wizard.js';
import canary from './pages/canary.js';
import topology from './pages/topology.js';
import traces from './pages/traces.js';
import trace from './pages/trace.js';
import cluster from './pages/cluster.js';

/** Every page, in navigation order. */
const PAGES = [overview, services, service, register, editInstance, rules, newRule, ruleWizards, ruleWizard, rule, canary,
  topology, traces, trace, dataPlane, xdsClient, cluster];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
const menuToggle = document.getElementById('menu-toggle');

let whoami = null;
let current = null; // {cleanups: [], controller}

function compile(path) {
  const names = [];
  const pattern = path.replace(/\/:([a-zA-Z]+)/g, (_, name) => {
    names.push(name);
    return '/([^/]+)';
  });
  const regex = new RegExp(`^${pattern}/?$`);
  return (pathname) => {
    const m = regex.exec(pathname);
    if (!m) return null;
    const params = {};
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1]);
    });
    return params;
  };
}

const ROUTES = PAGES.map((page) => ({ page, match: compile(page.path) }));

function can(permission) {
  return Boolean(whoami && whoami.permissions.includes(permission));
}

function resolve(pathname) {
  for (const route of ROUTES) {
    const params = route.match(pathname);
    if (params) return { page: route.page, params };
  }
  return null;
}

/** Goes to an in-app path (pushState unless replace). */
export function navigate(path, { replace: replaceState = false } = {}) {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function stopCurrent() {
  if (!current) return;
  current.controller.abort();
  for (const cleanup of current.cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch (e) {
      console.warn('cleanup failed', e);
    }
  }
  current = null;
}

function renderNav(activePath) {
  const items = PAGES.filter((p) => p.nav && (!p.requires || can(p.requires)));
  // the one entry the page belongs to: the longest path it is at or under (/rules/wizards/x is
  // under Wizards, not also under Traffic rules)
  const within = (p) => (p.path === '/' ? activePath === '/' : activePath === p.path || activePath.startsWith(`${p.path}/`));
  const current = items.filter(within).sort((a, b) => b.path.length - a.path.length)[0];
  replace(nav, h('ul', {},
    items.map((p) => h('li', {}, h('a', { href: p.path, 'data-link': true, 'aria-current': p === current ? 'page' : null }, p.nav)))));
  replace(sessionBox,
    h('span', { class: 'who', title: 'the token you are logged in with' },
      whoami.name, ' ', h('span', { class: 'badge' }, whoami.role)),
    h('button', { type: 'button', class: 'secondary', id: 'logout', onClick: logout }, 'Log out'));
  menuToggle.hidden = false;
}

function pageContext(params, controller, cleanups) {
  const ctx = {
    api,
    params,
    query: new URLSearchParams(location.search),
    whoami,
    can,
    navigate,
    signal: controller.signal,
    /** Runs fn when the page is left. */
    onCleanup: (fn) => cleanups.push(fn),
    /** Calls fn every ms while the page is shown (never overlapping itself). */
    every(ms, fn) {
      let timer = null;
      let stopped = false;
      const tick = async () => {
        try {
          await fn();
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 401) && e.name !== 'AbortError') console.warn(e);
        }
        if (!stopped) timer = setTimeout(tick, ms);
      };
      timer = setTimeout(tick, 0);
      cleanups.push(() => {
        stopped = true;
        clearTimeout(timer);
      });
    },
    /**
     * A coalescing scheduler: schedule() asks for fn to run; it runs at most once per ms, so a
     * burst of changes costs one refresh.
     */
    coalesce(ms, fn) {
      let last = 0;
      let timer = null;
      let running = false;
      let again = false;
      const run = async () => {
        timer = null;
        if (running) {
          again = true;
          return;
        }
        running = true;
        last = Date.now();
        try {
          await fn();
        } catch (e) {
          if (e.name !== 'AbortError') console.warn(e);
        } finally {
          running = false;
          if (again) {
            again = false;
            schedule();
          }
        }
      };
      const schedule = () => {
        if (timer || controller.signal.aborted) return;
        timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
      };
      cleanups.push(() => clearTimeout(timer));
      return schedule;
    },
    /** Replaces the query string without a new history entry. */
    setQuery(values) {
      const u = new URL(location.href);
      for (const [k, v] of Object.entries(values)) {
        if (v == null || v === '') u.searchParams.delete(k);
        else u.searchParams.set(k, v);
      }
      history.replaceState(null, '', u.pathname + u.search);
    },
  };
  return ctx;
}

function render() {
  stopCurrent();
  document.getElementById('top').classList.remove('open');
  menuToggle.setAttribute('aria-expanded', 'false');
  if (!whoami) return;
  const found = resolve(location.pathname);
  renderNav(location.pathname);
  if (!found) {
    document.title = 'Not found · Meridian';
    replace(main, h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, 'There is no page at ', h('code', {}, location.pathname), '. ',
        h('a', { href: '/', 'data-link': true }, 'Go to the overview'), '.'));
    main.querySelector('h1').focus();
    return;
  }
  const { page, params } = found;
  const controller = new AbortController();
  const cleanups = [];
  current = { controller, cleanups };
  const title = typeof page.title === 'function' ? page.title(params) : page.title;
  document.title = `${title} · Meridian`;
  clear(main);
  const container = h('div', { class: 'page' });
  main.append(container);
  if (page.requires && !can(page.requires)) {
    replace(container, h('h1', { tabindex: '-1' }, title),
      h('p', { class: 'error' }, `Your token's role (${whoami.role}) may not see this page.`));
    return;
  }
  try {
    const cleanup = page.render(container, pageContext(params, controller, cleanups));
    if (typeof cleanup === 'function') cleanups.push(cleanup);
  } catch (e) {
    console.error(e);
    container.append(h('p', { class: 'error', role: 'alert' }, `This page failed: ${e.message}`));
  }
  // move focus to the new page's heading, so keyboard and screen-reader users start there
  const heading = container.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
  announce(title);
}

function showLogin(message) {
  stopCurrent();
  whoami = null;
  clear(nav);
  clear(sessionBox);
  menuToggle.hidden = true;
  document.title = 'Log in · Meridian';
  renderLogin(main, { message, onLogin: login });
}

/** Checks a token with whoami; on success keeps it for this tab and shows the page. */
async function login(token) {
  const who = await api.get('/api/v1/auth/whoami', { token });
  session.save(token);
  whoami = who;
  render();
}

function logout() {
  session.clear();
  showLogin('You have logged out.');
}

onUnauthorized(() => {
  session.clear();
  if (whoami) showLogin('Your token is no longer accepted (revoked or wrong). Log in again.');
});

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[data-link]');
  if (!link || link.target || link.origin !== location.origin) return;
  event.preventDefault();
  if (link.pathname + link.search !== location.pathname + location.search) navigate(link.pathname + link.search);
});

window.addEventListener('popstate', () => render());

// Leaving the document (or entering the back/forward cache) ends the page's streams and timers
// explicitly: a stream left open would hold one of the browser's six connections to this
// server; a page restored from that cache starts them again.
window.addEventListener('pagehide', () => stopCurrent());
window.addEventListener('pageshow', (event) => {
  if (event.persisted && whoami) render();
});

menuToggle.addEventListener('click', () => {
  const top = document.getElementById('top');
  const open = top.classList.toggle('open');
  menuToggle.setAttribute('aria-expanded', String(open));
});

async function boot() {
  const token = session.token();
  if (!token) {
    showLogin();
    return;
  }
  try {
    await login(token);
  } catch (e) {
    session.clear();
    showLogin(e instanceof ApiError && e.status === 401 ? 'Your session ended. Log in again.' : e.message);
  }
}

boot();
