// The live UI as a person sees it: the real CLI watches a local download service over /metrics,
// the service breaks (a retry storm), the alert arrives at a webhook receiver, and headless
// Chromium follows the alert's generatorURL: it must land on the right series at the alert's time,
// with every chart drawn with data; a series page left open draws the alert from its refreshes,
// keeping its reader's zoom, and says so when stormwatch stops answering. The overview lists the
// series as firing. The UI is behind
// server.basicAuth (the password from the environment): asked without it, it answers 401.

import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { type Browser, chartsReady, checkCharts, linesOfCells, openBrowser, screenshotDir } from '../helpers/browser.js';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { startDownloadTarget } from '../helpers/download-target.js';
import { freePort } from '../helpers/ports.js';
import { stopChild } from '../helpers/prometheus.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

describe('live UI in Chromium during an incident', () => {
  const target = startDownloadTarget();
  let receiver: Receiver | undefined;
  let cli: CliProcess | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) await stopChild(cli.child);
    clearInterval(target.timer);
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
    await receiver?.close();
  });

  it('the alert link opens its series at the alert time, charts drawn with data', async () => {
    await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
    receiver = await startReceiver();
    const port = await freePort();
    const ui = `http://127.0.0.1:${port}`;
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-ui-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `interval: 1s
source:
  scrape:
    url: http://127.0.0.1:${(target.server.address() as AddressInfo).port}/metrics
server:
  listen: 127.0.0.1:${port}
  basicAuth: {username: sre, password: {env: STORMWATCH_UI_PASSWORD}}
detector:
  minBaselinePoints: 8
  baselineResolution: 1s
alerting:
  for: 2s
  keepFiringFor: 3s
  externalURL: ${ui}
sinks:
  - name: receiver
    webhook:
      url: ${receiver.url}/alerts
routes:
  - groupInterval: 1s
delivery:
  outboxDir: ${join(dir, 'state')}
signals:
  - name: downloads
    labels: {service: crates-io}
    requests: 'api_requests_total'
    downstream: 'static_requests_total{code="200"}'
`,
    );
    cli = spawnCli(['run', '--config', config], { STORMWATCH_UI_PASSWORD: 'ui-pass-24680' });
    await cli.waitForLog('stormwatch running', 15_000);
    expect((await fetch(`${ui}/ui/`)).status).toBe(401);
    expect((await fetch(`${ui}/livez`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 13_000));
    // A page left open on the series, following live, zoomed by its reader before the incident.
    browser = await openBrowser({ httpCredentials: { username: 'sre', password: 'ui-pass-24680' } });
    const watching = await browser.context.newPage();
    await watching.goto(`${ui}/ui/series?id=downloads`);
    await chartsReady(watching, '#sw-root');
    expect(await watching.$eval('.sw-chart[data-chart="requests"] .uplot', (el) => (el as HTMLElement).dataset.markedAlerts)).toBe('0');
    const asked = await watching.evaluate(() => {
      const w = window as unknown as { __stormwatch: { data: { fromMs: number; toMs: number }; handle: { zoomTo(a: number, b: number): void } } };
      const { fromMs, toMs } = w.__stormwatch.data;
      w.__stormwatch.handle.zoomTo(fromMs + 2000, toMs - 3000);
      return [(fromMs + 2000) / 1000, (toMs - 3000) / 1000];
    });
    // uPlot applies a scale on its next frame.
    await watching.waitForFunction((min) => Number(document.getElementById('sw-root')!.dataset.xmin) === min, asked[0], { timeout: 5000 });
    const zoomed = await watching.$eval('#sw-root', (el) => [(el as HTMLElement).dataset.xmin, (el as HTMLElement).dataset.xmax]);
    expect(zoomed.map(Number)).toEqual(asked);
    // Zoomed to seconds, the time axis reads HH:MM:SS: no two labels may run together.
    const crowded = await watching.evaluate(() => {
      const w = window as unknown as { __stormwatch: { handle: { plots: { axes: { _splits: number[]; _values: string[]; font: [string, number] }[]; ctx: CanvasRenderingContext2D; valToPos(v: number, scale: string): number }[] } } };
      const u = w.__stormwatch.handle.plots[0]!;
      const axis = u.axes[0]!;
      u.ctx.font = axis.font[0];
      const ratio = window.devicePixelRatio || 1;
      const width = (label: string) => Math.max(...String(label).split('\n').map((line) => u.ctx.measureText(line).width)) / ratio;
      const at = axis._splits.map((v) => u.valToPos(v, 'x'));
      const overlaps: string[] = [];
      for (let i = 1; i < at.length; i++) if (at[i]! - at[i - 1]! < (width(axis._values[i - 1]!) + width(axis._values[i]!)) / 2) overlaps.push(`${axis._values[i - 1]} | ${axis._values[i]}`);
      return { labels: axis._values.length, overlaps, sample: axis._values[0] };
    });
    expect(crowded.labels).toBeGreaterThan(1);
    expect(crowded.sample).toMatch(/^\d\d:\d\d:\d\d/);
    expect(crowded.overlaps).toEqual([]);
    target.state.broken = true;
    await receiver.waitFor((all) => all.some((r) => (r.json as WebhookPayload).status === 'firing'), 30_000);
    const alert = (receiver.received.find((r) => (r.json as WebhookPayload).status === 'firing')!.json as WebhookPayload).alerts[0]!;
    expect(alert.labels.alertname).toBe('StormwatchRetryStorm');
    const link = new URL(alert.generatorURL);
    expect(`${link.origin}${link.pathname}`).toBe(`${ui}/ui/series`);
    // A few more seconds of the incident on the charts.
    await new Promise((r) => setTimeout(r, 3000));

    // The open page drew the alert from its refreshes (no reload), and kept its reader's zoom.
    expect(Number(await watching.$eval('.sw-chart[data-chart="requests"] .uplot', (el) => (el as HTMLElement).dataset.markedAlerts))).toBeGreaterThanOrEqual(1);
    expect(await watching.$eval('#sw-root', (el) => [(el as HTMLElement).dataset.xmin, (el as HTMLElement).dataset.xmax])).toEqual(zoomed);
    expect(await watching.textContent('#sw-live')).toBe('Following live.');

    const { page } = browser;
    await page.goto(alert.generatorURL);
    await chartsReady(page, '#sw-root');
    expect(await page.textContent('main h2')).toBe('downloads');
    // Landed at the alert's time: the charts' x range holds startsAt, and the alert's row is selected.
    const at = Date.parse(alert.startsAt) / 1000;
    const [xmin, xmax] = await page.$eval('#sw-root', (el) => [Number((el as HTMLElement).dataset.xmin), Number((el as HTMLElement).dataset.xmax)]);
    expect(xmin).toBeLessThanOrEqual(at);
    expect(xmax).toBeGreaterThanOrEqual(at);
    expect(await page.$eval('tr.sw-selected a.sw-alert-link', (el) => (el as HTMLElement).dataset.fingerprint)).toBe(alert.fingerprint);
    expect(await page.textContent('.sw-explanation')).toContain('downloads');
    // A time in the alerts' table is read on one line ("05:39:13.001Z" broke as "05:39:1" / "3.001Z").
    const lines = await linesOfCells(page, 'td.sw-time');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((n) => n === 1), JSON.stringify(lines)).toBe(true);
    const charts = await checkCharts(page, '#sw-root');
    expect(charts.map((c) => c.chart)).toEqual(['requests', 'errors', 'completion', 'amplification', 'anomaly']);
    for (const c of charts.filter((c) => c.chart !== 'errors')) {
      expect(c.points, c.chart).toBeGreaterThan(10);
      expect(c.dataPixels, c.chart).toBeGreaterThan(100);
    }
    const shots = screenshotDir();
    await page.screenshot({ path: join(shots, 'live-series.png'), fullPage: true });

    await page.goto(`${ui}/ui/?state=alerting`);
    const row = page.locator('#sw-overview tr[data-series="downloads"]');
    expect(await row.locator('td').nth(1).textContent()).toBe('firing');
    // The anomaly score now, in [0, 1] with two decimals (how far it has fallen since the onset's
    // near 1 depends on how many ticks of the storm its tail record has seen).
    const anomaly = await row.locator('td.sw-anomaly').textContent();
    expect(anomaly).toMatch(/^[01]\.\d\d$/);
    expect(Number(anomaly)).toBeLessThanOrEqual(1);
    expect(await row.locator('td').nth(4).textContent()).toBe('StormwatchRetryStorm');
    await page.screenshot({ path: join(shots, 'live-overview.png'), fullPage: true });
    // The overview reloads itself (every 5 s here), but not under someone typing a filter.
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    await page.fill('input[name="q"]', 'down');
    await new Promise((r) => setTimeout(r, 6500));
    expect(await page.inputValue('input[name="q"]')).toBe('down');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadedAt);
    // Left as it was, it reloads again.
    await page.fill('input[name="q"]', '');
    await page.locator('input[name="q"]').blur();
    await page.waitForEvent('load', { timeout: 10_000 });
    await row.locator('a').click();
    await chartsReady(page, '#sw-root');
    // stormwatch gone: the open page says its updates fail, and keeps the charts as last read.
    await stopChild(cli.child);
    await watching.waitForFunction(() => (document.getElementById('sw-live')?.textContent ?? '').startsWith('Live updates failing since'), null, { timeout: 10_000 });
    expect(await watching.$$eval('.sw-chart', (els) => els.length)).toBe(5);
    console.log(`stormwatch screenshots: ${shots} (live-series.png, live-overview.png)`);
  }, 120_000);
});
