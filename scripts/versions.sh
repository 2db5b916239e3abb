# Pinned tool versions, sourced by the other scripts. The wasm-bindgen CLI
# must equal the wasm-bindgen crate pinned in Cargo.toml / Cargo.lock.
WASM_BINDGEN_VERSION="0.2.130"
WORKER_BUILD_VERSION="0.8.7"
# The API fuzzer (PyPI), in the git-ignored virtualenv .venv/.
SCHEMATHESIS_VERSION="4.32.5"
