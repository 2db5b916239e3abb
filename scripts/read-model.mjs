#!/usr/bin/env node
// Rebuilds the edge's read model (Workers KV) from the system of record
// (D1): every client, client grant, API and signing key is queued for the
// scheduled task to project again, and so is every read-model key KV holds,
// so a key that no row backs any more is deleted. Nothing is written to KV
// by this command: the Worker's scheduled task writes each entry from its
// committed row, 500 entries a run (a run a minute).
//
//   node scripts/read-model.mjs rebuild --remote
//   node scripts/read-model.mjs rebuild --local [--persist-to DIR] [--scheduled URL]
//
// With --scheduled, the local tenant at URL (started by `wrangler dev
// --test-scheduled`, as scripts/dev.sh does) runs its scheduled task until
// the queue is empty. See the README's "The system of record
// and the read model".

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { executeSql, option, root, storageTarget, wranglerJson } from './wrangler.mjs';

const [command, ...args] = process.argv.slice(2);
const target = storageTarget(args);
if (command !== 'rebuild' || !target) {
  console.error(
    'usage: node scripts/read-model.mjs rebuild (--remote | --local [--persist-to DIR] [--scheduled URL])',
  );
  process.exit(2);
}
const scheduled = option(args, '--scheduled');
const work = mkdtempSync(path.join(os.tmpdir(), 'read-model-'));
const say = (text) => console.log(`read-model: ${text}`);

// The read model's key prefixes (tenant/src/records/read_model.rs).
const PREFIXES = [
  'client/',
  'client_grant/',
  'resource_server/',
  'signing_key/',
  'organization/',
  'organization_name/',
  'tenant_settings',
  'trigger/',
];
// Rows per INSERT statement.
const ROWS_PER_STATEMENT = 500;

// The entries queued by a rebuild (changed_at 0) still to project.
async function queued() {
  const [result] = await wranglerJson([
    'd1',
    'execute',
    'DB',
    ...target,
    '--command',
    'SELECT count(*) AS n FROM read_model_changes WHERE changed_at = 0',
    '--json',
  ]);
  return result.results[0].n;
}

const sqlString = (text) => `'${text.replaceAll("'", "''")}'`;

say('queueing every row of the system of record (scripts/rebuild-read-model.sql)');
await executeSql(target, path.join(root, 'scripts/rebuild-read-model.sql'));

say('queueing every read-model key KV holds, so the keys no row backs are deleted');
const keys = [];
for (const prefix of PREFIXES) {
  const listed = await wranglerJson(['kv', 'key', 'list', '--binding', 'TENANT', '--prefix', prefix, ...target]);
  keys.push(...listed.map((k) => k.name));
}
if (keys.length > 0) {
  const statements = [];
  for (let i = 0; i < keys.length; i += ROWS_PER_STATEMENT) {
    const rows = keys.slice(i, i + ROWS_PER_STATEMENT).map((key) => `(${sqlString(key)}, 0)`);
    statements.push(
      `INSERT INTO read_model_changes (key, changed_at) VALUES ${rows.join(', ')}\n` +
        '    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;',
    );
  }
  const file = path.join(work, 'kv-keys.sql');
  writeFileSync(file, `${statements.join('\n')}\n`);
  await executeSql(target, file);
}
let pending = await queued();
say(`${keys.length} keys in KV; ${pending} entries queued`);

if (scheduled) {
  // Each run projects up to 500 entries; stop when a run makes no progress.
  while (pending > 0) {
    const res = await fetch(new URL(`/__scheduled?cron=${encodeURIComponent('* * * * *')}`, scheduled));
    if (res.status !== 200) {
      console.error(`read-model: the scheduled task failed: ${res.status} ${await res.text()}`);
      process.exit(1);
    }
    const left = await queued();
    if (left >= pending) {
      console.error(`read-model: ${left} entries do not project (see the tenant's log)`);
      process.exit(1);
    }
    pending = left;
  }
  say('done: the read model is rebuilt');
} else {
  say(`the scheduled task projects them within ${Math.ceil(pending / 500) + 1} minute(s)`);
}
console.log(JSON.stringify({ kv_keys: keys.length, queued: pending }));
