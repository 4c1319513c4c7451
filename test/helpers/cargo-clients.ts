// Real cargo clients for end-to-end tests: finds the cargo binaries on this machine (rustup's, with
// cargo's current retry policy, and Debian's /usr/bin/cargo 1.65, with the legacy one), and runs
// `cargo fetch` against a loopback registry (cargo-registry.ts) in two load shapes:
//
//   open loop    builds arrive as a Poisson process at a target rate, whatever happens to earlier
//                builds (users, CI jobs on their own schedules): a failure AMPLIFIES requests.
//   closed pool  K runners each run builds back to back (a CI runner pool): during a failure each
//                build occupies its runner for the whole retry chain, so the rate FALLS.
//
// Every build runs in a slot nobody else uses at the time, with its downloads deleted first (so
// every build really downloads every crate), talks to loopback only (proxy variables removed, `.onion` names refused by libcurl), and sends a
// `stormwatch-client/<id>` User-Agent so the registry can count each build's attempts. Every loop
// is bounded in builds and in time; every process is killed by stop().

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, setPriority, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { mulberry32 } from '../../scripts/sim/random.js';
import type { CargoRegistry } from './cargo-registry.js';

const run = promisify(execFile);

export interface CargoBinary {
  /** A short label: `cargo-1.95`, `cargo-1.65`. */
  label: string;
  /** Where it was found: `rustup` or `debian`. */
  origin: 'rustup' | 'debian';
  /** The binary run (rustup's proxy resolved to the toolchain's own cargo). */
  path: string;
  /** rustc beside it, used for cargo's target probe. */
  rustc: string | undefined;
  version: string;
  major: number;
  minor: number;
  /** cargo >= 1.70: 3 retries with 0.5-1.5 s, 3.5 s, ... sleeps; older: 2 retries, no delay. */
  retryPolicy: 'current' | 'legacy';
  /** Attempts per download before cargo gives up: 4 (current) or 3 (legacy). */
  attemptsPerDownload: number;
  /** Sparse HTTP index: cargo >= 1.68 (stable). Older cargo reads a git index. */
  sparse: boolean;
  /** The libcurl it uses (`cargo -vV`). */
  libcurl: string;
  /**
   * libcurl >= 8.1 refuses `.onion` names before any lookup (RFC 7686). Older libcurl asks DNS, so
   * the registry never redirects such a client to a `.onion` name (see cargo-registry.ts).
   */
  refusesOnion: boolean;
}

export interface Detection {
  found: CargoBinary[];
  /** Why an expected binary is missing: `{label, reason}`. */
  missing: { origin: 'rustup' | 'debian'; reason: string }[];
}

/** Looks for rustup's cargo (~/.cargo/bin or $CARGO_HOME/bin) and Debian's /usr/bin/cargo. */
export async function detectCargo(): Promise<Detection> {
  const found: CargoBinary[] = [];
  const missing: Detection['missing'] = [];
  const rustupBin = [process.env.CARGO_HOME ? join(process.env.CARGO_HOME, 'bin') : undefined, join(homedir(), '.cargo', 'bin')].filter((d): d is string => !!d);
  const proxy = rustupBin.map((d) => join(d, 'cargo')).find((p) => existsSync(p));
  if (!proxy) {
    missing.push({ origin: 'rustup', reason: `no rustup cargo in ${rustupBin.join(' or ')}` });
  } else {
    // The proxy costs a process per build; run the toolchain's cargo directly when rustup says where.
    let path = proxy;
    const rustup = join(dirname(proxy), 'rustup');
    try {
      const { stdout } = await run(rustup, ['which', 'cargo'], { timeout: 15_000 });
      if (existsSync(stdout.trim())) path = stdout.trim();
    } catch {
      // keep the proxy
    }
    const rustc = join(dirname(path), 'rustc');
    const binary = await describe(path, existsSync(rustc) ? rustc : undefined, 'rustup');
    if (typeof binary === 'string') missing.push({ origin: 'rustup', reason: binary });
    else found.push(binary);
  }
  if (!existsSync('/usr/bin/cargo')) {
    missing.push({ origin: 'debian', reason: '/usr/bin/cargo is missing (apt package `cargo`; scripts/install-test-deps.sh installs it)' });
  } else {
    const binary = await describe('/usr/bin/cargo', existsSync('/usr/bin/rustc') ? '/usr/bin/rustc' : undefined, 'debian');
    if (typeof binary === 'string') missing.push({ origin: 'debian', reason: binary });
    else if (found.some((f) => f.version === binary.version)) missing.push({ origin: 'debian', reason: `/usr/bin/cargo is the same version as rustup's (${binary.version})` });
    else found.push(binary);
  }
  return { found, missing };
}

