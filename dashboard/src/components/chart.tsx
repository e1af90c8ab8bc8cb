// A dependency-free time-series chart: series drawn as SVG polylines against a real UTC time axis,
// with an optional dashed plan-limit line. Styling is by class only (the dashboard's CSP allows no
// inline styles).
import type { JSX } from 'preact';

export interface Point {
  readonly t: number;
  readonly v: number;
}

export interface Series {
  readonly name: string;
  /** CSS class of the line and its legend swatch: series-1 … series-3. */
  readonly cls: string;
  readonly points: readonly Point[];
}

export interface Limit {
  readonly label: string;
  readonly value: number;
}

const W = 720;
const H = 240;
const PAD_LEFT = 56;
const PAD_RIGHT = 16;
const PAD_TOP = 16;
const PAD_BOTTOM = 30;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The smallest 1, 2 or 5 × 10^n at or above `value` (at least 4): axis labels 0, max/2, max. */
export function niceMax(value: number): number {
  let step = 1;
  for (;;) {
    for (const m of [1, 2, 4, 5]) {
      if (m * step >= Math.max(4, value)) return m * step;
    }
    step *= 10;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Tick times and labels (UTC) for a span: every 3 h within a day, daily within a week, else every 5 days. */
export function timeTicks(from: number, to: number): { t: number; label: string }[] {
  const span = to - from;
  const step = span <= DAY + HOUR ? 3 * HOUR : span <= 8 * DAY ? DAY : 5 * DAY;
  const ticks: { t: number; label: string }[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const d = new Date(t);
    const label =
      step < DAY
        ? `${String(d.getUTCHours()).padStart(2, '0')}:00`
        : `${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}`;
    ticks.push({ t, label });
  }
  return ticks;
}

const format = (v: number): string => (v >= 10_000 ? `${Math.round(v / 1000)}k` : v.toLocaleString('en-US'));

export function TimeChart(props: {
  label: string;
  from: number;
  to: number;
  series: readonly Series[];
  limit?: Limit | null;
  /** Scale the chart so the limit line is visible even when usage is far below it. */
  showLimit?: boolean;
}): JSX.Element {
  const { from, to, series, limit } = props;
  const dataMax = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.v)));
  const limitShown = limit != null && (props.showLimit === true || limit.value <= dataMax * 4);
  const max = niceMax(limitShown ? Math.max(dataMax, limit.value) : dataMax);
  const span = Math.max(1, to - from);
  const x = (t: number): number => PAD_LEFT + ((t - from) / span) * (W - PAD_LEFT - PAD_RIGHT);
  const y = (v: number): number => H - PAD_BOTTOM - (v / max) * (H - PAD_TOP - PAD_BOTTOM);
  const line = (points: readonly Point[]): string =>
    points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const summary = series.map((s) => `${s.name} max ${Math.max(0, ...s.points.map((p) => p.v))}`).join(', ');
  return (
    <figure class="chart" data-chart={props.label}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.label}: ${summary}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid-line" x1={PAD_LEFT} x2={W - PAD_RIGHT} y1={y(max * f)} y2={y(max * f)} />
            <text class="axis" x={PAD_LEFT - 6} y={y(max * f) + 4} text-anchor="end">
              {format(max * f)}
            </text>
          </g>
        ))}
        {timeTicks(from, to).map((tick) => (
          <g key={tick.t}>
            <line class="tick" x1={x(tick.t)} x2={x(tick.t)} y1={H - PAD_BOTTOM} y2={H - PAD_BOTTOM + 5} />
            <text class="axis" x={x(tick.t)} y={H - 8} text-anchor="middle">
              {tick.label}
            </text>
          </g>
        ))}
        {series.map((s) =>
          s.points.length > 1 ? (
            <polyline key={s.name} class={`series ${s.cls}`} points={line(s.points)} fill="none" />
          ) : null,
        )}
        {limitShown && (
          <g class="limit" data-limit={limit.value}>
            <line x1={PAD_LEFT} x2={W - PAD_RIGHT} y1={y(limit.value)} y2={y(limit.value)} />
            <text x={W - PAD_RIGHT - 4} y={y(limit.value) - 5} text-anchor="end">
              {`${limit.label}: ${limit.value.toLocaleString('en-US')}`}
            </text>
          </g>
        )}
      </svg>
      <figcaption class="legend small">
        {series.map((s) => (
          <span key={s.name} class="legend-item">
            <span class={`swatch ${s.cls}`} aria-hidden="true" />
            {s.name}
          </span>
        ))}
        {limit != null && (
          <span class="legend-item muted">
            <span class="swatch limit-swatch" aria-hidden="true" />
            {limitShown
              ? limit.label
              : `${limit.label}: ${limit.value.toLocaleString('en-US')} (above this scale)`}
          </span>
        )}
        <span class="muted">Times in UTC</span>
      </figcaption>
    </figure>
  );
}
