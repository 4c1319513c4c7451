#!/usr/bin/env node
// stormwatch's command line: the composition root. Parses one command's flags, loads config, wires
// stages, runs them. Grammar and help live in cli/commands.ts; failure output in cli/errors.ts.
// A command's own modules are imported when it runs (`await import`): every run pays the start-up
// of every module imported here, and a backtest of a week is over in a few seconds. The installed
// command is this file bundled with its modules (dist/bin, `npm run build`): see package.json.

import { randomUUID } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { type CommandSpec, commandHelp, findCommand, globalHelp } from './cli/commands.js';
import { UsageError, describeError, exitCodeOf } from './cli/errors.js';
import { ConfigError } from './core/errors.js';
import { type LoadOptions, type StormwatchConfig, loadConfig } from './config/load.js';
import { secretValuesOf } from './config/secret-values.js';
import { externalURLOf, serverBaseUrl } from './config/resolve-server.js';
import { parseDuration } from './core/duration.js';
import { announceCredentialFileProblems, announceNewCredentials } from './core/http-auth.js';
import { createLogger, type LogLevel, redactUrl } from './core/log.js';
import { listenAddressProblem } from './core/listen-address.js';
import { makeDirs } from './core/make-dirs.js';
import { PACKAGE_ROOT } from './core/paths.js';
import type { DeployRecord } from './deploys/types.js';
import type { Shard } from './pipeline.js';
import { transitionLine } from './runner/transition-line.js';
import { progressBar } from './report/progress.js';
import { SummaryCounter, countRelease, formatSummary } from './report/summary.js';
import { SCORES_CSV_HEADER, scoreRows } from './report/scores-csv.js';

type Values = Record<string, string | boolean | string[] | undefined>;

/** At SIGTERM: notifications are drained this long, and the process is gone by the deadline. */
const STOP_DRAIN_MS = 10_000;
const STOP_DEADLINE_MS = 20_000;

function version(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function parseTime(text: string, flag: string, command: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: expected RFC 3339 (2023-07-20T12:00:00Z) or unix seconds, got ${JSON.stringify(text)}`, command);
  return ms;
}

function duration(text: string, flag: string, command: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag}: expected a duration like 30s, 5m or 1h, got ${JSON.stringify(text)}`, command);
  return ms;
}

/**
 * Makes the directory a file will be written to, or says why it cannot be, before the work whose
 * result it holds: a report's path was tried only after the whole backtest, with mkdir's message.
 */
function checkWritableDir(file: string, flag: string, command: string): void {
  // A directory given for the file (the report's name forgotten) failed with EISDIR after the run.
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: is a directory: give the file to write, such as ${join(file, 'report.html')}`, command);
  const dir = dirname(resolve(file));
  try {
    makeDirs(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? `a part of ${dir} is a file, not a directory` : (code ?? (error as Error).message);
    throw new UsageError(`${flag} ${file}: cannot write: ${why}`, command);
  }
}

/** The most shards --shard takes. */
const MAX_SHARDS = 65_536;

function parseShard(text: string | undefined, command: string): Shard | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  // More shards than series ids could ever spread over (and past what a number holds exactly) is a typo.
  if (!m || Number(m[2]) < 1 || Number(m[2]) > MAX_SHARDS || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard: expected i/N with 0 <= i < N <= 65536, got ${JSON.stringify(text)}`, command);
  return { index: Number(m[1]), count: Number(m[2]) };
}

