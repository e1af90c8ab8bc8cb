// Lint rules, including the dependency rule of docs/architecture.md:
// protocol ← core ← (management, adapters, storage, webhooks, metrics, transport) ← server ← cli.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layers = [
  'protocol',
  'core',
  'management',
  'adapters',
  'storage',
  'webhooks',
  'metrics',
  'transport',
  'config',
  'server',
  'cli',
];
// Which src/ folders each layer may import from (besides itself).
const allowed = {
  protocol: [],
  config: ['protocol'],
  core: ['protocol'],
  management: ['protocol', 'core'],
  storage: ['protocol', 'core', 'management'],
  adapters: ['protocol', 'core'],
  webhooks: ['protocol', 'core'],
  metrics: ['protocol', 'core'],
  transport: ['protocol', 'core', 'management', 'config'],
  server: layers.filter((l) => l !== 'cli' && l !== 'server'),
  cli: layers.filter((l) => l !== 'cli'),
};

// Outside src/core nobody reaches through the engine to a collaborator (`engine.adapter`, …): the
// engine's methods answer (Realtime port). Types already forbid it; this names the rule.
const engineReach = [
  {
    selector:
      "MemberExpression[object.name='engine'][property.name=/^(adapter|directory|cluster|metrics|usage|webhooks|clock|logger|cache|users|local|limits)$/]",
    message:
      'Ask the engine (a Realtime method) instead of reaching into its collaborators (docs/architecture.md)',
  },
  {
    selector:
      "MemberExpression[object.property.name='engine'][property.name=/^(adapter|directory|cluster|metrics|usage|webhooks|clock|logger|cache|users|local|limits)$/]",
    message:
      'Ask the engine (a Realtime method) instead of reaching into its collaborators (docs/architecture.md)',
  },
];

const layerRules = Object.entries(allowed).map(([layer, ok]) => {
  const banned = layers.filter((l) => l !== layer && !ok.includes(l));
  const patterns = banned.map((b) => ({
    group: [`**/${b}/**`, `../${b}`, `../../${b}`, `../../../${b}`],
    message: `src/${layer} must not import src/${b} (dependency rule, docs/architecture.md)`,
  }));
  // The engine is built only by the composition root (src/server/compose.ts); the rest of the code
  // sees it through its ports (core/ports/realtime.ts), never its class or its internals.
  if (layer !== 'core' && layer !== 'server' && ok.includes('core')) {
    patterns.push({
      group: [
        '**/core/engine.js',
        '**/core/engine-context.js',
        '**/core/publisher.js',
        '**/core/handlers/**',
      ],
      message: `src/${layer} must use the engine through core/ports (Realtime), not core internals (docs/architecture.md)`,
    });
  }
  // Transports and HTTP endpoints: core's ports and the App model only.
  if (layer === 'transport') {
    patterns.push({
      regex: '(^|/)core/(?!ports/|app\\.js$)',
      message:
        'src/transport may import only core/ports/* and core/app.js of src/core (docs/architecture.md)',
    });
  }
  if (layer === 'protocol') {
    patterns.push({
      regex: '^(?!node:|\\.)',
      message: 'src/protocol is pure: node built-ins and relative imports only',
    });
  }
  return {
    files: [`src/${layer}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns }],
      ...(layer === 'core' ? {} : { 'no-restricted-syntax': ['error', ...engineReach] }),
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'data',
      'public',
      'dashboard/dist',
      'packages/*/dist',
      'coverage',
      'bench/results',
      'bench/pusher-bench.mjs',
      'bench/baseline-ws.mjs',
      '**/*.min.js',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        crypto: 'readonly',
        navigator: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        AbortController: 'readonly',
      },
    },
  },
  ...layerRules,
);
