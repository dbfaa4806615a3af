// A line diff (Myers' O(ND) algorithm) for comparing rule revisions. Pure functions, no DOM:
// the rules page renders what they return.

/** Splits text into lines (a final newline does not make an empty last line). */
export function lines(text) {
  if (text === '') return [];
  const all = String(text).replace(/\r\n?/g, '\n').split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/** The shortest edit script from a to b (arrays of strings), as Myers finds it; ops in order. */
function myers(a, b) {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[max + k - 1] < v[max + k + 1]) ? v[max + k + 1] : v[max + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[max + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  const ops = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const prev = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && prev[max + k - 1] < prev[max + k + 1]) ? k + 1 : k - 1;
    const prevX = prev[max + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push('same');
      x--;
      y--;
    }
    if (d > 0) {
      ops.push(x === prevX ? 'add' : 'del');
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/**
 * Compares two texts (or arrays of lines) line by line. Returns every line in order as
 * {type: 'same' | 'del' | 'add', text, oldLine, newLine} (line numbers from 1; oldLine is null
 * for an added line, newLine for a deleted one).
 */
export function diffLines(before, after) {
  const a = Array.isArray(before) ? before : lines(before);
  const b = Array.isArray(after) ? after : lines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const middle = myers(a.slice(start, endA), b.slice(start, endB));
  const ops = [...Array(start).fill('same'), ...middle, ...Array(a.length - endA).fill('same')];
  const out = [];
  let i = 0;
  let j = 0;
  for (const type of ops) {
    if (type === 'same') {
      out.push({ type, text: a[i], oldLine: i + 1, newLine: j + 1 });
      i++;
      j++;
    } else if (type === 'del') {
      out.push({ type, text: a[i], oldLine: i + 1, newLine: null });
      i++;
    } else {
      out.push({ type, text: b[j], oldLine: null, newLine: j + 1 });
      j++;
    }
  }
  return out;
}

/** How many lines a diff adds and deletes: {added, deleted}. */
export function diffStats(diff) {
  return {
    added: diff.filter((d) => d.type === 'add').length,
    deleted: diff.filter((d) => d.type === 'del').length,
  };
}

/**
 * Keeps `context` unchanged lines around each change; each longer unchanged run becomes one
 * {type: 'skip', count} entry.
 */
export function withContext(diff, context = 3) {
  const keep = new Array(diff.length).fill(false);
  diff.forEach((d, i) => {
    if (d.type === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = true;
  });
  const out = [];
  let skipped = 0;
  diff.forEach((d, i) => {
    if (keep[i]) {
      if (skipped) out.push({ type: 'skip', count: skipped });
      skipped = 0;
      out.push(d);
    } else {
      skipped++;
    }
  });
  if (skipped) out.push({ type: 'skip', count: skipped });
  return out;
}
