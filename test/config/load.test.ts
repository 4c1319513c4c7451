import { counterQuery } from '../../src/source/counter-query.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPath, loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';

const bad = (name: string) => join(FIXTURES_DIR, 'configs', 'bad', name);

function problemsOf(file: string): readonly string[] {
  try {
    loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`${file} loaded without problems`);
}

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-config-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('warns of an inline secret that looks like a file path (a bearer_token_file given as bearerToken), naming its place and not its value; loads all the same', () => {
    const config = (token: string) =>
      loadConfig(writeConfig(`source:\n  prometheus:\n    url: http://127.0.0.1:9090\n    bearerToken: ${token}\nsignals:\n  - name: api\n    requests: 'api_total'\n`));
    const warned = config('/var/run/secrets/prometheus-token');
    expect(warned.warnings).toEqual(['source.prometheus.bearerToken: an inline value that looks like a file path is sent as it is: to read the file, give {file: PATH} (line 4)']);
    expect(warned.source).toMatchObject({ kind: 'prometheus' });
    for (const token of ['eyJhbGciOiJIUzI1NiJ9.e30.abc', '/9j+x']) expect(config(token).warnings, token).toBeUndefined();
  });

  it('refuses labels stormwatch sets on its alerts, where a config gives alerts labels', () => {
    const file = writeConfig(
      'source: {replay: {file: x.om}}\nalerting:\n  labels: {team: a, service: b}\nsignals:\n  - name: api\n    labels: {service: checkout, severity: none}\n    requests: r_total\n',
    );
    expect(problemsOf(file)).toEqual([
      'alerting.labels.service: set by stormwatch on the alerts (alertname, severity, signal, service, version, deploy_environment, probe): a value here would be overwritten; use another name (line 3)',
      'signals[0].labels.severity: set by stormwatch on the alerts (alertname, severity, signal): a value here would be overwritten; use another name (line 6)',
    ]);
  });

  it('takes a probe\'s environment, and refuses an empty one with its line', () => {
    const base = 'source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsignals:\n  - name: a\n    requests: a_total\nprobes:\n  - name: home\n    service: crates-io\n    url: http://127.0.0.1:9/\n';
    const config = loadConfig(writeConfig(`${base}    environment: staging\n  - name: other\n    service: crates-io\n    url: http://127.0.0.1:9/x\n`));
    expect(config.probes.map((p) => [p.name, p.environment])).toEqual([['home', 'staging'], ['other', undefined]]);
    expect(problemsOf(writeConfig(`${base}    environment: ''\n`))).toEqual([expect.stringMatching(/^probes\[0\]\.environment: .*\(line 11\)$/)]);
  });

  it('loads the bundled replay config with defaults filled in and the file path resolved', () => {
    const config = loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
    expect(config.intervalMs).toBe(15_000);
    expect(config.cron).toBe('*/15 * * * * *');
    expect(config.source).toEqual({ kind: 'replay', file: join(FIXTURES_DIR, 'scenarios', 'crates-2023-07-20-broken-redirect.om') });
    expect(config.detector.falseAlarmsPerYear).toBe(0.1);
    expect(config.alerting).toMatchObject({ forMs: 0, classifyWithinMs: 15_000, keepFiringForMs: 60_000, labels: { team: 'crates-io' } });
    expect(Object.keys(config.signals[0]!.inputs)).toEqual(['requests', 'errors', 'downstream']);
  });

  it('turns counter selectors into restart-aware sum(irate(...)) for a Prometheus source, and keeps PromQL as given', () => {
    const config = loadConfig(
      writeConfig(`source:\n  prometheus:\n    url: http://127.0.0.1:9090/\n    rateWindow: 2m\nsignals:\n  - name: api\n    requests: 'http_requests_total{job="api"}'\n    errors: { query: 'sum(rate(http_requests_total{job="api",code=~"5.."}[5m]))' }\n`),
    );
    expect(config.source).toMatchObject({ kind: 'prometheus', url: 'http://127.0.0.1:9090' });
    expect(config.signals[0]!.inputs.requests!.query).toBe(counterQuery('http_requests_total{job="api"}', 'irate', 120_000, 15_000));
    expect(config.signals[0]!.inputs.errors!.query).toBe('sum(rate(http_requests_total{job="api",code=~"5.."}[5m]))');
  });

  it('reports every schema problem at once, with its path and line', () => {
    expect(problemsOf(bad('many-problems.yaml'))).toEqual([
      'source.prometheus.url: expected an http:// or https:// URL (line 4)',
      'source: expected exactly one of prometheus, scrape, replay (line 3)',
      'detector.falseAlarmsPerYear: Too small: expected number to be >0 (line 8)',
      'alerting.for: expected a duration like 15s, 1m or 1h, got "soon" (line 10)',
      'signals[0].requests: expected a series selector like metric_name{label="value"}, got "sum(rate(x[1m]))"; for a PromQL expression write {query: ...} (Prometheus source only) (line 13)',
      'signals[0].errors: expected a counter selector string, {counter: SELECTOR} or {query: PROMQL} (line 14)',
      'signals[1].name: expected letters, digits, "_", "." or "-" (line 15)',
      'signals[1].requests: cannot read label matcher "a=1" in "x{a=1}" (line 16)',
      'signals[1].downstrem: unknown key; did you mean "downstream"? (line 17)',
    ]);
  });

  it("hints at {query: ...} for a function call, not for a parenthesis in a matcher's regex", () => {
    const file = writeConfig(`source:\n  prometheus:\n    url: http://127.0.0.1:9090\nsignals:\n  - name: api\n    requests: 'x_total{path=~"(?<=a)b"}'\n`);
    const [problem] = problemsOf(file);
    expect(problem).toMatch(/^signals\[0\]\.requests: invalid regular expression "\(\?<=a\)b"/);
    expect(problem).not.toContain('{query: ...}');
  });

  it('says what a number given for an address or a duration is, and what is expected instead', () => {
    const file = writeConfig('source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\n    timeout: 5\nserver: { listen: 9464 }\nsignals:\n  - name: api\n    requests: r_total\n');
    expect(problemsOf(file)).toEqual([
      'source.scrape.timeout: expected a duration like 15s, 1m or 1h, got the number 5; give a duration with a unit like "5s" (line 4)',
      'server.listen: expected an address like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got the number 9464 (line 5)',
    ]);
  });

  it('refuses settings that cannot work: an interval past a day, a timeout of 0, a backoff above its cap, a duration past 10 years', () => {
    const file = writeConfig(
      'interval: 100000h\nsource:\n  scrape:\n    url: http://127.0.0.1:9/metrics\n    timeout: 0s\nalerting:\n  keepFiringFor: 99999999999d\ndelivery:\n  backoffBase: 10m\n  backoffCap: 1s\nsignals:\n  - name: api\n    requests: r_total\n',
    );
    expect(problemsOf(file)).toEqual([
      'interval: expected at most 10 years, got "100000h" (line 1)',
      'source.scrape.timeout: expected a timeout over 0s and at most 10m (line 5)',
      'alerting.keepFiringFor: expected at most 10 years, got "99999999999d" (line 7)',
    ]);
    const second = writeConfig('interval: 1000h\nsource:\n  scrape:\n    url: http://127.0.0.1:9/metrics\ndelivery:\n  backoffBase: 10m\n  backoffCap: 1s\nsignals:\n  - name: api\n    requests: r_total\n');
    expect(problemsOf(second)).toEqual([
      'interval: expected at most 1d, got 1000h (line 1)',
      'delivery.backoffBase: expected at most backoffCap (1s): the first retry\'s wait, which the later ones double up to the cap (line 6)',
    ]);
  });

  it('saves the state every minute unless delivery.stateSaveInterval says otherwise, between 1s and 1h', () => {
    const base = 'source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsignals:\n  - name: api\n    requests: r_total\n';
    expect(loadConfig(writeConfig(base)).delivery.stateSaveIntervalMs).toBe(60_000);
    expect(loadConfig(writeConfig(`delivery:\n  stateSaveInterval: 5m\n${base}`)).delivery.stateSaveIntervalMs).toBe(300_000);
    expect(problemsOf(writeConfig(`delivery:\n  stateSaveInterval: 500ms\n${base}`))).toEqual(['delivery.stateSaveInterval: expected at least 1s and at most 1h (line 2)']);
    expect(problemsOf(writeConfig(`delivery:\n  stateSaveInterval: 2h\n${base}`))).toEqual(['delivery.stateSaveInterval: expected at least 1s and at most 1h (line 2)']);
  });

  it('takes one way to authenticate a sink, and a client certificate with its key', () => {
    const file = writeConfig(
      `source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsinks:\n  - name: am\n    alertmanager:\n      urls: ['http://u:p@127.0.0.1:9093']\n      basicAuth: {username: u, password: p}\n      tls: {certFile: c.pem}\nsignals:\n  - name: api\n    requests: r_total\n`,
    );
    expect(problemsOf(file)).toEqual([
      'sinks[0].alertmanager: give one way to authenticate, not basicAuth and user:password@ in url (line 7)',
      'sinks[0].alertmanager.tls: certFile and keyFile go together (line 9)',
    ]);
    // Without bearerToken or basicAuth a sink keeps what it always could: its Authorization header wins over user:password@.
    const legacy = writeConfig(`source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsinks:\n  - name: hook\n    webhook:\n      url: 'http://u:p@127.0.0.1:5001/'\n      headers: {Authorization: 'Bearer t0k3n-123'}\nsignals:\n  - name: api\n    requests: r_total\n`);
    expect(loadConfig(legacy).sinks[0]!.headers).toEqual({ authorization: 'Bearer t0k3n-123' });
  });

  it("puts Alertmanager's alerts endpoint under a URL's path prefix, before its query", () => {
    const file = writeConfig(`source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsinks:\n  - name: am\n    alertmanager:\n      urls: ['http://127.0.0.1:9093/am/?tenant=t1', 'http://127.0.0.1:9094']\nsignals:\n  - name: api\n    requests: r_total\n`);
    expect(loadConfig(file).sinks.map((s) => s.url)).toEqual(['http://127.0.0.1:9093/am/api/v2/alerts?tenant=t1', 'http://127.0.0.1:9094/api/v2/alerts']);
  });

  it("names the kind YAML read where another is expected, never the value (it may be a secret)", () => {
    const file = writeConfig(
      'source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nserver:\n  listen: 127.0.0.1:9464\ndeploys:\n  apiToken: 90210417\ndelivery:\n  outboxDir: 5\n' +
        'signals:\n  - name: api\n    requests: r_total\n    labels: 3\n    clients: cargo\nsinks:\n  - name: h\n    webhook:\n      url: http://127.0.0.1:9/h\n      headers: [a]\n',
    );
    const problems = problemsOf(file);
    expect(problems).toEqual(
      expect.arrayContaining([
        'delivery.outboxDir: expected text, got a number: quote it to write it as text (line 9)',
        'signals[0].labels: expected a mapping (key: value lines), got a number (line 13)',
        'signals[0].clients: expected a list ("- item" lines, or [a, b]), got text (line 14)',
        'sinks[0].webhook.headers: expected a mapping (key: value lines), got a list (line 19)',
      ]),
    );
    expect(problems.join('\n')).not.toContain('90210417');
    expect(problems.join('\n')).not.toContain('Invalid input');
  });

  it('reports problems found after the schema: presets, duplicates, PromQL on a scrape source', () => {
    expect(problemsOf(bad('query-with-scrape.yaml'))).toEqual([
      'detector.preset: unknown preset "paranoid"; known: default, sensitive (line 5)',
      'signals[0].requests: a scrape source reads counters: give a selector, not a PromQL query (line 8)',
      'signals[1].name: duplicate signal name "downloads" (line 9)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problemsOf(bad('broken-yaml.yaml'))).toEqual(['line 4, column 1: All mapping items must start at the same column']);
  });

  it('takes any whole-second interval: cron ticks those dividing a minute, an aligned timer the others (45s, 90s)', () => {
    const body = (interval: string) => writeConfig(`interval: ${interval}\nsource:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\n`);
    for (const [text, ms] of [['45s', 45_000], ['90s', 90_000]] as const) {
      const c = loadConfig(body(text));
      expect([c.intervalMs, c.cron]).toEqual([ms, undefined]);
    }
    expect(loadConfig(body('30s')).cron).toBe('*/30 * * * * *');
    expect(problemsOf(body('1500ms'))).toEqual(['interval: expected a whole number of seconds (at least 1s), got 1500 ms (line 1)']);
  });

  it('names a missing file', () => {
    expect(problemsOf('/nonexistent/stormwatch.yaml')).toEqual(['cannot read file: ENOENT']);
  });

  it('restricts a signal to named client models, adds models from extra files, and names unknown ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-models-'));
    writeFileSync(join(dir, 'mine.yaml'), 'name: in-house-sdk\nmaxRetries: 7\ndelaysSeconds: []\nretryOn: [http_5xx]\n');
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'clientModels: [mine.yaml]\nsource:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\n    clients: [cargo, in-house-sdk]\n');
    expect(loadConfig(file).signals[0]!.clients.map((m) => m.name)).toEqual(['cargo', 'in-house-sdk']);
    writeFileSync(file, 'source:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\n    clients: [carg0]\n');
    expect(problemsOf(file)).toEqual([
      'signals[0].clients: unknown client model(s) "carg0"; known: cargo, cargo-legacy, curl-retry-5, generic-exponential, go-modules, npm, pip (line 7)',
    ]);
  });

  it('resolves sinks: secrets from env and files, one target per Alertmanager URL, default route to all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-sinks-'));
    writeFileSync(join(dir, 'token'), 'file-token\n');
    process.env.STORMWATCH_TEST_SIGNING = 'env-secret';
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `source:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\nsinks:\n  - name: hook\n    webhook:\n      url: http://127.0.0.1:5001/\n      signingSecret: {env: STORMWATCH_TEST_SIGNING}\n      headers: {Authorization: {file: token}}\n  - name: am\n    alertmanager:\n      urls: [http://127.0.0.1:9093, http://127.0.0.1:9094/]\n`,
    );
    const config = loadConfig(file);
    expect(config.sinks).toEqual([
      { name: 'hook', kind: 'webhook', url: 'http://127.0.0.1:5001/', timeoutMs: 5000, headers: { authorization: 'file-token' }, signingSecret: 'env-secret', setting: 'sinks[0].webhook' },
      { name: 'am[0]', kind: 'alertmanager', url: 'http://127.0.0.1:9093/api/v2/alerts', timeoutMs: 5000, headers: {}, resendIntervalMs: 60_000, setting: 'sinks[1].alertmanager' },
      { name: 'am[1]', kind: 'alertmanager', url: 'http://127.0.0.1:9094/api/v2/alerts', timeoutMs: 5000, headers: {}, resendIntervalMs: 60_000, setting: 'sinks[1].alertmanager' },
    ]);
    expect(config.routes).toEqual([{ receiver: 'stormwatch', key: '{}', sinks: ['hook', 'am[0]', 'am[1]'], match: {}, groupBy: ['alertname', 'signal'], groupWaitMs: 0, groupIntervalMs: 60_000, repeatIntervalMs: 14_400_000 }]);
    expect(config.delivery.outboxDir).toBe(join(dir, '.stormwatch'));
  });

  it('names missing secrets and bad sink settings without printing secret values', () => {
    delete process.env.STORMWATCH_TEST_MISSING;
    process.env.STORMWATCH_TEST_SLACK = 'not a url but a secret value';
    const problems = problemsOf(
      writeConfig(
        `source:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\nsinks:\n  - name: hook\n    webhook:\n      url: http://127.0.0.1:5001/\n      signingSecret: {env: STORMWATCH_TEST_MISSING}\n  - name: chat\n    slack:\n      url: {env: STORMWATCH_TEST_SLACK}\n  - name: both\n    webhook: {url: 'http://127.0.0.1:1/'}\n    slack: {url: 'http://127.0.0.1:2/'}\nroutes:\n  - sinks: [hook, nowhere]\n`,
      ),
    );
    expect(problems).toEqual(['sinks[2]: expected exactly one of webhook, alertmanager, slack, faro (line 15)']);
    const second = problemsOf(
      writeConfig(
        `source:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\nsinks:\n  - name: hook\n    webhook:\n      url: http://127.0.0.1:5001/\n      signingSecret: {env: STORMWATCH_TEST_MISSING}\n  - name: chat\n    slack:\n      url: {env: STORMWATCH_TEST_SLACK}\nroutes:\n  - sinks: [hook, nowhere]\n`,
      ),
    );
    expect(second).toEqual([
      'sinks[0].webhook.signingSecret: environment variable STORMWATCH_TEST_MISSING is not set (line 11)',
      'sinks[1].slack.url: expected an http:// or https:// URL (line 14)',
      'routes[0].sinks: unknown sink "nowhere"; known: hook, chat (line 16)',
    ]);
    expect(second.join('\n')).not.toContain('secret value');
  });

  it('takes server.basicAuth with its password from the environment, and refuses a short one naming its place', () => {
    const body = (password: string) => writeConfig(`server:\n  listen: 127.0.0.1:0\n  basicAuth: {username: sre, password: ${password}}\nsource:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\n`);
    process.env.STORMWATCH_TEST_UI_PASSWORD = 'long-enough-1';
    try {
      expect(loadConfig(body('{env: STORMWATCH_TEST_UI_PASSWORD}')).serverAuth).toEqual({ username: 'sre', password: 'long-enough-1' });
    } finally {
      delete process.env.STORMWATCH_TEST_UI_PASSWORD;
    }
    expect(problemsOf(body('short'))).toEqual(['server.basicAuth.password: expected at least 8 characters (line 3)']);
  });

  it("points alert links at alerting.externalURL, else at server.listen's address, and refuses a URL without a scheme", () => {
    const body = (server: string, alerting = '') => writeConfig(`${server}${alerting}source:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\n`);
    expect(loadConfig(body('server:\n  listen: 127.0.0.1:33895\n')).alerting).toMatchObject({ externalURL: 'http://127.0.0.1:33895', externalURLGiven: false });
    expect(loadConfig(body('server:\n  listen: 0.0.0.0:9464\n')).alerting.externalURL).toBe('http://127.0.0.1:9464');
    expect(loadConfig(body('server:\n  listen: 127.0.0.1:0\n', 'alerting:\n  externalURL: https://stormwatch.example.com/\n')).alerting).toMatchObject({ externalURL: 'https://stormwatch.example.com', externalURLGiven: true });
    expect(problemsOf(body('', 'alerting:\n  externalURL: stormwatch.example:9464\n'))).toEqual(['alerting.externalURL: expected an absolute http(s) URL, like https://stormwatch.example.com (line 2)']);
  });

  it('names an unreadable client model file at its key and line, beside the other problems', () => {
    const file = writeConfig(`clientModels: [/nonexistent/model.yaml]\nsource:\n  replay:\n    file: x.om\nsignals:\n  - name: a\n    requests: x\n    clients: [nosuch]\n`);
    expect(problemsOf(file)).toEqual([
      'clientModels[0]: /nonexistent/model.yaml: cannot read file: ENOENT (line 1)',
      expect.stringMatching(/^signals\[0\]\.clients: unknown client model\(s\) "nosuch"; known: /),
    ]);
  });

  it('requires at least one signal', () => {
    expect(problemsOf(writeConfig('source:\n  replay:\n    file: x.om\nsignals: []\n'))).toEqual(['signals: expected at least one signal (line 4)']);
  });
});

describe('formatPath', () => {
  it.each([
    [['signals', 2, 'requests'], 'signals[2].requests'],
    [['source'], 'source'],
    [[], '(top level)'],
  ] as [PropertyKey[], string][])('%j -> %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});
