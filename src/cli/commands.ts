// The command line's grammar: every command with its own flags, help text and examples. Flags are
// checked per command, so `stormwatch rules --wait` is a usage error, not silently ignored.

import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  name: string;
  summary: string;
  /** The synopsis, naming every flag in options (test/cli/commands.test.ts holds it to that). */
  usage: string;
  /** Flag lines shown by `<command> --help`: every flag in options is explained here. */
  flags: string[];
  examples: string[];
  options: Options;
  /** How many positionals the command takes after its name. */
  positionals: number;
}

const logLevel = { 'log-level': { type: 'string', default: 'info' } } satisfies Options;
const config = { config: { type: 'string', short: 'c' } } satisfies Options;
const help = { help: { type: 'boolean', short: 'h' } } satisfies Options;

export const COMMANDS: CommandSpec[] = [
  {
    name: 'run',
    summary: 'watch live (prometheus or scrape source); a replay source replays its file and exits',
    usage: 'stormwatch run --config FILE [--listen HOST:PORT] [--state-dir DIR] [--shard i/N] [--log-level LEVEL]',
    flags: [
      '--config, -c FILE      the configuration (YAML)',
      '--listen HOST:PORT     serve /metrics, the deploy API and gates here (overrides server.listen;',
      '                       0.0.0.0:9464 in a container or pod, 127.0.0.1:9464 on a laptop)',
      '--state-dir DIR        keep the outbox and saved state here (overrides delivery.outboxDir;',
      '                       a writable volume in a container: /var/lib/stormwatch)',
      '--shard i/N            watch only the series whose id hashes to i modulo N',
      '--log-level LEVEL      debug, info, warn or error (JSON lines on stderr); default info',
    ],
    examples: ['stormwatch run --config stormwatch.yaml', 'stormwatch run -c /etc/stormwatch/stormwatch.yaml --listen 0.0.0.0:9464 --state-dir /var/lib/stormwatch'],
    options: { ...config, listen: { type: 'string' }, 'state-dir': { type: 'string' }, shard: { type: 'string' }, ...logLevel, ...help },
    positionals: 0,
  },
  {
    name: 'check-config',
    summary: 'validate a config; prints every problem, exits 2 if any',
    usage: 'stormwatch check-config [--lint] (FILE | --config FILE)',
    flags: [
      'FILE (or --config, -c FILE)  the configuration to check; secrets ({env:}, {file:}) are resolved',
      '--lint                       check the file alone, for CI: secrets and TLS files are not read,',
      '                             nothing is contacted (the file, bundled models and clientModels are read)',
    ],
    examples: ['stormwatch check-config stormwatch.yaml', 'stormwatch check-config --lint deploy/stormwatch.yaml   # in CI, without production secrets'],
    options: { ...config, lint: { type: 'boolean' }, ...help },
    positionals: 1,
  },
  {
    name: 'backtest',
    summary: 'run over history at full speed; one JSON line per alert transition (muted ones say so)',
    usage: 'stormwatch backtest --config FILE [--input FIXTURE.om | --from T --to T] [--report FILE.html] [--scores FILE.csv] [--summary] [--shard i/N] [--log-level LEVEL]',
    flags: [
      '--config, -c FILE      the configuration',
      '--input FILE           an OpenMetrics file with timestamps (instead of the config source)',
      '--from T, --to T       with a prometheus source: the range to replay (RFC 3339 or unix seconds)',
      '--report FILE.html     write a self-contained HTML report',
      '--scores FILE.csv      write each series\' anomaly score per tick (timestamp, series, anomaly_score,',
      '                       request rate, its seasonal band, alarmed) as CSV',
      '--summary              print counts on stderr (a progress bar shows when stderr is a terminal)',
      '--shard i/N            only the series whose id hashes to i modulo N',
      '--log-level LEVEL      default info',
    ],
    examples: [
      'stormwatch backtest --config stormwatch.yaml --input incident.om',
      'stormwatch backtest --config prod.yaml --from 2023-07-20T11:00:00Z --to 2023-07-20T13:00:00Z',
    ],
    options: { ...config, input: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, report: { type: 'string' }, scores: { type: 'string' }, summary: { type: 'boolean' }, shard: { type: 'string' }, ...logLevel, ...help },
    positionals: 0,
  },
  {
    name: 'deploy',
    summary: 'record a deploy with a running stormwatch; --wait blocks until its verdict',
    usage: 'stormwatch deploy --service S --version V [--environment E] [--started-at T] [--id ID] (--url URL... | --config FILE) [--wait [--wait-timeout D] [--poll-interval D]]',
    flags: [
      '--service S            the deployed service (matches signals labelled service=S)',
      '--version V            the deployed version',
      '--environment E        default production',
      '--started-at T         RFC 3339 or unix seconds; default now',
      '--id ID                makes the call idempotent (a CI retry records one deploy)',
      '--url URL              a stormwatch base URL; repeat it for each replica of an HA pair',
      '--config, -c FILE      take the URL from server.listen instead',
      '--wait                 poll the verdict, progress on stderr, until decided or --wait-timeout',
      '--wait-timeout D       default 35m',
      '--poll-interval D      default 5s',
      'Token: $STORMWATCH_DEPLOY_TOKEN (deploys.apiToken).',
      'Exit codes with --wait: 0 pass, 1 error (unreachable, unknown deploy), 2 usage,',
      '                        3 fail, 4 inconclusive or superseded (by a newer deploy), 5 timeout.',
    ],
    examples: [
      'STORMWATCH_DEPLOY_TOKEN=... stormwatch deploy --url http://stormwatch:9464 --service crates-io --version 1.2.3 --id "$CI_PIPELINE_ID" --wait',
      'stormwatch deploy --url http://sw-a:9464 --url http://sw-b:9464 --service api --version "$GIT_SHA"',
    ],
    options: {
      service: { type: 'string' },
      version: { type: 'string' },
      environment: { type: 'string' },
      'started-at': { type: 'string' },
      id: { type: 'string' },
      url: { type: 'string', multiple: true },
      ...config,
      wait: { type: 'boolean' },
      'wait-timeout': { type: 'string', default: '35m' },
      'poll-interval': { type: 'string', default: '5s' },
      ...help,
    },
    positionals: 0,
  },
  {
    name: 'silence',
    summary: 'add, list or expire silences of a running stormwatch (muted alerts are still recorded)',
    // One line per action: each takes its own flags.
    usage: [
      'stormwatch silence add --matcher M... (--duration D | --ends-at T) [--starts-at T] --comment TEXT [--author NAME] (--url URL... | --config FILE)',
      'stormwatch silence list (--url URL... | --config FILE)',
      'stormwatch silence expire ID (--url URL... | --config FILE)',
    ].join(`\n${' '.repeat('Usage: '.length)}`),
    flags: [
      'add                    --matcher M (repeat; all must hold), --duration D or --ends-at T,',
      '                       --comment TEXT (why: a ticket, a change), --author NAME (default $USER)',
      'list                   every silence kept: active, pending and recently expired',
      'expire ID              end a silence now',
      '--url URL              a stormwatch base URL; repeat it for each replica of an HA pair',
      '                       (add and expire go to every one, with the same silence id)',
      '--config, -c FILE      take the URL from server.listen instead',
      '--starts-at T          (add) when the silence starts, RFC 3339; default now',
      'Token: $STORMWATCH_DEPLOY_TOKEN (deploys.apiToken).',
    ],
    examples: [
      `stormwatch silence add --url http://stormwatch:9464 --matcher 'service="crates-io"' --duration 2h --comment 'CHG-1234 CDN migration'`,
      'stormwatch silence list --url http://stormwatch:9464',
      'stormwatch silence expire --url http://stormwatch:9464 6f0c2a9e-...',
    ],
    options: {
      url: { type: 'string', multiple: true },
      ...config,
      matcher: { type: 'string', multiple: true },
      duration: { type: 'string' },
      'ends-at': { type: 'string' },
      'starts-at': { type: 'string' },
      comment: { type: 'string' },
      author: { type: 'string' },
      ...help,
    },
    positionals: 2,
  },
  {
    name: 'rules',
    summary: 'print the signals as Prometheus recording and alerting rules',
    usage: 'stormwatch rules --config FILE',
    flags: ['--config, -c FILE      the configuration'],
    examples: ['stormwatch rules --config stormwatch.yaml > stormwatch.rules.yml && promtool check rules stormwatch.rules.yml'],
    options: { ...config, ...help },
    positionals: 0,
  },
  {
    name: 'demo',
    summary: 'replay the bundled 2023-07-20 broken-download scenario to a local receiver',
    usage: 'stormwatch demo [--serve] [--log-level LEVEL]',
    flags: ['--serve                serve the UI until Ctrl-C (it is served while the demo runs anyway)', '--log-level LEVEL      default info'],
    examples: ['stormwatch demo --log-level warn', 'stormwatch demo --serve'],
    options: { serve: { type: 'boolean' }, ...logLevel, ...help },
    positionals: 0,
  },
  {
    name: 'version',
    summary: 'print the version (also: stormwatch --version)',
    usage: 'stormwatch version',
    flags: [],
    examples: ['stormwatch version'],
    options: { ...help },
    positionals: 0,
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `stormwatch: catches bad deploys and client retry storms, explains them, alerts webhooks.

Usage: stormwatch <command> [flags]        stormwatch <command> --help for its flags and examples

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

Global: --help, -h; --version, -V (before any command)
Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration (deploy --wait adds 3, 4, 5).
`;
}

export function commandHelp(spec: CommandSpec): string {
  return `stormwatch ${spec.name}: ${spec.summary}

Usage: ${spec.usage}
${spec.flags.length > 0 ? `\nFlags:\n${spec.flags.map((f) => `  ${f}`).join('\n')}\n` : ''}
Examples:
${spec.examples.map((e) => `  ${e}`).join('\n')}
`;
}
