#!/usr/bin/env bash
# Build the Leptos SPA (frontend/) into frontend/dist/, the static assets
# `wrangler dev` serves with SPA fallback:
#   frontend/dist/index.html, style.css,
#   pkg/frontend.js + pkg/frontend_bg.wasm    the sample client (`/`, `/callback`)
#   pkg/dashboard.js + pkg/dashboard_bg.wasm  the Dashboard (`/dashboard/*`)
# index.html loads one of the two by path, so neither page downloads the
# other's code.
#
# Needs: the wasm32-unknown-unknown target, the wasm-bindgen CLI at exactly the
# version of the wasm-bindgen crate in Cargo.lock (override the binary with
# $WASM_BINDGEN), and optionally node_modules/.bin/wasm-opt (npm binaryen)
# and node_modules/.bin/esbuild (which wrangler installs), which shrink the
# wasm and minify the JS glue; without them the bundles are over their size
# budgets (scripts/check-sizes.mjs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FRONTEND="$ROOT/frontend"
DIST="$FRONTEND/dist"
PKG="$DIST/pkg"
# Its own target dir: the flags below differ from the Worker's build, and
# sharing one would rebuild each every time the other is built.
TARGET_DIR="${SPA_TARGET_DIR:-$ROOT/target/spa}"
BUNDLES=(frontend dashboard)

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

echo "build-frontend: cargo build (release, wasm32-unknown-unknown, opt-level z)"
# Size over speed for code that is downloaded: opt-level "z", and Leptos's
# `erase_components`, which type-erases each component's view and so stops
# every view tree from being compiled as its own generic instance.
# The workspace builds Ed25519 and SHA-2 for speed (the token endpoint's
# CPU); here they are downloaded code, so size wins for them too.
SIZE_OVER_SPEED=()
for package in curve25519-dalek ed25519-dalek sha2; do
    SIZE_OVER_SPEED+=(--config "profile.release.package.$package.opt-level=\"z\"")
done
CARGO_TARGET_DIR="$TARGET_DIR" \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
    RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components" \
    cargo build "${SIZE_OVER_SPEED[@]}" --release --target wasm32-unknown-unknown -p frontend --bins

rm -rf "$DIST"
mkdir -p "$PKG"

WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
[[ -x "$WASM_OPT" ]] ||
    echo "build-frontend: $WASM_OPT not found (run npm install); skipping wasm-opt" >&2
ESBUILD="$ROOT/node_modules/.bin/esbuild"
[[ -x "$ESBUILD" ]] ||
    echo "build-frontend: $ESBUILD not found (run npm install); the JS glue is not minified" >&2
for bundle in "${BUNDLES[@]}"; do
    WASM_IN="$TARGET_DIR/wasm32-unknown-unknown/release/$bundle.wasm"
    [[ -f "$WASM_IN" ]] || die "expected $WASM_IN after cargo build"
    echo "build-frontend: wasm-bindgen $WB_VERSION ($bundle)"
    "$WASM_BINDGEN" --target web --no-typescript \
        --out-dir "$PKG" --out-name "$bundle" "$WASM_IN"
    WASM_OUT="$PKG/${bundle}_bg.wasm"
    if [[ -x "$WASM_OPT" ]]; then
        echo "build-frontend: $("$WASM_OPT" --version) -Oz ($bundle)"
        # Features rustc enables by default for wasm32-unknown-unknown; the
        # producers and target-features sections are for tools, not browsers.
        "$WASM_OPT" -Oz --strip-producers --strip-target-features \
            --enable-bulk-memory \
            --enable-nontrapping-float-to-int \
            --enable-sign-ext \
            --enable-mutable-globals \
            --enable-reference-types \
            --enable-multivalue \
            -o "$WASM_OUT.opt" "$WASM_OUT"
        mv "$WASM_OUT.opt" "$WASM_OUT"
    fi
    if [[ -x "$ESBUILD" ]]; then
        # Names and whitespace only: the module's exports and the wasm's
        # import names are strings and stay as they are.
        JS_OUT="$PKG/$bundle.js"
        echo "build-frontend: esbuild $("$ESBUILD" --version) --minify ($bundle.js)"
        "$ESBUILD" "$JS_OUT" --minify --format=esm --log-level=warning --outfile="$JS_OUT.min"
        mv "$JS_OUT.min" "$JS_OUT"
    fi
done

cp "$FRONTEND/index.html" "$FRONTEND/style.css" "$DIST/"

echo "build-frontend: done -> ${DIST#"$ROOT"/}"
(cd "$DIST" && find . -type f -printf '  %p %s bytes\n' | sort)
