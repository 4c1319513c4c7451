// The client side of the silence API, for `stormwatch silence add | list | expire`.

export interface SilenceView {
  id: string;
  matchers: string[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  updatedAt: string;
  state: 'pending' | 'active' | 'expired';
}

export interface NewSilence {
  /** Client-chosen, so every replica holds the same silence. */
  id?: string;
  matchers: string[];
  startsAt?: string;
  endsAt?: string;
  duration?: string;
  createdBy: string;
  comment: string;
}

/** Calls the silence API; throws one line naming the HTTP status and the server's problems. */
async function call<T>(baseUrl: string, token: string, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = (await res.json().catch(() => ({}))) as T & { error?: string; problems?: string[] };
  if (res.status >= 300) throw new Error(`HTTP ${res.status}: ${json.error ?? 'error'}${json.problems ? `: ${json.problems.join('; ')}` : ''}`);
  return json;
}

export const addSilence = (url: string, token: string, s: NewSilence) => call<SilenceView>(url, token, 'POST', '/api/v1/silences', s);
export const listSilences = async (url: string, token: string) => (await call<{ silences: SilenceView[] }>(url, token, 'GET', '/api/v1/silences')).silences;
export const expireSilenceAt = (url: string, token: string, id: string) => call<SilenceView>(url, token, 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`);

/** One line per silence, as `silence list` prints them. */
export function silenceLine(s: SilenceView): string {
  return `${s.id}  ${s.state.padEnd(7)}  ${s.startsAt} -> ${s.endsAt}  {${s.matchers.join(', ')}}  by ${s.createdBy}: ${s.comment}`;
}
