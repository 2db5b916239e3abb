#!/usr/bin/env bash
# The benchmark (not part of the test command): installs what is missing,
# builds the release Worker and SPA, then measures
#   1. where the CPU goes: criterion natively and the same operations as wasm
#      in V8 (scripts/bench-micro.sh);
#   2. load: the token endpoint and the other endpoints under one fresh
#      `wrangler dev`, against the platform floor and npm oidc-provider, with
#      wrk at concurrency 1, 8 and 32 (bench/load.mjs);
# and writes bench/out/report.md and bench/out/chart.png (git-ignored).
#
#   bash scripts/bench.sh [--duration S] [--warmup S] [--concurrency 1,8,32] [--no-micro]
#
# `bash scripts/bench.sh scale [--sizes 1000,10000,100000] [--logs ...]`
# measures instead the Management API's listings and searches and a
# sign-in on tenants of 1,000 to 100,000 users and up to 1,000,000 audit
# events (bench/scale.mjs; bench/out/scale.md), about 10 minutes.
#
# `bash scripts/bench.sh actions [--concurrency 1,8] [--loads 20]` measures
# what an Action adds to a grant: latency and CPU with one bound (a warm
# isolate) and the first grant after each deploy (a new isolate), beside
# the floor and a grant with nothing bound (bench/actions.mjs;
# bench/out/actions.md), about 4 minutes.
#
# `bash scripts/bench.sh user-grants [--concurrency 1,8] [--codes 1000]`
# measures what signing people in costs at the token endpoint: a code
# redeemed with PKCE and a refresh token rotated, beside client_credentials
# and /authorize answering a code from a session (bench/user-grants.mjs;
# bench/out/user-grants.md), about 3 minutes.
#
# Takes about 15 minutes on 2 cores. Run it on an otherwise idle machine:
# anything else using the CPU shows up in every figure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

say() { echo "bench: $*"; }

MICRO=1
SCALE=0
ACTIONS=0
USER_GRANTS=0
if [[ "${1:-}" == scale ]]; then
    SCALE=1
    shift
elif [[ "${1:-}" == actions ]]; then
    ACTIONS=1
    shift
elif [[ "${1:-}" == user-grants ]]; then
    USER_GRANTS=1
    shift
fi
LOAD_ARGS=()
for arg in "$@"; do
    case "$arg" in
        --no-micro) MICRO=0 ;;
        *) LOAD_ARGS+=("$arg") ;;
    esac
done

# Chromium renders the chart; wrangler, playwright-core come from npm.
bash scripts/setup.sh --browser

if ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk (Debian)"
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq wrk >/dev/null
fi

if [[ ! -d bench/peer/node_modules || bench/peer/package-lock.json -nt bench/peer/node_modules ]]; then
    say "installing the peer (npm oidc-provider)"
    npm ci --prefix bench/peer --no-audit --no-fund
fi

mkdir -p bench/out
say "release build (worker + SPA)"
EDGE_TENANT_PREBUILT=0 bash scripts/build.sh
if [[ "$SCALE" == 1 ]]; then
    exec node bench/scale.mjs "${LOAD_ARGS[@]}"
fi
if [[ "$ACTIONS" == 1 ]]; then
    exec node bench/actions.mjs "${LOAD_ARGS[@]}"
fi
if [[ "$USER_GRANTS" == 1 ]]; then
    exec node bench/user-grants.mjs "${LOAD_ARGS[@]}"
fi
rm -rf target/deploy-dry-run
EDGE_TENANT_PREBUILT=1 node_modules/.bin/wrangler deploy --dry-run --outdir target/deploy-dry-run >/dev/null

if [[ "$MICRO" == 1 ]]; then
    bash scripts/bench-micro.sh
fi

node bench/load.mjs "${LOAD_ARGS[@]}"
node bench/report.mjs
