// A small SVG line chart (no library). Values null are gaps.

import { s } from './dom.js';

const W = 600;
const H = 150;
const PAD = { left: 84, right: 8, top: 10, bottom: 20 };

/**
 * points: [{t: epoch ms, v: number|null}], oldest first. Options: label (accessible name),
 * format(v) for the axis and the summary, min max (y upper bound at least this), spanMs.
 */
export function lineChart(points, { label, format, minMax = 1, spanMs = 5 * 60 * 1000 }) {
  const now = points.length ? points[points.length - 1].t : Date.now();
  const from = now - spanMs;
  const values = points.map((p) => p.v).filter((v) => v != null);
  const max = Math.max(minMax, ...values) * 1.1;
  const x = (t) => PAD.left + ((t - from) / spanMs) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const segments = [];
  let segment = [];
  for (const p of points) {
    if (p.t < from) continue;
    if (p.v == null) {
      if (segment.length) segments.push(segment);
      segment = [];
    } else {
      segment.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
    }
  }
  if (segment.length) segments.push(segment);
  const latest = [...points].reverse().find((p) => p.v != null);
  const summary = `${label}: ${latest ? format(latest.v) : 'no data yet'}`;
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': summary },
    s('title', {}, summary),
    s('line', { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, class: 'axis' }),
    s('line', { x1: PAD.left, y1: PAD.top, x2: W - PAD.right, y2: PAD.top, class: 'grid' }),
    s('text', { x: PAD.left - 6, y: PAD.top + 4, class: 'tick', 'text-anchor': 'end' }, format(max)),
    s('text', { x: PAD.left - 6, y: H - PAD.bottom, class: 'tick', 'text-anchor': 'end' }, format(0)),
    s('text', { x: PAD.left, y: H - 4, class: 'tick' }, '−5 min'),
    s('text', { x: W - PAD.right, y: H - 4, class: 'tick', 'text-anchor': 'end' }, 'now'),
    segments.map((seg) => (seg.length === 1
      ? s('circle', { cx: seg[0].split(',')[0], cy: seg[0].split(',')[1], r: 2.5, class: 'line-dot' })
      : s('polyline', { points: seg.join(' '), class: 'line' }))));
}
