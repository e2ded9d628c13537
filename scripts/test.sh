#!/usr/bin/env bash
# The whole test suite: installs the test tools (idempotent), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANNEXA_TEST_TOOLS="$(bash scripts/test-env.sh)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/annexa-target}"
cargo test --locked --all-targets 2>&1
