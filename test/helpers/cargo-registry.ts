// A small crates.io on loopback for real cargo clients: an index of a few tiny generated crates
// (sparse over HTTP for cargo >= 1.68, a local git repository for older cargo), a download endpoint
// that answers 302 to a static path (as crates.io's API redirects to its static host), the static
// path serving the .crate files, and /metrics for Prometheus. Faults are switched at runtime:
//
//   none              302 to the static path, which serves the file
//   redirect-refused  302 to a closed loopback port (connection refused)
//   redirect-onion    302 to a host ending in .onion: libcurl >= 8.1 refuses such names before any
//                     lookup. Older libcurl (Debian 12's 7.88, which its cargo 1.65 uses) DOES ask
//                     DNS for them, so a client that does not say it refuses .onion (its User-Agent
//                     carries `onion-refused`) gets the unresolvable redirect below instead.
//   redirect-unresolvable  302 to a name with a 70-character label: it cannot be encoded in a DNS
//                     query (labels are at most 63 bytes), so the C library's resolver fails before it
//                     opens a socket ("Could not resolve host", the 2023-07-20 class) for any client
//   static-503        302 to the static path, which answers 503
//   redirect-invalid  302 to a .invalid name, which needs a real DNS lookup: only allowed when this
//                     process runs in a network namespace with nothing but `lo` (`unshare -n`)
//
// Every request is logged with its client (from the User-Agent cargo-clients.ts sets), so a test
// can count the attempts each build made.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Counter, Registry } from 'prom-client';
import { freePort } from './ports.js';

const run = promisify(execFile);

export type RegistryFault = 'none' | 'redirect-refused' | 'redirect-onion' | 'redirect-unresolvable' | 'static-503' | 'redirect-invalid';
export const FAULTS: readonly RegistryFault[] = ['none', 'redirect-refused', 'redirect-onion', 'redirect-unresolvable', 'static-503', 'redirect-invalid'];

export interface CrateFile {
  name: string;
  version: string;
  /** The gzip'd tar cargo downloads. */
  bytes: Buffer;
  /** sha256 of `bytes`: the index's `cksum`. */
  sha256: string;
}

export interface RegistryRequest {
  atMs: number;
  kind: 'download' | 'static' | 'index' | 'metrics' | 'other';
  path: string;
  status: number;
  /** The client id from a `stormwatch-client/<id>` User-Agent, else undefined. */
  client: string | undefined;
  fault: RegistryFault;
  /** Where a download was redirected. */
  location?: string;
}

