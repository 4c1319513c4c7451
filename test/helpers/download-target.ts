// A download service whose counters grow in real time, for live tests: 50 downloads/s; when
// `broken`, every download is tried 4 times (cargo's retries) and none reaches the static host.
// With `failScrapes` its /metrics answers 500 while it goes on serving; with `hideFiles` its page
// leaves out the static host's counter while it goes on serving (an exporter that stopped writing
// one series).

import { type Server, createServer } from 'node:http';

export interface DownloadTarget {
  state: { api: number; files: number; broken: boolean; failScrapes: boolean; hideFiles: boolean };
  server: Server;
  timer: NodeJS.Timeout;
}

export function startDownloadTarget(): DownloadTarget {
  const state = { api: 0, files: 0, broken: false, failScrapes: false, hideFiles: false };
  // Bounded: at most 10 minutes of 100 ms steps; tests clear it sooner.
  let steps = 0;
  const timer = setInterval(() => {
    if (++steps > 6000) return clearInterval(timer);
    state.api += state.broken ? 20 : 5;
    if (!state.broken) state.files += 5;
  }, 100);
  const server = createServer((_, res) => {
    if (state.failScrapes) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('metrics unavailable\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    const files = state.hideFiles ? '' : `# TYPE static_requests_total counter\nstatic_requests_total{code="200"} ${state.files}\n`;
    res.end(`# TYPE api_requests_total counter\napi_requests_total{route="download",code="302"} ${state.api}\n${files}`);
  });
  return { state, server, timer };
}
