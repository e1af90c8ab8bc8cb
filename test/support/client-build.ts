// Tests of the built `@mawjly/client` (packages/client/dist) rebuild it first when it is missing or
// older than its sources, so a single test file runs without `npm run build`. The package's build.mjs
// writes atomically, so concurrent test files may both rebuild safely.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const clientPackageDir = `${repoRoot}packages/client/`;
const DIST_FILES = ['index.mjs', 'index.cjs', 'index.d.ts', 'index.d.cts', 'browser.mjs', 'mawjly.js'];

function newestSourceMs(): number {
  const sources = readdirSync(`${clientPackageDir}src`).map((name) => `${clientPackageDir}src/${name}`);
  sources.push(
    `${clientPackageDir}build.mjs`,
    `${clientPackageDir}package.json`,
    `${repoRoot}package-lock.json`,
  );
  return Math.max(...sources.map((path) => statSync(path).mtimeMs));
}

function oldestOutputMs(): number {
  try {
    return Math.min(...DIST_FILES.map((name) => statSync(`${clientPackageDir}dist/${name}`).mtimeMs));
  } catch {
    return -Infinity; // some output is missing
  }
}

export function ensureClientBuilt(): void {
  if (oldestOutputMs() >= newestSourceMs()) return;
  const result = spawnSync(process.execPath, ['build.mjs'], { cwd: clientPackageDir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node packages/client/build.mjs failed:\n${result.stderr}`);
}