async function describe(path: string, rustc: string | undefined, origin: 'rustup' | 'debian'): Promise<CargoBinary | string> {
  let stdout: string;
  try {
    ({ stdout } = await run(path, ['-vV'], { timeout: 30_000, env: cleanEnv({}) }));
  } catch (error) {
    return `${path} -vV failed: ${(error as Error).message.split('\n')[0]}`;
  }
  const curl = /^libcurl: (\d+)\.(\d+)\.(\d+)/m.exec(stdout);
  const m = /cargo (\d+)\.(\d+)\.(\d+)/.exec(stdout);
  if (!m) return `${path} --version printed ${JSON.stringify(stdout.trim())}`;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const current = major > 1 || minor >= 70;
  return {
    label: `cargo-${major}.${minor}`,
    origin,
    path,
    rustc,
    version: `${m[1]}.${m[2]}.${m[3]}`,
    major,
    minor,
    retryPolicy: current ? 'current' : 'legacy',
    attemptsPerDownload: current ? 4 : 3,
    sparse: major > 1 || minor >= 68,
    libcurl: curl ? `${curl[1]}.${curl[2]}.${curl[3]}` : 'unknown',
    refusesOnion: curl ? Number(curl[1]) > 8 || (Number(curl[1]) === 8 && Number(curl[2]) >= 1) : false,
  };
}

/** The environment of every cargo process: no proxies (nothing may leave loopback), no colours. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/proxy$/i.test(k) || /^CARGO|^RUSTUP_TOOLCHAIN$|^RUSTC/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface BuildRecord {
  id: string;
  startMs: number;
  endMs: number;
  ok: boolean;
  code: number | null;
  /** `spurious network error` warnings cargo printed (one per retry). */
  retryWarnings: number;
  /** The last lines of cargo's stderr. */
  tail: string;
  killed: boolean;
}

export interface ClientOptions {
  cargo: CargoBinary;
  registry: CargoRegistry;
  /** Crates each build depends on (default: all of the registry's). */
  crates?: readonly string[];
  /** CARGO_HTTP_TIMEOUT in seconds (default 5). */
  httpTimeoutSeconds?: number;
  /** Prefix of the build ids (the User-Agent carries `stormwatch-client/<prefix><n>`). */
  idPrefix?: string;
}

interface Slot {
  dir: string;
  home: string;
  project: string;
}

/**
 * Runs `cargo fetch` builds. Each running build has a slot of its own (a project, a CARGO_HOME and
 * a target dir): slots are reused across builds to spare the CPU of cloning the index and probing
 * rustc again, but before every build the slot's downloaded crates (registry/cache and
 * registry/src) are deleted, so every build really downloads every crate. Concurrent builds never
 * share a slot (cargo would serialise them on its package-cache lock).
 */
export class CargoRunner {
  private readonly children = new Set<ChildProcess>();
  private readonly free: Slot[] = [];
  private readonly slots: Slot[] = [];
  private counter = 0;
  private indexUrl: Promise<string> | undefined;
  readonly records: BuildRecord[] = [];

  constructor(private readonly options: ClientOptions) {}

  private index(): Promise<string> {
    this.indexUrl ??= this.options.cargo.sparse ? Promise.resolve(this.options.registry.sparseIndex) : this.options.registry.gitIndex();
    return this.indexUrl;
  }

  get inFlight(): number {
    return this.children.size;
  }

