var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// runner.mjs
import { WorkerEntrypoint } from "cloudflare:workers";
import SHIM from "./507e4ed634995968b05b76814fafafc20fe5e53a-action-shim.js";
var COMPATIBILITY_DATE = "2026-04-20";
var CPU_MS = 50;
var SUBREQUESTS = 10;
var MAX_TIMEOUT_MS = 2e4;
function allowed(url, hosts) {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return hosts.some((entry) => {
    const [name, entryPort] = entry.split(/:(?=\d+$)/);
    if (entryPort !== void 0 && entryPort !== port) return false;
    if (name.startsWith("*.")) return host.endsWith(name.slice(1));
    return host === name;
  });
}
__name(allowed, "allowed");
var OutboundGate = class extends WorkerEntrypoint {
  static {
    __name(this, "OutboundGate");
  }
  async fetch(request) {
    const url = new URL(request.url);
    if (allowed(url, this.ctx.props.hosts)) return fetch(request);
    throw new Error(`This action may not reach ${url.host}: it is not among the tenant's actions_allowed_hosts`);
  }
};
async function digest(text) {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...bytes.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
__name(digest, "digest");
function message(err) {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split("\n").filter((line) => line.trim() !== "" && !/^\s+at /.test(line)).join(" ").slice(0, 256);
}
__name(message, "message");
function bad(status, text) {
  return new Response(text, { status, headers: { "content-type": "text/plain" } });
}
__name(bad, "bad");
var runner_default = {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    if (request.method !== "POST") return bad(405, "POST a run");
    let run;
    try {
      run = await request.json();
    } catch {
      return bad(400, "the body is not JSON");
    }
    const { trigger, version_id: versionId, code, event, cache, timeout_ms: timeoutMs } = run;
    const hosts = Array.isArray(run.allowed_hosts) ? run.allowed_hosts.map(String) : [];
    if (typeof versionId !== "string" || typeof code !== "string" || typeof trigger !== "string") {
      return bad(400, "trigger, version_id and code are required");
    }
    const started = Date.now();
    const id = `${versionId}:${await digest(JSON.stringify(hosts))}`;
    const worker = env.LOADER.get(id, async () => ({
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: ["nodejs_compat"],
      mainModule: "shim.js",
      modules: { "shim.js": SHIM, "action.js": { cjs: code } },
      env: {},
      globalOutbound: hosts.length > 0 ? ctx.exports.OutboundGate({ props: { hosts } }) : null
    }));
    const entrypoint = worker.getEntrypoint(void 0, { limits: { cpuMs: CPU_MS, subRequests: SUBREQUESTS } });
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), Math.min(Number(timeoutMs) || MAX_TIMEOUT_MS, MAX_TIMEOUT_MS));
    });
    try {
      const answer = await Promise.race([
        entrypoint.fetch("https://action.invalid/run", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ trigger, event, cache: cache ?? {} })
        }),
        late
      ]);
      if (answer === null) return Response.json({ timed_out: true, duration_ms: Date.now() - started });
      const outcome = await answer.json();
      return Response.json({ ...outcome, duration_ms: Date.now() - started });
    } catch (err) {
      return Response.json({ error: message(err), duration_ms: Date.now() - started });
    } finally {
      clearTimeout(timer);
    }
  }
};
export {
  OutboundGate,
  runner_default as default
};
//# sourceMappingURL=runner.js.map
