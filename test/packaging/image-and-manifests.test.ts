// What can be checked here without a Docker daemon or a cluster: the Dockerfile (non-root,
// production dependencies only, a healthcheck on the port it listens on, every COPY source present
// and not docker-ignored, a CMD that `stormwatch run` accepts) and the Kubernetes sidecar example
// (probes on /livez and /readyz, state on a writable volume, config read-only, a config that loads,
// scrape annotations on the port it listens on).

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findCommand } from '../../src/cli/commands.js';
import { loadConfig } from '../../src/config/load.js';
import { PACKAGE_ROOT } from '../../src/core/paths.js';
import { makeTestCerts } from '../helpers/certs.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** `run` flags from an exec-form CMD/args list, checked against the command's own options. */
function checkRunArgs(args: string[]): Record<string, string> {
  expect(args[0]).toBe('run');
  const spec = findCommand('run')!;
  const flags: Record<string, string> = {};
  for (let i = 1; i < args.length; i += 2) {
    const name = args[i]!.replace(/^--/, '');
    expect(Object.keys(spec.options), `run has no --${name}`).toContain(name);
    flags[name] = args[i + 1]!;
  }
  return flags;
}

describe('Dockerfile', () => {
  const all = instructions(readFileSync(join(PACKAGE_ROOT, 'Dockerfile'), 'utf8'));
  const stages = all.reduce<Instruction[][]>((acc, ins) => (ins.op === 'FROM' ? [...acc, [ins]] : (acc.at(-1)!.push(ins), acc)), []);
  const final = stages.at(-1)!;
  const ignored = readFileSync(join(PACKAGE_ROOT, '.dockerignore'), 'utf8').split('\n').filter(Boolean);

  it('runs the packed package as a non-root user with production dependencies only', () => {
    expect(stages).toHaveLength(2);
    for (const s of stages) expect(s[0]!.args).toMatch(/^node:20(-[a-z]+)*-slim/);
    const user = final.filter((i) => i.op === 'USER').at(-1);
    expect(user?.args).toBe('node');
    const install = final.find((i) => i.op === 'RUN' && i.args.includes('npm install'))!;
    expect(install.args).toContain('--omit=dev');
    expect(final.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build /tmp/stormwatch.tgz'))).toBe(true);
    // Nothing from the build context reaches the final stage but the tarball.
    expect(final.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))).toEqual([]);
    expect(stages[0]!.some((i) => i.op === 'RUN' && i.args.includes('npm pack'))).toBe(true);
  });

  it('listens where it exposes, keeps state on the volume, checks /livez on that port', () => {
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[];
    const flags = checkRunArgs(cmd);
    const port = flags.listen!.split(':').at(-1);
    expect(flags.listen).toBe('0.0.0.0:9464');
    expect(final.find((i) => i.op === 'EXPOSE')!.args).toBe(port);
    expect(final.find((i) => i.op === 'VOLUME')!.args).toBe(flags['state-dir']);
    expect(final.find((i) => i.op === 'RUN' && i.args.includes('chown'))!.args).toContain(`chown node:node ${flags['state-dir']}`);
    const health = final.find((i) => i.op === 'HEALTHCHECK')!.args;
    expect(health).toMatch(/--interval=\d+s --timeout=\d+s/);
    expect(health).toContain(`'127.0.0.1:${port}/livez'`);
    expect(JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['stormwatch']);
  });

  it("its HEALTHCHECK passes against /livez over HTTP and over HTTPS (server.tls), and fails when /livez does not answer 200", async () => {
    const health = final.find((i) => i.op === 'HEALTHCHECK')!.args;
    const command = JSON.parse(health.slice(health.indexOf('CMD') + 3).trim()) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-healthcheck-'));
    const certs = await makeTestCerts(dir);
    let status = 200;
    const answer = (req: IncomingMessage, res: ServerResponse) => res.writeHead(req.url === '/livez' ? status : 404).end();
    const check = async (port: number) => {
      const script = command[2]!.replace('127.0.0.1:9464', `127.0.0.1:${port}`);
      return new Promise<number | null>((resolve) => execFile(process.execPath, ['-e', script], { timeout: 10_000 }, (error) => resolve(error ? ((error as { code?: number }).code ?? -1) : 0)));
    };
    const plain = createHttpServer(answer);
    const tls = createHttpsServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, answer);
    try {
      for (const server of [plain, tls]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server: { address(): unknown }) => (server.address() as AddressInfo).port;
      expect(await check(port(plain))).toBe(0);
      expect(await check(port(tls))).toBe(0);
      status = 503;
      expect(await check(port(plain))).toBe(1);
      expect(await check(port(tls))).toBe(1);
      const closed = port(plain);
      await new Promise<void>((resolve) => plain.close(() => resolve()));
      expect(await check(closed)).toBe(1);
    } finally {
      plain.close();
      tls.close();
    }
  }, 30_000);

  it('copies only files that exist and are not docker-ignored, and everything the package ships', () => {
    const copied: string[] = [];
    for (const i of stages[0]!.filter((x) => x.op === 'COPY')) {
      const parts = i.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(join(PACKAGE_ROOT, src)), src).toBe(true);
        expect(ignored.some((g) => src === g || src.startsWith(`${g}/`)), `${src} is docker-ignored`).toBe(false);
        copied.push(src.replace(/\/$/, ''));
      }
    }
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { files: string[]; scripts: Record<string, string> };
    for (const f of pkg.files.filter((x) => !x.startsWith('dist/'))) {
      expect(copied.some((c) => f === c || f.startsWith(`${c}/`)), `${f} (package.json files) is not copied into the build`).toBe(true);
    }
    // Every file the pack's build compiles (what its tsconfig includes and all they import, as
    // TypeScript lists them) is copied: a bench importing the tests' helpers failed the build.
    const build = /tsc -p (\S+)/.exec(pkg.scripts[/npm run (\S+)/.exec(pkg.scripts.prepack!)![1]!]!)![1]!;
    expect(copied, `${build} is not copied into the build`).toContain(build);
    const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = execFileSync(process.execPath, [tsc, '-p', build, '--listFilesOnly'], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.startsWith(PACKAGE_ROOT) && !f.includes('/node_modules/'))
      .map((f) => relative(PACKAGE_ROOT, f));
    expect(compiled).toContain('src/cli.ts');
    for (const f of compiled) expect(copied.some((c) => f === c || f.startsWith(`${c}/`)), `${f} (compiled by ${build}) is not copied into the build`).toBe(true);
  }, 30_000);
});

