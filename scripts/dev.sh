#!/usr/bin/env bash
# Installs what is missing, then serves the tenant (API + SPA) on
# http://127.0.0.1:8787 with local KV persisted under .wrangler/state.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh

# Fresh bootstrap credentials on first run, from the kernel CSPRNG; the file
# is git-ignored and readable by the owner only.
if [[ ! -f .dev.vars ]]; then
    client_id="$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)"
    client_secret="$(head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
    (umask 077 && printf 'BOOTSTRAP_CLIENT_ID=%s\nBOOTSTRAP_CLIENT_SECRET=%s\n' \
        "$client_id" "$client_secret" >.dev.vars)
    echo "dev: wrote new bootstrap client credentials to $ROOT/.dev.vars"
fi
port="${PORT:-8787}"
echo "dev: bootstrap client credentials (BOOTSTRAP_CLIENT_ID / BOOTSTRAP_CLIENT_SECRET) are in $ROOT/.dev.vars"
echo "dev: Management API token: POST http://127.0.0.1:$port/oauth/token with grant_type=client_credentials,"
echo "dev:   those credentials and audience=http://127.0.0.1:$port/api/v2/"

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
exec node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" --persist-to .wrangler/state
