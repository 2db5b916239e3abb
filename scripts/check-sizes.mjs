#!/usr/bin/env node
// Size budgets, enforced by the test command:
//   - the Worker bundle `wrangler deploy` uploads (wasm + JS), gzip <= 1 MiB
//     (Workers Free allows 3 MiB compressed);
//   - each SPA bundle's first load, gzip: the sample client's <= 200 KiB,
//     the Dashboard's <= 250 KiB. A first load is what the page fetches
//     before the person opens anything: the HTML, the CSS, the JS glue, the
//     wasm and, for the Dashboard, its loader of sections
//     (`pkg/__wasm_split.js`) and the section it opens on (Applications)
//     with the chunks that section needs. Every other section is listed
//     with what it adds when first opened, and is not part of the budget.
// A bundle known to be over its budget may be held to a ceiling (CEILINGS)
// while it is brought down; every run says how far over the budget it is.
// Each file is gzipped on its own (-9), as it is sent, and the sizes summed.
//
//   node scripts/check-sizes.mjs [--deploy-dir target/deploy-dry-run] [--json out.json]
//
// Needs the SPA in frontend/dist (scripts/build-frontend.sh, which
// scripts/build.sh runs) and the deploy bundle
// (`wrangler deploy --dry-run --outdir target/deploy-dry-run`).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const KiB = 1024;
export const BUDGETS = {
  workerGzip: 1024 * KiB,
  /** First load of each SPA bundle, by bundle. */
  spaFirstLoadGzip: { frontend: 200 * KiB, dashboard: 250 * KiB },
};
/** Enforced instead of the budget while a bundle is known to be over it. */
const CEILINGS = {};
export const SPA_BUNDLES = ['frontend', 'dashboard'];
/**
 * The sections a bundle fetches at its first load, by bundle: `/dashboard`
 * opens Applications (`frontend/src/dashboard/mod.rs`, `page`).
 */
export const FIRST_SECTIONS = { dashboard: ['applications'] };

