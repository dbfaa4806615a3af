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
