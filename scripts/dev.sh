#!/usr/bin/env bash
# Installs what is missing, then serves the tenant (API + SPA) on
# http://127.0.0.1:8787, and its actions runner on the next port, with local
# D1 and KV persisted under .wrangler/state,
# the schema applied, and
# provisions the sample API, a demo user and a Dashboard admin, whose logins
# it prints.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh

# Fresh bootstrap credentials on first run, from the kernel CSPRNG; the file
# is git-ignored and readable by the owner only.
if [[ ! -f .dev.vars ]]; then
    # Node's CSPRNG (a `tr </dev/urandom | head` pipeline dies of SIGPIPE
    # under pipefail): 32 hex characters, and 48 bytes base64url.
    client_id="$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')"
    client_secret="$(node -e 'console.log(require("crypto").randomBytes(48).toString("base64url"))')"
    (umask 077 && printf 'BOOTSTRAP_CLIENT_ID=%s\nBOOTSTRAP_CLIENT_SECRET=%s\n' \
        "$client_id" "$client_secret" >.dev.vars)
    echo "dev: wrote new bootstrap client credentials to $ROOT/.dev.vars"
fi
# The key action secrets are stored under (AES-256-GCM), added to a
# .dev.vars written before actions existed.
if ! grep -q '^ACTIONS_SECRETS_KEY=' .dev.vars; then
    key="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')"
    printf 'ACTIONS_SECRETS_KEY=%s\n' "$key" >>.dev.vars
    echo "dev: wrote a new actions secrets key to $ROOT/.dev.vars"
fi
port="${PORT:-8787}"
runner_port="${RUNNER_PORT:-$((port + 1))}"
base_url="http://127.0.0.1:$port"
# The tenant finds its actions runner through this dev registry only.
export WRANGLER_REGISTRY_PATH="$ROOT/.wrangler/registry"

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
# The system of record's schema (migrations/), applied to the local D1
# database; already applied migrations are skipped.
CI=true node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to .wrangler/state
# The issuer is configuration, never the Host header: this port's origin.
# --test-scheduled serves the cron trigger at /__scheduled.
node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" --persist-to .wrangler/state \
    --var "ISSUER:$base_url/" --test-scheduled &
wrangler_pid=$!

# The actions runner, in a wrangler dev of its own: an action stuck in a
# busy loop holds its runtime's thread (production's CPU limit stops it;
# the local runtime does not), so the tenant stays responsive and this
# watchdog starts the runner again when it stops answering.
start_runner() {
    node_modules/.bin/wrangler dev -c worker/actions-runner/wrangler.toml --ip 127.0.0.1 \
        --port "$runner_port" --persist-to .wrangler/state/runner --log-level warn &
    runner_pid=$!
}
runner_alive() {
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "http://127.0.0.1:$runner_port/health"
}
start_runner
(
    sleep 30
    misses=0
    while kill -0 "$wrangler_pid" 2>/dev/null; do
        if runner_alive; then misses=0; else misses=$((misses + 1)); fi
        if [[ $misses -ge 2 ]]; then
            echo "dev: the actions runner stopped answering (an action in a busy loop?); starting it again"
            pkill -P "$runner_pid" 2>/dev/null || true
            kill "$runner_pid" 2>/dev/null || true
            start_runner
            misses=0
            sleep 20
        fi
        sleep 5
    done
) &
watchdog_pid=$!
trap 'kill "$wrangler_pid" "$watchdog_pid" 2>/dev/null || true; pkill -f "actions-runner/wrangler.toml" 2>/dev/null || true' EXIT INT TERM

# Wait for the first build and start (the first build can take minutes).
for _ in $(seq 1 900); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "$base_url/.well-known/openid-configuration"; then
        break
    fi
    kill -0 "$wrangler_pid" 2>/dev/null || { wait "$wrangler_pid"; exit 1; }
    sleep 1
done

# shellcheck disable=SC1091
set -a && source .dev.vars && set +a
login="$(node scripts/provision-dev.mjs "$base_url" "$BOOTSTRAP_CLIENT_ID" "$BOOTSTRAP_CLIENT_SECRET" | tail -n 1)"
field() { node -e 'console.log(process.argv[2].split(".").reduce((o, k) => o[k], JSON.parse(process.argv[1])))' "$login" "$1"; }
email="$(field email)"
password="$(field password)"
admin_email="$(field admin.email)"
admin_password="$(field admin.password)"

cat <<EOT

================================================================================
 Edge Tenant is running at $base_url/

 Sign in:   open $base_url/ and click "Sign in"
            email     $email
            password  $password   (new on every start)

 Dashboard: open $base_url/dashboard and sign in as the admin
            email     $admin_email
            password  $admin_password   (new on every start)

 Management API: POST $base_url/oauth/token with grant_type=client_credentials,
   audience=$base_url/api/v2/ and the bootstrap client in $ROOT/.dev.vars
================================================================================

EOT
wait "$wrangler_pid"
