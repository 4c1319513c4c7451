// Argo Rollouts' analysis of one web metric, ported from argoproj/argo-rollouts so tests replay its
// exact requests and judge the answers by its rules:
// - metricproviders/webmetric/webmetric.go: request (method, headers, jsonBody with Content-Type
//   application/json), non-2xx = measurement Error, JSON body, jsonPath (default {$})
// - utils/evaluate/evaluate.go EvaluateResult: success/failure conditions -> Successful, Failed,
//   Inconclusive (neither holds)
// - analysis/analysis.go: counters per measurement phase, assessMetricStatus with failureLimit,
//   inconclusiveLimit, consecutiveErrorLimit (default 4), consecutiveSuccessLimit, count.

export interface WebMetric {
  name: string;
  interval?: string;
  count?: number;
  failureLimit?: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit?: number;
  consecutiveSuccessLimit?: number;
  successCondition?: string;
  failureCondition?: string;
  provider: { web: { method?: string; url: string; headers?: { key: string; value: string }[]; jsonBody?: unknown; body?: string; jsonPath?: string; timeoutSeconds?: number } };
}

export type Phase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error' | 'Running';

export interface Measurement {
  phase: Exclude<Phase, 'Running'>;
  status?: number;
  value?: unknown;
  message?: string;
}

/** Substitutes {{args.NAME}} (spaces allowed) everywhere in a template value, as Argo resolves args. */
export function resolveArgs<T>(value: T, args: Record<string, string>): T {
  const text = JSON.stringify(value).replace(/\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g, (_, name: string) => {
    if (!(name in args)) throw new Error(`argument ${name} not given`);
    return JSON.stringify(args[name]).slice(1, -1);
  });
  return JSON.parse(text) as T;
}

/**
 * Evaluates a condition written in the subset where Argo's expr language and JavaScript agree
 * (`result.field == "text"`, `||`, `&&`, parentheses); anything else fails the test.
 */
export function evalCondition(condition: string, result: unknown): boolean {
  if (!/^(\s|result(\.[A-Za-z_]+)*|==|!=|\|\||&&|\(|\)|"[^"]*"|true|false|\d+)*$/.test(condition)) throw new Error(`condition outside the tested subset: ${condition}`);
  const js = condition.replace(/==|!=/g, (op) => `${op}=`);
  return Boolean(new Function('result', `return (${js});`)(result));
}

function jsonPathValue(data: unknown, jsonPath: string | undefined): unknown {
  const path = jsonPath ?? '{$}';
  const m = /^\{\$((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}$/.exec(path);
  if (!m) throw new Error(`jsonPath outside the tested subset: ${path}`);
  let v = data;
  for (const key of m[1]!.split('.').filter(Boolean)) v = (v as Record<string, unknown>)?.[key];
  return v;
}

export function evaluateResult(metric: WebMetric, value: unknown): Exclude<Phase, 'Running' | 'Error'> {
  let success = false;
  let failure = false;
  if (metric.successCondition) success = evalCondition(metric.successCondition, value);
  if (metric.failureCondition) failure = evalCondition(metric.failureCondition, value);
  if (!metric.successCondition && !metric.failureCondition) return 'Successful';
  if (metric.successCondition && !metric.failureCondition) failure = !success;
  if (!metric.successCondition && metric.failureCondition) success = !failure;
  if (failure) return 'Failed';
  if (!success) return 'Inconclusive';
  return 'Successful';
}

/** One measurement, as webmetric.go Run builds and judges it. */
export async function measure(metric: WebMetric): Promise<Measurement> {
  const web = metric.provider.web;
  const method = web.method ?? 'GET';
  if (web.body && web.jsonBody) return { phase: 'Error', message: 'use either Body or JSONBody' };
  const headers: Record<string, string> = {};
  for (const h of web.headers ?? []) headers[h.key] = h.value;
  let body: string | undefined = web.body || undefined;
  if (web.jsonBody !== undefined) {
    body = JSON.stringify(web.jsonBody);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(web.url, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout((web.timeoutSeconds ?? 10) * 1000) });
  } catch (error) {
    return { phase: 'Error', message: String(error) };
  }
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) return { phase: 'Error', status: res.status, message: `received non 2xx response code: ${res.status}` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { phase: evaluateResult(metric, text), status: res.status, value: text };
  }
  const value = jsonPathValue(data, web.jsonPath);
  return { phase: evaluateResult(metric, value), status: res.status, value };
}

export interface MetricResult {
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  consecutiveSuccess: number;
  measurements: Measurement[];
}

export function assessMetricStatus(metric: WebMetric, r: MetricResult): Phase {
  if (r.measurements.length === 0) return 'Running';
  let phase: Phase | undefined;
  if ((metric.failureLimit ?? 0) >= 0 && r.failed > (metric.failureLimit ?? 0)) phase = 'Failed';
  if (r.inconclusive > (metric.inconclusiveLimit ?? 0)) phase = 'Inconclusive';
  if (r.consecutiveError > (metric.consecutiveErrorLimit ?? 4)) phase = 'Error';
  if (phase) return phase;
  const successLimit = metric.consecutiveSuccessLimit ?? 0;
  if (successLimit > 0 && r.consecutiveSuccess >= successLimit) return 'Successful';
  if (metric.count !== undefined && r.count >= metric.count) {
    const failureApplicable = (metric.failureLimit ?? 0) >= 0;
    if (failureApplicable && successLimit > 0) return 'Inconclusive';
    if (successLimit > 0) return 'Failed';
    return 'Successful';
  }
  return 'Running';
}

/** Runs the metric's measurements every `intervalMs` (the template's interval, scaled for tests) until it completes. */
export async function runAnalysis(metric: WebMetric, intervalMs: number): Promise<{ phase: Exclude<Phase, 'Running'>; result: MetricResult }> {
  const r: MetricResult = { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0, consecutiveSuccess: 0, measurements: [] };
  for (let i = 0; i < 10_000; i++) {
    const m = await measure(metric);
    r.measurements.push(m);
    if (m.phase === 'Error') {
      r.error++;
      r.consecutiveError++;
      r.consecutiveSuccess = 0;
    } else {
      r.count++;
      r.consecutiveError = 0;
      if (m.phase === 'Successful') {
        r.successful++;
        r.consecutiveSuccess++;
      } else {
        r.consecutiveSuccess = 0;
        if (m.phase === 'Failed') r.failed++;
        else r.inconclusive++;
      }
    }
    const phase = assessMetricStatus(metric, r);
    if (phase !== 'Running') return { phase, result: r };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error('analysis did not complete');
}
