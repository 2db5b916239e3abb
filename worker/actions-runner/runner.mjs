// The actions runner. The tenant (the Rust Worker) sends it one action
// version to run, over its service binding: `POST /` with
//
//   { trigger, version_id, code, event, cache, allowed_hosts, timeout_ms }
//
// and gets back what the action asked of its `api` object and what it
// logged, as `{ commands, logs, error, timed_out, duration_ms }`. What those
// commands mean is the tenant's business (tenant/src/actions); this Worker
// only runs code, in isolation:
//
// - each version runs in an isolate of its own from the Dynamic Worker
//   Loader, named by the version id (immutable) and the hosts it may reach,
//   so a warm version is not loaded again;
// - the code is a CommonJS module (Auth0's `exports.onExecute...`), never
//   evaluated from a string;
// - the isolate gets no bindings (`env: {}`) and no network: `globalOutbound`
//   is null, or, when the tenant allows hosts, a gate (OutboundGate) that
//   lets through requests to those hosts only;
// - in production each isolate has a CPU limit (`limits.cpuMs`) and a
//   subrequest limit; the local runtime enforces neither, so the runner
//   also stops waiting after `timeout_ms` of wall-clock time. A busy loop
//   cannot be interrupted locally: it keeps this runner's thread, which is
//   why local development runs the runner in its own `wrangler dev`, and the
//   tenant stops waiting for it too (worker/src/actions.rs).

import { WorkerEntrypoint } from 'cloudflare:workers';

import SHIM from './action-shim.js';

/** The compatibility date action isolates run with. */
const COMPATIBILITY_DATE = '2026-04-20';
/** Production limits per action run (not enforced by the local runtime). */
const CPU_MS = 50;
const SUBREQUESTS = 10;
const MAX_TIMEOUT_MS = 20_000;

/** Whether `url` may be fetched under `hosts` (host, host:port, *.domain). */
function allowed(url, hosts) {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return hosts.some((entry) => {
    const [name, entryPort] = entry.split(/:(?=\d+$)/);
    if (entryPort !== undefined && entryPort !== port) return false;
    if (name.startsWith('*.')) return host.endsWith(name.slice(1));
    return host === name;
  });
}

/**
 * The network of an action whose tenant allows some hosts: requests to
 * those go out, anything else fails as a fetch without network would.
 */
export class OutboundGate extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (allowed(url, this.ctx.props.hosts)) return fetch(request);
    throw new Error(`This action may not reach ${url.host}: it is not among the tenant's actions_allowed_hosts`);
  }
}

async function digest(text) {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...bytes.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function message(err) {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  // No stack reaches the tenant: its frames are dropped, the rest (a
  // syntax error's detail follows its first line) joined on one line.
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s+at /.test(line))
    .join(' ')
    .slice(0, 256);
}

function bad(status, text) {
  return new Response(text, { status, headers: { 'content-type': 'text/plain' } });
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/health') return new Response('ok');
    if (request.method !== 'POST') return bad(405, 'POST a run');
    let run;
    try {
      run = await request.json();
    } catch {
      return bad(400, 'the body is not JSON');
    }
    const { trigger, version_id: versionId, code, event, cache, timeout_ms: timeoutMs } = run;
    const hosts = Array.isArray(run.allowed_hosts) ? run.allowed_hosts.map(String) : [];
    if (typeof versionId !== 'string' || typeof code !== 'string' || typeof trigger !== 'string') {
      return bad(400, 'trigger, version_id and code are required');
    }
    const started = Date.now();
    const id = `${versionId}:${await digest(JSON.stringify(hosts))}`;
    const worker = env.LOADER.get(id, async () => ({
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: ['nodejs_compat'],
      mainModule: 'shim.js',
      modules: { 'shim.js': SHIM, 'action.js': { cjs: code } },
      env: {},
      globalOutbound: hosts.length > 0 ? ctx.exports.OutboundGate({ props: { hosts } }) : null,
    }));
    const entrypoint = worker.getEntrypoint(undefined, { limits: { cpuMs: CPU_MS, subRequests: SUBREQUESTS } });
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), Math.min(Number(timeoutMs) || MAX_TIMEOUT_MS, MAX_TIMEOUT_MS));
    });
    try {
      const answer = await Promise.race([
        entrypoint.fetch('https://action.invalid/run', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ trigger, event, cache: cache ?? {}, check: run.check === true }),
        }),
        late,
      ]);
      if (answer === null) return Response.json({ timed_out: true, duration_ms: Date.now() - started });
      const outcome = await answer.json();
      return Response.json({ ...outcome, duration_ms: Date.now() - started });
    } catch (err) {
      // The code does not load (a syntax error), or the isolate was stopped
      // (its CPU limit).
      return Response.json({ error: message(err), duration_ms: Date.now() - started });
    } finally {
      clearTimeout(timer);
    }
  },
};
