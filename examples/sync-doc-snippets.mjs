// The docs show the examples' code, copied exactly. A code block that follows a marker
//   <!-- snippet: examples/auth-endpoint/trigger.mjs -->            (the whole file)
//   <!-- snippet: examples/auth-endpoint/server.mjs#auth -->        (a `#region auth` … `#endregion`)
// must equal that code. `node examples/sync-doc-snippets.mjs` rewrites the blocks after an example
// changed; test/integration/examples.test.ts fails while any block is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DOCS_WITH_SNIPPETS = [
  'docs/encrypted-channels.md',
  'docs/client-helper.md',
  'examples/README.md',
  'docs/webhooks.md',
];

// Prettier puts a blank line between the marker and the block; both forms are accepted.
const MARKER = /<!-- snippet: ([^\s#]+)(?:#([\w-]+))? -->\n\n?```(\w*)\n([\s\S]*?)```\n/g;

/** The code a marker names: a whole file, or one region of it (markers removed, dedented). */
export async function snippetSource(file, region) {
  const text = await readFile(root + file, 'utf8');
  if (region === undefined) return text;
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /#region (\S+)/.exec(line)?.[1] === region);
  const end = lines.findIndex((line, i) => i > start && /#endregion\b/.test(line));
  if (start < 0 || end < 0) throw new Error(`${file}: no region ${region}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)[0].length));
  return body.map((l) => l.slice(indent)).join('\n') + '\n';
}

/** Every snippet of one doc: where it points and whether its block is current. */
export async function checkSnippets(doc) {
  const text = await readFile(root + doc, 'utf8');
  const results = [];
  for (const match of text.matchAll(MARKER)) {
    const [, file, region, , block] = match;
    const expected = await snippetSource(file, region);
    results.push({ doc, source: region ? `${file}#${region}` : file, upToDate: block === expected });
  }
  return results;
}

async function sync(doc) {
  const text = await readFile(root + doc, 'utf8');
  let out = '';
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    const [whole, file, region, lang] = match;
    out += text.slice(last, match.index);
    const marker = whole.slice(0, whole.indexOf('\n') + 1);
    out += `${marker}\n\`\`\`${lang}\n${await snippetSource(file, region)}\`\`\`\n`;
    last = match.index + whole.length;
  }
  out += text.slice(last);
  if (out !== text) {
    await writeFile(root + doc, out);
    console.log(`updated ${doc}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const doc of DOCS_WITH_SNIPPETS) await sync(doc);
}
