// Calls to the REST API on the same origin, with the API key (kept in sessionStorage only) when one was entered.
const KEY = 'pneumonia.apiKey';
let settings = null;

export const apiKey = () => sessionStorage.getItem(KEY);
export const setApiKey = (key) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY));

/** What the server needs (API key, limits, mode): asked once per page load. */
export async function loadSettings() {
  settings ??= await api('webapp/settings');
  return settings;
}

/** True when the action needs the API key and none has been entered. */
export const keyMissing = () => Boolean(settings?.api_key_required) && !apiKey();

/** An error answer of the API: its ProblemDetails (title, detail, errors) and status. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(status, problem));
    this.status = status;
    this.problem = problem ?? {};
  }
}

/** Words for a person from a ProblemDetails body. */
export function problemText(status, problem) {
  if (!problem) return `The server answered ${status}.`;
  const parts = [problem.detail || problem.title || `The server answered ${status}.`];
  for (const messages of Object.values(problem.errors ?? {})) {
    for (const m of messages) if (!parts[0].includes(m)) parts.push(m);
  }
  return parts.join(' ');
}

/** fetch + JSON + ProblemDetails; relative paths, so the app also works under a path prefix. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  const key = apiKey();
  if (key) headers['X-API-Key'] = key;
  const response = await fetch(path, { method, body, headers });
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A multipart form from files under one field name, plus extra fields. */
export function form(field, files, extra = {}) {
  const data = new FormData();
  for (const file of files) data.append(field, file, file.name);
  for (const [name, value] of Object.entries(extra)) if (value !== undefined && value !== '') data.append(name, value);
  return data;
}
