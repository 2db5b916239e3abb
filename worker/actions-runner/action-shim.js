// Runs inside an action's own isolate (the runner sends this file as the
// isolate's main module, beside the action's code as `action.js`). It
// builds Auth0's `api` object for the trigger, records what the action asks
// of it, captures what the action logs (each line cut to 256 characters),
// calls the trigger's entry point and answers
// `{ commands, logs, error }` (for a deploy's `check`, only whether the
// code loads and exports the entry point). It holds no secret and no binding: the
// event (with this action's own secrets) arrives with each run.

import { AsyncLocalStorage } from 'node:async_hooks';

import action from './action.js';

const ENTRY_POINTS = {
  'credentials-exchange': 'onExecuteCredentialsExchange',
  'post-login': 'onExecutePostLogin',
};
const DENY_CODES = ['invalid_request', 'invalid_scope', 'server_error'];
const MAX_LINES = 100;
const MAX_LINE = 256;
const CACHE_KEY_BYTES = 64;
const CACHE_VALUE_BYTES = 4096;
const CACHE_MAX_TTL_MS = 24 * 3600 * 1000;

// Each run's log lines, also when runs of this version overlap.
const runs = new AsyncLocalStorage();

function format(args) {
  return args
    .map((arg) => {
      if (typeof arg === 'string') return arg;
      if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
      try {
        return JSON.stringify(arg);
      } catch {
        return String(arg);
      }
    })
    .join(' ');
}

for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    const lines = runs.getStore();
    if (lines === undefined) return original(...args);
    if (lines.length < MAX_LINES) lines.push(format(args).slice(0, MAX_LINE));
  };
}

function bytes(text) {
  return new TextEncoder().encode(text).length;
}

/** `value`, as a claim's JSON: undefined is null. */
function jsonValue(value) {
  return value === undefined ? null : JSON.parse(JSON.stringify(value) ?? 'null');
}

function unsupported(name) {
  return () => {
    throw new Error(`api.${name} is not supported by this tenant`);
  };
}

/** Auth0's `api` for `trigger`; what the action asks is pushed to `commands`. */
function makeApi(trigger, cache, commands) {
  const entries = new Map(Object.entries(cache ?? {}));
  const api = {};
  const claimSetter = (op) => ({
    setCustomClaim(name, value) {
      if (typeof name !== 'string') throw new TypeError('setCustomClaim: the claim name must be a string');
      commands.push({ op, name, value: jsonValue(value) });
      return api;
    },
  });
  api.accessToken = claimSetter('access_token_claim');
  api.cache = {
    get(key) {
      const entry = entries.get(String(key));
      return entry === undefined ? undefined : { value: entry.value, expires_at: entry.expires_at };
    },
    set(key, value, options = {}) {
      key = String(key);
      value = String(value);
      if (bytes(key) === 0 || bytes(key) > CACHE_KEY_BYTES) return { type: 'error', code: 'INVALID_KEY' };
      if (bytes(value) > CACHE_VALUE_BYTES) return { type: 'error', code: 'VALUE_TOO_LARGE' };
      let ttl;
      if (options.ttl !== undefined) {
        const asked = Number(options.ttl);
        if (!Number.isFinite(asked) || asked < 0) return { type: 'error', code: 'INVALID_TTL' };
        ttl = Math.floor(Math.min(asked, CACHE_MAX_TTL_MS));
      }
      entries.set(key, { value, expires_at: ttl === undefined ? undefined : Date.now() + ttl });
      commands.push({ op: 'cache_set', key, value, ttl: ttl ?? null });
      return { type: 'success' };
    },
    delete(key) {
      entries.delete(String(key));
      commands.push({ op: 'cache_delete', key: String(key) });
      return { type: 'success' };
    },
  };
  if (trigger === 'credentials-exchange') {
    api.access = {
      deny(code, reason) {
        if (!DENY_CODES.includes(code)) {
          throw new TypeError(`api.access.deny: the code must be one of ${DENY_CODES.join(', ')}`);
        }
        commands.push({ op: 'deny', code, reason: reason === undefined ? null : String(reason) });
        return api;
      },
    };
    api.transaction = {
      addTargetScope: unsupported('transaction.addTargetScope'),
      removeTargetScope: unsupported('transaction.removeTargetScope'),
      setTargetScopes: unsupported('transaction.setTargetScopes'),
      clearTargetScopes: unsupported('transaction.clearTargetScopes'),
    };
  } else {
    api.access = {
      deny(reason) {
        commands.push({ op: 'deny', code: null, reason: reason === undefined ? null : String(reason) });
        return api;
      },
    };
    api.idToken = claimSetter('id_token_claim');
    api.user = {
      setAppMetadata: unsupported('user.setAppMetadata'),
      setUserMetadata: unsupported('user.setUserMetadata'),
    };
    api.redirect = {
      sendUserTo: unsupported('redirect.sendUserTo'),
      encodeToken: unsupported('redirect.encodeToken'),
      validateToken: unsupported('redirect.validateToken'),
    };
    api.multifactor = { enable: unsupported('multifactor.enable') };
    api.authentication = {
      challengeWith: unsupported('authentication.challengeWith'),
      enrollWith: unsupported('authentication.enrollWith'),
    };
  }
  return api;
}

/**
 * The run's answer as JSON the tenant can read: every string well-formed
 * UTF-16 (a log line cut inside an emoji, or a lone surrogate the action
 * wrote, becomes U+FFFD rather than an escape no UTF-8 reader accepts).
 */
function answer(result) {
  const body = JSON.stringify(result, (_key, value) => (typeof value === 'string' ? value.toWellFormed() : value));
  return new Response(body, { headers: { 'content-type': 'application/json' } });
}

function describe(err) {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : `Thrown: ${String(err)}`;
  return text.split('\n')[0].slice(0, MAX_LINE);
}

export default {
  async fetch(request) {
    const { trigger, event, cache, check } = await request.json();
    const entry = ENTRY_POINTS[trigger];
    const lines = [];
    const commands = [];
    const run = action?.[entry];
    if (typeof run !== 'function') {
      return answer({ commands, logs: lines, error: `The action does not export ${entry}` });
    }
    // A deploy's check: the code loaded and has its entry point; nothing runs.
    if (check) return answer({ commands, logs: lines });
    try {
      await runs.run(lines, () => run(event, makeApi(trigger, cache, commands)));
      return answer({ commands, logs: lines });
    } catch (err) {
      return answer({ commands, logs: lines, error: describe(err) });
    }
  },
};
