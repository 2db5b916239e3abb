#!/usr/bin/env bash
# Where the token endpoint's CPU goes: its hot operations
# (tenant/src/testing/hot_path.rs) natively under criterion, then compiled to
# wasm (bench/wasm) and timed in V8 (Node), the engine workerd runs, with RSA
# on WebCrypto as in the Worker. Writes bench/out/native.json, micro.json
# and micro.md, and prints the table.
#
#   bash scripts/bench-micro.sh
#
# Part of scripts/bench.sh; about 3 minutes on 2 cores once built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

# The wasm target and the pinned wasm-bindgen CLI, if missing.
bash scripts/setup.sh --wasm

# Release, as the Worker is built (LTO, the workspace's opt-levels), in its
# own target dir: its `tenant` has the `testing` feature, the Worker's not.
echo "bench-micro: wasm (release)"
WASM_TARGET_DIR="$ROOT/target/bench-wasm"
CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
    cargo build --release --target wasm32-unknown-unknown -p tenant-bench-wasm
OUT="$ROOT/bench/out/wasm"
rm -rf "$OUT"
wasm-bindgen --target nodejs --no-typescript --out-dir "$OUT" \
    "$WASM_TARGET_DIR/wasm32-unknown-unknown/release/tenant_bench_wasm.wasm"
# The repository's package.json says "type": "module"; this glue is CommonJS.
echo '{ "type": "commonjs" }' >"$OUT/package.json"

echo "bench-micro: criterion (native)"
cargo bench -p tenant --features testing --bench hot_path -- \
    --warm-up-time 1 --measurement-time 3

echo "bench-micro: wasm in V8"
node bench/micro.mjs
