// Builds `@mawjly/server` into packages/server/dist/ (run by `npm run build` at the repository root,
// and by `npm pack`/`npm publish` through the package's `prepack` script):
//   index.mjs    ESM for Node (the `pusher` SDK stays an external dependency)
//   index.cjs    CommonJS for Node (`require('@mawjly/server')` is the class, like `require('pusher')`)
//   index.d.ts   the hand-written type declarations (src/server-types.d.ts), for `import`
//   index.d.cts  the same for `require` (src/server-types.d.cts: `export =` the class)
import { build as esbuild } from 'esbuild';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const { version } = JSON.parse(await readFile(here('./package.json'), 'utf8'));
const banner = { js: `// @mawjly/server ${version}: the pusher SDK with an encryption key ring` };
const common = {
  bundle: true,
  target: 'node20',
  platform: 'node',
  banner,
  logLevel: 'warning',
  external: ['pusher'],
};

// Written to a temporary name and renamed into place: a reader never sees a half-written file.
async function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

async function build(options) {
  const result = await esbuild({ ...common, ...options, write: false });
  await Promise.all(result.outputFiles.map((file) => writeAtomically(file.path, file.contents)));
}

await mkdir(here('./dist/'), { recursive: true });
await Promise.all([
  build({ entryPoints: [here('./src/index.ts')], outfile: here('./dist/index.mjs'), format: 'esm' }),
  build({ entryPoints: [here('./src/cjs-entry.cjs')], outfile: here('./dist/index.cjs'), format: 'cjs' }),
  readFile(here('./src/server-types.d.ts')).then((t) => writeAtomically(here('./dist/index.d.ts'), t)),
  readFile(here('./src/server-types.d.cts')).then((t) => writeAtomically(here('./dist/index.d.cts'), t)),
]);
