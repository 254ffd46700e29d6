// Small DOM helpers shared by the pages: elements, numbers in words, generic rendering of fields the page does not know.

/** el('p', {class: 'x'}, 'text', child) */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const percent = (p, digits = 1) => (p === null || p === undefined ? '–' : `${(p * 100).toFixed(digits)}%`);
export const number = (x, digits = 3) => (x === null || x === undefined ? '–' : Number(x).toFixed(digits));
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const words = (key) => key.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());

/** A table from rows and [header, cell(row), className?] columns. */
export function table(rows, columns, caption) {
  return el('div', { class: 'table-wrap' }, el('table', {},
    caption ? el('caption', { class: 'small' }, caption) : null,
    el('thead', {}, el('tr', {}, columns.map(([h, , c]) => el('th', { scope: 'col', class: c }, h)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, columns.map(([, cell, c]) => el('td', { class: c }, cell(row))))))));
}

/** A definition list of label/value pairs. */
export function facts(pairs, attributes = {}) {
  return el('dl', { class: 'facts', ...attributes },
    pairs.filter(Boolean).map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))));
}

/** Renders whatever fields of a record the page has no special view for (new fields appear without a page change). */
export function extras(record, known) {
  const rest = Object.entries(record ?? {}).filter(([k, v]) => !known.includes(k) && v !== null && v !== undefined);
  if (rest.length === 0) return null;
  return el('div', { class: 'extras' }, rest.map(([k, v]) => value(words(k), v)));
}

function value(label, v) {
  if (Array.isArray(v)) {
    if (v.length === 0) return facts([[label, 'none']]);
    if (typeof v[0] === 'object') {
      const keys = [...new Set(v.flatMap((row) => Object.keys(row)))];
      return el('div', {}, el('h4', {}, label), table(v, keys.map((k) => [words(k), (row) => show(row[k])])));
    }
    return facts([[label, v.map(show).join(', ')]]);
  }
  if (typeof v === 'object') {
    return el('div', {}, el('h4', {}, label), facts(Object.entries(v).map(([k, x]) => [words(k), show(x)])));
  }
  return facts([[label, show(v)]]);
}

function show(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The confirmation step before a change: resolves true when the person confirmed. */
export function confirmAction(title, text, confirmLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = confirmLabel;
  dialog.returnValue = '';
  dialog.showModal();
  document.getElementById('confirm-cancel').focus();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/** Shows a message (or a problem) in a status element. */
export function say(target, message, kind = '') {
  const node = typeof target === 'string' ? document.getElementById(target) : target;
  node.className = kind;
  node.textContent = message;
}

/** Makes a drop zone feed files to a handler, as well as its file input. */
export function dropZone(zone, input, onFiles) {
  input.addEventListener('change', () => { if (input.files.length) onFiles([...input.files]); });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files.length) onFiles([...e.dataTransfer.files]);
  });
}
