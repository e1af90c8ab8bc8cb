// A dependency-free line chart: polled samples drawn as an SVG polyline with a light grid.
import type { JSX } from 'preact';

interface Point {
  readonly t: number;
  readonly v: number;
}

const W = 600;
const H = 220;
const PAD_LEFT = 44;
const PAD = 28;

/** The smallest 1, 2 or 4 × 10^n at or above `value` (at least 4): the axis labels 0, max/2, max stay whole. */
function niceMax(value: number): number {
  let step = 1;
  for (;;) {
    for (const m of [1, 2, 4]) {
      if (m * step >= Math.max(4, value)) return m * step;
    }
    step *= 10;
  }
}

export function Chart({ points, label }: { points: readonly Point[]; label: string }): JSX.Element {
  const max = niceMax(Math.max(0, ...points.map((p) => p.v)));
  const first = points[0]?.t ?? 0;
  const span = Math.max(1, (points[points.length - 1]?.t ?? 0) - first);
  const x = (t: number): number => PAD_LEFT + ((t - first) / span) * (W - PAD_LEFT - PAD);
  const y = (v: number): number => H - PAD - (v / max) * (H - PAD * 2);
  const line = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const latest = points[points.length - 1];
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${label}; latest ${latest?.v ?? 'no data'}, max ${max}`}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid-line" x1={PAD_LEFT} x2={W - PAD} y1={y(max * f)} y2={y(max * f)} />
            <text class="axis" x={PAD_LEFT - 6} y={y(max * f) + 4} text-anchor="end">
              {Math.round(max * f)}
            </text>
          </g>
        ))}
        {points.length > 1 && <polyline class="series" points={line} fill="none" />}
        {latest && <circle class="dot" cx={x(latest.t)} cy={y(latest.v)} r={4} />}
      </svg>
      <figcaption class="muted small">
        {points.length < 2 ? 'Collecting samples every 5 s…' : `${points.length} samples, every 5 s`}
      </figcaption>
    </figure>
  );
}
