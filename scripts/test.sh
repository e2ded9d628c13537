#!/usr/bin/env bash
# The whole test suite: installs the test tools (idempotent), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANNEXA_TEST_TOOLS="$(bash scripts/test-env.sh)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/annexa-target}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Benchmarks and examples must keep compiling; they run in the bench scripts, not here.
cargo build --locked --examples
# Library, binary and integration tests (offline, AWS emulator, Azure replay, browser).
set +e
cargo test --locked --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "annexa test suite: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
