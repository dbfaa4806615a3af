// JSON → YAML text for the rule editor and the revision diffs: block style, two-space indent,
// lists at their key's indent (as kubectl writes them). Strings that could read as anything but
// a string (numbers, booleans, null, dates) or hold YAML syntax are double-quoted (JSON string
// syntax is valid YAML), so what this writes parses back to the same value. Pure, no DOM.

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./ -]*$/;
const DURATION_LIKE = /^[0-9][0-9.]*[A-Za-z]+$/;
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off', 'null']);

/** A scalar as YAML: plain when that is unambiguous, else a double-quoted (JSON) string. */
export function scalar(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const s = String(value);
  const plain = (PLAIN.test(s) && !s.endsWith(' ') && !RESERVED.has(s.toLowerCase())) || DURATION_LIKE.test(s);
  return plain ? s : JSON.stringify(s);
}

function isEmpty(value) {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

function block(value, indent) {
  const pad = ' '.repeat(indent);
  const out = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) {
        const inner = block(item, indent + 2);
        inner[0] = `${pad}- ${inner[0].slice(indent + 2)}`;
        out.push(...inner);
      } else {
        out.push(`${pad}- ${item !== null && typeof item === 'object' ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
      }
    }
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && typeof item === 'object' && !isEmpty(item)) {
      out.push(`${pad}${scalar(key)}:`);
      out.push(...block(item, Array.isArray(item) ? indent : indent + 2));
    } else {
      out.push(`${pad}${scalar(key)}: ${item !== null && typeof item === 'object' ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
    }
  }
  return out;
}

/** One document (an object) as YAML text ending with a newline. */
export function toYaml(document) {
  if (document === null || typeof document !== 'object') return `${scalar(document)}\n`;
  if (isEmpty(document)) return Array.isArray(document) ? '[]\n' : '{}\n';
  return `${block(document, 0).join('\n')}\n`;
}
