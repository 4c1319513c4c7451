// The tick bench's upstream, in a process of its own: answers the Prometheus instant queries (or
// serves the /metrics page) of the bench's routes over loopback HTTP, so the measured process
// reads them as `stormwatch run` does (a real fetch, bytes off a socket) and none of the work of
// making them (strings of a few hundred MB a tick at 100k series, and their garbage) is counted in
// its CPU. Run: node answer-server.js SERIES prometheus|scrape T0_MS; prints "listening PORT".
// POST /prepare?k=K makes tick K's answers (ticks in order); then POST /api/v1/query (form body
// `query=...`) or GET /metrics serves them, gzipped when the request accepts gzip, as Prometheus's
// API and Go's promhttp answer (Node's fetch asks for it): a reader pays for the inflating too.

import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { serveUntilParentGoes } from './child-server.js';
import { type TickAnswers, answerFor, counterPage, routeProfiles, tickAnswers, tickRates } from './pages.js';

const INTERVAL_MS = 15_000;

const [seriesArg, source, t0Arg] = process.argv.slice(2);
const n = Number(seriesArg);
const t0 = Number(t0Arg);
if (!(n > 0) || (source !== 'prometheus' && source !== 'scrape') || !Number.isFinite(t0)) {
  throw new Error(`usage: answer-server.js SERIES prometheus|scrape T0_MS (got ${process.argv.slice(2).join(' ')})`);
}
const profiles = routeProfiles(n);
const totals = { requests: new Float64Array(n).fill(1e6), errors: new Float64Array(n).fill(1e3), downstream: new Float64Array(n).fill(1e6) };
let answers: TickAnswers | undefined;
let page: Buffer | undefined;
/** The tick's bodies gzipped (at Go's default level, 6), made at /prepare, before the tick is timed. */
const gzipped = new Map<Buffer, Buffer>();

function prepare(k: number): void {
  gzipped.clear();
  if (source === 'prometheus') {
    answers = tickAnswers(profiles, k, t0, INTERVAL_MS);
    for (const body of [answers.requests, answers.errors, answers.downstream]) gzipped.set(body, gzipSync(body, { level: 6 }));
    return;
  }
  const rates = tickRates(profiles, k);
  // The tick's whole counts (tickCounts), the same as the Prometheus answers' rates read.
  for (let i = 0; i < n; i++) {
    totals.requests[i]! += Math.round(rates.requests[i]! * 15);
    totals.errors[i]! += Math.round(rates.errors[i]! * 15);
    totals.downstream[i]! += Math.round(rates.downstream[i]! * 15);
  }
  page = counterPage(profiles, totals);
  gzipped.set(page, gzipSync(page, { level: 6 }));
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: Buffer | undefined;
    let type = 'application/json';
    if (url.pathname === '/prepare') {
      prepare(Number(url.searchParams.get('k')));
      // Its garbage collected now, not while the measured process reads and steps (2 cores).
      (globalThis as { gc?: () => void }).gc?.();
      body = Buffer.from('ok');
    } else if (url.pathname === '/api/v1/query' && answers) {
      body = answerFor(new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('query') ?? url.searchParams.get('query') ?? '', answers);
    } else if (url.pathname === '/metrics' && page) {
      body = page;
      type = 'text/plain; version=0.0.4';
    }
    if (!body) {
      res.writeHead(404).end(`nothing at ${url.pathname}`);
      return;
    }
    const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') ? gzipped.get(body) : undefined;
    if (gz) res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', 'content-length': gz.length }).end(gz);
    else res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
  });
});
serveUntilParentGoes(server);
