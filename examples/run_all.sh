#!/usr/bin/env bash
# The README's main command in CI form: build the CLI and run the built-in examples on
# every target, each checked against a plain-Rust reference.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -- demo
