#!/usr/bin/env node
// stormwatch's command line: the composition root. Loads config, wires stages, runs them.

import { parseArgs } from 'node:util';
import { type StormwatchConfig, loadConfig } from './config/load.js';
import { secretValuesOf } from './config/secret-values.js';
import { ConfigError, SourceError } from './core/errors.js';
import { createLogger, type LogLevel } from './core/log.js';
import { parseDuration } from './core/duration.js';
import { DeployApiError, postDeploy, waitForVerdict } from './deploys/deploy-client.js';
import { stringify } from 'yaml';
import { exportRules } from './rules/export-rules.js';
import { runBacktest } from './runner/backtest.js';
import { runDemo } from './runner/demo.js';
import { startLive } from './runner/live.js';
import { runReplay } from './runner/replay.js';
import { transitionLine } from './runner/transition-line.js';
import type { Shard } from './pipeline.js';
import { progressBar } from './report/progress.js';
import { SummaryCounter, formatSummary } from './report/summary.js';
import { writeReport } from './report/write-report.js';

const USAGE = `stormwatch: catches bad deploys and client retry storms, explains them, alerts webhooks.

Usage:
  stormwatch run --config FILE            watch live (prometheus or scrape source); a replay source
                                           replays its file through the full pipeline and exits
  stormwatch check-config FILE            validate a config; prints every problem, exits 2 if any
  stormwatch backtest --config FILE [--input FIXTURE.om | --from T --to T]
                   [--report FILE.html] [--summary]
                                           run over history at full speed; one JSON line per alert
                                           transition (T: RFC 3339 or unix seconds); --report writes
                                           a self-contained HTML report, --summary prints counts on
                                           stderr; a progress bar shows when stderr is a terminal
  stormwatch deploy --service S --version V [--environment E] [--started-at T] [--id ID]
                   [--url URL | --config FILE] [--wait [--wait-timeout 35m]]
                                           record a deploy with a running stormwatch (token from
                                           $STORMWATCH_DEPLOY_TOKEN); --wait polls its verdict and
                                           exits 0 on pass, 1 on fail, inconclusive or superseded
  stormwatch rules --config FILE          print the signals' detection as Prometheus recording and
                                           alerting rules (for Prometheus, Thanos Ruler, Mimir)
  stormwatch demo [--serve]               replay the bundled 2023-07-20 broken-download scenario,
                                           deliver its alerts to a local receiver that prints them,
                                           serve the UI while it runs (--serve: until Ctrl-C) and
                                           write the report
Options:
  --log-level debug|info|warn|error       default info (logs go to stderr as JSON lines)
  --shard i/N                             run and backtest: watch only the series whose id hashes
                                           to i modulo N (N replicas share the work)
`;

