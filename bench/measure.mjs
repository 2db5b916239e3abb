// What the benchmarks share: command-line options, the CPU time of the
// workerd processes under a `wrangler dev`, retries over connections the
// local proxy closed, and percentiles.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** `--name value` from the command line, else `fallback`. */
export function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/**
 * CPU seconds (user + system) of the workerd processes in a process group
 * (`tenant.processGroups()` of tests/e2e/harness.mjs), read from /proc. A
 * child isolate's CPU counts in the process that runs it.
 */
export function groupCpu(pgid) {
  const list = spawnSync('ps', ['-o', 'pid=,comm=', '-g', String(pgid)], { encoding: 'utf8' }).stdout;
  let ticks = 0;
  for (const line of list.split('\n')) {
    const [pid, comm] = line.trim().split(/\s+/);
    if (!pid || !comm?.startsWith('workerd')) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // Gone.
    }
  }
  return ticks / TICKS_PER_S;
}

/**
 * Runs `call` again (at most 4 times, a moment apart) when the connection
 * fails: after a load, keep-alive connections the server closed make the
 * first sends fail (EPIPE, ECONNRESET), as bench/load.mjs found.
 */
export async function retrying(call) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt === 4 || !/fetch failed|ECONNRESET|EPIPE|socket/i.test(`${err.message} ${err.cause?.message ?? ''}`)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** The `p`th percentile of an ascending array. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
