// Backtest reports as a person sees them: the real CLI writes the report of the 2023-07-20
// scenario, headless Chromium opens the file and must draw every chart with data, make no network
// request at all, and zoom to the incident when the alert is clicked. The report of a week-long
// backtest stays small and opens in under 2 s.

import { copyFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import { type Browser, chartsReady, checkCharts, linesOfCells, openBrowser, screenshotDir } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';

const CONFIG = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');

describe('backtest report in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-report-'));
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('2023-07-20: charts drawn with data, no network request, the alert zooms to the incident', async () => {
    const file = join(dir, 'crates-2023-07-20.html');
    const run = await runCli(['backtest', '--config', CONFIG, '--report', file, '--summary'], 120_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('alerts fired: 2 (StormwatchDeployRegression 1, StormwatchRetryStorm 1)');
    expect(run.stderr).toContain('deploys: 3 (pass 2, fail 1)');

    browser = await openBrowser();
    const { page } = browser;
    const url = pathToFileURL(file).href;
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __stormwatch?: { ready: boolean } }).__stormwatch?.ready === true);
    await chartsReady(page, '.sw-report-charts');
    // Nothing but the file itself: no script, style, font, image or fetch from anywhere.
    expect(requests).toEqual([url]);

    const charts = await checkCharts(page, '.sw-report-charts');
    expect(charts.map((c) => c.chart)).toEqual(['requests', 'errors', 'completion', 'amplification', 'anomaly']);
    for (const c of charts) {
      expect(c.points, c.chart).toBeGreaterThan(1000);
      expect(c.dataPixels, c.chart).toBeGreaterThan(200);
    }
    // A chart with data says nothing of being empty; one with none (a series before its baselines
    // warmed up: no amplification, no anomaly score) says why, and stops once data comes.
    const empties = await page.evaluate(() => {
      const visible = (root: Element) => [...root.querySelectorAll('.sw-chart-empty')].filter((p) => !(p as HTMLElement).hidden).map((p) => (p.parentElement as HTMLElement).dataset.chart);
      const whole = JSON.parse(document.getElementById('sw-data-0')!.textContent!) as Record<string, unknown[]>;
      const warming = { ...whole, amp: whole.amp!.map(() => null), anomaly: whole.anomaly!.map(() => null) };
      const div = document.body.appendChild(document.createElement('div'));
      const charts = (window as unknown as { StormwatchCharts: { render(root: Element, d: unknown, o: unknown): { update(d: unknown, follow: boolean): void } } }).StormwatchCharts;
      const handle = charts.render(div, warming, { width: 800 });
      const before = visible(div);
      handle.update(whole, true);
      return { report: visible(document.querySelector('.sw-report-charts')!), before, after: visible(div) };
    });
    expect(empties).toEqual({ report: [], before: ['amplification', 'anomaly'], after: [] });
    const storm = page.locator('#sw-alerts tr').filter({ has: page.locator('a.sw-goto', { hasText: 'StormwatchRetryStorm' }) });
    // The same delay the backtest's own transition lines give: firing data time less the fault's start.
    const firing = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; labels: Record<string, string>; evaluatedAt: string }).find((l) => l.status === 'firing' && l.labels.alertname === 'StormwatchRetryStorm')!;
    expect(await storm.locator('td.sw-delay').textContent()).toBe(`${(Date.parse(firing.evaluatedAt) - Date.parse('2023-07-20T12:17:04Z')) / 1000} s`);
    expect(await page.locator('#sw-deploys td.sw-verdict-fail').count()).toBe(1);
    expect(await page.locator('#sw-deploys td.sw-verdict-pass').count()).toBe(2);
    const shots = screenshotDir();
    await page.screenshot({ path: join(shots, 'report-2023-07-20.png'), fullPage: true });

    // The alert's link lands on its series, zoomed to the incident (it fires at 12:17:15 UTC and resolves after 12:30:04).
    await storm.locator('a.sw-goto').click();
    const root = page.locator('.sw-report-charts').first();
    const [xmin, xmax] = await root.evaluate((el) => [Number((el as HTMLElement).dataset.xmin), Number((el as HTMLElement).dataset.xmax)]);
    expect(xmin).toBeLessThanOrEqual(Date.parse('2023-07-20T12:17:15Z') / 1000);
    expect(xmax).toBeGreaterThanOrEqual(Date.parse('2023-07-20T12:30:04Z') / 1000);
    expect(xmax - xmin).toBeLessThan(3600);
    expect(new URL(page.url()).hash).toBe('#series-crate-downloads');
    await page.locator('#series-crate-downloads').screenshot({ path: join(shots, 'report-2023-07-20-incident.png') });
    // The series, healthy again, explains with its storm alert's last words, not its recovery
    // tick's sentence (which read "no known client retry policy fits" above the alert's cargo).
    const explained = await page.locator('#series-crate-downloads .sw-explanation').textContent();
    expect(explained).toContain('cargo retrying');
    expect(explained).not.toContain('no known client retry policy fits');
    // A name (an alert's, a deploy's service) is read on one line beside a long why
    // ("StormwatchRetryStorm" broke in four, "crates-io" in two).
    const nameLines = await linesOfCells(page, '#series-crate-downloads td.sw-name');
    expect(nameLines.length).toBe(4); // its storm alert and its three deploys
    expect(nameLines.every((n) => n === 1), JSON.stringify(nameLines)).toBe(true);
    expect(requests).toEqual([url]);
    console.log(`stormwatch screenshots: ${shots} (report-2023-07-20.png, report-2023-07-20-incident.png)`);
    // Kept beside the screenshots, so CI keeps the report too.
    copyFileSync(file, join(shots, 'report-2023-07-20.html'));
  }, 180_000);

  it('a week of 15 s data: a few hundred KB, open in under 2 s', async () => {
    const file = join(dir, 'seasonal-week.html');
    const run = await runCli(['backtest', '--config', CONFIG, '--input', join(FIXTURES_DIR, 'scenarios', 'seasonal-week.om.gz'), '--report', file], 240_000);
    expect(run.code, run.stderr).toBe(0);
    const bytes = statSync(file).size;
    expect(bytes).toBeLessThan(3 * 1024 * 1024);
    browser ??= await openBrowser();
    const { page } = browser;
    // Time from navigation start until every chart is drawn, as the page measures it.
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => (window as unknown as { __stormwatch?: { ready: boolean } }).__stormwatch?.ready === true);
    const openMs = await page.evaluate(() => performance.now());
    const charts = await checkCharts(page, '.sw-report-charts');
    expect(charts.every((c) => c.points > 1000)).toBe(true);
    console.log(`week report: ${(bytes / 1024).toFixed(0)} KB, charts drawn ${openMs.toFixed(0)} ms after navigation start`);
    expect(openMs).toBeLessThan(2000);
    await page.screenshot({ path: join(screenshotDir(), 'report-seasonal-week.png'), fullPage: true });
  }, 300_000);
});
