#!/usr/bin/env bash
# Installs what is missing, then runs every check and test: formatting,
# lints (host and wasm), host unit tests of the domain, the release build,
# the deploy bundle (dry run) and its size budgets, the end-to-end tests
# against real `wrangler dev` instances, and property-based fuzzing of the
# whole API (schemathesis) against one more.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

step() { echo; echo "==> $*"; }

step "setup"
bash scripts/setup.sh --browser --fuzz

step "format and lints"
cargo fmt --all -- --check
cargo clippy -p shared -p tenant -p frontend --all-targets -- -D warnings
# With the benchmarks' `testing` feature: tenant/benches/hot_path.rs.
cargo clippy -p tenant --features testing --all-targets -- -D warnings
cargo clippy -p tenant-worker -p tenant-webcrypto -p frontend --target wasm32-unknown-unknown --all-targets -- -D warnings
# Alone, so that its `tenant/testing` does not leak into the Worker's lint.
cargo clippy -p tenant-bench-wasm --target wasm32-unknown-unknown --all-targets -- -D warnings

step "host unit tests (domain)"
cargo test -p shared -p tenant -p frontend

step "release build (worker + SPA)"
EDGE_TENANT_PREBUILT=0 bash scripts/build.sh

step "deploy bundles (wrangler deploy --dry-run: the tenant, and its actions runner)"
rm -rf target/deploy-dry-run target/deploy-dry-run-runner
EDGE_TENANT_PREBUILT=1 node_modules/.bin/wrangler deploy --dry-run --outdir target/deploy-dry-run
node_modules/.bin/wrangler deploy --dry-run -c worker/actions-runner/wrangler.toml --outdir "$PWD/target/deploy-dry-run-runner"

step "size budgets (Worker <= 1 MiB gzip; first load: sample client <= 200 KiB, Dashboard <= 250 KiB gzip, its sections fetched on demand listed)"
node scripts/check-sizes.mjs

step "end-to-end tests (wrangler dev + workerd + local KV and D1)"
EDGE_TENANT_PREBUILT=1 node --test --test-concurrency=1 tests/e2e/

step "API fuzzing (schemathesis against wrangler dev)"
EDGE_TENANT_PREBUILT=1 node tests/fuzz/run.mjs