  private async slot(): Promise<Slot> {
    const reused = this.free.pop();
    if (reused) {
      for (const d of ['cache', 'src']) rmSync(join(reused.home, 'registry', d), { recursive: true, force: true });
      return reused;
    }
    const index = await this.index();
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cargo-'));
    const home = join(dir, 'home');
    const project = join(dir, 'project');
    mkdirSync(home);
    mkdirSync(join(project, 'src'), { recursive: true });
    const timeout = this.options.httpTimeoutSeconds ?? 5;
    writeFileSync(
      join(home, 'config.toml'),
      `[source.crates-io]\nreplace-with = "loopback"\n\n[source.loopback]\nregistry = "${index}"\n\n[net]\noffline = false\ngit-fetch-with-cli = false\n\n[http]\ntimeout = ${timeout}\n`,
    );
    const crates = this.options.crates ?? this.options.registry.crates.map((c) => c.name);
    writeFileSync(
      join(project, 'Cargo.toml'),
      `[package]\nname = "stormwatch-load"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${crates.map((c) => `${c} = "0.1"`).join('\n')}\n`,
    );
    writeFileSync(join(project, 'src', 'lib.rs'), '');
    const slot = { dir, home, project };
    this.slots.push(slot);
    return slot;
  }

  async build(): Promise<BuildRecord> {
    const { cargo } = this.options;
    const id = `${this.options.idPrefix ?? ''}${++this.counter}`;
    const slot = await this.slot();
    const env = cleanEnv({
      CARGO_HOME: slot.home,
      CARGO_NET_OFFLINE: 'false',
      CARGO_HTTP_TIMEOUT: String(this.options.httpTimeoutSeconds ?? 5),
      // The registry counts attempts per build by this, and redirects to .onion only clients that refuse it.
      CARGO_HTTP_USER_AGENT: `stormwatch-client/${id} cargo/${cargo.version}${cargo.refusesOnion ? ' onion-refused' : ''}`,
      CARGO_TERM_COLOR: 'never',
      CARGO_TERM_PROGRESS_WHEN: 'never',
      CARGO_TARGET_DIR: join(slot.dir, 'target'),
      ...(cargo.rustc ? { RUSTC: cargo.rustc } : {}),
    });
    const startMs = Date.now();
    const child = spawn(cargo.path, ['fetch', '--manifest-path', join(slot.project, 'Cargo.toml')], { cwd: slot.project, env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.children.add(child);
    // Below the registry, Prometheus and stormwatch: on a busy machine the clients wait, not the
    // servers whose timing is measured (and other work on the machine goes first too).
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, 5);
      } catch {
        // not allowed: keep the default
      }
    }
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-16_000);
    });
    let killed = false;
    // No build may outlive a minute: a hung cargo is killed and recorded as such.
    const guard = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 60_000);
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(null));
      child.once('exit', (c) => resolve(c));
    });
    clearTimeout(guard);
    this.children.delete(child);
    this.free.push(slot);
    const record: BuildRecord = {
      id,
      startMs,
      endMs: Date.now(),
      ok: code === 0,
      code,
      retryWarnings: (stderr.match(/spurious network error/g) ?? []).length,
      tail: stderr.trim().split('\n').slice(-6).join('\n'),
      killed,
    };
    this.records.push(record);
    return record;
  }

  /** Kills every cargo still running. */
  killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }

  /** Kills every cargo still running and deletes every slot. */
  dispose(): void {
    this.killAll();
    for (const slot of this.slots) rmSync(slot.dir, { recursive: true, force: true });
    this.slots.length = 0;
    this.free.length = 0;
  }
}

/** A seeded uniform generator: the same arrivals for the same seed (the simulator's mulberry32). */
export const seededRandom = mulberry32;

export interface LoadHandle {
  runner: CargoRunner;
  /** Changes the open loop's arrival rate (builds/s) from now on. */
  setRate(buildsPerSecond: number): void;
  /** Stops new builds; waits up to `graceMs` for running ones, then kills them. */
  stop(graceMs?: number): Promise<BuildRecord[]>;
  /**
   * Arrivals dropped: `maxInFlight` cargo processes were running, or the arrival was more than a
   * second overdue (this process was stalled). 0 on a machine that keeps up.
   */
  skipped(): number;
}

