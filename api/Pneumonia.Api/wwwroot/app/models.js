// Models: versions with metrics, charts from the model cards, A/B comparison, promotion history, promote / roll back.
import { api } from './api.js';
import { el, say, table, percent, number, when, confirmAction, extras } from './ui.js';
import { draw, colours } from './charts.js';

let list = null;
const cards = new Map();

export function init() {
  document.getElementById('compare-a').addEventListener('change', compare);
  document.getElementById('compare-b').addEventListener('change', compare);
  document.getElementById('promote-a').addEventListener('click', promote);
  document.getElementById('rollback').addEventListener('click', rollback);
}

export function show() { refresh(); }

async function refresh() {
  try {
    list = await api('models');
  } catch (error) {
    say('models-status', error.message, 'problem');
    return;
  }
  const test = (m) => m.test ?? m.validation;
  document.getElementById('models-table').replaceChildren(table(list.models, [
    ['Version', (m) => el('span', {}, m.version, m.is_production ? el('span', { class: 'badge', 'data-production': 'true' }, ' production') : '')],
    ['Created', (m) => when(m.created_at)],
    ['Started from', (m) => m.parent_version ?? '–'],
    ['Threshold', (m) => percent(m.threshold), 'num'],
    ['Accuracy', (m) => percent(test(m).accuracy), 'num'],
    ['Sensitivity', (m) => percent(test(m).recall), 'num'],
    ['Specificity', (m) => percent(test(m).specificity), 'num'],
    ['ROC-AUC', (m) => number(test(m).auc), 'num'],
    ['Test images', (m) => (m.test ? m.test.count : 'none (validation shown)'), 'num'],
  ]));
  for (const [id, index] of [['compare-a', 0], ['compare-b', 1]]) {
    const select = document.getElementById(id);
    const previous = select.value;
    select.replaceChildren(...list.models.map((m) => el('option', { value: m.version }, m.version + (m.is_production ? ' (production)' : ''))));
    const fallback = list.models[Math.min(index, list.models.length - 1)]?.version;
    select.value = list.models.some((m) => m.version === previous) ? previous : fallback;
  }
  await compare();
  history();
}

async function card(version) {
  if (!cards.has(version)) cards.set(version, await api(`models/${encodeURIComponent(version)}`));
  return cards.get(version);
}

async function compare() {
  const a = document.getElementById('compare-a').value;
  const b = document.getElementById('compare-b').value;
  if (!a) return;
  const versions = a === b ? [a] : [a, b];
  const loaded = await Promise.all(versions.map(card));
  const rows = [
    ['Split shown', (c) => (c.test ? `test (${c.test.count} images)` : `validation (${c.validation.count})`)],
    ['Threshold', (c) => percent(c.threshold)],
    ['Accuracy', (c) => percent(report(c).accuracy)],
    ['Sensitivity (recall)', (c) => percent(report(c).recall)],
    ['Specificity', (c) => percent(report(c).specificity)],
    ['Precision', (c) => percent(report(c).precision)],
    ['ROC-AUC', (c) => number(report(c).rocAuc)],
    ['PR-AUC', (c) => number(report(c).prAuc)],
    ['Calibration error (ECE)', (c) => number(report(c).expectedCalibrationError)],
    ['Brier score', (c) => number(report(c).brierScore)],
    ['Trained on (normal / pneumonia)', (c) => `${c.dataset.trainNormal} / ${c.dataset.trainPneumonia}`],
    ['Epochs, batch size, fine-tune', (c) => `${c.training.epochs}, ${c.training.batchSize}, ${c.training.fineTune ? 'yes' : 'no'}`],
    ['Architecture', (c) => `${c.architecture.name}, ${c.preprocessing.inputSize} px`],
  ];
  document.getElementById('compare-table').replaceChildren(table(rows, [
    ['', (r) => r[0]],
    ...loaded.map((c, i) => [`${i === 0 ? 'A' : 'B'}: ${c.version}`, (r) => r[1](c), 'num']),
  ], 'Side by side'));
  const colour = [colours.a, colours.b];
  await draw('chart-roc', [
    ...loaded.map((c, i) => ({ name: `${i ? 'B' : 'A'} ${c.version}`, x: report(c).rocCurve.map((p) => p.falsePositiveRate), y: report(c).rocCurve.map((p) => p.truePositiveRate), mode: 'lines', line: { color: colour[i] } })),
    { name: 'chance', x: [0, 1], y: [0, 1], mode: 'lines', line: { dash: 'dot', color: '#6b7480' } },
  ], { xaxis: { title: 'false positive rate' }, yaxis: { title: 'true positive rate (sensitivity)' } });
  await draw('chart-pr', loaded.map((c, i) => {
    const r = report(c);
    // Precision-recall from the ROC points: TP = tpr * positives, FP = fpr * negatives.
    const points = r.rocCurve.filter((p) => p.truePositiveRate > 0).map((p) => {
      const tp = p.truePositiveRate * r.positives;
      return [p.truePositiveRate, tp / (tp + p.falsePositiveRate * r.negatives)];
    });
    return { name: `${i ? 'B' : 'A'} ${c.version}`, x: points.map((p) => p[0]), y: points.map((p) => p[1]), mode: 'lines', line: { color: colour[i] } };
  }), { xaxis: { title: 'recall (sensitivity)' }, yaxis: { title: 'precision', range: [0, 1.02] } });
  await draw('chart-cal', [
    ...loaded.map((c, i) => {
      const bins = report(c).calibrationBins.filter((bin) => bin.count > 0);
      return { name: `${i ? 'B' : 'A'} ${c.version}`, x: bins.map((bin) => bin.meanPredicted), y: bins.map((bin) => bin.fractionPositive), text: bins.map((bin) => `${bin.count} images`), mode: 'lines+markers', line: { color: colour[i] } };
    }),
    { name: 'perfect', x: [0, 1], y: [0, 1], mode: 'lines', line: { dash: 'dot', color: '#6b7480' } },
  ], { xaxis: { title: 'predicted probability' }, yaxis: { title: 'observed share with pneumonia' } });
  document.getElementById('confusion').replaceChildren(...loaded.map((c, i) => confusion(c, i)));
}

