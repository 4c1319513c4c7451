// `stormwatch deploy --wait`: polls the verdict, reports progress, and maps the outcome to an exit
// code a CI job can branch on. Connection failures are retried until the deadline (a replica
// restarting is not a failed deploy); with several URLs (an HA pair) the next one is tried.

import type { DeployRecord } from './types.js';

/** Exit codes of `stormwatch deploy --wait` (documented in the README and in `deploy --help`). */
export const DEPLOY_EXIT = { pass: 0, error: 1, usage: 2, fail: 3, inconclusive: 4, timeout: 5 } as const;

export type WaitOutcome =
  | { kind: 'decided'; record: DeployRecord }
  | { kind: 'timeout'; record?: DeployRecord }
  | { kind: 'error'; message: string };

export interface WaitOptions {
  deadlineMs: number;
  pollMs: number;
  /** One line of progress (stderr). */
  progress: (line: string) => void;
  /** Progress is also repeated this often while nothing changes. */
  heartbeatMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Sent as a bearer token: reads need it when deploys.publicReads is false. */
  token?: string;
}

export function exitCodeFor(outcome: WaitOutcome): number {
  if (outcome.kind === 'error') return DEPLOY_EXIT.error;
  if (outcome.kind === 'timeout') return DEPLOY_EXIT.timeout;
  const v = outcome.record.verdict;
  // A deploy superseded by a newer one before its window ended was never judged: inconclusive.
  return v === 'pass' ? DEPLOY_EXIT.pass : v === 'fail' ? DEPLOY_EXIT.fail : v === 'inconclusive' || v === 'superseded' ? DEPLOY_EXIT.inconclusive : DEPLOY_EXIT.timeout;
}

export function describeProgress(r: DeployRecord, nowMs: number): string {
  const head = `deploy ${r.service} ${r.version} (${r.id})`;
  if (r.verdict === 'pending') {
    const left = Math.max(0, Math.ceil((r.windowEndsAtMs - nowMs) / 1000));
    const judged = new Set(r.evidence.map((e) => e.signal).filter((s) => s !== '')).size;
    return `${head}: pending, ${left}s left in the window; ${judged} signal(s) judged so far, none regressed`;
  }
  return `${head}: ${r.verdict}: ${r.reasons.join('; ') || 'no reason given'}`;
}

export async function waitForVerdict(urls: readonly string[], id: string, options: WaitOptions): Promise<WaitOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fetchFn = options.fetch ?? fetch;
  const heartbeatMs = options.heartbeatMs ?? 60_000;
  let last: DeployRecord | undefined;
  let lastLine = '';
  let lastLineAt = Number.NEGATIVE_INFINITY;
  let lastError = '';
  for (;;) {
    let unknownEverywhere = true;
    let answered = false;
    for (const base of urls) {
      try {
        const res = await fetchFn(`${base}/api/v1/deploys/${encodeURIComponent(id)}`, { ...(options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}), signal: AbortSignal.timeout(Math.max(1000, Math.min(10_000, options.pollMs * 2))) });
        if (res.status === 404) {
          await res.body?.cancel();
          continue;
        }
        unknownEverywhere = false;
        if (![200, 412, 425].includes(res.status)) throw new Error(`HTTP ${res.status}`);
        last = (await res.json()) as DeployRecord;
        answered = true;
        if (lastError) options.progress(`${base} answers again`);
        lastError = '';
        break;
      } catch (error) {
        unknownEverywhere = false;
        const cause = (error as { cause?: { code?: string } }).cause;
        const text = `${base}: ${cause?.code ?? (error as Error).message}`;
        if (text !== lastError) options.progress(`could not read the verdict (${text}); retrying until the deadline`);
        lastError = text;
      }
    }
    if (!answered && unknownEverywhere) return { kind: 'error', message: `deploy ${id} is unknown to stormwatch at ${urls.join(', ')}` };
    if (last && last.verdict !== 'pending') {
      options.progress(describeProgress(last, now()));
      return { kind: 'decided', record: last };
    }
    if (last) {
      const line = describeProgress(last, now());
      const changed = line.replace(/\d+s left/, '') !== lastLine.replace(/\d+s left/, '');
      if (changed || now() - lastLineAt >= heartbeatMs) {
        options.progress(line);
        lastLine = line;
        lastLineAt = now();
      }
    }
    if (now() + options.pollMs > options.deadlineMs) {
      if (!last && lastError) return { kind: 'error', message: `no stormwatch answered before the deadline: ${lastError}` };
      return last ? { kind: 'timeout', record: last } : { kind: 'timeout' };
    }
    await sleep(options.pollMs);
  }
}
