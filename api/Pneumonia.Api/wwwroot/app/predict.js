// Predict: one or many X-rays (or zips of them) -> label, calibrated probability against the threshold, heatmap.
import { api, form, loadSettings, ApiError } from './api.js';
import { el, percent, say, dropZone, extras } from './ui.js';
import { imagesInZip } from './zip.js';

// Fields every prediction has; anything else the API adds (an out-of-distribution score, ...) is shown generically.
const KNOWN = ['name', 'status', 'label', 'confidence', 'probability', 'model_version', 'threshold', 'elapsed_ms', 'error_code', 'error', 'heatmap', 'out_of_distribution'];

export function init() {
  dropZone(document.getElementById('predict-drop'), document.getElementById('predict-files'), run);
}

async function expand(files, settings) {
  const images = [];
  const problems = [];
  for (const file of files) {
    if (!/\.zip$/i.test(file.name)) { images.push(file); continue; }
    try {
      const { files: inside, skipped } = await imagesInZip(file, { maxBytes: settings.max_image_bytes });
      images.push(...inside);
      problems.push(...skipped.map((s) => ({ name: `${file.name}: ${s.name}`, status: 'error', error: `Skipped: ${s.reason}.` })));
    } catch (error) {
      problems.push({ name: file.name, status: 'error', error: error.message });
    }
  }
  return { images, problems };
}

async function run(files) {
  const results = document.getElementById('predict-results');
  results.replaceChildren();
  const settings = await loadSettings();
  const { images, problems } = await expand(files, settings);
  say('predict-status', `Checking ${images.length} image${images.length === 1 ? '' : 's'}…`);
  if (images.length === 1) {
    // One image: /predict, with its heatmap straight away.
    try {
      const result = await api('predict?heatmap=true', { method: 'POST', body: form('file', images) });
      results.prepend(card(images[0], { ...result, name: images[0].name, status: 'ok' }));
    } catch (error) {
      results.prepend(card(images[0], failure(images[0].name, error)));
    }
  } else {
    // Many: /predict/batch in chunks of the server's limit, one card per file in the order sent.
    for (let i = 0; i < images.length; i += settings.max_batch_files) {
      const chunk = images.slice(i, i + settings.max_batch_files);
      try {
        const answer = await api('predict/batch', { method: 'POST', body: form('files', chunk) });
        answer.results.forEach((item, j) => results.append(card(chunk[j], item)));
      } catch (error) {
        chunk.forEach((file) => results.append(card(file, failure(file.name, error))));
      }
    }
  }
  // What could not even be sent (entries of a zip that are not images) comes after the answers.
  for (const p of problems) results.append(card(null, p));
  const ok = results.querySelectorAll('.card[data-status=ok]').length;
  const failed = results.querySelectorAll('.card.error').length;
  say('predict-status', `${ok} image${ok === 1 ? '' : 's'} checked` + (failed ? `; ${failed} could not be checked (reasons below).` : '.'));
}

const failure = (name, error) => ({
  name, status: 'error',
  error_code: error instanceof ApiError ? error.problem.code ?? error.problem.title : undefined,
  error: error.message,
});

function card(file, item) {
  if (item.status !== 'ok') {
    return el('article', { class: 'card error', 'data-status': 'error' },
      el('h3', {}, item.name),
      el('p', {}, el('strong', {}, 'Not checked: '), item.error ?? 'the image could not be classified.'),
      item.error_code ? el('p', { class: 'small' }, `Code: ${item.error_code}`) : null);
  }
  const url = URL.createObjectURL(file);
  const overlay = el('img', { alt: `Heatmap of ${item.name}: coloured where the model saw signs of pneumonia`, class: 'heatmap', hidden: true });
  const picture = el('div', { class: 'picture' }, el('img', { src: url, alt: `X-ray ${item.name}` }), overlay);
  const id = `hm-${Math.random().toString(36).slice(2)}`;
  const blend = el('input', { type: 'range', min: 0, max: 100, value: 70, id: `${id}-blend`, disabled: true,
    oninput: () => { overlay.style.opacity = blend.value / 100; } });
  const toggle = el('input', { type: 'checkbox', id, onchange: () => showHeatmap(toggle.checked) });
  const note = el('span', { class: 'small', role: 'status' });
  let loaded = Boolean(item.heatmap);
  if (loaded) overlay.src = `data:image/png;base64,${item.heatmap}`;

  async function showHeatmap(on) {
    if (on && !loaded) {
      // Batch answers carry no heatmap: ask /predict for this one image when the person wants to see it.
      note.textContent = 'Loading heatmap…';
      try {
        const one = await api('predict?heatmap=true', { method: 'POST', body: form('file', [file]) });
        overlay.src = `data:image/png;base64,${one.heatmap}`;
        loaded = true;
        note.textContent = '';
      } catch (error) {
        note.textContent = error.message;
        toggle.checked = false;
        return;
      }
    }
    overlay.hidden = !on;
    overlay.style.opacity = blend.value / 100;
    blend.disabled = !on;
  }

  const ood = item.out_of_distribution;
  return el('article', { class: 'card', 'data-status': 'ok', 'data-label': item.label },
    el('h3', {}, item.name),
    picture,
    el('p', {}, el('span', { class: `label ${item.label}` }, item.label), ' — ', `probability of pneumonia ${percent(item.probability)}`),
    gauge(item.probability, item.threshold),
    el('p', { class: 'small' }, explain(item)),
    ood === true || (ood && typeof ood === 'object' && ood.flagged)
      ? el('p', { class: 'warn', 'data-ood': 'true' }, 'This image does not look like the chest X-rays the model learnt from. Do not trust this result.')
      : null,
    el('div', { class: 'controls' },
      el('label', { for: id }, toggle, 'Show heatmap'),
      el('label', { for: `${id}-blend` }, 'Blend', blend), note),
    el('p', { class: 'small' }, `Model ${item.model_version}`),
    ood && typeof ood === 'object' ? extras(ood, ['flagged']) : null,
    extras(item, KNOWN));
}

function explain(item) {
  const side = item.probability >= item.threshold ? 'at or above' : 'below';
  return `The threshold is ${percent(item.threshold)}: this image is ${side} it, so it is labelled ${item.label}. ` +
    'The probability is calibrated: of many images given about this value, about that share had pneumonia.';
}

function gauge(probability, threshold) {
  return el('div', { class: 'gauge', role: 'img', 'aria-label': `Probability ${percent(probability)}, threshold ${percent(threshold)}` },
    el('div', { class: 'fill', style: `width:${(probability * 100).toFixed(1)}%` }),
    el('div', { class: 'mark', style: `left:calc(${(threshold * 100).toFixed(1)}% - 1px)`, title: 'threshold' }));
}
