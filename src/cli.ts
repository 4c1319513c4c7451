#!/usr/bin/env node
// stormwatch's command line: the composition root. Loads config, wires stages, runs them.

import { parseArgs } from 'node:util';
import { loadConfig } from './config/load.js';
import { ConfigError, SourceError } from './core/errors.js';
import { createLogger, type LogLevel } from './core/log.js';
import { runBacktest } from './runner/backtest.js';
import { runDemo } from './runner/demo.js';
import { startLive } from './runner/live.js';
import { runReplay } from './runner/replay.js';
import { transitionLine } from './runner/transition-line.js';

const USAGE = `stormwatch: catches bad deploys and client retry storms, explains them, alerts webhooks.

Usage:
  stormwatch run --config FILE            watch live (prometheus or scrape source); a replay source
                                           replays its file through the full pipeline and exits
  stormwatch check-config FILE            validate a config; prints every problem, exits 1 if any
  stormwatch backtest --config FILE [--input FIXTURE.om | --from T --to T]
                                           run over history at full speed; one JSON line per alert
                                           transition (T: RFC 3339 or unix seconds)
  stormwatch demo                         replay the bundled 2023-07-20 broken-download scenario and
                                           deliver its alerts to a local receiver that prints them
Options:
  --log-level debug|info|warn|error       default info (logs go to stderr as JSON lines)
`;

function parseTime(text: string, flag: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: expected RFC 3339 (2023-07-20T12:00:00Z) or unix seconds, got ${JSON.stringify(text)}`);
  return ms;
}

class UsageError extends Error {}

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
  const configFile = () => {
    const file = values.config ?? positionals[1];
    if (!file) throw new UsageError(`${command}: --config FILE is required`);
    return file;
  };

  switch (command) {
    case 'check-config': {
      const config = loadConfig(configFile());
      process.stdout.write(`${config.file}: ok (${config.signals.length} signal(s), ${config.source.kind} source, every ${config.intervalMs / 1000}s)\n`);
      return 0;
    }
    case 'backtest': {
      const config = loadConfig(configFile());
      const summary = await runBacktest(config, {
        ...(values.input ? { input: values.input } : {}),
        ...(values.from ? { fromMs: parseTime(values.from, '--from') } : {}),
        ...(values.to ? { toMs: parseTime(values.to, '--to') } : {}),
        logger,
        onTransition: (t) => process.stdout.write(`${transitionLine(t)}\n`),
      });
      logger.log('info', 'backtest done', { frames: summary.frames, transitions: summary.transitions, from: new Date(summary.fromMs).toISOString(), to: new Date(summary.toMs).toISOString() });
      return 0;
    }
    case 'run': {
      const config = loadConfig(configFile());
      if (config.source.kind === 'replay') {
        await runReplay(config, { logger, onTransition: (t) => process.stdout.write(`${transitionLine(t)}\n`) });
        return 0;
      }
      const handle = await startLive(config, { logger, onTransition: (t) => process.stdout.write(`${transitionLine(t)}\n`) });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.log('info', 'stopping: finishing the current tick and draining notifications', { signal });
          handle.stop().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      logger.log('info', 'stopped');
      return 0;
    }
    case 'demo':
      await runDemo({ logger, out: (text) => process.stdout.write(text) });
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
    else if (error instanceof UsageError || error instanceof SourceError) process.stderr.write(`stormwatch: ${error.message}\n`);
    else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(`stormwatch: ${(error as Error).message}\n\n${USAGE}`);
    else process.stderr.write(`stormwatch: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
  },
);
