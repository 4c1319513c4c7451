// A minimal client for the Prometheus HTTP query API (also served by Thanos, Mimir, VictoriaMetrics):
// instant and range queries, with timeouts and failures classified by reason.

import { SourceError, classifyFetchError, refusedCredentialsHint, stoppedError } from '../core/errors.js';
import { forEachBodyChunk, readBodyCapped } from './read-body.js';
import { AnswerDecodeError, type MatrixSink, VectorDecoder, type VectorSink, latin1 } from './vector-decoder.js';
import { clip } from '../core/clip.js';
import { parseRetryAfter } from '../core/retry-after.js';

export interface PrometheusClientOptions {
  url: string;
  timeoutMs: number;
  /** Larger answers are refused (default 256 MiB). */
  maxBytes?: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  now?: () => number;
  /** Where the client's settings are in the configuration (source.prometheus): named in hints. */
  setting?: string;
}

/**
 * The longest a Retry-After from Prometheus (or a proxy before it) keeps stormwatch from asking:
 * every tick meanwhile is no data, so a proxy's "wait an hour" must not blind it for an hour.
 */
export const MAX_RETRY_AFTER_MS = 120_000;

interface ApiResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

type VectorSample = { metric: Record<string, string>; value: [number, string] };
type MatrixSeries = { metric: Record<string, string>; values: [number, string][] };

/**
 * A range answer in columns: `series` series, series k's metric object as written (one character a
 * byte) at texts[k], its value at step j values[k · steps + j], there when present[k · steps + j] is 1.
 */
export interface RangeMatrix {
  steps: number;
  series: number;
  texts: string[];
  values: Float64Array;
  present: Uint8Array;
}

/** Prometheus refuses range queries of more than 11,000 points per series. */
export const MAX_POINTS_PER_RANGE_QUERY = 11_000;

export class PrometheusClient {
  private readonly fetchFn: typeof fetch;
  /** A 429 or 503 with Retry-After: no request before this time, and the answer that asked for it. */
  private waitUntilMs = Number.NEGATIVE_INFINITY;
  private waitAskedBy = '';
  /** Aborted by close: the requests in flight are not waited for. */
  private readonly closing = new AbortController();

  constructor(private readonly options: PrometheusClientOptions) {
    this.fetchFn = options.fetch ?? fetch;
  }

  /** Abandons the requests in flight, and fails any later one at once (a stop). */
  close(): void {
    this.closing.abort();
  }

  /** Evaluates `query` at `timeMs`; returns the sum of the resulting vector, undefined when empty. */
  async instant(query: string, timeMs: number): Promise<number | undefined> {
    const samples = await this.vector(query, timeMs);
    if (samples.length === 0) return undefined;
    let sum = 0;
    for (const sample of samples) sum += sample.value;
    return sum;
  }

  /** Evaluates `query` at `timeMs`; returns each series with its labels (a scalar as one unlabelled series). */
  async vector(query: string, timeMs: number): Promise<{ labels: Record<string, string>; value: number }[]> {
    const data = await this.call('/api/v1/query', { query, time: (timeMs / 1000).toFixed(3) });
    if (data.resultType === 'scalar') return [{ labels: {}, value: Number((data.result as [number, string])[1]) }];
    if (data.resultType !== 'vector' || !Array.isArray(data.result)) {
      throw new SourceError('bad_response', `query ${JSON.stringify(query)}: expected a vector, got ${data.resultType}`, false);
    }
    return (data.result as VectorSample[]).map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
  }

  /**
   * Evaluates `query` at `timeMs` and hands each series of the vector (a scalar as one unlabelled
   * series) to `sink` as its answer streams in (vector-decoder.ts): what a source reads every tick,
   * without an object per series. The sink may see series of an answer that then fails: resolves
   * only once the whole answer is a success.
   */
  async streamVector(query: string, timeMs: number, sink: VectorSink): Promise<void> {
    await this.streamAnswer('/api/v1/query', { query, time: (timeMs / 1000).toFixed(3) }, new VectorDecoder(sink));
  }

