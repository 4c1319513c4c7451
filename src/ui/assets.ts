// The static files of the UI and the report: uPlot (from node_modules), the chart script and the
// stylesheet (from src/ui/client). Read once, served as they are: no build step at run time.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/paths.js';

export interface Asset {
  type: string;
  body: string;
}

const require = createRequire(import.meta.url);
const CLIENT_DIR = join(PACKAGE_ROOT, 'src', 'ui', 'client');

const FILES: Record<string, { path: () => string; type: string }> = {
  'uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'series-charts.js': { path: () => join(CLIENT_DIR, 'series-charts.js'), type: 'text/javascript; charset=utf-8' },
  'style.css': { path: () => join(CLIENT_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Asset>();

/** An asset by file name, or undefined for names not served. */
export function asset(name: string): Asset | undefined {
  const spec = FILES[name];
  if (!spec) return undefined;
  let a = cache.get(name);
  if (!a) cache.set(name, (a = { type: spec.type, body: readFileSync(spec.path(), 'utf8') }));
  return a;
}

export function assetText(name: string): string {
  const a = asset(name);
  if (!a) throw new Error(`no UI asset ${name}`);
  return a.body;
}
