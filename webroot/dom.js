// DOM helpers. Data from the server only ever becomes text nodes or attribute values set with
// setAttribute: nothing here parses HTML (no innerHTML), so a label such as
// <img src=x onerror=alert(1)> shows as those characters.

const SVG_NS = 'http://www.w3.org/2000/svg';
const SAFE_URL = /^(\/(?!\/)|#|\?|https?:\/\/)/;

function setAttributes(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'style' || key.startsWith('on')) {
      throw new Error(`h(): '${key}' is not allowed (Content-Security-Policy forbids inline code and style)`);
    } else if ((key === 'href' || key === 'src' || key === 'action') && !SAFE_URL.test(String(value))) {
      throw new Error(`h(): refusing ${key}=${String(value)}`);
    } else if (key === 'value' && 'value' in el) {
      el.value = String(value);
    } else if (key === 'checked' || key === 'selected') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** Appends children: nodes as they are, anything else as text; arrays are flattened, null skipped. */
export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Builds an element: h('a', {href: '/x', class: 'c', onClick: fn}, 'text', otherNode). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  return append(el, children);
}

/** Builds an SVG element (charts). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  return append(el, children);
}

/** A text node. */
export function text(value) {
  return document.createTextNode(value == null ? '' : String(value));
}

/** Removes every child. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/** Says something to screen readers (the polite live region). */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
}

/**
 * Marks a table to stack into labelled blocks on narrow screens: each body and footer cell gets
 * its column's heading as data-label (shown by style.css under 760 px). Returns the table.
 */
export function stackable(table) {
  const headings = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const row of table.querySelectorAll('tbody tr, tfoot tr')) {
    [...row.children].forEach((cell, i) => {
      if (i > 0 && headings[i]) cell.setAttribute('data-label', headings[i]);
    });
  }
  table.classList.add('stack');
  return table;
}
