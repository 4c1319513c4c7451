// Writes a backtest's report file: the model from its history, the assets inlined.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { StormwatchConfig } from '../config/load.js';
import type { BacktestSummary } from '../runner/backtest.js';
import { assetText } from '../ui/assets.js';
import { reportHtml } from './report-html.js';
import { reportModel } from './report-model.js';
import { labelsBeside } from './scenario-labels.js';
import { type SummaryCounter, summaryNumbers } from './summary.js';

export function writeReport(file: string, config: StormwatchConfig, input: string | undefined, backtest: BacktestSummary, counter: SummaryCounter, nowMs = Date.now()): { file: string; bytes: number } {
  if (!backtest.history) throw new Error('a report needs the backtest run with keepHistory');
  let configText: string;
  try {
    configText = readFileSync(config.file, 'utf8');
  } catch {
    configText = '(the configuration file could not be read)';
  }
  const model = reportModel({
    title: input ? basename(input) : basename(config.file),
    input: input ?? `${config.source.kind} source of ${config.file}`,
    fromMs: backtest.fromMs,
    toMs: backtest.toMs,
    generatedAtMs: nowMs,
    history: backtest.history,
    deploys: backtest.deploys,
    labels: input ? labelsBeside(input) : undefined,
    summary: summaryNumbers({ counter, deploys: backtest.deploys, dataProblems: backtest.dataProblems, fromMs: backtest.fromMs, toMs: backtest.toMs }),
    configFile: config.file,
    configText,
    ...(config.deploys ? { deployWindowMs: config.deploys.windowMs } : {}),
  });
  const html = reportHtml(model, { uplotJs: assetText('uPlot.iife.min.js'), uplotCss: assetText('uPlot.min.css'), chartsJs: assetText('series-charts.js'), css: assetText('style.css') });
  const out = resolve(file);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, html);
  return { file: out, bytes: Buffer.byteLength(html) };
}
