// Tests of the built `mawjly/client` (client/dist) rebuild it first when it is missing or older
// than its sources, so a single test file runs without `npm run build`. client/build.mjs writes
// atomically, so concurrent test files may both rebuild safely.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const DIST_FILES = ['index.mjs', 'index.cjs', 'index.d.ts', 'browser.mjs', 'mawjly.js'];

function newestSourceMs(): number {
  const sources = readdirSync(`${repoRoot}client/src`).map((name) => `${repoRoot}client/src/${name}`);
  sources.push(`${repoRoot}client/build.mjs`, `${repoRoot}package-lock.json`);
  return Math.max(...sources.map((path) => statSync(path).mtimeMs));
}

function oldestOutputMs(): number {
  try {
    return Math.min(...DIST_FILES.map((name) => statSync(`${repoRoot}client/dist/${name}`).mtimeMs));
  } catch {
    return -Infinity; // some output is missing
  }
}

export function ensureClientBuilt(): void {
  if (oldestOutputMs() >= newestSourceMs()) return;
  const result = spawnSync(process.execPath, ['client/build.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node client/build.mjs failed:\n${result.stderr}`);
}
