// `npm pack` from a clean copy of the sources (no dist/): prepack builds, the tarball ships only
// what a user needs, and installed into an empty project `stormwatch --version` and the demo work.
// Installing fetches the runtime dependencies (npm's cache first, then the registry).

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/core/paths.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm pack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds in prepack, ships only what users need, installs and runs', async () => {
    // A clean checkout: sources only, no dist/ (the worktree's own dist/ stays untouched).
    const src = join(dir, 'src-copy');
    mkdirSync(src);
    for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.package.json', 'README.md', 'stormwatch.schema.json', 'src', 'scripts', 'bench', 'test', 'models', 'alerts', 'examples', 'dashboards', 'docs', 'fixtures']) {
      cpSync(join(PACKAGE_ROOT, entry), join(src, entry), { recursive: true });
    }
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
    expect(existsSync(join(src, 'dist'))).toBe(false);
    const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: src, maxBuffer: 16 * 1024 * 1024 });
    const [pack] = JSON.parse(stdout) as { filename: string; size: number; files: { path: string }[] }[];
    const files = pack!.files.map((f) => f.path);
    // The command is the bundle (scripts/bundle-cli.ts); tsc's module tree is not shipped.
    expect(files).toContain('dist/bin/cli.js');
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bin/'))).toEqual([]);
    expect(files).toContain('models/detector-presets.yaml');
    expect(files).toContain('alerts/definitions.yaml');
    expect(files).toContain('examples/argo/analysis-template.yaml');
    expect(files).toContain('stormwatch.schema.json');
    // Every file the README links to by a relative path is in the package, so its links resolve
    // where it is read after an install.
    const linked = [...readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8').matchAll(/\]\(((?:docs|examples|alerts|dashboards|models)\/[^)#\s]+)\)/g)].map((m) => m[1]!);
    expect(linked).toContain('docs/performance-rounds.md');
    for (const path of linked) expect(files).toContain(path);
    expect(files).toContain('fixtures/scenarios/crates-2023-07-20-broken-redirect.om');
    // Sources stay out, except the UI's browser script and stylesheet, served as they are.
    expect(files.filter((f) => (/^(test|src|scripts|bench)\//.test(f) && !f.startsWith('src/ui/client/')) || f.endsWith('.ts') || f.endsWith('.map'))).toEqual([]);
    expect(files).toContain('src/ui/client/series-charts.js');
    expect(files.filter((f) => f.startsWith('fixtures/'))).toHaveLength(2);
    expect(pack!.size).toBeLessThan(1024 * 1024);

    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{"name":"uses-stormwatch","private":true}\n');
    await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, pack!.filename)], { cwd: project });
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', 'stormwatch', 'package.json'), 'utf8')) as { version: string };
    const bin = join(project, 'node_modules', '.bin', 'stormwatch');
    expect((await run(bin, ['--version'], { cwd: project })).stdout).toBe(`stormwatch ${installed.version}\n`);
    const demo = await run(bin, ['demo', '--log-level', 'warn'], { cwd: project, maxBuffer: 16 * 1024 * 1024 });
    expect(demo.stdout).toContain('[receiver] FIRING StormwatchRetryStorm (critical) signal=crate-downloads');
    expect(demo.stdout).toContain('4 notification(s) received.');
    // Production dependencies only.
    expect(existsSync(join(project, 'node_modules', 'vitest'))).toBe(false);
  }, 300_000);
});
