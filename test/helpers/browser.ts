// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, as a person would
// see stormwatch's pages; screenshots go to a folder the tests print, for CI to keep.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

export const CHROMIUM = process.env.STORMWATCH_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go: $STORMWATCH_SCREENSHOTS, else stormwatch-screenshots under the temp directory. */
export function screenshotDir(): string {
  const dir = process.env.STORMWATCH_SCREENSHOTS ?? join(tmpdir(), 'stormwatch-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** How many lines each cell matching `selector` is laid out on (its text's distinct line tops). */
export function linesOfCells(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (cells) =>
    cells.map((c) => {
      const range = document.createRange();
      range.selectNodeContents(c);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    }),
  );
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** `httpCredentials`: what the browser answers a server's Basic challenge with (server.basicAuth). */
export async function openBrowser(options: { httpCredentials?: { username: string; password: string } } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh (it installs Debian's chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'stormwatch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
    ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    },
  };
}

/** Waits until a series' charts are drawn in `selector` (the chart script sets data-ready). */
export async function chartsReady(page: Page, selector: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForSelector(`${selector}[data-ready="1"]`, { timeout: timeoutMs });
}

export interface ChartCheck {
  chart: string;
  /** Non-null values the chart was given (DOM). */
  points: number;
  /** Canvas pixels of the chart's own data colour (a blank or axes-only chart has none). */
  dataPixels: number;
}

/** For each chart under `root`: how many values it drew, and how many pixels have its data colour. */
export async function checkCharts(page: Page, root: string): Promise<ChartCheck[]> {
  return page.evaluate((rootSel) => {
    const colours: Record<string, [number, number, number]> = { requests: [192, 57, 43], errors: [211, 84, 0], completion: [39, 174, 96], amplification: [142, 68, 173], anomaly: [31, 97, 141] };
    return [...document.querySelectorAll(`${rootSel} .sw-chart`)].map((box) => {
      const chart = (box as HTMLElement).dataset.chart ?? '';
      const canvas = box.querySelector('canvas')!;
      const ctx = canvas.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const [r, g, b] = colours[chart] ?? [0, 0, 0];
      let dataPixels = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 60 && data[i + 3]! > 200) dataPixels++;
      return { chart, points: Number((box as HTMLElement).dataset.points), dataPixels };
    });
  }, root);
}
