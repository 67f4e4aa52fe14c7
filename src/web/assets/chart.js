/**
 * A small bar chart of spend per day, drawn as inline SVG with DOM APIs (no library, no inline styles:
 * the CSP allows neither). It is sized to its container in CSS pixels so text stays readable at 375 px.
 */
import { formatMoney, formatShortDay } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAY_MS = 24 * 3600 * 1000;
const MAX_DAYS = 92;
const OUTLIER_FACTOR = 8;

function svg(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function localDay(ms) {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/**
 * Spend per local day in the most common currency of `items`.
 * @returns {{currency: string, days: {day: number, cents: number}[], total: number, otherCurrencies: number} | null}
 */
export function spendPerDay(items) {
  // Money without a currency (null: Ramp's answer did not say it) is left out, not counted as USD.
  const usable = items.filter(
    (item) => typeof item.amount_cents === 'number' && Number.isFinite(item.amount_cents) && typeof item.currency === 'string' && !Number.isNaN(Date.parse(item.user_transaction_time)),
  );
  if (usable.length === 0) return null;
  const counts = new Map();
  for (const item of usable) counts.set(item.currency, (counts.get(item.currency) ?? 0) + 1);
  const currency = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const totals = new Map();
  for (const item of usable) {
    if (item.currency !== currency) continue;
    const day = localDay(Date.parse(item.user_transaction_time));
    totals.set(day, (totals.get(day) ?? 0) + Number(item.amount_cents));
  }
  const known = [...totals.keys()].sort((a, b) => a - b);
  let first = known[0];
  const last = known[known.length - 1];
  if (Math.round((last - first) / DAY_MS) >= MAX_DAYS) first = localDay(last - (MAX_DAYS - 1) * DAY_MS);
  const days = [];
  // Step by calendar day (not 24 h) so daylight-saving changes do not skip or repeat a day.
  for (let d = new Date(first); d.getTime() <= last; d.setDate(d.getDate() + 1)) {
    const day = localDay(d.getTime());
    days.push({ day, cents: totals.get(day) ?? 0 });
  }
  const total = days.reduce((sum, d) => sum + d.cents, 0);
  return { currency, days, total, otherCurrencies: usable.length - (counts.get(currency) ?? 0) };
}

/**
 * The top of the scale. Amounts are skewed, and one day far above the rest (a $1.2M wire among coffee
 * receipts) would flatten every other bar to a pixel. A day more than OUTLIER_FACTOR times a typical
 * spending day is an outlier: drawn cut at the top of the scale and marked, while the scale fits the
 * other days. "Typical" is the upper quartile with 4 or more spending days, else the second largest.
 * @returns {{max: number, outliers: Set<number>}} the scale's top in cents; outlier days by index
 */
export function chartScale(days) {
  const spending = days.map((d) => d.cents).filter((c) => c > 0).sort((a, b) => a - b);
  const top = Math.max(1, spending.at(-1) ?? 0);
  if (spending.length < 2) return { max: top, outliers: new Set() };
  const typical = spending.length >= 4 ? spending[Math.floor((spending.length - 1) * 0.75)] : spending.at(-2);
  const fence = typical * OUTLIER_FACTOR;
  const inside = spending.filter((c) => c <= fence);
  if (inside.length === spending.length) return { max: top, outliers: new Set() };
  const outliers = new Set();
  days.forEach((d, i) => {
    if (d.cents > fence) outliers.add(i);
  });
  // Headroom above the tallest normal day, so a cut bar still stands taller than all of them, rounded up
  // to a figure that reads as a scale ($5,000, not $4,268.96).
  return { max: niceCeil(inside.at(-1) * 1.25), outliers };
}

/** The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × a power of ten that is ≥ `value` (≥ 1). */
function niceCeil(value) {
  const power = 10 ** Math.floor(Math.log10(Math.max(1, value)));
  const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * power >= value - 1e-9);
  return step * power;
}

/**
 * Replaces `container`'s content with the chart.
 * @returns {{summary: string, outliers: {day: number, cents: number}[]}} a one-sentence summary for screen readers; the days cut
 */
export function renderSpendChart(container, series, width) {
  container.replaceChildren();
  const height = 168;
  const pad = { top: 22, right: 8, bottom: 26, left: 8 };
  const innerWidth = Math.max(40, width - pad.left - pad.right);
  const innerHeight = height - pad.top - pad.bottom;
  const { max, outliers } = chartScale(series.days);
  const peak = series.days.reduce((best, d) => (d.cents > best.cents ? d : best), series.days[0]);
  const summary = `${formatMoney(series.total, series.currency)} over ${series.days.length} day${series.days.length === 1 ? '' : 's'}; highest ${formatMoney(peak.cents, series.currency)} on ${formatShortDay(peak.day)}.`;

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Spend per day: ${summary}`, class: 'chart-svg' });
  root.append(svg('title', {}, `Spend per day: ${summary}`));

  // Grid: the scale's top, zero at the baseline.
  root.append(svg('line', { x1: pad.left, x2: pad.left + innerWidth, y1: pad.top, y2: pad.top, class: 'chart-grid' }));
  root.append(svg('line', { x1: pad.left, x2: pad.left + innerWidth, y1: pad.top + innerHeight, y2: pad.top + innerHeight, class: 'chart-axis' }));
  root.append(svg('text', { x: pad.left, y: pad.top - 7, class: 'chart-label' }, formatMoney(Math.round(max), series.currency)));

  const slot = innerWidth / series.days.length;
  const barWidth = Math.max(1, Math.min(28, slot * 0.72));
  series.days.forEach((d, i) => {
    const value = Math.max(0, d.cents);
    const cut = outliers.has(i);
    const barHeight = value === 0 ? 0 : cut ? innerHeight : Math.max(1.5, (value / max) * innerHeight);
    const x = pad.left + i * slot + (slot - barWidth) / 2;
    const classes = ['chart-bar', d === peak && 'chart-bar-peak', cut && 'chart-bar-outlier'].filter(Boolean).join(' ');
    const bar = svg('rect', { x: x.toFixed(2), y: (pad.top + innerHeight - barHeight).toFixed(2), width: barWidth.toFixed(2), height: barHeight.toFixed(2), rx: Math.min(3, barWidth / 3).toFixed(2), class: classes, 'data-cents': d.cents });
    bar.append(svg('title', {}, `${formatShortDay(d.day)}: ${formatMoney(d.cents, series.currency)}${cut ? ' (above the scale)' : ''}`));
    root.append(bar);
    if (cut) {
      // The break mark: a gap across the bar near its top says "this bar goes further than drawn".
      const y = pad.top + 8;
      root.append(svg('line', { x1: (x - 2).toFixed(2), x2: (x + barWidth + 2).toFixed(2), y1: (y + 3).toFixed(2), y2: (y - 1).toFixed(2), class: 'chart-break' }));
    }
  });

  // X labels: first and last day, plus the middle when there is room.
  const labels = [0, series.days.length - 1];
  if (series.days.length > 4 && width > 320) labels.splice(1, 0, Math.floor((series.days.length - 1) / 2));
  for (const i of new Set(labels)) {
    const center = pad.left + i * slot + slot / 2;
    const anchor = i === 0 ? 'start' : i === series.days.length - 1 ? 'end' : 'middle';
    const x = anchor === 'start' ? pad.left : anchor === 'end' ? pad.left + innerWidth : center;
    root.append(svg('text', { x: x.toFixed(2), y: height - 8, 'text-anchor': anchor, class: 'chart-label' }, formatShortDay(series.days[i].day)));
  }
  container.append(root);
  return { summary, outliers: [...outliers].map((i) => series.days[i]) };
}
