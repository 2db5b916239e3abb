#!/usr/bin/env bash
# Installs what is missing to build, serve and test the tenant, and nothing
# that is already there. Needs only Debian, Rust (rustup) and Node 20; every
# download comes from a package registry (crates.io, npm, PyPI, Debian).
#
#   bash scripts/setup.sh [--browser] [--fuzz] | --wasm
#
# --browser: also Chromium; --fuzz: also the API fuzzer (schemathesis, in the
# git-ignored virtualenv .venv/, with Debian's python3 and python3-venv when
# missing); --wasm: only the wasm target and wasm-bindgen.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=versions.sh
source "$ROOT/scripts/versions.sh"
export PATH="$HOME/.cargo/bin:$PATH"

say() { echo "setup: $*"; }

BROWSER=0 FUZZ=0 WASM_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --browser) BROWSER=1 ;;
        --fuzz) FUZZ=1 ;;
        --wasm) WASM_ONLY=1 ;;
        *) echo "setup: unknown option $arg" >&2; exit 2 ;;
    esac
done
if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# No --locked: the CLIs' own lockfiles pin crates this registry may lack.
if [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi
# `--wasm`: only what compiling Rust to wasm for Node needs (bench-micro.sh).
if [[ $WASM_ONLY == 1 ]]; then
    exit 0
fi

# The splitter of the Dashboard's sections (scripts/build-frontend.sh). Its
# binary has no --version: cargo's install record says which crate and
# version put it there. Its own lockfile resolves here, so --locked; --force
# replaces a wasm-split-cli of another crate (Dioxus' wasm-split-cli, whose
# split-point names differ from those of the macros Leptos uses).
installed="$(cargo install --list 2>/dev/null || true)"
if ! grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:" <<<"$installed"; then
    say "installing wasm-split-cli (wasm_split_cli_support $WASM_SPLIT_VERSION, a few minutes, once)"
    cargo install wasm_split_cli_support --version "=$WASM_SPLIT_VERSION" --features build-binary --locked --force
fi

# `worker-build --version` prints the bare version.
if [[ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$WORKER_BUILD_VERSION" ]]; then
    say "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
    cargo install worker-build --version "=$WORKER_BUILD_VERSION"
fi

# npm ci when node_modules is missing or older than the lockfile.
stamp="node_modules/.edge-tenant-lock"
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
    say "installing npm packages (wrangler, binaryen, test libraries)"
    npm ci --no-audit --no-fund
    cp package-lock.json "$stamp"
fi

if [[ $BROWSER == 1 ]] && ! command -v chromium >/dev/null 2>&1; then
    say "installing Chromium for the browser tests"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# schemathesis in .venv/, unless the pinned version is already there.
if [[ $FUZZ == 1 ]]; then
    installed="$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true)"
    if [[ "$installed" != "$SCHEMATHESIS_VERSION" ]]; then
        if [[ ! -x .venv/bin/python ]]; then
            rm -rf .venv
            # Debian ships venv (and ensurepip) apart from python3.
            if ! python3 -m venv .venv >/dev/null 2>&1; then
                say "installing python3 and python3-venv for the API fuzzer"
                $SUDO apt-get update -qq
                $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
                rm -rf .venv
                python3 -m venv .venv
            fi
        fi
        say "installing schemathesis $SCHEMATHESIS_VERSION into .venv (once)"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    fi
fi
