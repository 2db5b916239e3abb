#!/usr/bin/env bash
# Build the Leptos SPA (frontend/) into frontend/dist/, the static assets
# `wrangler dev` serves with SPA fallback:
#   frontend/dist/index.html, style.css,
#   pkg/frontend.js + pkg/frontend_bg.wasm    the sample client (`/`, `/callback`)
#   pkg/dashboard-<hash>/                     the Dashboard (`/dashboard/*`):
#     dashboard.js + dashboard_bg.wasm          its shell
#     __wasm_split.js, split_<section>.wasm, chunk_<n>.wasm
#                                               its sections, fetched when
#                                               first opened
#     dashboard.split.json                      which files each section fetches
# index.html loads one of the two by path, so neither page downloads the
# other's code.
#
# The Dashboard's folder is named after a hash of its files: a section's
# module fits only the shell of its own build (its function table, its
# memory layout), and a tab open across a deploy fetches sections later.
# Its old folder is then gone, and the section says it could not be loaded
# rather than running another build's code.
#
# The Dashboard's sections are split off at their `#[wasm_split]` functions
# (`frontend/src/dashboard/*/pages`): the rustc output, linked with
# relocations (`--emit-relocs`), goes through `wasm-split-cli` (crates.io
# `wasm_split_cli_support`, the splitter cargo-leptos uses for Leptos'
# `#[lazy]`), which writes the shell's module, one module per section, the
# chunks several sections share, and `__wasm_split.js`, the loader the
# shell's module imports; the loader fetches the others relative to its own
# URL. wasm-bindgen then runs on the shell's module only.
#
# Needs: the wasm32-unknown-unknown target, the wasm-bindgen CLI at exactly the
# version of the wasm-bindgen crate in Cargo.lock (override the binary with
# $WASM_BINDGEN), wasm-split-cli at $WASM_SPLIT_VERSION (scripts/versions.sh;
# override with $WASM_SPLIT), and optionally node_modules/.bin/wasm-opt (npm
# binaryen) and node_modules/.bin/esbuild (which wrangler installs), which
# shrink the wasm and minify the JS; without them the bundles are over their
# size budgets (scripts/check-sizes.mjs).
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

# wasm-split-cli has no --version; cargo's install record says which one it is.
WASM_SPLIT="${WASM_SPLIT:-}"
if [[ -z "$WASM_SPLIT" ]]; then
    installed="$(cargo install --list 2>/dev/null | awk '$1 == "wasm_split_cli_support" { print $2 }')"
    [[ "$installed" == "v$WASM_SPLIT_VERSION:" ]] ||
        die "wasm-split-cli $WASM_SPLIT_VERSION (crate wasm_split_cli_support) is not installed (found '${installed:-none}'); run scripts/setup.sh"
    WASM_SPLIT="$(command -v wasm-split-cli || echo "$HOME/.cargo/bin/wasm-split-cli")"
fi
[[ -x "$WASM_SPLIT" ]] || die "wasm-split-cli not found at '$WASM_SPLIT'; run scripts/setup.sh"

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
cargo_spa() {
    CARGO_TARGET_DIR="$TARGET_DIR" \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
        RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components" \
        cargo "$1" "${SIZE_OVER_SPEED[@]}" --release --target wasm32-unknown-unknown -p frontend "${@:2}"
}
# The sample client without the Dashboard's module (feature `dashboard`),
# whose split points are exported functions the linker would keep.
cargo_spa build --no-default-features --bin frontend
# The splitter reads the call graph from the relocations the linker keeps
# with --emit-relocs: only the Dashboard is linked with them.
cargo_spa rustc --bin dashboard -- -C link-arg=--emit-relocs

rm -rf "$DIST"
mkdir -p "$PKG"

WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
[[ -x "$WASM_OPT" ]] ||
    echo "build-frontend: $WASM_OPT not found (run npm install); skipping wasm-opt" >&2
ESBUILD="$ROOT/node_modules/.bin/esbuild"
[[ -x "$ESBUILD" ]] ||
    echo "build-frontend: $ESBUILD not found (run npm install); the JS glue is not minified" >&2