describe('Kubernetes sidecar example', () => {
  const docs = parseAllDocuments(readFileSync(join(PACKAGE_ROOT, 'examples', 'kubernetes', 'sidecar.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  const pod = deployment.spec.template;
  const sw = pod.spec.containers.find((c: any) => c.name === 'stormwatch');

  it('probes /livez on the port it listens on, and not /readyz (it would keep a new app pod from ever being Ready); Prometheus scrapes that port', () => {
    const flags = checkRunArgs(sw.args);
    const port = Number(flags.listen!.split(':').at(-1));
    const named = sw.ports.find((p: any) => p.containerPort === port);
    expect(named).toBeDefined();
    expect(sw.livenessProbe.httpGet).toEqual({ path: '/livez', port: named.name });
    expect(sw.readinessProbe).toBeUndefined();
    expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
  });

  it('config read-only from the ConfigMap, state on a writable volume, non-root', () => {
    const flags = checkRunArgs(sw.args);
    const mount = (path: string) => sw.volumeMounts.find((m: any) => m.mountPath === path);
    const configMount = mount(flags.config!.replace(/\/[^/]+$/, ''));
    expect(configMount.readOnly).toBe(true);
    expect(pod.spec.volumes.find((v: any) => v.name === configMount.name).configMap.name).toBe(configMap.metadata.name);
    const stateMount = mount(flags['state-dir']!);
    expect(stateMount.readOnly).toBeUndefined();
    expect(pod.spec.volumes.find((v: any) => v.name === stateMount.name).configMap).toBeUndefined();
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(sw.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it('its stormwatch.yaml is a valid config that listens beyond loopback', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-k8s-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(file, configMap.data['stormwatch.yaml']);
    process.env.STORMWATCH_DEPLOY_TOKEN = 't';
    process.env.ONCALL_WEBHOOK_URL = 'http://127.0.0.1:5001/hook';
    try {
      const config = loadConfig(file);
      expect(config.listen).toBe('0.0.0.0:9464');
      expect(config.delivery.outboxDir).toBe(checkRunArgs(sw.args)['state-dir']);
      expect(config.source.kind).toBe('scrape');
    } finally {
      delete process.env.STORMWATCH_DEPLOY_TOKEN;
      delete process.env.ONCALL_WEBHOOK_URL;
    }
  });
});
