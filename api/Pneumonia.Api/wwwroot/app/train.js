// Train: start a retrain, follow it live through Server-Sent Events (GET jobs/{id}/events), cancel, see the decision.
import { api, loadSettings } from './api.js';
import { el, say, facts, extras, table, percent, number, duration, when } from './ui.js';
import { draw, colours } from './charts.js';
import { setEnabled } from './keys.js';

// Fields the progress view shows itself; any other field of a job (new gate figures, ...) appears under the decision.
const KNOWN = ['running', 'progress', 'status', 'job_id', 'phase', 'epoch', 'epochs', 'batch', 'batches_per_epoch', 'batch_size',
  'fine_tune', 'loss', 'accuracy', 'validation_auc', 'eta_seconds', 'parent_version', 'result_version', 'promoted',
  'promotion_reason', 'error', 'created_at', 'started_at', 'finished_at', 'history'];
let source = null;
let following = null;
let live = [];
// Per finished epoch while the job runs (the job's own history arrives when it ends): loss, accuracy, validation AUC.
let perEpoch = new Map();
let pending = null;
let newest = null;

export async function init() {
  const settings = await loadSettings();
  document.getElementById('train-epochs').max = settings.max_epochs;
  document.getElementById('train-batch').max = settings.max_batch_size;
  document.getElementById('train-form').addEventListener('submit', start);
  document.getElementById('train-cancel').addEventListener('click', cancel);
}

export async function show() {
  try {
    const latest = await api('retrain-progress');
    if (latest.job_id) {
      render(latest);
      if (latest.running) follow(latest.job_id);
    }
  } catch (error) {
    say('train-status', error.message, 'problem');
  }
  jobs();
}

async function start(e) {
  e.preventDefault();
  const epochs = document.getElementById('train-epochs').value;
  const batch = document.getElementById('train-batch').value;
  const fineTune = document.getElementById('train-finetune').checked;
  const button = document.getElementById('train-start');
  setEnabled(button, false);
  try {
    const started = await api(`retrain?epochs=${epochs}&batch_size=${batch}&fine_tune=${fineTune}`, { method: 'POST' });
    say('train-status', `Retraining started (job ${started.job_id}).`, 'ok');
    document.getElementById('train-decision').replaceChildren();
    follow(started.job_id);
    jobs();
  } catch (error) {
    say('train-status', error.message, 'problem');
    setEnabled(button, true);
  }
}

async function cancel() {
  try {
    await api('stop-retrain', { method: 'POST' });
    say('train-status', 'Cancelling… production stays as it is.');
  } catch (error) {
    say('train-status', error.message, 'problem');
  }
}

function follow(jobId) {
  if (following === jobId && source) return;
  source?.close();
  following = jobId;
  live = [];
  perEpoch = new Map();
  source = new EventSource(`jobs/${encodeURIComponent(jobId)}/events`);
  source.addEventListener('progress', (e) => render(JSON.parse(e.data)));
  // EventSource reconnects by itself (and a finished job answers with its 'end' at once); say so meanwhile.
  source.addEventListener('error', () => {
    if (source?.readyState === EventSource.CONNECTING) say('train-status', 'Lost the connection to the server; reconnecting…');
  });
  source.addEventListener('end', (e) => {
    source.close();
    source = null;
    render(JSON.parse(e.data));
    jobs();
  });
}

function render(job) {
  const panel = document.getElementById('train-progress');
  panel.hidden = false;
  document.getElementById('train-charts').hidden = false;
  panel.dataset.status = job.status;
  panel.dataset.jobId = job.job_id;
  const running = job.running;
  setEnabled(document.getElementById('train-start'), !running);
  setEnabled(document.getElementById('train-cancel'), running);
  document.getElementById('train-facts').replaceWith(facts([
    ['Job', job.job_id],
    ['Status', job.status],
    ['Phase', job.phase ?? '–'],
    ['Epoch', `${job.epoch} of ${job.epochs}`],
    ['Batch', `${job.batch} of ${job.batches_per_epoch}`],
    ['Time left (estimate)', running ? duration(job.eta_seconds) : '–'],
    ['Training loss', number(job.loss)],
    ['Training accuracy', percent(job.accuracy)],
    ['Validation ROC-AUC', number(job.validation_auc)],
  ], { id: 'train-facts' }));
  const overall = document.getElementById('train-overall');
  overall.value = job.progress;
  overall.textContent = `${job.progress}%`;
  overall.setAttribute('aria-valuetext', `${job.progress.toFixed(0)} percent`);
  const batchBar = document.getElementById('train-batchbar');
  batchBar.max = Math.max(1, job.batches_per_epoch);
  batchBar.value = job.batch;
  if (running && job.loss !== null && job.batches_per_epoch > 0 && job.epoch > 0) {
    live.push([job.epoch - 1 + job.batch / job.batches_per_epoch, job.loss]);
  }
  if (running) track(job);
  panel.dataset.epochsDone = history(job).length;
  if (running) say('train-status', `Job ${job.job_id}: ${job.phase}, ${job.progress.toFixed(0)}% done.`);
  else decision(job);
  curves(job, !running);
}