# wasm-opt -Oz on each file given, two at a time (one per core).
optimize_wasm() {
    [[ -x "$WASM_OPT" ]] || return 0
    echo "build-frontend: $("$WASM_OPT" --version) -Oz ($# file(s): ${1#"$DIST"/}…)"
    # Features rustc enables by default for wasm32-unknown-unknown; the
    # producers and target-features sections are for tools, not browsers.
    # The splitter's modules name their labels (the name section's
    # subsection 3), which binaryen does not read and says so: not an error.
    printf '%s\0' "$@" | xargs -0 -P "$(nproc)" -I{} sh -c '
        "$0" -Oz --strip-producers --strip-target-features \
            --enable-bulk-memory \
            --enable-nontrapping-float-to-int \
            --enable-sign-ext \
            --enable-mutable-globals \
            --enable-reference-types \
            --enable-multivalue \
            -o "$1.opt" "$1" 2>"$1.log" &&
            mv "$1.opt" "$1" || { cat "$1.log" >&2; exit 1; }
        grep -v "unknown name subsection" "$1.log" >&2
        rm -f "$1.log"
        exit 0' "$WASM_OPT" {} ||
        die "wasm-opt failed"
}
minify_js() {
    [[ -x "$ESBUILD" ]] || return 0
    # Names and whitespace only: the module's exports and the wasm's import
    # names are strings and stay as they are.
    # wasm-bindgen imports the split loader once per function it imports
    # from it, each under the same key of the imports object: the same
    # module each time, so the duplicate keys are harmless.
    echo "build-frontend: esbuild $("$ESBUILD" --version) --minify (${1#"$DIST"/})"
    "$ESBUILD" "$1" --minify --format=esm --log-level=warning \
        --log-override:duplicate-object-key=silent --outfile="$1.min"
    mv "$1.min" "$1"
}

for bundle in "${BUNDLES[@]}"; do
    WASM_IN="$TARGET_DIR/wasm32-unknown-unknown/release/$bundle.wasm"
    [[ -f "$WASM_IN" ]] || die "expected $WASM_IN after cargo build"
    BINDGEN_ARGS=()
    if [[ "$bundle" == dashboard ]]; then
        # The shell's module (pkg/dashboard.wasm, before wasm-bindgen), the
        # sections' modules and chunks, and the loader, in a fresh folder.
        SPLIT="$TARGET_DIR/split/$bundle"
        rm -rf "$SPLIT"
        mkdir -p "$SPLIT"
        echo "build-frontend: wasm-split-cli $WASM_SPLIT_VERSION ($bundle)"
        "$WASM_SPLIT" "$WASM_IN" "$SPLIT" --out-name "$bundle" >"$SPLIT.log" 2>&1 ||
            { cat "$SPLIT.log" >&2; die "wasm-split-cli failed on $WASM_IN"; }
        WASM_IN="$SPLIT/$bundle.wasm"
        compgen -G "$SPLIT/split_*.wasm" >/dev/null ||
            die "wasm-split-cli found no split point in the $bundle bundle"
        node "$ROOT/scripts/split-manifest.mjs" "$SPLIT/__wasm_split.js" >"$PKG/$bundle.split.json"
        MODULES=()
        for module in "$SPLIT"/split_*.wasm "$SPLIT"/chunk_*.wasm; do
            [[ -f "$module" ]] || continue
            cp "$module" "$PKG/"
            MODULES+=("$PKG/$(basename "$module")")
        done
        optimize_wasm "${MODULES[@]}"
        cp "$SPLIT/__wasm_split.js" "$PKG/"
        minify_js "$PKG/__wasm_split.js"
        # The splitter's module re-exports what the sections use (the
        # function table, the stack pointer); wasm-bindgen must keep them.
        BINDGEN_ARGS=(--keep-lld-exports)
    fi
    echo "build-frontend: wasm-bindgen $WB_VERSION ($bundle)"
    "$WASM_BINDGEN" --target web --no-typescript "${BINDGEN_ARGS[@]}" \
        --out-dir "$PKG" --out-name "$bundle" "$WASM_IN"
    optimize_wasm "$PKG/${bundle}_bg.wasm"
    minify_js "$PKG/$bundle.js"
done
# The sample client has no split point: its glue must not import a loader.
if grep -q "__wasm_split" "$PKG/frontend.js"; then
    die "the sample client's bundle imports __wasm_split.js; only the Dashboard is split"
fi

# The Dashboard's files in a folder named after them (see above); they
# import and fetch each other by relative paths.
DASHBOARD_FILES=("$PKG"/dashboard.js "$PKG"/dashboard_bg.wasm "$PKG"/dashboard.split.json
    "$PKG"/__wasm_split.js "$PKG"/split_*.wasm "$PKG"/chunk_*.wasm)
HASH="$(cat "${DASHBOARD_FILES[@]}" | sha256sum | cut -c1-16)"
mkdir "$PKG/dashboard-$HASH"
mv "${DASHBOARD_FILES[@]}" "$PKG/dashboard-$HASH/"

cp "$FRONTEND/style.css" "$DIST/"
grep -q "'/pkg/dashboard/dashboard.js'" "$FRONTEND/index.html" ||
    die "frontend/index.html no longer imports '/pkg/dashboard/dashboard.js', which the build names"
sed "s#'/pkg/dashboard/dashboard.js'#'/pkg/dashboard-$HASH/dashboard.js'#" \
    "$FRONTEND/index.html" >"$DIST/index.html"

echo "build-frontend: done -> ${DIST#"$ROOT"/}"
(cd "$DIST" && find . -type f -printf '  %p %s bytes\n' | sort)
