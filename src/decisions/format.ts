// Human-readable numbers for annotations: rates with SI suffixes, ratios as percentages.

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a';
  const abs = Math.abs(perSecond);
  if (abs >= 1e6) return `${trim(perSecond / 1e6)}M/s`;
  if (abs >= 1e3) return `${trim(perSecond / 1e3)}K/s`;
  return `${trim(perSecond)}/s`;
}

export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  return `${trim(ratio * 100)}%`;
}

/**
 * A share of requests completed downstream. A tick can count more completions than requests (the
 * downstream scraped later counts the tick before's too): that is everything completing, said as
 * 100%, not 104% of requests.
 */
export function formatCompletion(ratio: number): string {
  return formatPercent(Math.min(ratio, 1));
}

export function formatFactor(factor: number): string {
  if (!Number.isFinite(factor)) return 'n/a';
  return `${trim(factor)}x`;
}

/** Three significant digits, no trailing zeros. */
function trim(value: number): string {
  if (value === 0) return '0';
  return String(Number(value.toPrecision(3)));
}