  /** Posts `params` to `path` and decodes the answer as it streams in; resolves once it is a success. */
  private async streamAnswer(path: string, params: { query: string } & Record<string, string>, decoder: VectorDecoder): Promise<void> {
    const { query } = params;
    const { response, what } = await this.post(path, params);
    // Error statuses (400 bad query, 422 too many samples, 503 starting up) say why in JSON, or not: read as before.
    if (!response.ok) {
      const text = await this.readText(response, what);
      this.parse(text, response, what, params);
      throw notApiJson(response, what, text, this.options.setting);
    }
    const refused = (error: AnswerDecodeError) =>
      new SourceError('bad_response', `${what}: ${error.unsupported ? '' : `HTTP ${response.status}, body is not a Prometheus API answer: `}${error.message} (query ${JSON.stringify(query)})`, false);
    try {
      await forEachBodyChunk(response, this.options.maxBytes ?? 256 * 1024 * 1024, what, this.options.timeoutMs, (chunk) => decoder.push(chunk));
    } catch (error) {
      if (error instanceof AnswerDecodeError) throw refused(error);
      throw error;
    }
    let answer;
    try {
      answer = decoder.end();
    } catch (error) {
      if (error instanceof AnswerDecodeError) throw refused(error);
      throw error;
    }
    if (answer.status !== 'success') {
      const retryable = response.status >= 500 || response.status === 429;
      throw new SourceError(retryable ? 'http_status' : 'query_error', `${what}: ${answer.errorType ?? 'error'}: ${answer.error ?? `HTTP ${response.status}`} (query ${JSON.stringify(query)})`, retryable);
    }
    // A success with warnings is what a store that did not answer leaves (Thanos's "partial
    // response"): what did answer is part of the series, and its sum would read as a collapse.
    if (answer.warnings.length > 0) {
      throw new SourceError('partial_answer', `${what}: answered with warnings, read as no data: ${answer.warnings.map((w) => clip(w)).join('; ')} (query ${JSON.stringify(query)})`, true);
    }
  }