function parseLevel(text: unknown, command: string): LogLevel {
  if (!['debug', 'info', 'warn', 'error'].includes(String(text))) throw new UsageError('--log-level: expected debug, info, warn or error', command);
  return text as LogLevel;
}

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    process.stderr.write(globalHelp());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const spec = argv[1] ? findCommand(argv[1]) : undefined;
    process.stdout.write(spec ? commandHelp(spec) : globalHelp());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`stormwatch ${version()}\n`);
    return 0;
  }
  const spec = findCommand(first);
  if (!spec) throw new UsageError(first.startsWith('-') ? `expected a command before ${first}; try stormwatch --help` : `unknown command ${JSON.stringify(first)}; try stormwatch --help`);
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv.slice(1), options: spec.options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] });
  } catch (error) {
    throw new UsageError(describeError(error).replace(/^stormwatch: /, '').trim(), spec.name);
  }
  if (values.help) {
    process.stdout.write(commandHelp(spec));
    return 0;
  }
  if (positionals.length > spec.positionals) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[spec.positionals])}`, spec.name);
  return runCommand(spec, values, positionals);
}

/** The logger of `run`, once made: a run-time failure that stops it is a log line too. */
let activeLogger: ReturnType<typeof createLogger> | undefined;

async function runCommand(spec: CommandSpec, values: Values, positionals: string[]): Promise<number> {
  const command = spec.name;
  const str = (name: string) => values[name] as string | undefined;
  let shared: ReturnType<typeof createLogger> | undefined;
  const logger = () => {
    if (shared) return shared;
    const log = (shared = createLogger(parseLevel(values['log-level'] ?? 'info', command)));
    // A token rotated in a {file:} (read again at each request) is blanked as the configured one is.
    announceNewCredentials((secrets) => log.protect(secrets));
    announceCredentialFileProblems((file, problem) =>
      problem === undefined
        ? log.log('info', 'credential file read again: its value is sent from now on', { file })
        : log.log('warn', `credential file ${problem}: the last value read from it is sent until it can be read`, { file }),
    );
    // Node's own warnings as JSON log lines too: stderr carries nothing else.
    process.removeAllListeners('warning');
    process.on('warning', (w) => log.log('warn', 'node warning', { name: w.name, message: w.message }));
    // A bug that escapes every handler still ends as one JSON line (and exit 1), not a bare stack trace.
    process.on('uncaughtException', (error) => {
      log.log('error', 'crashed: unexpected failure', { error: error.stack ?? String(error) });
      process.exit(1);
    });
    return log;
  };
  /** Loads the config and registers its secrets with the logger, which then never writes them. */
  const load = (file: string, loadOptions: LoadOptions = {}): StormwatchConfig => {
    const config = loadConfig(file, loadOptions);
    if (shared) shared.protect(secretValuesOf(config));
    return config;
  };
  const configFile = () => {
    const file = str('config') ?? positionals[0];
    if (!file) throw new UsageError(`--config FILE is required`, command);
    return file;
  };
  // A replay file that is not there is a problem with the config (exit 2, naming the key), as
  // check-config reports it, not a runtime failure naming no key.
  const checkReplayFile = (config: StormwatchConfig, hint = '') => {
    if (config.source.kind === 'replay' && !existsSync(config.source.file)) throw new ConfigError(config.file, [`source.replay.file: no such file ${config.source.file}${hint}`]);
  };
  const onTransition = (...args: Parameters<typeof transitionLine>) => process.stdout.write(`${transitionLine(...args)}\n`);

  switch (command) {
    case 'version':
      process.stdout.write(`stormwatch ${version()}\n`);
      return 0;
    case 'check-config': {
      const lint = values.lint === true;
      const config = load(configFile(), { lint });
      // The replay file is data, not configuration: loading leaves it to the run (a backtest may read
      // another with --input), and the check says whether it is there.
      if (!lint) checkReplayFile(config, ' (a backtest can read another with --input)');
      for (const warning of config.warnings ?? []) process.stderr.write(`stormwatch: warning: ${config.file}: ${warning}\n`);
      process.stdout.write(`${config.file}: ok${lint ? ' (lint: secrets not read)' : ''} (${config.signals.length} signal(s), ${config.source.kind} source, every ${config.intervalMs / 1000}s)\n`);
      return 0;
    }
    case 'backtest': {
      const log = logger();
      const shard = parseShard(str('shard'), command);
      const fromMs = str('from') !== undefined ? parseTime(str('from')!, '--from', command) : undefined;
      const toMs = str('to') !== undefined ? parseTime(str('to')!, '--to', command) : undefined;
      const config = load(configFile());
      if (str('input') === undefined) checkReplayFile(config, ' (or give another with --input)');
      else if (!existsSync(str('input')!)) throw new UsageError(`--input: no such file ${str('input')!}`, command);
      else if (statSync(str('input')!).isDirectory()) throw new UsageError(`--input: ${str('input')!} is a directory, not a file`, command);
      if (str('input') === undefined && config.source.kind === 'prometheus' && (fromMs === undefined || toMs === undefined)) throw new UsageError('a backtest against Prometheus needs --from and --to', command);
      if (str('input') === undefined && config.source.kind === 'scrape') throw new UsageError('a backtest needs --input FILE, a replay source, or a prometheus source with --from and --to; this config has a scrape source (a page has no history)', command);
      if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw new UsageError(`--from ${str('from')} is not before --to ${str('to')}`, command);
      const report = str('report');
      if (report !== undefined) checkWritableDir(report, '--report', command);
      const scoresFile = str('scores');
      let scoresFd: number | undefined;
      if (scoresFile !== undefined) {
        try {
          scoresFd = openSync(scoresFile, 'w');
        } catch (error) {
          throw new UsageError(`--scores ${scoresFile}: cannot write: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, command);
        }
      }
      // Rows are written in 64 KB chunks: a week of 15 s ticks is 40k rows per series.
      let pending = scoresFd !== undefined ? `${SCORES_CSV_HEADER}\n` : '';
      const flushScores = (force: boolean) => {
        if (scoresFd === undefined || (!force && pending.length < 65_536)) return;
        writeSync(scoresFd, pending);
        pending = '';
      };
      const counter = new SummaryCounter();
      const countForSummary = values.summary === true || report !== undefined;
      const bar = progressBar(process.stderr);
      const [{ runBacktest }, { MuteStage }, { muteConfig }] = await Promise.all([import('./runner/backtest.js'), import('./decisions/mute-stage.js'), import('./runner/mute-config.js')]);
      // Maintenance windows, inhibition and recurring surges at data time, as `run` applies them
      // (silences belong to a live service): a muted alert prints with "delivered": false.
      const mute = new MuteStage(muteConfig(config, () => []));
      const summary = await runBacktest(config, {
        ...(str('input') ? { input: str('input')! } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        logger: log,
        ...(shard ? { shard } : {}),
        keepHistory: report !== undefined,
        // Without --scores nothing printed reads the anomaly score (a report's history keeps it: runBacktest).
        anomalyScores: scoresFd !== undefined,
        ...(bar ? { onProgress: bar.update } : {}),
        onTick: (r, pipeline) => {
          const { muted } = mute.filter(r.transitions, r.timeMs);
          for (const t of r.transitions) onTransition(t, muted.get(t));
          // Read by --summary and the report alone: each tick's every series counted only for them.
          if (countForSummary) counter.add(r, muted);
          // Held alerts whose muting ended while they still fire are delivered then, as `run` sends them.
          for (const t of mute.release(r.timeMs, mute.heldCount > 0 ? pipeline.lingering(r.timeMs) : undefined)) {
            onTransition(t, undefined, r.timeMs);
            if (countForSummary) countRelease(counter, t, r.timeMs);
          }
          if (scoresFd !== undefined) {
            pending += scoreRows(r);
            flushScores(false);
          }
        },
        onTransition: () => {},
      });
      bar?.end();
      if (scoresFd !== undefined) {
        flushScores(true);
        closeSync(scoresFd);
        log.log('info', 'scores written', { file: scoresFile });
      }
      log.log('info', 'backtest done', { frames: summary.frames, transitions: summary.transitions, from: new Date(summary.fromMs).toISOString(), to: new Date(summary.toMs).toISOString() });
      if (report !== undefined) {
        const input = str('input') ?? (config.source.kind === 'replay' ? config.source.file : undefined);
        const { writeReport } = await import('./report/write-report.js');
        const written = writeReport(report, config, input, summary, counter);
        log.log('info', 'report written', { file: written.file, bytes: written.bytes });
      }
      if (values.summary) process.stderr.write(formatSummary({ counter, deploys: summary.deploys, dataProblems: summary.dataProblems, fromMs: summary.fromMs, toMs: summary.toMs }));
      return 0;
    }
    case 'run': {
      // A service's stderr is its log: a run-time failure that stops it is a log line too.
      const log = (activeLogger = logger());
      const shard = parseShard(str('shard'), command);
      const listen = str('listen');
      const listenProblem = listen === undefined ? undefined : listenAddressProblem(listen);
      if (listenProblem !== undefined) throw new UsageError(`--listen: ${listenProblem}`, command);
      const stateDir = str('state-dir');
      const file = configFile();
      // The flags win over the file at start and at every reload alike.
      const withFlags = (loaded: StormwatchConfig): StormwatchConfig => ({
        ...loaded,
        // An alert link's base not set in the file follows the address the flag gives.
        ...(listen !== undefined ? { listen, ...(loaded.alerting.externalURLGiven ? {} : { alerting: { ...loaded.alerting, ...externalURLOf(undefined, { listen, serverScheme: loaded.serverScheme }) } }) } : {}),
        ...(stateDir !== undefined ? { delivery: { ...loaded.delivery, outboxDir: resolve(stateDir), outboxDirSetting: '--state-dir' } } : {}),
      });
      const config = withFlags(load(file));
      if (config.source.kind === 'replay') {
        checkReplayFile(config);
        const { runReplay } = await import('./runner/replay.js');
        const { undelivered } = await runReplay(config, { logger: log, onTransition, onRelease: (t, atMs) => onTransition(t, undefined, atMs), ...(shard ? { shard } : {}) });
        // Its alerts are what a replay is run for: one given up or left undelivered fails the run (it was logged).
        return undelivered > 0 ? 1 : 0;
      }
      // SIGHUP reloads, as it does for Prometheus and Alertmanager; the outcome is logged. Caught
      // from the start: its default action would end the process while it is still starting.
      let reloadNow: (() => void) | undefined;
      process.on('SIGHUP', () => (reloadNow ? reloadNow() : log.log('warn', 'SIGHUP ignored: still starting', {})));
      const { startLive } = await import('./runner/live.js');
      const handle = await startLive(config, { logger: log, ...(shard ? { shard } : {}), onTransition, onRelease: (t, atMs) => onTransition(t, undefined, atMs), loadConfig: () => withFlags(load(file)) });
      reloadNow = () => void handle.reload('sighup');
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.log('info', 'stopping: finishing the current tick and draining notifications', { signal });
          // Bounded whatever happens: the outbox is durable, so what is not sent by then is sent next start.
          setTimeout(() => {
            log.log('error', 'stop took too long; exiting anyway (pending notifications stay in the outbox)', { afterMs: STOP_DEADLINE_MS });
            process.exit(1);
          }, STOP_DEADLINE_MS).unref();
          handle.stop(STOP_DRAIN_MS).then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      log.log('info', 'stopped');
      return 0;
    }
    case 'deploy':
      return deploy(values, command);
    case 'silence':
      return silence(values, positionals, command);
    case 'rules': {
      // Rules need the signals, not the sinks' secrets (a CI step writing rules has none).
      const config = loadConfig(configFile(), { lint: true });
      const { exportRules } = await import('./rules/export-rules.js');
      process.stdout.write(`# Generated by stormwatch rules from ${config.file}\n${stringify(exportRules(config), { lineWidth: 0, aliasDuplicateObjects: false })}`);
      return 0;
    }
    case 'demo': {
      // Loaded when used: the live loop, the demo and their HTTP and metrics libraries cost a
      // backtest or a lint a third of its start-up.
      const { runDemo } = await import('./runner/demo.js');
      await runDemo({
        logger: logger(),
        out: (text) => process.stdout.write(text),
        serve: values.serve === true,
        ...(values.serve
          ? {
              stopServing: new Promise<void>((resolve) => {
                process.once('SIGINT', () => resolve());
                process.once('SIGTERM', () => resolve());
              }),
            }
          : {}),
      });
      return 0;
    }
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