export interface CargoRegistry {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, for a Prometheus scrape target. */
  address: string;
  /**
   * With `separateStaticMetrics`: the static host's own /metrics (its `static_requests_total`),
   * a second scrape target that Prometheus scrapes at its own phase, as two services are.
   * Otherwise the registry's address, whose /metrics serves both.
   */
  staticAddress: string;
  crates: readonly CrateFile[];
  /** For cargo >= 1.68: `sparse+http://127.0.0.1:PORT/index/`. */
  sparseIndex: string;
  /** For any cargo: a `file://` URL of a git index whose `dl` points at this server. */
  gitIndex(): Promise<string>;
  fault(): RegistryFault;
  /** Switches the fault; returns the wall-clock time of the switch (the onset, in data time). */
  setFault(fault: RegistryFault): number;
  /** Fault switches in order: the onset of each. */
  faultLog: { atMs: number; fault: RegistryFault }[];
  requests: RegistryRequest[];
  /** The exposition text /metrics serves. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/** The download endpoint's prefix: cargo appends `/{crate}/{version}/download`. */
const API_DL = '/api/v1/crates';
const STATIC = '/static/crates';
export const ONION_HOST = 'static.crates.stormwatch-test.onion';
export const INVALID_HOST = 'static.crates.stormwatch-test.invalid';
/** 70 characters in one label: no DNS query can carry it, so no resolver ever sends one. */
export const UNRESOLVABLE_HOST = `static.${'x'.repeat(70)}.crates.test`;

export const DEFAULT_CRATE_NAMES = ['sw-alpha', 'sw-bravo', 'sw-charlie', 'sw-delta'] as const;

export interface RegistryOptions {
  /** Crate names (lowercase); each gets version 0.1.0. Default: four crates. */
  crateNames?: readonly string[];
  /** Serve `static_requests_total` on a /metrics of its own port (see staticAddress). */
  separateStaticMetrics?: boolean;
}

export async function startCargoRegistry(options: RegistryOptions = {}): Promise<CargoRegistry> {
  const names = options.crateNames ?? DEFAULT_CRATE_NAMES;
  const crates = names.map((name) => makeCrate(name, '0.1.0'));
  const byPath = new Map(crates.map((c) => [`${STATIC}/${c.name}/${c.name}-${c.version}.crate`, c]));
  const byName = new Map(crates.map((c) => [c.name, c]));

  const metricsRegistry = new Registry();
  const staticMetrics = options.separateStaticMetrics ? new Registry() : metricsRegistry;
  const downloads = new Counter({ name: 'registry_download_requests_total', help: 'Download requests at the API endpoint, whatever the answer.', registers: [metricsRegistry] });
  const staticRequests = new Counter({ name: 'static_requests_total', help: 'Requests the static host answered, by status.', labelNames: ['code'] as const, registers: [staticMetrics] });
  const indexRequests = new Counter({ name: 'registry_index_requests_total', help: 'Sparse index requests.', registers: [metricsRegistry] });
  // Both series exist from the first scrape: a selector on code="200" never starts "absent".
  staticRequests.labels('200').inc(0);
  staticRequests.labels('503').inc(0);

  // A loopback port that is closed: bound once to get a number nobody was using, then released.
  const closedPort = await freePort();

  const isolated = inIsolatedNetwork();
  let fault: RegistryFault = 'none';
  const faultLog: { atMs: number; fault: RegistryFault }[] = [{ atMs: Date.now(), fault }];
  const requests: RegistryRequest[] = [];
  let port = 0;
  let gitDir: string | undefined;
  let gitIndex: Promise<string> | undefined;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const ua = String(req.headers['user-agent'] ?? '');
    const client = /stormwatch-client\/(\S+)/.exec(ua)?.[1];
    const log = (kind: RegistryRequest['kind'], status: number, location?: string) => {
      if (requests.length < 500_000) requests.push({ atMs: Date.now(), kind, path, status, client, fault, ...(location ? { location } : {}) });
    };
    // Drain any body so keep-alive connections stay usable.
    req.resume();

    const dl = /^\/api\/v1\/crates\/([^/]+)\/([^/]+)\/download$/.exec(path);
    if (dl) {
      downloads.inc();
      const [, name, version] = dl;
      const file = `${name}/${name}-${version}.crate`;
      let location: string;
      switch (fault) {
        case 'redirect-refused':
          location = `http://127.0.0.1:${closedPort}/crates/${file}`;
          break;
        case 'redirect-onion':
          // Only to clients that refuse .onion before any lookup; the others would ask DNS.
          location = /\bonion-refused\b/.test(ua) ? `http://${ONION_HOST}/crates/${file}` : `http://${UNRESOLVABLE_HOST}/crates/${file}`;
          break;
        case 'redirect-unresolvable':
          location = `http://${UNRESOLVABLE_HOST}/crates/${file}`;
          break;
        case 'redirect-invalid':
          // Re-checked at every request: a real lookup only where nothing can leave the machine.
          location = isolated ? `http://${INVALID_HOST}/crates/${file}` : `http://${UNRESOLVABLE_HOST}/crates/${file}`;
          break;
        default:
          location = `http://127.0.0.1:${port}${STATIC}/${file}`;
      }
      log('download', 302, location);
      res.writeHead(302, { location, 'content-length': '0' }).end();
      return;
    }
    if (path.startsWith(`${STATIC}/`)) {
      const crate = byPath.get(path);
      const status = fault === 'static-503' ? 503 : crate ? 200 : 404;
      staticRequests.labels(String(status)).inc();
      log('static', status);
      if (status === 200) res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(crate!.bytes.length) }).end(crate!.bytes);
      else res.writeHead(status, { 'content-length': '0' }).end();
      return;
    }
    if (path.startsWith('/index/')) {
      indexRequests.inc();
      const rest = path.slice('/index/'.length);
      if (rest === 'config.json') {
        log('index', 200);
        res.writeHead(200, { 'content-type': 'application/json' }).end(configJson(port));
        return;
      }
      const name = rest.split('/').pop() ?? '';
      const crate = byName.get(name);
      if (crate && rest === indexPath(name)) {
        log('index', 200);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${indexLine(crate)}\n`);
      } else {
        log('index', 404);
        res.writeHead(404, { 'content-length': '0' }).end();
      }
      return;
    }
    if (path === '/metrics') {
      log('metrics', 200);
      metricsRegistry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text))
        .catch(() => res.writeHead(500).end());
      return;
    }
    log('other', 404);
    res.writeHead(404, { 'content-length': '0' }).end();
  };

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let staticServer: Server | undefined;
  if (options.separateStaticMetrics) {
    staticServer = createServer((req, res) => {
      req.resume();
      if ((req.url ?? '/').split('?')[0] !== '/metrics') return void res.writeHead(404, { 'content-length': '0' }).end();
      staticMetrics
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': staticMetrics.contentType }).end(text))
        .catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve, reject) => {
      staticServer!.once('error', reject);
      staticServer!.listen(0, '127.0.0.1', () => resolve());
    });
  }
  const staticAddress = staticServer ? `127.0.0.1:${(staticServer.address() as AddressInfo).port}` : `127.0.0.1:${port}`;

  return {
    url,
    address: `127.0.0.1:${port}`,
    staticAddress,
    crates,
    sparseIndex: `sparse+${url}/index/`,
    gitIndex() {
      // One repository however many runners ask at once.
      gitIndex ??= makeGitIndex(crates, port).then((dir) => {
        gitDir = dir;
        return `file://${dir}`;
      });
      return gitIndex;
    },
    fault: () => fault,
    setFault(next) {
      if (!FAULTS.includes(next)) throw new RangeError(`unknown fault ${next}`);
      if (next === 'redirect-invalid' && !isolated) {
        throw new Error('redirect-invalid needs a real DNS lookup: only allowed inside a network namespace with nothing but lo (unshare -n)');
      }
      fault = next;
      const atMs = Date.now();
      faultLog.push({ atMs, fault });
      return atMs;
    },
    faultLog,
    requests,
    metrics: async () => (staticServer ? `${await metricsRegistry.metrics()}${await staticMetrics.metrics()}` : metricsRegistry.metrics()),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (staticServer) {
        staticServer.closeAllConnections();
        await new Promise<void>((resolve) => staticServer!.close(() => resolve()));
      }
      await gitIndex?.catch(() => undefined);
      if (gitDir) rmSync(gitDir, { recursive: true, force: true });
    },
  };
}

