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

// ../../node_modules/wrangler/templates/middleware/middleware-ensure-req-body-drained.ts
var drainBody = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } finally {
    try {
      if (request.body !== null && !request.bodyUsed) {
        const reader = request.body.getReader();
        while (!(await reader.read()).done) {
        }
      }
    } catch (e) {
      console.error("Failed to drain the unused request body.", e);
    }
  }
}, "drainBody");
var middleware_ensure_req_body_drained_default = drainBody;

// ../../node_modules/wrangler/templates/middleware/middleware-miniflare3-json-error.ts
function reduceError(e) {
  return {
    name: e?.name,
    message: e?.message ?? String(e),
    stack: e?.stack,
    cause: e?.cause === void 0 ? void 0 : reduceError(e.cause)
  };
}
__name(reduceError, "reduceError");
var jsonError = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } catch (e) {
    const error = reduceError(e);
    return Response.json(error, {
      status: 500,
      headers: { "MF-Experimental-Error-Stack": "true" }
    });
  }
}, "jsonError");
var middleware_miniflare3_json_error_default = jsonError;

// .wrangler/tmp/bundle-oXJKOO/middleware-insertion-facade.js
var __INTERNAL_WRANGLER_MIDDLEWARE__ = [
  middleware_ensure_req_body_drained_default,
  middleware_miniflare3_json_error_default
];
var middleware_insertion_facade_default = runner_default;

// ../../node_modules/wrangler/templates/middleware/common.ts
var __facade_middleware__ = [];
function __facade_register__(...args) {
  __facade_middleware__.push(...args.flat());
}
__name(__facade_register__, "__facade_register__");
function __facade_invokeChain__(request, env, ctx, dispatch, middlewareChain) {
  const [head, ...tail] = middlewareChain;
  const middlewareCtx = {
    dispatch,
    next(newRequest, newEnv) {
      return __facade_invokeChain__(newRequest, newEnv, ctx, dispatch, tail);
    }
  };
  return head(request, env, ctx, middlewareCtx);
}
__name(__facade_invokeChain__, "__facade_invokeChain__");
function __facade_invoke__(request, env, ctx, dispatch, finalMiddleware) {
  return __facade_invokeChain__(request, env, ctx, dispatch, [
    ...__facade_middleware__,
    finalMiddleware
  ]);
}
__name(__facade_invoke__, "__facade_invoke__");

// .wrangler/tmp/bundle-oXJKOO/middleware-loader.entry.ts
var __Facade_ScheduledController__ = class ___Facade_ScheduledController__ {
  constructor(scheduledTime, cron, noRetry) {
    this.scheduledTime = scheduledTime;
    this.cron = cron;
    this.#noRetry = noRetry;
  }
  static {
    __name(this, "__Facade_ScheduledController__");
  }
  #noRetry;
  noRetry() {
    if (!(this instanceof ___Facade_ScheduledController__)) {
      throw new TypeError("Illegal invocation");
    }
    this.#noRetry();
  }
};
function wrapExportedHandler(worker) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return worker;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  const fetchDispatcher = /* @__PURE__ */ __name(function(request, env, ctx) {
    if (worker.fetch === void 0) {
      throw new Error("Handler does not export a fetch() function.");
    }
    return worker.fetch(request, env, ctx);
  }, "fetchDispatcher");
  return {
    ...worker,
    fetch(request, env, ctx) {
      const dispatcher = /* @__PURE__ */ __name(function(type, init) {
        if (type === "scheduled" && worker.scheduled !== void 0) {
          const controller = new __Facade_ScheduledController__(
            Date.now(),
            init.cron ?? "",
            () => {
            }
          );
          return worker.scheduled(controller, env, ctx);
        }
      }, "dispatcher");
      return __facade_invoke__(request, env, ctx, dispatcher, fetchDispatcher);
    }
  };
}
__name(wrapExportedHandler, "wrapExportedHandler");
function wrapWorkerEntrypoint(klass) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return klass;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  return class extends klass {
    #fetchDispatcher = /* @__PURE__ */ __name((request, env, ctx) => {
      this.env = env;
      this.ctx = ctx;
      if (super.fetch === void 0) {
        throw new Error("Entrypoint class does not define a fetch() function.");
      }
      return super.fetch(request);
    }, "#fetchDispatcher");
    #dispatcher = /* @__PURE__ */ __name((type, init) => {
      if (type === "scheduled" && super.scheduled !== void 0) {
        const controller = new __Facade_ScheduledController__(
          Date.now(),
          init.cron ?? "",
          () => {
          }
        );
        return super.scheduled(controller);
      }
    }, "#dispatcher");
    fetch(request) {
      return __facade_invoke__(
        request,
        this.env,
        this.ctx,
        this.#dispatcher,
        this.#fetchDispatcher
      );
    }
  };
}
__name(wrapWorkerEntrypoint, "wrapWorkerEntrypoint");
var WRAPPED_ENTRY;
if (typeof middleware_insertion_facade_default === "object") {
  WRAPPED_ENTRY = wrapExportedHandler(middleware_insertion_facade_default);
} else if (typeof middleware_insertion_facade_default === "function") {
  WRAPPED_ENTRY = wrapWorkerEntrypoint(middleware_insertion_facade_default);
}
var middleware_loader_entry_default = WRAPPED_ENTRY;
export {
  OutboundGate,
  __INTERNAL_WRANGLER_MIDDLEWARE__,
  middleware_loader_entry_default as default
};
//# sourceMappingURL=runner.js.map
