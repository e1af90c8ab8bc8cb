// Loader hooks for package-loads.mjs (they run on the loader thread).
import { appendFileSync } from 'node:fs';

let file = '';
const seen = new Set();

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  const at = url.lastIndexOf('/node_modules/');
  if (at !== -1) {
    const [scope, name] = url.slice(at + '/node_modules/'.length).split('/');
    const pkg = scope?.startsWith('@') ? `${scope}/${name}` : scope;
    if (pkg && !seen.has(pkg)) {
      seen.add(pkg);
      appendFileSync(file, `${pkg}\n`);
    }
  }
  return nextLoad(url, context);
}
