// The shell: tabs (one page each, addressable as #predict ... #system), the API key prompt, and marking actions
// that need the key before the person tries them.
import { api, apiKey, setApiKey, loadSettings, keyMissing, ApiError } from './api.js';
import { say } from './ui.js';
import { markKeyActions } from './keys.js';
import * as predict from './predict.js';
import * as data from './data.js';
import * as train from './train.js';
import * as models from './models.js';
import * as system from './system.js';

const pages = { predict, data, train, models, system };
const started = new Set();

function select(name, focus = false) {
  if (!pages[name]) name = 'predict';
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const selected = tab.dataset.page === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
    document.getElementById(tab.getAttribute('aria-controls')).hidden = !selected;
  }
  if (!started.has(name)) { started.add(name); pages[name].init(); }
  pages[name].show?.();
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
}

function tabs() {
  const list = [...document.querySelectorAll('[role=tab]')];
  for (const tab of list) {
    tab.addEventListener('click', () => select(tab.dataset.page));
    tab.addEventListener('keydown', (e) => {
      const i = list.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      select(list[(next + list.length) % list.length].dataset.page, true);
    });
  }
  window.addEventListener('hashchange', () => select(location.hash.slice(1)));
}

function keyForm(settings) {
  const form = document.getElementById('key-form');
  const set = document.getElementById('key-set');
  const refresh = () => {
    form.hidden = !settings.api_key_required || Boolean(apiKey());
    set.hidden = !settings.api_key_required || !apiKey();
    markKeyActions();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = document.getElementById('key-input');
    setApiKey(input.value.trim());
    try {
      await api('webapp/key');
      input.value = '';
      say('key-status', '');
    } catch (error) {
      setApiKey(null);
      say('key-status', error instanceof ApiError && error.status === 403 ? 'That is not this server\'s API key.' : error.message, 'problem');
    }
    refresh();
  });
  document.getElementById('key-forget').addEventListener('click', () => { setApiKey(null); refresh(); });
  refresh();
}

async function start() {
  tabs();
  try {
    keyForm(await loadSettings());
  } catch (error) {
    document.getElementById('main').prepend(Object.assign(document.createElement('p'), { className: 'problem', textContent: `The server did not answer: ${error.message}` }));
  }
  select(location.hash.slice(1));
}

start();