  /**
   * Evaluates `query` from `fromMs` to `toMs` every `stepMs`, in chunks under Prometheus's point
   * limit; returns timestamp (ms) -> the series present then, with their labels.
   */
  async rangeSeries(query: string, fromMs: number, toMs: number, stepMs: number): Promise<Map<number, { labels: Record<string, string>; value: number }[]>> {
    const out = new Map<number, { labels: Record<string, string>; value: number }[]>();
    const chunkMs = stepMs * (MAX_POINTS_PER_RANGE_QUERY - 1);
    for (let start = fromMs; start <= toMs; start += chunkMs + stepMs) {
      const end = Math.min(toMs, start + chunkMs);
      const data = await this.call('/api/v1/query_range', {
        query,
        start: (start / 1000).toFixed(3),
        end: (end / 1000).toFixed(3),
        step: `${stepMs / 1000}`,
      });
      if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
        throw new SourceError('bad_response', `query_range ${JSON.stringify(query)}: expected a matrix, got ${data.resultType}`, false);
      }
      for (const series of data.result as MatrixSeries[]) {
        for (const [t, v] of series.values) {
          const ms = Math.round(t * 1000);
          let at = out.get(ms);
          if (!at) out.set(ms, (at = []));
          at.push({ labels: series.metric, value: Number(v) });
        }
      }
    }
    return out;
  }

  /**
   * Evaluates `query` from `fromMs` to `toMs` every `stepMs` in one range query (at most
   * MAX_POINTS_PER_RANGE_QUERY steps), decoded as it streams in, in columns: each series' metric
   * text once, its values in one typed array. A history read makes no object per point (rangeSeries
   * makes two, after JSON.parse of the whole answer).
   */
  async rangeMatrix(query: string, fromMs: number, toMs: number, stepMs: number): Promise<RangeMatrix> {
    const steps = Math.floor((toMs - fromMs) / stepMs) + 1;
    if (steps > MAX_POINTS_PER_RANGE_QUERY) throw new RangeError(`rangeMatrix: ${steps} steps, over Prometheus's ${MAX_POINTS_PER_RANGE_QUERY}`);
    let capacity = 16;
    const matrix: RangeMatrix = { steps, series: 0, texts: [], values: new Float64Array(capacity * steps), present: new Uint8Array(capacity * steps) };
    const sink: MatrixSink = {
      series: (bytes, start, end, times, values, count) => {
        const k = matrix.series++;
        if (k === capacity) {
          capacity *= 2;
          const grownValues = new Float64Array(capacity * steps);
          grownValues.set(matrix.values);
          matrix.values = grownValues;
          const grownPresent = new Uint8Array(capacity * steps);
          grownPresent.set(matrix.present);
          matrix.present = grownPresent;
        }
        matrix.texts.push(latin1(bytes, start, end));
        const at = k * steps;
        for (let p = 0; p < count; p++) {
          const j = Math.round((times[p]! * 1000 - fromMs) / stepMs);
          // A point off the steps asked for (another server's rounding) is not one of them.
          if (j < 0 || j >= steps) continue;
          matrix.values[at + j] = values[p]!;
          matrix.present[at + j] = 1;
        }
      },
    };
    await this.streamAnswer('/api/v1/query_range', { query, start: (fromMs / 1000).toFixed(3), end: (toMs / 1000).toFixed(3), step: `${stepMs / 1000}` }, VectorDecoder.forMatrix(sink));
    return matrix;
  }

  private async call(path: string, params: Record<string, string>): Promise<NonNullable<ApiResponse['data']>> {
    const { text, response, what } = await this.fetchText(path, params);
    return this.parse(text, response, what, params);
  }

  private async fetchText(path: string, params: Record<string, string>): Promise<{ text: string; response: Response; what: string }> {
    const { response, what } = await this.post(path, params);
    return { text: await this.readText(response, what), response, what };
  }

  private async post(path: string, params: Record<string, string>): Promise<{ response: Response; what: string }> {
    const what = `${this.options.url}${path}`;
    const nowMs = (this.options.now ?? Date.now)();
    if (nowMs < this.waitUntilMs) {
      throw new SourceError('http_status', `${this.options.url}: ${this.waitAskedBy} asked to wait (Retry-After) until ${new Date(this.waitUntilMs).toISOString()}; not asked again before then`, true);
    }
    let response: Response;
    try {
      response = await this.fetchFn(what, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.options.headers },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.closing.signal]),
      });
    } catch (error) {
      if (this.closing.signal.aborted) throw stoppedError(what);
      throw classifyFetchError(error, what, this.options.timeoutMs, this.options.setting);
    }
    if (response.status === 429 || response.status === 503) {
      const waitMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
      if (waitMs !== undefined && waitMs > 0) {
        this.waitUntilMs = Math.max(this.waitUntilMs, nowMs + Math.min(waitMs, MAX_RETRY_AFTER_MS));
        this.waitAskedBy = `HTTP ${response.status}`;
      }
    }
    return { response, what };
  }

  private async readText(response: Response, what: string): Promise<string> {
    let text = '';
    try {
      text = await readBodyCapped(response, this.options.maxBytes ?? 256 * 1024 * 1024, what, this.options.timeoutMs);
    } catch (error) {
      if (error instanceof SourceError) throw error;
      throw notApiJson(response, what, text, this.options.setting);
    }
    return text;
  }

  private parse(text: string, response: Response, what: string, params: Record<string, string>): NonNullable<ApiResponse['data']> {
    // A refusal of the credentials is said as one, whatever its body: a proxy's JSON 401
    // ({"status":"error","error":"unauthorized"}) read as a bad query, without its status or a hint.
    if (refusedCredentialsHint(response.status, this.options.setting) !== '') throw notApiJson(response, what, text, this.options.setting);
    let body: ApiResponse;
    try {
      body = JSON.parse(text) as ApiResponse;
    } catch {
      throw notApiJson(response, what, text, this.options.setting);
    }
    if (body.status !== 'success' || !body.data) {
      // 400/422 are bad queries: retrying will not help. 5xx (503 while starting up) may.
      const retryable = response.status >= 500 || response.status === 429;
      throw new SourceError(retryable ? 'http_status' : 'query_error', `${what}: ${body.errorType ?? 'error'}: ${body.error ?? `HTTP ${response.status}`} (query ${JSON.stringify(params.query)})`, retryable);
    }
    return body.data;
  }
}

function notApiJson(response: Response, what: string, text: string, setting: string | undefined): SourceError {
  // A refusal of the credentials is said as one (its body, often "Unauthorized", is not the point).
  const refused = refusedCredentialsHint(response.status, setting);
  return new SourceError(
    response.ok ? 'bad_response' : 'http_status',
    refused ? `${what}: HTTP ${response.status}${refused}: ${JSON.stringify(text.slice(0, 120))}` : `${what}: HTTP ${response.status}, body is not Prometheus API JSON: ${JSON.stringify(text.slice(0, 120))}`,
    !response.ok && response.status >= 500,
  );
}
