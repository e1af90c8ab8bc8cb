// Builds the dashboard into dashboard/dist/: index.html plus content-hashed app-<hash>.js and
// app-<hash>.css (minified). Hashed names let the server cache assets forever while index.html is
// revalidated, so a deploy is picked up on the next page load.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'dist');
const budgetGzipBytes = 100 * 1024;

const result = await build({
  entryPoints: [join(here, 'src/main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(here, 'tsconfig.json'),
  // tweetnacl falls back to require('crypto') outside browsers; the browser path uses self.crypto.
  external: ['crypto'],
  legalComments: 'none',
  write: false,
  outdir: outDir,
  logLevel: 'warning',
});

const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10);
let js;
let css;
for (const file of result.outputFiles) {
  if (file.path.endsWith('.js')) js = file.contents;
  else if (file.path.endsWith('.css')) css = file.contents;
}
if (!js) throw new Error('esbuild produced no JavaScript');
css ??= new Uint8Array();

const jsName = `app-${hash(js)}.js`;
const cssName = `app-${hash(css)}.css`;
const template = await readFile(join(here, 'index.html'), 'utf8');
const html = template
  .replace('%APP_JS%', `/dashboard/${jsName}`)
  .replace('%APP_CSS%', `/dashboard/${cssName}`);

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await Promise.all([
  writeFile(join(outDir, jsName), js),
  writeFile(join(outDir, cssName), css),
  writeFile(join(outDir, 'index.html'), html),
]);

const gz = gzipSync(js).length + gzipSync(css).length;
if (gz > budgetGzipBytes) {
  throw new Error(`dashboard bundle is ${gz} bytes gzipped, over the ${budgetGzipBytes} byte budget`);
}
if (!process.argv.includes('--quiet')) {
  console.log(
    `dashboard: ${jsName} ${js.length} B, ${cssName} ${css.length} B (${gz} B gzipped) → ${outDir}`,
  );
}
