#!/usr/bin/env bash
# Builds the Worker (worker/build/) and the SPA (frontend/dist/). wrangler
# runs this as its [build] command; EDGE_TENANT_PREBUILT=1 skips it when the
# caller (the test command) has just built both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

if [[ "${EDGE_TENANT_PREBUILT:-}" == 1 && -f worker/build/worker/shim.mjs && -f frontend/dist/index.html ]]; then
    exit 0
fi

# worker-build would download wasm-bindgen and wasm-opt from GitHub; point it
# at the pinned CLI and at binaryen from npm instead.
WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_BINDGEN_BIN
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
if [[ -x "$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild" ]]; then
    export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
fi

echo "build: worker (release)"
(cd worker && worker-build --release)
echo "build: frontend (release)"
bash scripts/build-frontend.sh
