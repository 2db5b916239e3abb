#!/usr/bin/env bash
# Where the token endpoint's CPU goes: its hot operations (bench/src/lib.rs)
# natively under criterion, then compiled to wasm and timed in V8 (Node),
# the engine workerd runs. Writes bench/out/micro.json and micro.md.
#
#   bash scripts/bench-micro.sh
#
# Part of scripts/bench.sh; about 3 minutes on 2 cores once built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

# The wasm target and the pinned wasm-bindgen CLI.
bash scripts/setup.sh

echo "bench-micro: criterion (native)"
cargo bench -p tenant-bench --bench hot_path -- --warm-up-time 1 --measurement-time 3

echo "bench-micro: wasm (release, as the Worker is built)"
cargo build --release --target wasm32-unknown-unknown -p tenant-bench --lib
OUT="$ROOT/bench/out/wasm"
rm -rf "$OUT"
wasm-bindgen --target nodejs --no-typescript --out-dir "$OUT" \
    target/wasm32-unknown-unknown/release/tenant_bench.wasm
# The repository's package.json says "type": "module"; this glue is CommonJS.
echo '{ "type": "commonjs" }' >"$OUT/package.json"

node bench/micro.mjs
