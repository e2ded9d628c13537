#!/usr/bin/env bash
# AWS Config collection benchmark against the local stub (no network beyond 127.0.0.1):
# 10,000 items, 100 ms per call, at most 10 calls/s per API. Prints time vs the stub's floor
# (pages / cap; target: within 20%) and API calls per resource (target: at most 0.02).
# Extra arguments go to the benchmark: --items N --latency-ms N --cap N --max-concurrency N.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/annexa-target}"
cargo run --quiet --example bench_aws -- "$@"
