// Actions that need the API key are disabled, with a note saying so, while no key has been entered.
import { keyMissing } from './api.js';

/** Re-evaluates every [data-needs-key] button: disabled when the key is missing or the page turned it off. */
export function markKeyActions() {
  const missing = keyMissing();
  for (const button of document.querySelectorAll('[data-needs-key]')) {
    let note = button.nextElementSibling?.classList.contains('needs-key') ? button.nextElementSibling : null;
    if (missing && !note) {
      note = Object.assign(document.createElement('span'), { className: 'needs-key', id: `${button.id}-key`, textContent: 'Needs the API key (top of the page)' });
      button.after(note);
      button.setAttribute('aria-describedby', note.id);
    }
    if (!missing && note) { note.remove(); button.removeAttribute('aria-describedby'); }
    button.disabled = missing || button.hasAttribute('data-off');
  }
}

/** Turns an action on or off for a page reason (busy, nothing to cancel); the key rule still applies on top. */
export function setEnabled(button, enabled) {
  button.toggleAttribute('data-off', !enabled);
  button.disabled = !enabled || (button.hasAttribute('data-needs-key') && keyMissing());
}