/** Whether a request failed before it could reach the server (no connection made): sending it again cannot record a deploy twice. */
function neverSent(error: unknown): boolean {
  const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string })).code;
  return code !== undefined && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code);
}

/** The base URLs of running replicas: every --url, or server.listen of --config (wildcards reached on loopback). */
function serverUrls(values: Values, command: string): string[] {
  const given = (values.url as string[] | undefined) ?? [];
  for (const u of given) {
    if (!/^https?:\/\/[^/]/.test(u)) throw new UsageError(`--url: expected http://HOST:PORT, got ${JSON.stringify(redactUrl(u))}`, command);
    // Refused before any request: fetch refuses such a URL with a message that quotes it whole.
    if (/^https?:\/\/[^/@]*@/.test(u)) throw new UsageError(`--url: credentials in the URL are not sent (the token goes as a bearer token, from STORMWATCH_DEPLOY_TOKEN): give http://HOST:PORT, got ${JSON.stringify(redactUrl(u))}`, command);
  }
  if (given.length > 0) return given.map((u) => u.replace(/\/+$/, ''));
  if (typeof values.config !== 'string') return [];
  const base = serverBaseUrl(loadConfig(values.config, { lint: true }));
  return base ? [base] : [];
}

/** Runs `call` on every replica; one success is enough, the others' failures become warnings. */
async function onEveryReplica<T>(urls: string[], call: (url: string) => Promise<T>): Promise<T> {
  let first: T | undefined;
  const ok: string[] = [];
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const r = await call(url);
      first ??= r;
      ok.push(url);
    } catch (error) {
      failures.push(`${url}: ${describeError(error).replace(/^stormwatch: /, '').trim()}`);
    }
  }
  if (first === undefined) throw new Error(failures.join('; '));
  for (const f of failures) process.stderr.write(`stormwatch: warning: ${f} (done on ${ok.join(', ')})\n`);
  return first;
}