/** True when this process runs in a network namespace with nothing but `lo` (e.g. `unshare -n`). */
export function inIsolatedNetwork(): boolean {
  try {
    const names = readFileSync('/proc/self/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0]!.trim())
      .filter(Boolean);
    return names.length === 1 && names[0] === 'lo';
  } catch {
    return false;
  }
}

/** A git index (cargo's layout, one commit) in a temp dir whose config.json points `dl` at the server. */
async function makeGitIndex(crates: readonly CrateFile[], port: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-git-index-'));
  try {
    writeFileSync(join(dir, 'config.json'), configJson(port));
    for (const crate of crates) {
      const file = join(dir, indexPath(crate.name));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${indexLine(crate)}\n`);
    }
    const git = (...args: string[]) => run('git', ['-c', 'user.name=stormwatch-test', '-c', 'user.email=test@localhost', '-c', 'init.defaultBranch=master', ...args], { cwd: dir });
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'index');
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function configJson(port: number): string {
  return JSON.stringify({ dl: `http://127.0.0.1:${port}${API_DL}`, api: `http://127.0.0.1:${port}` });
}

function indexLine(crate: CrateFile): string {
  return JSON.stringify({ name: crate.name, vers: crate.version, deps: [], cksum: crate.sha256, features: {}, yanked: false });
}

/** Where a crate's file lives in an index (cargo's layout, sparse and git alike). */
export function indexPath(name: string): string {
  const n = name.toLowerCase();
  if (n.length === 1) return `1/${n}`;
  if (n.length === 2) return `2/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

/** A tiny crate as cargo packages it: a gzip'd tar of `NAME-VER/Cargo.toml` and `NAME-VER/src/lib.rs`. */
export function makeCrate(name: string, version: string): CrateFile {
  const root = `${name}-${version}`;
  const manifest = `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\ndescription = "stormwatch test fixture"\nlicense = "Apache-2.0"\n`;
  const lib = `//! ${name}: a fixture crate served by stormwatch's loopback registry.\npub fn name() -> &'static str {\n    "${name}"\n}\n`;
  const tar = Buffer.concat([
    tarEntry(`${root}/Cargo.toml`, Buffer.from(manifest)),
    tarEntry(`${root}/src/lib.rs`, Buffer.from(lib)),
    Buffer.alloc(1024), // two zero blocks end the archive
  ]);
  const bytes = gzipSync(tar);
  return { name, version, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** One ustar file entry: a 512-byte header and the content padded to 512 bytes. */
function tarEntry(path: string, content: Buffer): Buffer {
  if (Buffer.byteLength(path) > 99) throw new RangeError(`tar path too long: ${path}`);
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => header.write(text, offset, length, 'ascii');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  put(path, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(content.length, 12), 124, 12);
  put(octal(1_600_000_000, 12), 136, 12); // mtime: fixed, so the bytes (and checksums) are stable
  put('        ', 148, 8); // checksum field counts as spaces while summing
  put('0', 156, 1); // regular file
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(padded);
  return Buffer.concat([header, padded]);
}
