// Number and time formatting shared by pages. null (no data) shows as an em dash, never 0.

export const NONE = '—';

export function rate(v) {
  return v == null ? NONE : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} req/s`;
}

export function ratio(v) {
  return v == null ? NONE : `${(v * 100).toFixed(v < 0.1 ? 2 : 1)} %`;
}

export function ms(v) {
  return v == null ? NONE : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ms`;
}

export function time(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value ?? '') : d.toLocaleTimeString([], { hour12: false });
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A date and time in the browser's locale (24 h), or the value as it came when it is no date. */
export function dateTime(value) {
  const d = new Date(value);
  return value == null || Number.isNaN(d.getTime()) ? String(value ?? NONE)
    : d.toLocaleString([], { hour12: false, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
