#!/usr/bin/env bash
# Build the Leptos SPA (frontend/) into frontend/dist/, the static assets
# `wrangler dev` serves with SPA fallback:
#   frontend/dist/index.html, style.css, pkg/frontend.js, pkg/frontend_bg.wasm
#
# Needs: the wasm32-unknown-unknown target, the wasm-bindgen CLI at exactly the
# version of the wasm-bindgen crate in Cargo.lock (override the binary with
# $WASM_BINDGEN), and optionally node_modules/.bin/wasm-opt (npm binaryen).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FRONTEND="$ROOT/frontend"
DIST="$FRONTEND/dist"
PKG="$DIST/pkg"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM_IN="$TARGET_DIR/wasm32-unknown-unknown/release/frontend.wasm"

die() {
    echo "build-frontend: error: $*" >&2
    exit 1
}

# The CLI must match the wasm-bindgen crate the app links, or the generated
# glue and the wasm module disagree at runtime.
# shellcheck source=versions.sh
source "$ROOT/scripts/versions.sh"
EXPECTED_WB_VERSION="$WASM_BINDGEN_VERSION"
LOCKED_WB_VERSION="$(awk '
    $0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }
' "$ROOT/Cargo.lock")"
[[ "$LOCKED_WB_VERSION" == "$EXPECTED_WB_VERSION" ]] ||
    die "Cargo.lock has wasm-bindgen '${LOCKED_WB_VERSION:-?}', this script expects $EXPECTED_WB_VERSION; update both together"

WASM_BINDGEN="${WASM_BINDGEN:-}"
if [[ -z "$WASM_BINDGEN" ]]; then
    if command -v wasm-bindgen >/dev/null 2>&1; then
        WASM_BINDGEN="$(command -v wasm-bindgen)"
    elif [[ -x "$HOME/.cargo/bin/wasm-bindgen" ]]; then
        WASM_BINDGEN="$HOME/.cargo/bin/wasm-bindgen"
    else
        die "wasm-bindgen CLI not found; run scripts/setup.sh"
    fi
fi
WB_VERSION="$("$WASM_BINDGEN" --version 2>/dev/null | awk '{ print $2 }')" ||
    die "could not run '$WASM_BINDGEN --version'"
[[ "$WB_VERSION" == "$EXPECTED_WB_VERSION" ]] ||
    die "wasm-bindgen CLI at $WASM_BINDGEN is version '${WB_VERSION:-?}', need $EXPECTED_WB_VERSION (run scripts/setup.sh)"

echo "build-frontend: cargo build (release, wasm32-unknown-unknown)"
cargo build --release --target wasm32-unknown-unknown -p frontend
[[ -f "$WASM_IN" ]] || die "expected $WASM_IN after cargo build"

rm -rf "$DIST"
mkdir -p "$PKG"

echo "build-frontend: wasm-bindgen $WB_VERSION"
"$WASM_BINDGEN" --target web --no-typescript \
    --out-dir "$PKG" --out-name frontend "$WASM_IN"

WASM_OUT="$PKG/frontend_bg.wasm"
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
if [[ -x "$WASM_OPT" ]]; then
    echo "build-frontend: $("$WASM_OPT" --version) -Oz"
    # Features rustc enables by default for wasm32-unknown-unknown.
    "$WASM_OPT" -Oz \
        --enable-bulk-memory \
        --enable-nontrapping-float-to-int \
        --enable-sign-ext \
        --enable-mutable-globals \
        --enable-reference-types \
        --enable-multivalue \
        -o "$WASM_OUT.opt" "$WASM_OUT"
    mv "$WASM_OUT.opt" "$WASM_OUT"
else
    echo "build-frontend: $WASM_OPT not found (run npm install); skipping wasm-opt" >&2
fi

cp "$FRONTEND/index.html" "$FRONTEND/style.css" "$DIST/"

echo "build-frontend: done -> ${DIST#"$ROOT"/}"
(cd "$DIST" && find . -type f -printf '  %p %s bytes\n' | sort)
