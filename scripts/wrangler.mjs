// The project's wrangler, as the maintenance scripts (upgrade-from-kv.mjs,
// read-model.mjs) run it: on the deployed tenant (--remote) or on a local
// state folder (--local [--persist-to DIR], .wrangler/state by default).

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

export const run = promisify(execFile);
export const root = fileURLToPath(new URL('..', import.meta.url));
export const wrangler = path.join(root, 'node_modules/.bin/wrangler');
export const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' };

/** `argv`'s value after `name`, if given. */
export const option = (argv, name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

/**
 * Where the command works, from its arguments: wrangler's `--remote`, or
 * `--local --persist-to DIR`; `undefined` unless exactly one of the two
 * is asked for.
 */
export function storageTarget(argv) {
  const remote = argv.includes('--remote');
  if (remote === argv.includes('--local')) return undefined;
  return remote
    ? ['--remote']
    : ['--local', '--persist-to', option(argv, '--persist-to') ?? path.join(root, '.wrangler/state')];
}

/** Runs wrangler and parses the JSON it prints (after any banner). */
export async function wranglerJson(argv) {
  const { stdout } = await run(wrangler, argv, { cwd: root, env, maxBuffer: 1 << 30 });
  const start = Math.min(...['[', '{'].map((c) => stdout.indexOf(c)).filter((i) => i >= 0));
  const end = Math.max(stdout.lastIndexOf(']'), stdout.lastIndexOf('}'));
  return JSON.parse(stdout.slice(start, end + 1));
}

/** Runs a SQL file on the tenant's D1 database. */
export async function executeSql(target, file) {
  await run(wrangler, ['d1', 'execute', 'DB', ...target, '--file', file], { cwd: root, env, maxBuffer: 1 << 26 });
}
