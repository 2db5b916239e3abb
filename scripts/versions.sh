# Pinned tool versions, sourced by the other scripts. The wasm-bindgen CLI
# must equal the wasm-bindgen crate pinned in Cargo.toml / Cargo.lock.
WASM_BINDGEN_VERSION="0.2.130"
WORKER_BUILD_VERSION="0.8.7"
# Splits the Dashboard's wasm into the sections Leptos' #[wasm_split]
# functions mark (crates.io wasm_split_cli_support, feature build-binary:
# the binary wasm-split-cli); 0.2.x matches wasm_split_macros 0.2 in
# Cargo.lock, which names the split points it reads.
WASM_SPLIT_VERSION="0.2.4"
# The API fuzzer (PyPI), in the git-ignored virtualenv .venv/.
SCHEMATHESIS_VERSION="4.32.5"
