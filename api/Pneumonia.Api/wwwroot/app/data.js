// Data: labelled uploads (files or zips) with their report, and charts of the data set.
import { api, form } from './api.js';
import { el, say, table, facts, extras, dropZone, when } from './ui.js';
import { draw, colours } from './charts.js';
import { setEnabled } from './keys.js';

const KNOWN_REPORT = ['status', 'batch_id', 'accepted', 'duplicates', 'rejected', 'accepted_normal', 'accepted_pneumonia', 'accepted_unlabelled', 'files'];
let chosen = [];

export function init() {
  const input = document.getElementById('upload-files');
  dropZone(document.getElementById('upload-drop'), input, (files) => {
    chosen = files;
    say('upload-status', `${files.length} file${files.length === 1 ? '' : 's'} chosen: ${files.map((f) => f.name).join(', ')}`);
  });
  document.getElementById('upload-form').addEventListener('submit', upload);
}

export function show() { stats(); }

async function upload(e) {
  e.preventDefault();
  if (chosen.length === 0) { say('upload-status', 'Choose or drop files first.', 'problem'); return; }
  const button = document.getElementById('upload-button');
  const label = new FormData(e.target).get('label');
  setEnabled(button, false);
  say('upload-status', `Uploading ${chosen.length} file${chosen.length === 1 ? '' : 's'}…`);
  try {
    const report = await api('upload', { method: 'POST', body: form('files', chosen, { label }) });
    say('upload-status', `Upload ${report.batch_id} done.`, 'ok');
    renderReport(report);
    stats();
  } catch (error) {
    say('upload-status', error.message, 'problem');
    // A refused upload still names each rejected file and why.
    renderReport(error.problem?.rejected ? error.problem : null);
  } finally {
    setEnabled(button, true);
  }
}

function renderReport(report) {
  const target = document.getElementById('upload-report');
  if (!report) { target.replaceChildren(); return; }
  const rejected = report.rejected ?? [];
  target.replaceChildren(el('section', { class: 'panel', 'aria-label': 'Upload report', id: 'upload-report-panel' },
    el('h3', {}, 'Upload report'),
    facts([
      ['Added', report.accepted ?? 0],
      ['Already known (duplicates)', report.duplicates ?? 0],
      ['Rejected', rejected.length],
      ['Added as NORMAL', report.accepted_normal ?? 0],
      ['Added as PNEUMONIA', report.accepted_pneumonia ?? 0],
      ['Added without label', report.accepted_unlabelled ?? 0],
    ]),
    rejected.length ? table(rejected, [['File', (r) => r.name], ['Why it was rejected', (r) => r.reason], ['Code', (r) => r.code]], 'Rejected files') : null,
    extras(report, [...KNOWN_REPORT, 'type', 'title', 'detail', 'instance', 'trace_id']),
    report.files?.length
      ? el('details', {}, el('summary', {}, `Every file (${report.files.length})`),
        table(report.files, [['File', (f) => f.name], ['Result', (f) => f.status], ['Label', (f) => f.label ?? '–'], ['Note', (f) => f.reason ?? '']]))
      : null));
}

async function stats() {
  let s;
  try {
    s = await api('dataset/stats');
  } catch (error) {
    say(document.getElementById('data-summary'), error.message, 'problem');
    return;
  }
  const bytes = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  document.getElementById('data-summary').replaceChildren(facts([
    ['Images stored', s.total_images], ['Size on disk', bytes(s.total_bytes)], ['Uploads and imports', s.batches.length],
  ], { id: 'data-facts' }));
  const splits = ['train', 'validation', 'test'];
  const labels = [...new Set(s.counts.map((c) => c.label))];
  await draw('chart-classes', labels.map((label) => ({
    type: 'bar', name: label, x: splits, marker: { color: colours[label] },
    y: splits.map((split) => s.counts.filter((c) => c.split === split && c.label === label).reduce((n, c) => n + c.images, 0)),
  })), { barmode: 'group', yaxis: { title: 'images' } });
  const batches = [...s.batches].sort((a, b) => a.created_at.localeCompare(b.created_at));
  await draw('chart-batches', [['NORMAL', 'accepted_normal'], ['PNEUMONIA', 'accepted_pneumonia'], ['unlabelled', 'accepted_unlabelled']].map(([name, key]) => ({
    type: 'bar', name, x: batches.map((b, i) => `${i + 1}. ${when(b.created_at)}`), y: batches.map((b) => b[key]), marker: { color: colours[name] },
    customdata: batches.map((b) => b.source), hovertemplate: '%{customdata}<br>%{x}<br>%{y} images<extra>%{fullData.name}</extra>',
  })), { barmode: 'stack', xaxis: { type: 'category' }, yaxis: { title: 'images added' } });
  const sizes = s.sizes;
  if (sizes) {
    const stats = ['min', 'median', 'mean', 'max'];
    await draw('chart-sizes', [['width', '#0b5cad'], ['height', '#d35400']].map(([k, colour]) => ({
      type: 'bar', name: k, x: stats, y: stats.map((st) => sizes[k][st]), marker: { color: colour },
    })), { barmode: 'group', yaxis: { title: 'pixels' } });
  }
  document.getElementById('chart-batches').setAttribute('aria-label', `${batches.length} uploads; latest ${when(batches.at(-1)?.created_at)}`);
}