function decision(job) {
  const words = {
    completed: job.promoted ? 'Finished: the new model passed the promotion gate and is now production.'
      : 'Finished: the new model was kept but did not replace production.',
    failed: 'The retraining failed; production is unchanged.',
    cancelled: 'The retraining was cancelled; production is unchanged.',
  }[job.status] ?? job.status;
  say('train-status', words, job.status === 'failed' ? 'problem' : '');
  document.getElementById('train-decision').replaceChildren(el('section', { class: 'panel', id: 'train-decision-panel', 'data-status': job.status },
    el('h3', {}, 'Result'),
    el('p', {}, words),
    facts([
      ['New version', job.result_version ?? '–'],
      ['Started from', job.parent_version ?? '–'],
      ['Became production', job.promoted === null ? '–' : job.promoted ? 'yes' : 'no'],
      ['Duration', job.started_at && job.finished_at ? duration((new Date(job.finished_at) - new Date(job.started_at)) / 1000) : '–'],
    ]),
    job.promotion_reason ? el('p', { id: 'train-reason' }, el('strong', {}, 'Gate decision: '), job.promotion_reason) : null,
    job.error ? el('p', { class: 'problem' }, job.error) : null,
    extras(job, KNOWN)));
}

// Events can come every 100 ms: charts are redrawn at most every 400 ms, always ending on the latest state.
function curves(job, final) {
  newest = job;
  if (final) { clearTimeout(pending); pending = null; drawCurves(job); return; }
  pending ??= setTimeout(() => { pending = null; drawCurves(newest); }, 400);
}

// During epoch e the job reports its running training loss and the validation AUC of epoch e - 1.
function track(job) {
  if (job.epoch < 1) return;
  const current = perEpoch.get(job.epoch) ?? { epoch: job.epoch };
  if (job.loss !== null) Object.assign(current, { training_loss: job.loss, training_accuracy: job.accuracy });
  perEpoch.set(job.epoch, current);
  const previous = perEpoch.get(job.epoch - 1);
  if (previous && job.validation_auc !== null) previous.validation_auc = job.validation_auc;
}

/** Finished epochs: the job's own history once it has one, else what the live events told. */
function history(job) {
  if (job.history?.length) return job.history;
  return [...perEpoch.values()].filter((e) => e.validation_auc !== undefined).sort((a, b) => a.epoch - b.epoch);
}

function drawCurves(job) {
  const h = history(job);
  const points = [...live].sort((a, b) => a[0] - b[0]);
  draw('chart-loss', [
    { name: 'training loss (live)', x: points.map((p) => p[0]), y: points.map((p) => p[1]), mode: 'lines', line: { color: '#9aa3ad' } },
    { name: 'training loss per epoch', x: h.map((e) => e.epoch), y: h.map((e) => e.training_loss), mode: 'lines+markers', line: { color: colours.a } },
    { name: 'validation loss', x: h.map((e) => e.epoch), y: h.map((e) => e.validation_loss), mode: 'lines+markers', line: { color: colours.b } },
  ], { xaxis: { title: 'epoch' } });
  draw('chart-val', [
    { name: 'validation ROC-AUC', x: h.map((e) => e.epoch), y: h.map((e) => e.validation_auc), mode: 'lines+markers', line: { color: colours.b } },
    { name: 'training accuracy', x: h.map((e) => e.epoch), y: h.map((e) => e.training_accuracy), mode: 'lines+markers', line: { color: colours.a } },
  ], { xaxis: { title: 'epoch', dtick: 1 }, yaxis: { range: [0, 1.02] } });
}

async function jobs() {
  try {
    const list = await api('jobs');
    document.getElementById('train-jobs').replaceChildren(list.count === 0 ? el('p', {}, 'No retraining yet.') : table(list.jobs.slice(0, 10), [
      ['Job', (j) => j.job_id], ['Status', (j) => j.status], ['Epochs', (j) => j.epochs, 'num'], ['Started', (j) => when(j.started_at)],
      ['New version', (j) => j.result_version ?? '–'], ['Production?', (j) => (j.promoted === null ? '–' : j.promoted ? 'yes' : 'no')],
      ['Gate decision', (j) => j.promotion_reason ?? j.error ?? ''],
    ]));
  } catch (error) {
    say(document.getElementById('train-jobs'), error.message, 'problem');
  }
}
