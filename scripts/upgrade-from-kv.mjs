#!/usr/bin/env node
// The upgrade from a KV-only version of the tenant (every record in
// Workers KV) to this one (D1 the system of record, KV the edge's read
// model): copies every record from the KV namespace into the D1 database,
// then checks that the database holds at least as many of each kind as KV
// did. Nothing is deleted from KV.
//
//   node scripts/upgrade-from-kv.mjs --remote          # the deployed tenant
//   node scripts/upgrade-from-kv.mjs --local [--persist-to DIR]
//
// Run it before deploying this version (the old one keeps serving from KV
// meanwhile), then once more right after: rows already in D1 are kept, so
// the second run only adds what the old version wrote in between. See the
// README's "Upgrading from a KV-only version".

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { env, executeSql, root, run, storageTarget, wrangler, wranglerJson } from './wrangler.mjs';

const args = process.argv.slice(2);
const target = storageTarget(args);
const remote = args.includes('--remote');
if (!target) {
  console.error('usage: node scripts/upgrade-from-kv.mjs (--remote | --local [--persist-to DIR])');
  process.exit(2);
}
const work = mkdtempSync(path.join(os.tmpdir(), 'upgrade-from-kv-'));
const say = (text) => console.log(`upgrade: ${text}`);

say('applying the schema (migrations/)');
await run(wrangler, ['d1', 'migrations', 'apply', 'DB', ...target], { cwd: root, env, maxBuffer: 1 << 26 });

say('listing the KV namespace');
const keys = (await wranglerJson(['kv', 'key', 'list', '--binding', 'TENANT', ...target])).map((k) => k.name);
say(`${keys.length} keys`);

// The KV API reads at most 100 keys a call.
const entries = {};
const chunk = remote ? 100 : 10_000;
for (let i = 0; i < keys.length; i += chunk) {
  const file = path.join(work, `keys-${i}.json`);
  writeFileSync(file, JSON.stringify(keys.slice(i, i + chunk)));
  Object.assign(entries, await wranglerJson(['kv', 'bulk', 'get', file, '--binding', 'TENANT', ...target]));
}
const entriesFile = path.join(work, 'entries.json');
writeFileSync(entriesFile, JSON.stringify(entries));

say('turning the records into statements (cargo run -p tenant --bin import-kv)');
const sqlFile = path.join(work, 'import.sql');
let summary;
try {
  const { stdout } = await run(
    'cargo',
    ['run', '--quiet', '--release', '-p', 'tenant', '--bin', 'import-kv', '--', entriesFile, sqlFile],
    { cwd: root, env, maxBuffer: 1 << 26 },
  );
  summary = JSON.parse(stdout);
} catch (err) {
  console.error(`upgrade: import-kv failed: ${err.stderr || err.message}\n${err.stdout ?? ''}`);
  process.exit(1);
}
say(`read ${JSON.stringify(summary.counts)}; skipped ${JSON.stringify(summary.skipped)}`);

say('storing them in D1');
await executeSql(target, sqlFile);

say('checking the counts');
const [result] = await wranglerJson(['d1', 'execute', 'DB', ...target, '--command', summary.counts_sql, '--json']);
const stored = result.results[0];
let short = false;
for (const [kind, expected] of Object.entries(summary.counts)) {
  const have = stored[kind];
  const ok = have >= expected;
  short ||= !ok;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${kind.padEnd(16)} KV ${String(expected).padStart(7)}  D1 ${String(have).padStart(7)}`);
}
if (short || summary.unreadable.length > 0) {
  console.error(`upgrade: incomplete; unreadable keys: ${JSON.stringify(summary.unreadable)}`);
  process.exit(1);
}
say('done: every record is in D1; the scheduled task projects the read model again within minutes');
writeFileSync(path.join(work, 'summary.json'), JSON.stringify({ summary, stored }, null, 2));
console.log(JSON.stringify({ counts: summary.counts, stored }));
