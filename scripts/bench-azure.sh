#!/usr/bin/env bash
# Azure collector benchmark against a local server (127.0.0.1): N resources over Resource Graph
# pages of 1000 with 150 ms latency per request and the real Resource Graph user quota
# (15 queries per 5 s window, announced in x-ms-user-quota-* headers, 429 beyond it).
# Prints collection time, the floor those limits impose, and requests per resource.
#
#   scripts/bench-azure.sh            # release build (PROFILE=dev for the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
cargo build --quiet --profile "$profile" --example bench_azure --no-default-features --features azure
dir="$profile"
[ "$profile" = dev ] && dir=debug
bin="${CARGO_TARGET_DIR:-target}/$dir/examples/bench_azure"
echo "== 10,000 resources, 10 subscriptions, 150 ms (quota not reached: 10 queries)"
"$bin" 10000 10 150
echo
echo "== 30,000 resources, 10 subscriptions, 150 ms (quota reached: 30 queries, 15 per 5 s)"
"$bin" 30000 10 150