async function silence(values: Values, positionals: string[], command: string): Promise<number> {
  const { addSilence, expireSilenceAt, listSilences, silenceLine } = await import('./cli/silence-client.js');
  const [action, id] = positionals;
  if (!['add', 'list', 'expire'].includes(action ?? '')) throw new UsageError('expected add, list or expire', command);
  if (action !== 'expire' && id !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(id)}`, command);
  if (action === 'expire' && id === undefined) throw new UsageError('expire needs the silence ID (see stormwatch silence list)', command);
  const urls = serverUrls(values, command);
  if (urls.length === 0) throw new UsageError('give --url http://HOST:PORT (once per replica), or --config FILE with server.listen', command);
  const token = process.env.STORMWATCH_DEPLOY_TOKEN;
  if (!token) throw new UsageError('set STORMWATCH_DEPLOY_TOKEN to the API token (deploys.apiToken)', command);
  if (action === 'list') {
    // Replicas hold the same silences when they were made with this command: the first that answers lists them.
    const all = await onEveryReplica(urls.slice(0, 1), (url) => listSilences(url, token));
    process.stdout.write(all.length === 0 ? 'no silences\n' : `${all.map(silenceLine).join('\n')}\n`);
    return 0;
  }
  if (action === 'expire') {
    process.stdout.write(`${silenceLine(await onEveryReplica(urls, (url) => expireSilenceAt(url, token, id!)))}\n`);
    return 0;
  }
  const str = (name: string) => values[name] as string | undefined;
  const matchers = (values.matcher as string[] | undefined) ?? [];
  if (matchers.length === 0) throw new UsageError('add needs at least one --matcher like \'service="crates-io"\'', command);
  if ((str('duration') === undefined) === (str('ends-at') === undefined)) throw new UsageError('add needs exactly one of --duration, --ends-at', command);
  if (str('duration') !== undefined) duration(str('duration')!, '--duration', command);
  const comment = str('comment');
  if (!comment) throw new UsageError('add needs --comment saying why (a ticket, a change)', command);
  const time = (flag: string) => new Date(parseTime(str(flag)!, `--${flag}`, command)).toISOString();
  // One id and one start for every replica: the same silence everywhere, expired everywhere by that id.
  const startsAt = str('starts-at') !== undefined ? time('starts-at') : new Date().toISOString();
  const body = {
    id: randomUUID(),
    matchers,
    startsAt,
    ...(str('ends-at') !== undefined ? { endsAt: time('ends-at') } : { endsAt: new Date(Date.parse(startsAt) + parseDuration(str('duration')!)!).toISOString() }),
    createdBy: str('author') ?? process.env.USER ?? 'stormwatch-cli',
    comment,
  };
  const created = await onEveryReplica(urls, (url) => addSilence(url, token, body));
  process.stdout.write(`${silenceLine(created)}\n`);
  return 0;
}

async function deploy(values: Values, command: string): Promise<number> {
  const [{ postDeploy }, { DEPLOY_EXIT, exitCodeFor, waitForVerdict }] = await Promise.all([import('./deploys/deploy-client.js'), import('./deploys/deploy-wait.js')]);
  const str = (name: string) => values[name] as string | undefined;
  const service = str('service');
  const deployVersion = str('version');
  if (!service || !deployVersion) throw new UsageError('--service and --version are required', command);
  const waitMs = duration(str('wait-timeout') ?? '35m', '--wait-timeout', command);
  const pollMs = duration(str('poll-interval') ?? '5s', '--poll-interval', command);
  const startedAt = str('started-at') !== undefined ? new Date(parseTime(str('started-at')!, '--started-at', command)).toISOString() : undefined;
  // The config gives only server.listen: its secrets (sinks', say) are not read, as for `silence`.
  const urls = serverUrls(values, command);
  if (urls.length === 0) throw new UsageError('give --url http://HOST:PORT (once per replica), or --config FILE with server.listen', command);
  const token = process.env.STORMWATCH_DEPLOY_TOKEN;
  if (!token) throw new UsageError('set STORMWATCH_DEPLOY_TOKEN to the deploy API token (deploys.apiToken)', command);

  // Every replica gets the deploy (an HA pair without peers configured); one acceptance is enough.
  const body = { service, version: deployVersion, ...(str('environment') ? { environment: str('environment')! } : {}), ...(startedAt ? { startedAt } : {}), ...(str('id') ? { id: str('id')! } : {}) };
  let record: DeployRecord | undefined;
  const accepted: string[] = [];
  const failures: string[] = [];
  const deadlineMs = Date.now() + waitMs;
  for (;;) {
    let unsent = 0;
    for (const url of urls) {
      try {
        // Without an id the replicas would each derive one from their own arrival time: reuse the first.
        const r = await postDeploy(url, token, record ? { ...body, id: record.id, startedAt: new Date(record.startedAtMs).toISOString() } : body);
        record ??= r;
        accepted.push(url);
      } catch (error) {
        if (neverSent(error)) unsent++;
        failures.push(`${url}: ${describeError(error).replace(/^stormwatch: /, '').trim()}`);
      }
    }
    if (record) break;
    // With --wait, a stormwatch restarting while CI records its deploy is waited for, as its verdict
    // is: only while no replica could be reached at all (a request that may have arrived is not sent again).
    if (!values.wait || unsent < urls.length || Date.now() + pollMs > deadlineMs) throw new Error(`cannot record the deploy: ${failures.join('; ')}`);
    process.stderr.write(`stormwatch: cannot record the deploy yet (${failures.join('; ')}); trying again until --wait-timeout\n`);
    failures.length = 0;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  for (const f of failures) process.stderr.write(`stormwatch: warning: ${f} (recorded by ${accepted.join(', ')})\n`);
  // A mistyped service would have another service's regression fail it (or pass it blind): the
  // server's log says so, and so does the pipeline that sent it.
  if (record.judgedOnAll) process.stderr.write(`stormwatch: warning: no signal is labelled service=${JSON.stringify(service)}: the deploy's window judges every signal (is the service name right?)\n`);
  process.stdout.write(`${JSON.stringify(record)}\n`);
  if (!values.wait) return 0;
  const outcome = await waitForVerdict(accepted, record.id, { deadlineMs, pollMs, token, progress: (line) => process.stderr.write(`stormwatch: ${line}\n`) });
  if (outcome.kind === 'error') {
    process.stderr.write(`stormwatch: ${outcome.message}\n`);
  } else if (outcome.kind === 'timeout') {
    process.stderr.write(`stormwatch: no verdict within --wait-timeout ${str('wait-timeout')}\n`);
    if (outcome.record) process.stdout.write(`${JSON.stringify(outcome.record)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(outcome.record)}\n`);
  }
  const code = exitCodeFor(outcome);
  if (code !== DEPLOY_EXIT.pass && code !== DEPLOY_EXIT.error) process.stderr.write(`stormwatch: exit ${code} (${Object.entries(DEPLOY_EXIT).find(([, c]) => c === code)![0]})\n`);
  return code;
}

// A closed pipe (`stormwatch backtest ... | head`) is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const exitCode = exitCodeOf(error);
    // `run` ends as one JSON line when it fails at run time (a port in use): its stderr carries
    // nothing else. Bad usage or configuration (exit 2) is said in plain lines, to whoever typed
    // the command, as every other command's failures are.
    if (activeLogger && exitCode === 1) {
      const debug = process.env.STORMWATCH_DEBUG === '1';
      activeLogger.log('error', 'stopped: it cannot go on', { error: describeError(error).replace(/^stormwatch: /, '').trim(), exitCode, ...(debug && error instanceof Error && error.stack ? { stack: error.stack } : {}) });
    } else process.stderr.write(describeError(error, process.env.STORMWATCH_DEBUG === '1'));
    process.exitCode = exitCode;
  },
);