export interface OpenLoopOptions extends ClientOptions {
  buildsPerSecond: number;
  /** Hard limits: no arrivals after this long, or after this many builds. */
  maxDurationMs: number;
  maxBuilds: number;
  /** At most this many cargo processes at once (an arrival beyond it is skipped and counted). */
  maxInFlight?: number;
  seed?: number;
}

/** Poisson arrivals of `cargo fetch` runs, independent of completions. */
export function openLoop(options: OpenLoopOptions): LoadHandle {
  const runner = new CargoRunner(options);
  const random = seededRandom(options.seed ?? 1);
  const deadline = Date.now() + options.maxDurationMs;
  const maxInFlight = options.maxInFlight ?? 100;
  let rate = options.buildsPerSecond;
  let started = 0;
  let skipped = 0;
  let late = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const running = new Set<Promise<BuildRecord>>();
  // Arrival times are planned on an absolute clock (each one a gap after the previous PLANNED one),
  // so the time spent starting a process never slows the arrivals down: a late timer catches up.
  let nextAtMs = Date.now();

  const schedule = () => {
    nextAtMs += (-Math.log(1 - random()) / rate) * 1000;
    // A process stalled for seconds (a starved machine) must not release a burst of builds at once:
    // arrivals more than a second overdue are dropped and counted.
    while (nextAtMs < Date.now() - 1000) {
      late++;
      nextAtMs += (-Math.log(1 - random()) / rate) * 1000;
    }
    if (stopped || nextAtMs >= deadline || started >= options.maxBuilds) return;
    timer = setTimeout(() => {
      if (stopped) return;
      if (runner.inFlight >= maxInFlight) skipped++;
      else {
        started++;
        const p = runner.build().finally(() => running.delete(p));
        running.add(p);
      }
      schedule();
    }, Math.max(0, nextAtMs - Date.now()));
  };
  schedule();

  return {
    runner,
    setRate(buildsPerSecond) {
      rate = buildsPerSecond;
      // Memoryless: drawing the next gap afresh from now at the new rate is exact for a Poisson process.
      if (timer) clearTimeout(timer);
      nextAtMs = Date.now();
      schedule();
    },
    skipped: () => skipped + late,
    stop: (graceMs = 15_000) => stopLoad(runner, running, graceMs, () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    }),
  };
}

export interface ClosedPoolOptions extends ClientOptions {
  runners: number;
  maxDurationMs: number;
  maxBuilds: number;
  /**
   * A job's work after a successful fetch (its compile step), default 0: back to back. A failed
   * fetch fails the job at once and the runner takes the next job.
   */
  thinkMs?: number;
}

/** K runners, each running builds back to back until stopped. */
export function closedPool(options: ClosedPoolOptions): LoadHandle {
  const runner = new CargoRunner(options);
  const deadline = Date.now() + options.maxDurationMs;
  let started = 0;
  let stopped = false;
  const running = new Set<Promise<BuildRecord>>();
  const loop = async () => {
    while (!stopped && Date.now() < deadline && started < options.maxBuilds) {
      started++;
      const p = runner.build();
      running.add(p);
      const record = await p.finally(() => running.delete(p));
      if (options.thinkMs && record.ok && !stopped) await new Promise((r) => setTimeout(r, options.thinkMs));
    }
  };
  for (let i = 0; i < options.runners; i++) void loop();
  return {
    runner,
    setRate() {
      throw new Error('a closed pool has no arrival rate: its rate follows its builds');
    },
    skipped: () => 0,
    stop: (graceMs = 15_000) => stopLoad(runner, running, graceMs, () => (stopped = true)),
  };
}

async function stopLoad(runner: CargoRunner, running: Set<Promise<BuildRecord>>, graceMs: number, halt: () => void): Promise<BuildRecord[]> {
  halt();
  const all = Promise.allSettled([...running]);
  const timer = setTimeout(() => runner.killAll(), graceMs);
  await all;
  clearTimeout(timer);
  runner.dispose();
  return runner.records;
}
