// The cold-start bench's Prometheus, in a process of its own: the bench's routes (pages.ts) with a
// history as long as asked for, answering the HTTP API as Prometheus does for the bench's signal:
// instant queries (a vector per route at the time asked), `count(...)` (one number), and
// query_range (a matrix per route over the steps asked), each value the route's rate at that time
// (tickRates of its 15 s slot). Any other query (scrape phase, markers) answers an empty result.
// A range answer is written route by route as the socket takes it, so this process holds one
// route's text at a time whatever the answer's size. Run: node history-server.js SERIES; prints
// "listening PORT"; exits when its stdin closes.

import { type ServerResponse, createServer } from 'node:http';
import { serveUntilParentGoes } from './child-server.js';
import { routeProfiles, tickRates } from './pages.js';

const SLOT_MS = 15_000;

const n = Number(process.argv[2]);
if (!(n > 0)) throw new Error(`usage: history-server.js SERIES (got ${process.argv.slice(2).join(' ')})`);
const profiles = routeProfiles(n);
const slots = new Map<number, ReturnType<typeof tickRates>>();

/** The rates of every route in the 15 s slot of `timeMs` (the last few slots kept). */
function ratesAt(timeMs: number): ReturnType<typeof tickRates> {
  const k = Math.floor(timeMs / SLOT_MS);
  let rates = slots.get(k);
  if (!rates) {
    rates = tickRates(profiles, k);
    slots.set(k, rates);
    if (slots.size > 64) slots.delete(slots.keys().next().value!);
  }
  return rates;
}

function valuesOf(query: string, rates: ReturnType<typeof tickRates>): Float64Array {
  return query.includes('5..') ? rates.errors : query.includes('completions') ? rates.downstream : rates.requests;
}

/** Resolves when `res` can take more, or is gone (each listener removed with the other). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const empty = (type: string) => `{"status":"success","data":{"resultType":"${type}","result":[]}}`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      for (const [k, v] of url.searchParams) params.set(k, v);
      const query = params.get('query') ?? '';
      // The signal's queries sum by route; the scrape-phase queries (timestamp(), up) do not.
      const ours = query.includes('by (route)') || query.includes('by(route)');
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/api/v1/query') {
        const t = Number(params.get('time') ?? Date.now() / 1000);
        if (!ours) return res.end(empty('vector'));
        if (query.startsWith('count(')) return res.end(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[${t},"${n}"]}]}}`);
        const values = valuesOf(query, ratesAt(t * 1000));
        const parts: string[] = [];
        for (let i = 0; i < n; i++) parts.push(`{"metric":{"route":"${profiles[i]!.route}"},"value":[${t},"${values[i]}"]}`);
        return res.end(`{"status":"success","data":{"resultType":"vector","result":[${parts.join(',')}]}}`);
      }
      if (url.pathname === '/api/v1/query_range') {
        if (!ours) return res.end(empty('matrix'));
        const start = Number(params.get('start'));
        const end = Number(params.get('end'));
        const step = Number(params.get('step'));
        const times: number[] = [];
        for (let t = start; t <= end + 1e-9; t += step) times.push(t);
        const columns = times.map((t) => valuesOf(query, ratesAt(t * 1000)));
        res.write('{"status":"success","data":{"resultType":"matrix","result":[');
        for (let i = 0; i < n; i++) {
          let part = `${i > 0 ? ',' : ''}{"metric":{"route":"${profiles[i]!.route}"},"values":[`;
          for (let j = 0; j < times.length; j++) part += `${j > 0 ? ',' : ''}[${times[j]!.toFixed(3)},"${columns[j]![i]}"]`;
          if (!res.write(`${part}]}`)) {
            await drainedOrClosed(res);
            if (res.destroyed) return;
          }
        }
        return res.end(']}}');
      }
      res.end(empty('vector'));
    })();
  });
});
// A range answer of 100k series takes longer than Node's default request timeout to write.
server.requestTimeout = 0;
serveUntilParentGoes(server);