function measure(files) {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

function need(file, hint) {
  if (!existsSync(file)) throw new Error(`${path.relative(root, file)} is missing: ${hint}`);
  return file;
}

/** The sizes of the Worker bundle and of each SPA first load, with their budgets. */
export function sizes({ deployDir = path.join(root, 'target', 'deploy-dry-run') } = {}) {
  need(deployDir, 'run `wrangler deploy --dry-run --outdir target/deploy-dry-run` first');
  const uploaded = readdirSync(deployDir)
    .filter((name) => /\.(wasm|m?js)$/.test(name))
    .map((name) => path.join(deployDir, name));
  const modules = uploaded.filter((file) => file.endsWith('.wasm')).length;
  if (modules !== 1) {
    throw new Error(
      `expected one .wasm in ${path.relative(root, deployDir)}, found ${modules}: remove the folder and run the dry run again`,
    );
  }
  const rows = [
    {
      name: 'Worker bundle (wasm + JS)',
      files: uploaded.map((file) => path.relative(root, file)),
      ...measure(uploaded),
      budget: BUDGETS.workerGzip,
    },
  ];
  const dist = path.join(root, 'frontend', 'dist');
  const sectionRows = [];
  for (const bundle of SPA_BUNDLES) {
    const glue = bundleGlue(dist, bundle);
    const dir = path.dirname(glue);
    const first = ['index.html', 'style.css', glue, `${dir}/${bundle}_bg.wasm`];
    const split = splitSections(dist, dir, bundle);
    if (split) {
      const fetched = new Set();
      first.push(`${dir}/${split.loader}`);
      for (const section of FIRST_SECTIONS[bundle] ?? []) {
        const files = split.sections[section];
        if (!files) throw new Error(`${bundle} has no section ${section}`);
        for (const file of files) fetched.add(file);
        first.push(...files.map((file) => `${dir}/${file}`));
      }
      // What each other section adds, fetched when it is first opened
      // (the chunks it shares with the first sections are here already).
      for (const [section, files] of Object.entries(split.sections)) {
        if (FIRST_SECTIONS[bundle]?.includes(section)) continue;
        const more = files.filter((file) => !fetched.has(file)).map((file) => path.join(dist, dir, file));
        sectionRows.push({
          name: `${bundle === 'dashboard' ? 'Dashboard' : bundle} section when opened: ${section}`,
          files: more.map((file) => path.relative(root, file)),
          ...measure(more.map((file) => need(file, 'run scripts/build.sh first'))),
          modules: more.length,
        });
      }
    }
    const files = [...new Set(first)].map((f) => need(path.join(dist, f), 'run scripts/build.sh first'));
    rows.push({
      name: `SPA first load: ${bundle === 'frontend' ? 'sample client (/)' : 'Dashboard (/dashboard)'}`,
      files: files.map((file) => path.relative(root, file)),
      ...measure(files),
      budget: BUDGETS.spaFirstLoadGzip[bundle],
      ceiling: CEILINGS[bundle],
    });
  }
  return [
    ...rows.map((row) => ({
      ...row,
      ok: row.gzip <= row.budget,
      enforced: row.gzip <= (row.ceiling ?? row.budget),
    })),
    ...sectionRows.map((row) => ({ ...row, ok: true, enforced: true })),
  ];
}

/**
 * Where index.html imports a bundle's JS glue from, relative to `dist`:
 * `pkg/frontend.js`, `pkg/dashboard-<hash>/dashboard.js`.
 */
function bundleGlue(dist, bundle) {
  const html = readFileSync(need(path.join(dist, 'index.html'), 'run scripts/build.sh first'), 'utf8');
  const imported = [...html.matchAll(/'\/(pkg\/[\w./-]+\.js)'/g)].map((m) => m[1]);
  const glue = imported.find((file) => path.basename(file) === `${bundle}.js`);
  if (!glue) throw new Error(`frontend/dist/index.html imports no ${bundle}.js (it imports ${imported.join(', ')})`);
  return glue;
}

/**
 * A bundle's sections fetched on demand, from the manifest the build writes
 * beside its loader (`<bundle>.split.json`, scripts/split-manifest.mjs):
 * `{ loader, sections: { name: [files] } }`, or `null` when it has none. It
 * is checked against the loader served: every module the loader can fetch
 * is listed, and every file listed is one the loader fetches.
 */
function splitSections(dist, dir, bundle) {
  const manifest = path.join(dist, dir, `${bundle}.split.json`);
  if (!existsSync(manifest)) {
    const glue = readFileSync(need(path.join(dist, dir, `${bundle}.js`), 'run scripts/build.sh first'), 'utf8');
    if (glue.includes('__wasm_split')) throw new Error(`${bundle} loads sections but has no ${path.relative(root, manifest)}`);
    return null;
  }
  const split = JSON.parse(readFileSync(manifest, 'utf8'));
  const loader = readFileSync(need(path.join(dist, dir, split.loader), 'run scripts/build.sh first'), 'utf8');
  const fetchable = new Set([...loader.matchAll(/"\.\/([\w.-]+\.wasm)"/g)].map((m) => m[1]));
  const listed = new Set(Object.values(split.sections).flat());
  const missing = [...fetchable].filter((file) => !listed.has(file));
  const unknown = [...listed].filter((file) => !fetchable.has(file));
  if (missing.length || unknown.length) {
    throw new Error(
      `${path.relative(root, manifest)} disagrees with ${split.loader}: not listed ${missing.join(', ') || '-'}; not fetched ${unknown.join(', ') || '-'}`,
    );
  }
  return split;
}

export const kib = (bytes) => `${(bytes / KiB).toFixed(1)} KiB`;

export function markdown(rows) {
  const lines = ['| what | raw | gzip -9 | budget (gzip) | |', '|---|---:|---:|---:|---|'];
  for (const row of rows) {
    if (row.budget === undefined) {
      const modules = `${row.modules} module${row.modules === 1 ? '' : 's'}`;
      lines.push(`| ${row.name} | ${kib(row.raw)} | ${kib(row.gzip)} | | ${modules}, fetched on demand |`);
      continue;
    }
    const status = row.ok
      ? 'ok'
      : `**over by ${kib(row.gzip - row.budget)}**${row.ceiling ? ` (held under ${kib(row.ceiling)})` : ''}`;
    lines.push(`| ${row.name} | ${kib(row.raw)} | ${kib(row.gzip)} | ${kib(row.budget)} | ${status} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  let rows;
  try {
    rows = sizes({ deployDir: option('--deploy-dir') && path.resolve(option('--deploy-dir')) });
  } catch (err) {
    console.error(`check-sizes: ${err.message}`);
    process.exit(2);
  }
  console.log(markdown(rows));
  if (option('--json')) writeFileSync(option('--json'), JSON.stringify(rows, null, 2));
  for (const row of rows.filter((r) => !r.ok && r.enforced)) {
    console.error(
      `check-sizes: warning: ${row.name} is ${kib(row.gzip)} gzip, over its ${kib(row.budget)} budget (ceiling ${kib(row.ceiling)})`,
    );
  }
  const failed = rows.filter((row) => !row.enforced);
  for (const row of failed) {
    const limit = row.ceiling ?? row.budget;
    console.error(`check-sizes: ${row.name} is ${kib(row.gzip)} gzip, over its ${kib(limit)} limit`);
  }
  process.exit(failed.length ? 1 : 0);
}
