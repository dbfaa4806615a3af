// A plain-text code editor: a <textarea> (monospace, no wrapping) with a line-number gutter that
// follows its scrolling and can mark lines (errors, warnings). Tab inserts two spaces and
// Shift+Tab removes them; Escape then Tab leaves the editor, so the keyboard is never trapped.

import { h, replace } from './dom.js';

const INDENT = '  ';

/**
 * Builds the editor. Options: id (of the textarea, for its <label for>), value, readOnly,
 * describedBy (ids of help and issue texts), rows. Returns {root, textarea, value(), setValue(text),
 * setMarkers([{line, severity: 'error' | 'warning', message}]), goToLine(n), revealLine(n),
 * onInput(fn)}.
 */
export function codeEditor({ id, value = '', readOnly = false, describedBy = null, rows = 24 }) {
  const numbers = h('div', { class: 'numbers' });
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' }, numbers);
  const area = h('textarea', {
    id, class: 'code', rows, wrap: 'off', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
    readonly: readOnly, 'aria-describedby': describedBy,
  });
  area.value = value;
  const root = h('div', { class: ['code-editor', readOnly ? 'readonly' : null] }, gutter, area);
  const listeners = [];
  let markers = new Map();
  let drawnLines = -1;
  let escaped = false;

  const lineCount = () => area.value.split('\n').length;

  function drawGutter(force = false) {
    const count = lineCount();
    if (!force && count === drawnLines) return;
    drawnLines = count;
    const rowsOut = [];
    for (let n = 1; n <= count; n++) {
      const marker = markers.get(n);
      rowsOut.push(h('div', {
        class: ['ln', marker ? marker.severity : null],
        dataset: { line: String(n) },
        title: marker ? marker.messages.join('\n') : null,
      }, String(n)));
    }
    replace(numbers, rowsOut);
    gutter.scrollTop = area.scrollTop;
  }

  function changed() {
    drawGutter();
    for (const fn of listeners) fn(area.value);
  }

  function insert(text, start, end) {
    area.focus();
    area.setSelectionRange(start, end);
    // execCommand keeps the browser's undo history; setRangeText is the fallback
    if (!document.execCommand('insertText', false, text)) {
      area.setRangeText(text, start, end, 'end');
      changed();
    }
  }

  area.addEventListener('input', changed);
  area.addEventListener('scroll', () => {
    gutter.scrollTop = area.scrollTop;
  });
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      escaped = true;
      return;
    }
    if (event.key !== 'Tab' || escaped || area.readOnly || event.ctrlKey || event.altKey || event.metaKey) {
      escaped = false;
      return;
    }
    event.preventDefault();
    const { selectionStart: start, selectionEnd: end } = area;
    if (!event.shiftKey) {
      insert(INDENT, start, end);
      return;
    }
    const lineStart = area.value.lastIndexOf('\n', start - 1) + 1;
    const spaces = /^ {0,2}/.exec(area.value.slice(lineStart))[0].length;
    if (spaces) {
      insert('', lineStart, lineStart + spaces);
      const caret = Math.max(lineStart, start - spaces);
      area.setSelectionRange(caret, caret);
    }
  });

  function scrollTo(line) {
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
    area.scrollTop = Math.max(0, (line - 1) * lineHeight - area.clientHeight / 3);
    gutter.scrollTop = area.scrollTop;
  }

  drawGutter(true);

  return {
    root,
    textarea: area,
    value: () => area.value,
    setValue(text) {
      area.value = text;
      markers = new Map();
      drawGutter(true);
    },
    /** Marks lines; an error wins over a warning on the same line. Lines < 1 are ignored. */
    setMarkers(list) {
      markers = new Map();
      for (const { line, severity, message } of list) {
        if (!(line >= 1)) continue;
        const had = markers.get(line);
        markers.set(line, {
          severity: had?.severity === 'error' || severity === 'error' ? 'error' : 'warning',
          messages: [...(had?.messages ?? []), message],
        });
      }
      drawGutter(true);
    },
    /** Puts the caret at the start of line n (from 1), scrolls it into view and focuses the editor. */
    goToLine(n) {
      const all = area.value.split('\n');
      const line = Math.min(Math.max(1, n), all.length);
      let offset = 0;
      for (let i = 0; i < line - 1; i++) offset += all[i].length + 1;
      const indent = /^\s*/.exec(all[line - 1])[0].length;
      area.focus();
      area.setSelectionRange(offset + indent, offset + indent);
      scrollTo(line);
    },
    /** Scrolls line n into view without moving the caret or the focus. */
    revealLine(n) {
      scrollTo(n);
    },
    onInput(fn) {
      listeners.push(fn);
    },
  };
}
