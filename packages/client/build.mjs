// Builds `@mawjly/client` into packages/client/dist/ (run by `npm run build` at the repository root,
// and by `npm pack`/`npm publish` through the package's `prepack` script):
//   index.mjs    ESM for Node (pusher-js stays an external dependency)
//   index.cjs    CommonJS for Node (`require('@mawjly/client')` is the class)
//   browser.mjs  ESM for browser bundlers (the `browser` export condition; pusher-js/with-encryption)
//   mawjly.js    IIFE for a <script> tag, pusher-js + tweetnacl included; sets the global `Pusher`.
//                The realtime server serves it at /js/mawjly.js.
//   index.d.ts   the hand-written type declarations (src/mawjly-client.d.ts), for `import`
//   index.d.cts  the same for `require` (src/mawjly-client.d.cts: `export =` the class)
import { build as esbuild } from 'esbuild';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const { version } = JSON.parse(await readFile(here('./package.json'), 'utf8'));
const outdir = here('./dist/');
const banner = {
  js: `// @mawjly/client ${version}: pusher-js with the encryptionMasterKeyBase64 option`,
};
const common = { bundle: true, target: 'es2020', banner, logLevel: 'warning', legalComments: 'inline' };

// Each file is written to a temporary name and renamed into place, so that a process reading
// dist/ (a test, the server) never sees a half-written file, even while two builds run.
async function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

async function build(options) {
  const result = await esbuild({ ...options, write: false });
  await Promise.all(result.outputFiles.map((file) => writeAtomically(file.path, file.contents)));
}

await mkdir(outdir, { recursive: true });
await Promise.all([
  build({
    ...common,
    entryPoints: [here('./src/index.ts')],
    outfile: here('./dist/index.mjs'),
    format: 'esm',
    platform: 'node',
    external: ['pusher-js'],
  }),
  build({
    ...common,
    entryPoints: [here('./src/cjs-entry.cjs')],
    outfile: here('./dist/index.cjs'),
    format: 'cjs',
    platform: 'node',
    external: ['pusher-js'],
  }),
  build({
    ...common,
    entryPoints: [here('./src/index.ts')],
    outfile: here('./dist/browser.mjs'),
    format: 'esm',
    platform: 'browser',
    external: ['pusher-js', 'pusher-js/with-encryption'],
    alias: { 'pusher-js': 'pusher-js/with-encryption' },
  }),
  build({
    ...common,
    entryPoints: [here('./src/browser-global.ts')],
    outfile: here('./dist/mawjly.js'),
    format: 'iife',
    platform: 'browser',
    minify: true,
    alias: { 'pusher-js': 'pusher-js/with-encryption' },
  }),
  readFile(here('./src/mawjly-client.d.ts')).then((types) =>
    writeAtomically(here('./dist/index.d.ts'), types),
  ),
  readFile(here('./src/mawjly-client.d.cts')).then((types) =>
    writeAtomically(here('./dist/index.d.cts'), types),
  ),
]);