function parseTime(text: string, flag: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: expected RFC 3339 (2023-07-20T12:00:00Z) or unix seconds, got ${JSON.stringify(text)}`);
  return ms;
}

class UsageError extends Error {}

/** At SIGTERM: notifications are drained this long, and the process is gone by the deadline. */
const STOP_DRAIN_MS = 10_000;
const STOP_DEADLINE_MS = 20_000;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      input: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      service: { type: 'string' },
      version: { type: 'string' },
      environment: { type: 'string' },
      'started-at': { type: 'string' },
      id: { type: 'string' },
      url: { type: 'string' },
      wait: { type: 'boolean' },
      'wait-timeout': { type: 'string', default: '35m' },
      shard: { type: 'string' },
      report: { type: 'string' },
      summary: { type: 'boolean' },
      serve: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const level = values['log-level'] as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level: expected debug, info, warn or error`);
  const logger = createLogger(level);
  // Node's own warnings as JSON log lines too: stderr carries nothing else.
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.log('warn', 'node warning', { name: w.name, message: w.message }));
  // A bug that escapes every handler still ends as one JSON line (and exit 1), not a bare stack trace.
  process.on('uncaughtException', (error) => {
    logger.log('error', 'crashed: unexpected failure', { error: error.stack ?? String(error) });
    process.exit(1);
  });
  /** Loads the config and registers its secrets with the logger, which then never writes them. */
  const load = (file: string): StormwatchConfig => {
    const config = loadConfig(file);
    logger.protect(secretValuesOf(config));
    return config;
  };
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard: expected i/N with 0 <= i < N, got ${JSON.stringify(values.shard)}`);
    shard = { index: Number(m[1]), count: Number(m[2]) };
  }
  const configFile = () => {
    const file = values.config ?? positionals[1];
    if (!file) throw new UsageError(`${command}: --config FILE is required`);
    return file;
  };

  switch (command) {
    case 'check-config': {
      const config = load(configFile());
      process.stdout.write(`${config.file}: ok (${config.signals.length} signal(s), ${config.source.kind} source, every ${config.intervalMs / 1000}s)\n`);
      return 0;
    }
    case 'backtest': {
      const config = load(configFile());
      const counter = new SummaryCounter();
      const bar = progressBar(process.stderr);
      const summary = await runBacktest(config, {
        ...(values.input ? { input: values.input } : {}),
        ...(values.from ? { fromMs: parseTime(values.from, '--from') } : {}),
        ...(values.to ? { toMs: parseTime(values.to, '--to') } : {}),
        logger,
        ...(shard ? { shard } : {}),
        keepHistory: values.report !== undefined,
        ...(bar ? { onProgress: bar.update } : {}),
        onTick: (r) => counter.add(r),
        onTransition: (t) => process.stdout.write(`${transitionLine(t)}\n`),
      });
      bar?.end();
      logger.log('info', 'backtest done', { frames: summary.frames, transitions: summary.transitions, from: new Date(summary.fromMs).toISOString(), to: new Date(summary.toMs).toISOString() });
      if (values.report !== undefined) {
        const input = values.input ?? (config.source.kind === 'replay' ? config.source.file : undefined);
        const written = writeReport(values.report, config, input, summary, counter);
        logger.log('info', 'report written', { file: written.file, bytes: written.bytes });
      }
      if (values.summary) process.stderr.write(formatSummary({ counter, deploys: summary.deploys, dataProblems: summary.dataProblems, fromMs: summary.fromMs, toMs: summary.toMs }));
      return 0;
    }
    case 'run': {
      const config = load(configFile());
      if (config.source.kind === 'replay') {
        await runReplay(config, { logger, onTransition: (t) => process.stdout.write(`${transitionLine(t)}\n`) });
        return 0;
      }
      const handle = await startLive(config, { logger, ...(shard ? { shard } : {}), onTransition: (t) => process.stdout.write(`${transitionLine(t)}\n`) });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.log('info', 'stopping: finishing the current tick and draining notifications', { signal });
          // Bounded whatever happens: the outbox is durable, so what is not sent by then is sent next start.
          setTimeout(() => {
            logger.log('error', 'stop took too long; exiting anyway (pending notifications stay in the outbox)', { afterMs: STOP_DEADLINE_MS });
            process.exit(1);
          }, STOP_DEADLINE_MS).unref();
          handle.stop(STOP_DRAIN_MS).then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      logger.log('info', 'stopped');
      return 0;
    }
    case 'deploy': {
      if (!values.service || !values.version) throw new UsageError('deploy: --service and --version are required');
      const token = process.env.STORMWATCH_DEPLOY_TOKEN;
      if (!token) throw new UsageError('deploy: set STORMWATCH_DEPLOY_TOKEN to the deploy API token');
      let url = values.url;
      if (!url && values.config) {
        const listen = loadConfig(values.config).listen;
        if (listen) url = `http://${listen}`;
      }
      if (!url) throw new UsageError('deploy: give --url http://HOST:PORT, or --config FILE with server.listen');
      const record = await postDeploy(url, token, {
        service: values.service,
        version: values.version,
        ...(values.environment ? { environment: values.environment } : {}),
        ...(values['started-at'] ? { startedAt: new Date(parseTime(values['started-at'], '--started-at')).toISOString() } : {}),
        ...(values.id ? { id: values.id } : {}),
      });
      process.stdout.write(`${JSON.stringify(record)}\n`);
      if (!values.wait) return 0;
      const waitMs = parseDuration(values['wait-timeout'] ?? '35m');
      if (waitMs === undefined) throw new UsageError('--wait-timeout: expected a duration like 35m');
      const final = await waitForVerdict(url, record.id, Date.now() + waitMs, 5000, token);
      process.stdout.write(`${JSON.stringify(final)}\n`);
      return final.verdict === 'pass' ? 0 : 1;
    }
    case 'rules': {
      const config = loadConfig(configFile());
      process.stdout.write(`# Generated by stormwatch rules from ${config.file}\n${stringify(exportRules(config), { lineWidth: 0, aliasDuplicateObjects: false })}`);
      return 0;
    }
    case 'demo':
      await runDemo({
        logger,
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
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
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
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else if (error instanceof UsageError || error instanceof SourceError || error instanceof DeployApiError) process.stderr.write(`stormwatch: ${error.message}\n`);
    else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(`stormwatch: ${(error as Error).message}\n\n${USAGE}`);
    else process.stderr.write(`stormwatch: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
  },
);
