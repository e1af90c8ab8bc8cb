// report.mjs — the table `npm run bench` prints: one column per server, each Mawjly transport (and
// the uWS ceiling) as a ratio to the Node + ws baseline of the same run, and issue 10's targets.

export const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/**
 * Rows: label, scenario, value picker, the uWS transport's target (issue 10) and the floor the ws
 * transport must not fall below (issue 10's "today" figures). A target is { ratio } (≥ that many
 * times the baseline), { below } (ratio under 1: less than the baseline), { max } (absolute, ≤) or
 * { all } (every requested connection held with no error).
 */
export const ROWS = [
  ['fan-out deliveries/s', 'fanout', (r) => r.deliveries_per_sec],
  [
    'fan-out deliveries per server CPU-s',
    'fanout',
    (r) => r.deliveries_per_server_cpu_sec,
    { ratio: 3 },
    { ratio: 1.57 },
  ],
  ['fan-out per server CPU-s, 2 webhook endpoints', 'webhooks', (r) => r.deliveries_per_server_cpu_sec],
  [
    'fan-out per server CPU-s, app setting(s) toggled',
    'fanout-setting',
    (r) => r.deliveries_per_server_cpu_sec,
  ],
  ['encrypted deliveries per server CPU-s', 'encrypted', (r) => r.deliveries_per_server_cpu_sec],
  ['p50 trigger→receive, 100 subs × 100 ev/s (ms)', 'latency', (r) => r.latency_ms?.p50],
  ['p99 trigger→receive, 100 subs × 100 ev/s (ms)', 'latency', (r) => r.latency_ms?.p99, { below: 1 }],
  ['REST publishes/s (32 concurrent)', 'http', (r) => r.requests_per_sec, { ratio: 1 }, { ratio: 0.57 }],
  ['REST publishes per server CPU-s', 'http', (r) => r.requests_per_server_cpu_sec, { ratio: 1.2 }],
  ['REST p99 (ms)', 'http', (r) => r.latency_ms?.p99],
  ['idle connections held, 10k (failed as negative)', 'connections', held],
  ['RSS per idle connection, 10k (KB)', 'connections', (r) => r.server_rss_per_conn_kb, { max: 1.5 }],
  [
    '`channels` deliveries per server CPU-s',
    'channels',
    (r) => r.deliveries_per_server_cpu_sec,
    { ratio: 1.2 },
    { ratio: 0.69 },
  ],
  [
    '`channels` RSS per private subscription (KB)',
    'channels',
    (r) => r.server_rss_per_sub_kb,
    { max: 3 },
    { max: 13.9 },
  ],
  ['`churn` presence subscriptions/s', 'churn', (r) => r.subscriptions_per_sec],
  [
    '`churn` subscriptions per server CPU-s',
    'churn',
    (r) => r.subscriptions_per_server_cpu_sec,
    { ratio: 1.3 },
    { ratio: 1.02 },
  ],
  ['`idle50k` connections requested', 'idle50k', (r) => r.connections],
  ['`idle50k` connections held (failed as negative)', 'idle50k', held, { all: true }],
  ['`idle50k` RSS per connection (KB)', 'idle50k', (r) => r.server_rss_per_conn_kb, { max: 1.5 }],
  // One service of N uWS nodes sharing one port; RSS is the sum of the nodes' growth.
  ['`idle50k-cluster` nodes on one port', 'idle50k-cluster', (r) => r.nodes],
  ['`idle50k-cluster` connections requested', 'idle50k-cluster', (r) => r.connections],
  ['`idle50k-cluster` connections held (failed as negative)', 'idle50k-cluster', held, { all: true }],
  [
    '`idle50k-cluster` RSS per connection, all nodes (KB)',
    'idle50k-cluster',
    (r) => r.server_rss_per_conn_kb,
    { max: 1.5 },
  ],
  ['`idle50k-cluster` connects/s', 'idle50k-cluster', (r) => r.connects_per_sec],
  ['`idle50k-cluster` fewest connections on a node', 'idle50k-cluster', (r) => nodeMin(r, 'connections')],
  ['`idle50k-cluster` most connections on a node', 'idle50k-cluster', (r) => nodeMax(r, 'connections')],
  [
    '`idle50k-cluster` fan-out check: deliveries lost (of subscribers × events)',
    'idle50k-cluster',
    (r) => (r.cluster_fanout?.expected > 0 ? r.cluster_fanout.lost + r.cluster_fanout.duplicates : null),
  ],
  [
    '`idle50k-cluster` fan-out check: fewest subscribers on a node',
    'idle50k-cluster',
    (r) => nodeMin(r.cluster_fanout, 'subscribers'),
  ],
];

