// Bundles the compiled CLI (dist/src/cli.js) and the libraries it imports into dist/bin, the
// installed `stormwatch` command. Node 20 resolves, reads and compiles every ES module of a start-up
// one file at a time (about 200 of them with zod's, and no compile cache before Node 22): a bundle
// starts a command in about two thirds of the time. A command's own modules stay chunks of their
// own, loaded when it runs, as cli.ts imports them. Run by `npm run build`, after tsc.

import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'rolldown';
import { PACKAGE_ROOT } from '../src/core/paths.js';

const entry = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');
const outDir = join(PACKAGE_ROOT, 'dist', 'bin');

rmSync(outDir, { recursive: true, force: true });
// undici and uPlot's files are found at run time by createRequire (http-options.ts, ui/assets.ts),
// from the installed dependencies, as before.
const result = await build({ input: entry, platform: 'node', logLevel: 'warn', output: { dir: outDir, format: 'esm' } });
const files = result.output.map((o) => o.fileName);
const bytes = files.reduce((sum, f) => sum + statSync(join(outDir, f)).size, 0);
// On stderr: `npm pack --json` prints its JSON on stdout after prepack.
console.error(`stormwatch bundled into ${outDir}: ${files.length} files, ${Math.round(bytes / 1024)} KB`);
