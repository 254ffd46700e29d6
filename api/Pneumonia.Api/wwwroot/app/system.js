// System: health, production version, hosting mode, the silos, links to the dashboard and the API reference.
import { api, loadSettings, apiKey } from './api.js';
import { el, say, facts, table, when } from './ui.js';

export function show() { refresh(); }
export function init() {}

async function refresh() {
  const settings = await loadSettings();
  const target = document.getElementById('system-health');
  let health;
  try {
    health = await api('health');
  } catch (error) {
    // 503 still carries the health body: what is not ready and why.
    health = error.problem?.status ? error.problem : null;
    if (!health) { say(target, error.message, 'problem'); return; }
  }
  target.replaceChildren(
    el('p', { class: health.ready ? 'ok' : 'problem', id: 'system-ready' }, health.ready ? 'Ready: predictions are answered.' : `Not ready: ${health.detail ?? ''}`),
    facts([
      ['Production model', health.production_version ?? '–'],
      ['Model answering here', health.model_version ?? '–'],
      ['Production since', when(health.model_since)],
      ['Hosting', settings.mode === 'client' ? 'API as a client of a separate cluster' : 'API with the silo in the same process'],
      ['API key', settings.api_key_required ? 'required for changes' : 'not required (loopback only)'],
      ['Largest image', `${(settings.max_image_bytes / 1024 / 1024).toFixed(0)} MB`],
      ['Images per batch', settings.max_batch_files],
      ['Checked at', when(health.timestamp)],
    ]));
  const links = document.getElementById('system-links');
  if (settings.dashboard && !links.querySelector('[data-dashboard]')) {
    links.prepend(el('li', { 'data-dashboard': true }, el('a', { href: 'dashboard/' }, 'Orleans dashboard'), ' (grains, silos, calls: for engineers)'));
  }
  const silos = document.getElementById('system-silos');
  if (settings.api_key_required && !apiKey()) {
    silos.replaceChildren(el('p', { class: 'needs-key' }, 'The list of silos needs the API key (top of the page).'));
    return;
  }
  try {
    const answer = await api('webapp/silos');
    silos.replaceChildren(table(answer.silos, [
      ['Silo', (s) => s.name], ['Address', (s) => s.address], ['Host', (s) => s.host], ['Status', (s) => s.status],
      ['Started', (s) => when(s.started_at)], ['Last alive', (s) => when(s.last_alive)],
    ]));
  } catch (error) {
    say(silos, error.message, 'problem');
  }
}