const nodeCounts = (r, key) =>
  (r?.server_nodes ?? []).map((n) => n[key]).filter((x) => typeof x === 'number');
function nodeMin(r, key) {
  const v = nodeCounts(r, key);
  return v.length ? Math.min(...v) : null;
}
function nodeMax(r, key) {
  const v = nodeCounts(r, key);
  return v.length ? Math.max(...v) : null;
}

function held(r) {
  if (typeof r.connected !== 'number') return null;
  return r.failed === 0 ? r.still_open_after_settle : -r.failed;
}

export function fmt(x) {
  if (x === null || x === undefined) return '–';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(Math.round(x * 100) / 100);
}

function describe(target) {
  if (!target) return '';
  if (target.ratio !== undefined) return `≥ ${target.ratio}×`;
  if (target.below !== undefined) return '< baseline';
  if (target.max !== undefined) return `≤ ${target.max}`;
  return 'all, no error';
}

function judge(target, value, ratio, row) {
  if (!target) return null;
  if (target.ratio !== undefined) return ratio === null ? null : ratio >= target.ratio;
  if (target.below !== undefined) return ratio === null ? null : ratio < target.below;
  if (target.max !== undefined) return value === null ? null : value <= target.max;
  if (target.all) return value === null ? null : !row.capped && value > 0 && value === row.requested;
  return null;
}

const LABELS = {
  'mawjly-ws': 'Mawjly ws',
  'mawjly-uws': 'Mawjly uWS',
  baseline: 'baseline-ws (frame)',
  'ceiling-uws': 'ceiling uWS',
};
// (idle50k-cluster runs only on Mawjly uWS: its rows read – for the ws transport, which cannot
// share a port on Node 20, and for the baselines, which have no cluster.)

/**
 * results: harness JSON lines with `label` (target name) and `scenario_key`. targets: names run.
 * Returns { text, verdicts } — verdicts: { metric, target, met } for Mawjly's transports.
 */
export function table(results, targets, scenarios) {
  const ratioOf = targets.filter((t) => t !== 'baseline');
  const hasBase = targets.includes('baseline');
  const head = [
    'metric',
    ...targets.map((t) => LABELS[t] ?? t),
    ...(hasBase ? ratioOf.map((t) => `${LABELS[t] ?? t} ÷ baseline`) : []),
    ...(targets.includes('mawjly-uws') ? ['uWS target', 'met'] : []),
    ...(targets.includes('mawjly-ws') ? ['ws floor', 'met'] : []),
  ];
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  const lines = [`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`];
  const verdicts = [];
  for (const [label, scenario, pick, uwsTarget, wsFloor] of ROWS) {
    if (!scenarios.includes(scenario)) continue;
    const value = (t) =>
      median(results.filter((r) => r.label === t && r.scenario_key === scenario).map(pick));
    const values = Object.fromEntries(targets.map((t) => [t, value(t)]));
    const base = values.baseline ?? null;
    const ratio = (t) => (values[t] !== null && base ? values[t] / base : null);
    const requested = median(results.filter((r) => r.scenario_key === scenario).map((r) => r.connections));
    // A run cut short by the open-files limit does not count as holding what was asked for.
    const capped = results.some((r) => r.scenario_key === scenario && r.capped_from !== undefined);
    const row = { requested, capped };
    const cells = [label, ...targets.map((t) => fmt(values[t]))];
    if (hasBase) for (const t of ratioOf) cells.push(ratio(t) === null ? '–' : `${ratio(t).toFixed(2)}×`);
    for (const [t, target] of [
      ['mawjly-uws', uwsTarget],
      ['mawjly-ws', wsFloor],
    ]) {
      if (!targets.includes(t)) continue;
      const met = judge(target, values[t], ratio(t), row);
      if (target && met !== null) verdicts.push({ metric: label, target: t, met });
      cells.push(describe(target), met === null ? '' : met ? 'yes' : '**no**');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return { text: lines.join('\n'), verdicts };
}