const report = (c) => c.test ?? c.validation;

function confusion(c, i) {
  const m = report(c).confusionMatrix;
  const cell = (n, what) => el('td', { class: 'num' }, el('strong', {}, n), el('br'), el('span', { class: 'small' }, what));
  return el('article', { class: 'card' }, el('h3', {}, `Confusion matrix ${i ? 'B' : 'A'}: ${c.version}`),
    el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', { scope: 'col' }, 'model says PNEUMONIA'), el('th', { scope: 'col' }, 'model says NORMAL'))),
      el('tbody', {},
        el('tr', {}, el('th', { scope: 'row' }, 'really PNEUMONIA'), cell(m.truePositives, 'caught'), cell(m.falseNegatives, 'missed')),
        el('tr', {}, el('th', { scope: 'row' }, 'really NORMAL'), cell(m.falsePositives, 'false alarms'), cell(m.trueNegatives, 'correct')))));
}

async function history() {
  try {
    const decisions = await api('models/history');
    document.getElementById('models-history').replaceChildren(decisions.length === 0 ? el('p', {}, 'No promotions yet.') : table([...decisions].sort((x, y) => y.at.localeCompare(x.at)), [
      ['When', (d) => when(d.at)], ['Version', (d) => d.model_version], ['Result', (d) => (d.promoted ? 'became production' : 'refused')],
      ['Replaced', (d) => d.previous_version ?? '–'], ['Forced', (d) => (d.forced ? 'yes' : 'no')], ['Reason', (d) => d.reason],
      ['More', (d) => extras(d, ['status', 'model_version', 'promoted', 'previous_version', 'forced', 'reason', 'at']) ?? ''],
    ]));
  } catch (error) {
    say(document.getElementById('models-history'), error.message, 'problem');
  }
}

async function promote() {
  const version = document.getElementById('compare-a').value;
  if (!version) return;
  if (!await confirmAction('Make this model production?', `${version} will answer every prediction from now on, if it passes the promotion gate (it must do at least as well as the current production model).`, 'Make production')) return;
  try {
    const decision = await api(`select-model?model_name=${encodeURIComponent(version)}`, { method: 'POST' });
    say('models-status', `${decision.model_version} is production now. ${decision.reason}`, 'ok');
  } catch (error) {
    say('models-status', error.message, 'problem');
    if (error.status === 409 && await confirmAction('Promote anyway?', `The promotion gate refused ${version}: ${error.problem.reason ?? error.message} Forcing it is recorded in the history.`, 'Force promotion')) {
      try {
        const forced = await api(`select-model?model_name=${encodeURIComponent(version)}&force=true&reason=${encodeURIComponent('forced from the web app')}`, { method: 'POST' });
        say('models-status', `${forced.model_version} is production now (forced).`, 'ok');
      } catch (again) {
        say('models-status', again.message, 'problem');
      }
    }
  }
  refresh();
}

async function rollback() {
  const current = list?.production ?? 'the current model';
  if (!await confirmAction('Roll back?', `Production goes back from ${current} to the model it replaced. Nothing is deleted.`, 'Roll back')) return;
  try {
    const decision = await api('models/rollback', { method: 'POST' });
    say('models-status', `Rolled back: ${decision.model_version} is production again.`, 'ok');
  } catch (error) {
    say('models-status', error.message, 'problem');
  }
  refresh();
}
