#!/usr/bin/env node
// Which files each split-off section of a bundle fetches when it is first
// opened, read from the loader wasm-split-cli wrote (`__wasm_split.js`,
// before it is minified), as JSON on stdout:
//
//   { "loader": "__wasm_split.js",
//     "sections": { "applications": ["chunk_7.wasm", …, "split_applications.wasm"], … } }
//
// The loader defines one `__chunk_<n>` per chunk (code several sections
// share) and exports one `__wasm_split_load_<section>` per section, which
// fetches the section's module after the chunks it lists. scripts/check-sizes.mjs
// reads this to measure a first load, and checks it against the loader served.
//
//   node scripts/split-manifest.mjs target/spa/split/dashboard/__wasm_split.js
import { readFileSync } from 'node:fs';
import path from 'node:path';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/split-manifest.mjs <__wasm_split.js>');
  process.exit(2);
}
const js = readFileSync(file, 'utf8');
const fetched = (body) => [...body.matchAll(/new URL\("\.\/([\w.-]+\.wasm)"/g)].map((m) => m[1]);

const chunks = new Map();
for (const m of js.matchAll(/^const (__chunk_\d+) = makeLoad\(([\s\S]*?)\n?, \[\]\);$/gm)) {
  const files = fetched(m[2]);
  if (files.length !== 1) throw new Error(`${m[1]} fetches ${files.length} files`);
  chunks.set(m[1], files[0]);
}
const sections = {};
for (const m of js.matchAll(
  /^export const __wasm_split_load_(\w+) = wrapAsyncCb\(makeLoad\(([\s\S]*?)\n?, \[([^\]]*)\]\)\);$/gm,
)) {
  const [, name, fetcher, deps] = m;
  const files = deps
    .split(',')
    .map((dep) => dep.trim())
    .filter(Boolean)
    .map((dep) => {
      if (!chunks.has(dep)) throw new Error(`${name} needs ${dep}, which the loader does not define`);
      return chunks.get(dep);
    });
  // A section with no code of its own fetches nothing more.
  files.push(...fetched(fetcher));
  sections[name] = files;
}
if (Object.keys(sections).length === 0) throw new Error(`no section loader in ${file}`);
// Every module the loader can fetch belongs to some section.
const listed = new Set(Object.values(sections).flat());
for (const name of fetched(js)) {
  if (!listed.has(name)) throw new Error(`${name} is in the loader but no section fetches it`);
}
console.log(JSON.stringify({ loader: path.basename(file), sections }, null, 2));
