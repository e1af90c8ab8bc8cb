// scenarios.mjs — the harness arguments of each `npm run bench` scenario, sized for a 2-core
// machine (about a minute per server and scenario; idle50k several minutes).

/** opts: { quick, idleConnections, clientAddresses }. */
export function scenarioArgs({ quick = false, idleConnections = 50_000, clientAddresses = '' }) {
  const idle = [
    '--scenarios',
    'connections',
    '--connections',
    String(quick ? Math.min(idleConnections, 5000) : idleConnections),
    '--workers',
    '4',
    '--connect-concurrency',
    '100',
    '--settle',
    '10',
    ...(clientAddresses ? ['--local-addresses', clientAddresses] : []),
  ];
  const fanout = [
    '--scenarios',
    'fanout',
    '--subscribers',
    quick ? '500' : '2000',
    '--messages',
    quick ? '50' : '200',
  ];
  return {
    fanout,
    latency: [
      '--scenarios',
      'fanout',
      '--subscribers',
      '100',
      '--rate',
      '100',
      '--messages',
      quick ? '300' : '1000',
    ],
    encrypted: [
      '--scenarios',
      'encrypted',
      '--subscribers',
      quick ? '500' : '2000',
      '--messages',
      quick ? '50' : '200',
    ],
    connections: ['--scenarios', 'connections', '--connections', quick ? '2000' : '10000'],
    http: ['--scenarios', 'http', '--http-concurrency', '32', '--http-seconds', quick ? '3' : '10'],
    channels: [
      '--scenarios',
      'channels',
      '--channels',
      quick ? '500' : '2000',
      '--subs-per-channel',
      '2',
      '--events-per-channel',
      '20',
    ],
    churn: [
      '--scenarios',
      'churn',
      '--churn-sockets',
      quick ? '200' : '500',
      '--churn-rounds',
      quick ? '5' : '20',
      '--churn-channels',
      '50',
    ],
    // The fan-out scenario against a server whose app has two webhook endpoints subscribed to
    // every event type (bench/start-server.mjs --webhooks 2); compared with `fanout`.
    webhooks: fanout,
    // The fan-out scenario with the app settings of --toggle (default history=true) in the apps
    // file; compared with `fanout`.
    'fanout-setting': fanout,
    // N idle connections from 4 client processes spread over several source addresses (each
    // source/destination pair has ~28k ephemeral ports), held for 10 s, then counted.
    idle50k: idle,
    // idle50k against one service of --nodes Mawjly uWS nodes sharing one port (MAWJLY_REUSE_PORT,
    // a cluster over --cluster-url), then a small fan-out through the same port: subscribers land
    // on every node and each REST publish lands on one of them, so nothing is lost only if the
    // cluster bus carries it.
    'idle50k-cluster': [
      ...idle.map((a) => (a === 'connections' ? 'connections,fanout' : a)),
      '--subscribers',
      quick ? '300' : '600',
      '--messages',
      quick ? '20' : '50',
    ],
  };
}
